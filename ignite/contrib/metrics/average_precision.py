"""Deprecated: moved to :mod:`ignite.metrics.average_precision` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.average_precision")

from ignite.metrics.average_precision import AveragePrecision  # noqa: E402

__all__ = ["AveragePrecision"]
