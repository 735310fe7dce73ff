"""Deprecated: moved to :mod:`ignite.metrics.regression.manhattan_distance` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.manhattan_distance")

from ignite.metrics.regression.manhattan_distance import ManhattanDistance  # noqa: E402

__all__ = ["ManhattanDistance"]
