"""Deprecated: moved to :mod:`ignite.metrics.regression.geometric_mean_relative_absolute_error`
(importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.geometric_mean_relative_absolute_error")

from ignite.metrics.regression.geometric_mean_relative_absolute_error import GeometricMeanRelativeAbsoluteError  # noqa: E402

__all__ = ["GeometricMeanRelativeAbsoluteError"]
