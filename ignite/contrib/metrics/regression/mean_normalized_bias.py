"""Deprecated: moved to :mod:`ignite.metrics.regression.mean_normalized_bias` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.mean_normalized_bias")

from ignite.metrics.regression.mean_normalized_bias import MeanNormalizedBias  # noqa: E402

__all__ = ["MeanNormalizedBias"]
