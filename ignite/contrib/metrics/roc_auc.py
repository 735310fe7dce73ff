"""Deprecated: moved to :mod:`ignite.metrics.roc_auc` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.roc_auc")

from ignite.metrics.roc_auc import ROC_AUC, RocCurve  # noqa: E402

__all__ = ["ROC_AUC", "RocCurve"]
