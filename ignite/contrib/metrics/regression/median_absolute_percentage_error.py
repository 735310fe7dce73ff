"""Deprecated: moved to :mod:`ignite.metrics.regression.median_absolute_percentage_error`
(importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.median_absolute_percentage_error")

from ignite.metrics.regression.median_absolute_percentage_error import MedianAbsolutePercentageError  # noqa: E402

__all__ = ["MedianAbsolutePercentageError"]
