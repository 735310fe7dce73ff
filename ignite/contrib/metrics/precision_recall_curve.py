"""Deprecated: moved to :mod:`ignite.metrics.precision_recall_curve` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.precision_recall_curve")

from ignite.metrics.precision_recall_curve import PrecisionRecallCurve, precision_recall_curve_compute_fn  # noqa: E402

__all__ = ["PrecisionRecallCurve", "precision_recall_curve_compute_fn"]
