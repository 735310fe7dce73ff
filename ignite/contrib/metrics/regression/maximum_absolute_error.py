"""Deprecated: moved to :mod:`ignite.metrics.regression.maximum_absolute_error` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.maximum_absolute_error")

from ignite.metrics.regression.maximum_absolute_error import MaximumAbsoluteError  # noqa: E402

__all__ = ["MaximumAbsoluteError"]
