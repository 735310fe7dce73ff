"""Deprecated location of :mod:`ignite.metrics.regression`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.regression.r2_score``, ...) emits a
``DeprecationWarning``.
"""

from ignite.contrib.metrics._shim import forward

_NAMES = {
    "CanberraMetric": "ignite.metrics.regression.canberra_metric",
    "FractionalAbsoluteError": "ignite.metrics.regression.fractional_absolute_error",
    "FractionalBias": "ignite.metrics.regression.fractional_bias",
    "GeometricMeanAbsoluteError": "ignite.metrics.regression.geometric_mean_absolute_error",
    "GeometricMeanRelativeAbsoluteError": "ignite.metrics.regression.geometric_mean_relative_absolute_error",
    "ManhattanDistance": "ignite.metrics.regression.manhattan_distance",
    "MaximumAbsoluteError": "ignite.metrics.regression.maximum_absolute_error",
    "MeanAbsoluteRelativeError": "ignite.metrics.regression.mean_absolute_relative_error",
    "MeanError": "ignite.metrics.regression.mean_error",
    "MeanNormalizedBias": "ignite.metrics.regression.mean_normalized_bias",
    "MedianAbsoluteError": "ignite.metrics.regression.median_absolute_error",
    "MedianAbsolutePercentageError": "ignite.metrics.regression.median_absolute_percentage_error",
    "MedianRelativeAbsoluteError": "ignite.metrics.regression.median_relative_absolute_error",
    "R2Score": "ignite.metrics.regression.r2_score",
    "WaveHedgesDistance": "ignite.metrics.regression.wave_hedges_distance",
    # module attributes are the ``ignite.metrics.regression`` modules themselves
    "canberra_metric": "ignite.metrics.regression.canberra_metric",
    "fractional_absolute_error": "ignite.metrics.regression.fractional_absolute_error",
    "fractional_bias": "ignite.metrics.regression.fractional_bias",
    "geometric_mean_absolute_error": "ignite.metrics.regression.geometric_mean_absolute_error",
    "geometric_mean_relative_absolute_error": "ignite.metrics.regression.geometric_mean_relative_absolute_error",
    "manhattan_distance": "ignite.metrics.regression.manhattan_distance",
    "maximum_absolute_error": "ignite.metrics.regression.maximum_absolute_error",
    "mean_absolute_relative_error": "ignite.metrics.regression.mean_absolute_relative_error",
    "mean_error": "ignite.metrics.regression.mean_error",
    "mean_normalized_bias": "ignite.metrics.regression.mean_normalized_bias",
    "median_absolute_error": "ignite.metrics.regression.median_absolute_error",
    "median_absolute_percentage_error": "ignite.metrics.regression.median_absolute_percentage_error",
    "median_relative_absolute_error": "ignite.metrics.regression.median_relative_absolute_error",
    "r2_score": "ignite.metrics.regression.r2_score",
    "wave_hedges_distance": "ignite.metrics.regression.wave_hedges_distance",
}

__all__ = list(_NAMES)

__getattr__ = forward(__name__, _NAMES)
