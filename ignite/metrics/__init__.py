"""Metrics. Names are imported lazily from their modules on first access."""

from ignite._lazy import lazy_getattr

_NAMES = {
    "Metric": "metric",
    "MetricUsage": "metric",
    "EpochWise": "metric",
    "BatchWise": "metric",
    "BatchFiltered": "metric",
    "MetricsLambda": "metrics_lambda",
    "MetricGroup": "metric_group",
    "VariableAccumulation": "accumulation",
    "Average": "accumulation",
    "GeometricAverage": "accumulation",
    "EpochMetric": "epoch_metric",
    "RunningAverage": "running_average",
    "Frequency": "frequency",
    "Loss": "loss",
    "Accuracy": "accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "Fbeta": "fbeta",
    "ClassificationReport": "classification_report",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "ConfusionMatrix": "confusion_matrix",
    "IoU": "confusion_matrix",
    "JaccardIndex": "confusion_matrix",
    "mIoU": "confusion_matrix",
    "DiceCoefficient": "confusion_matrix",
    "MultiLabelConfusionMatrix": "multilabel_confusion_matrix",
    "CohenKappa": "cohen_kappa",
    "MatthewsCorrCoef": "matthews_corrcoef",
    "AveragePrecision": "average_precision",
    "ROC_AUC": "roc_auc",
    "RocCurve": "roc_auc",
    "PrecisionRecallCurve": "precision_recall_curve",
    "MeanAveragePrecision": "mean_average_precision",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanSquaredError": "mean_squared_error",
    "RootMeanSquaredError": "root_mean_squared_error",
    "MeanPairwiseDistance": "mean_pairwise_distance",
    "CosineSimilarity": "cosine_similarity",
    "PSNR": "psnr",
    "SSIM": "ssim",
    "Entropy": "entropy",
    "KLDivergence": "kl_divergence",
    "JSDivergence": "js_divergence",
    "MutualInformation": "mutual_information",
    "HSIC": "hsic",
    "MaximumMeanDiscrepancy": "maximum_mean_discrepancy",
    "GpuInfo": "gpu_info",
}
_SUBMODULES: tuple[str, ...] = ()  # the family subpackages ("regression", "nlp", ...) join with their code
_SUBMODULES += ("regression",)

__all__ = [
    "Metric", "Accuracy", "Loss", "MetricGroup", "MetricsLambda", "MeanAbsoluteError", "MeanPairwiseDistance",
    "MeanSquaredError", "MatthewsCorrCoef", "ConfusionMatrix", "CosineSimilarity", "ClassificationReport",
    "TopKCategoricalAccuracy", "Average", "DiceCoefficient", "Entropy", "EpochMetric", "Fbeta",
    "GeometricAverage", "IoU", "mIoU", "JaccardIndex", "JSDivergence", "KLDivergence",
    "MultiLabelConfusionMatrix", "Precision", "Recall",
    "RootMeanSquaredError", "RunningAverage", "VariableAccumulation", "Frequency",
    "HSIC", "MaximumMeanDiscrepancy", "MutualInformation", "PSNR", "SSIM", "regression",
    "AveragePrecision", "CohenKappa", "GpuInfo", "PrecisionRecallCurve", "RocCurve", "ROC_AUC",
    "MeanAveragePrecision",
]  # fmt: skip

__getattr__ = lazy_getattr(__name__, _NAMES, _SUBMODULES)
