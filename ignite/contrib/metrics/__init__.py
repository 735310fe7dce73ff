"""Deprecated location of metrics now in :mod:`ignite.metrics`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.roc_auc``, ...) emits a ``DeprecationWarning``.
"""

from ignite.contrib.metrics._shim import forward

_NAMES = {
    "AveragePrecision": "ignite.metrics.average_precision",
    "CohenKappa": "ignite.metrics.cohen_kappa",
    "GpuInfo": "ignite.metrics.gpu_info",
    "PrecisionRecallCurve": "ignite.metrics.precision_recall_curve",
    "ROC_AUC": "ignite.metrics.roc_auc",
    "RocCurve": "ignite.metrics.roc_auc",
    # module attributes are the ``ignite.metrics`` modules themselves
    "average_precision": "ignite.metrics.average_precision",
    "cohen_kappa": "ignite.metrics.cohen_kappa",
    "gpu_info": "ignite.metrics.gpu_info",
    "precision_recall_curve": "ignite.metrics.precision_recall_curve",
    "roc_auc": "ignite.metrics.roc_auc",
    "regression": "ignite.contrib.metrics.regression",
}

__all__ = [name for name in _NAMES if name[0].isupper()]

__getattr__ = forward(__name__, _NAMES)
