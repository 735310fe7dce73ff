"""Deprecated location of :mod:`ignite.metrics.regression`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.regression.r2_score``, ...) emits a
``DeprecationWarning``.
"""

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ignite.metrics.regression import canberra_metric as canberra_metric
    from ignite.metrics.regression import fractional_absolute_error as fractional_absolute_error
    from ignite.metrics.regression import fractional_bias as fractional_bias
    from ignite.metrics.regression import geometric_mean_absolute_error as geometric_mean_absolute_error
    from ignite.metrics.regression import (
        geometric_mean_relative_absolute_error as geometric_mean_relative_absolute_error,
    )
    from ignite.metrics.regression import manhattan_distance as manhattan_distance
    from ignite.metrics.regression import maximum_absolute_error as maximum_absolute_error
    from ignite.metrics.regression import mean_absolute_relative_error as mean_absolute_relative_error
    from ignite.metrics.regression import mean_error as mean_error
    from ignite.metrics.regression import mean_normalized_bias as mean_normalized_bias
    from ignite.metrics.regression import median_absolute_error as median_absolute_error
    from ignite.metrics.regression import median_absolute_percentage_error as median_absolute_percentage_error
    from ignite.metrics.regression import median_relative_absolute_error as median_relative_absolute_error
    from ignite.metrics.regression import r2_score as r2_score
    from ignite.metrics.regression import wave_hedges_distance as wave_hedges_distance
    from ignite.metrics.regression.canberra_metric import CanberraMetric as CanberraMetric
    from ignite.metrics.regression.fractional_absolute_error import FractionalAbsoluteError as FractionalAbsoluteError
    from ignite.metrics.regression.fractional_bias import FractionalBias as FractionalBias
    from ignite.metrics.regression.geometric_mean_absolute_error import (
        GeometricMeanAbsoluteError as GeometricMeanAbsoluteError,
    )
    from ignite.metrics.regression.geometric_mean_relative_absolute_error import (
        GeometricMeanRelativeAbsoluteError as GeometricMeanRelativeAbsoluteError,
    )
    from ignite.metrics.regression.manhattan_distance import ManhattanDistance as ManhattanDistance
    from ignite.metrics.regression.maximum_absolute_error import MaximumAbsoluteError as MaximumAbsoluteError
    from ignite.metrics.regression.mean_absolute_relative_error import (
        MeanAbsoluteRelativeError as MeanAbsoluteRelativeError,
    )
    from ignite.metrics.regression.mean_error import MeanError as MeanError
    from ignite.metrics.regression.mean_normalized_bias import MeanNormalizedBias as MeanNormalizedBias
    from ignite.metrics.regression.median_absolute_error import MedianAbsoluteError as MedianAbsoluteError
    from ignite.metrics.regression.median_absolute_percentage_error import (
        MedianAbsolutePercentageError as MedianAbsolutePercentageError,
    )
    from ignite.metrics.regression.median_relative_absolute_error import (
        MedianRelativeAbsoluteError as MedianRelativeAbsoluteError,
    )
    from ignite.metrics.regression.r2_score import R2Score as R2Score
    from ignite.metrics.regression.wave_hedges_distance import WaveHedgesDistance as WaveHedgesDistance


__all__ = list(_NAMES)

__getattr__ = forward(__name__, _NAMES)
