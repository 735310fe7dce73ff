"""Deprecated: moved to :mod:`ignite.metrics.regression.canberra_metric` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.canberra_metric")

from ignite.metrics.regression.canberra_metric import CanberraMetric  # noqa: E402

__all__ = ["CanberraMetric"]
