"""Deprecated location of metrics now in :mod:`ignite.metrics`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.roc_auc``, ...) emits a ``DeprecationWarning``.
"""

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ignite.contrib.metrics import regression as regression
    from ignite.metrics import average_precision as average_precision
    from ignite.metrics import cohen_kappa as cohen_kappa
    from ignite.metrics import gpu_info as gpu_info
    from ignite.metrics import precision_recall_curve as precision_recall_curve
    from ignite.metrics import roc_auc as roc_auc
    from ignite.metrics.average_precision import AveragePrecision as AveragePrecision
    from ignite.metrics.cohen_kappa import CohenKappa as CohenKappa
    from ignite.metrics.gpu_info import GpuInfo as GpuInfo
    from ignite.metrics.precision_recall_curve import PrecisionRecallCurve as PrecisionRecallCurve
    from ignite.metrics.roc_auc import ROC_AUC as ROC_AUC
    from ignite.metrics.roc_auc import RocCurve as RocCurve


__all__ = [name for name in _NAMES if name[0].isupper()]

__getattr__ = forward(__name__, _NAMES)
