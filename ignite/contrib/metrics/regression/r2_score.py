"""Deprecated: moved to :mod:`ignite.metrics.regression.r2_score` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.r2_score")

from ignite.metrics.regression.r2_score import R2Score  # noqa: E402

__all__ = ["R2Score"]
