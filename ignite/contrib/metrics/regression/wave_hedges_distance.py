"""Deprecated: moved to :mod:`ignite.metrics.regression.wave_hedges_distance` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.wave_hedges_distance")

from ignite.metrics.regression.wave_hedges_distance import WaveHedgesDistance  # noqa: E402

__all__ = ["WaveHedgesDistance"]
