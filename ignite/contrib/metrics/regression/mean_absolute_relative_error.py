"""Deprecated: moved to :mod:`ignite.metrics.regression.mean_absolute_relative_error` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.mean_absolute_relative_error")

from ignite.metrics.regression.mean_absolute_relative_error import MeanAbsoluteRelativeError  # noqa: E402

__all__ = ["MeanAbsoluteRelativeError"]
