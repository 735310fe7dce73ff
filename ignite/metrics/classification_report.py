"""Per-class precision, recall and F-beta in one report."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import torch

from ignite.metrics.metrics_lambda import MetricsLambda
from ignite.metrics.precision import Precision
from ignite.metrics.recall import Recall

__all__ = ["ClassificationReport"]


def _identity(x: object) -> object:
    return x


def ClassificationReport(
    beta: int = 1,
    output_dict: bool = False,
    output_transform: Callable = _identity,
    device: str | torch.device = torch.device("cpu"),
    is_multilabel: bool = False,
    labels: Sequence[str] | None = None,
    metrics_result_mode: str = "both",
) -> MetricsLambda:
    """Precision, recall and F-beta of every class, plus their macro averages.

    Args:
        beta: the beta of the F-beta score (key ``f"f{beta}-score"``).
        output_dict: return a ``dict`` instead of its JSON string.
        output_transform: applied to the engine output before the underlying metrics' ``update``.
        device: device of the underlying ``Precision``/``Recall``.
        is_multilabel: multilabel input (see :class:`~ignite.metrics.Precision`).
        labels: names of the classes, in class order (default ``"0"``, ``"1"``, ...).
        metrics_result_mode: how a dict result is stored in ``engine.state.metrics`` (see ``Metric``).

    The report maps each class name to ``{"precision", "recall", "f{beta}-score"}`` and ``"macro avg"`` to the
    means over classes. Binary input reports both classes ``"0"`` and ``"1"`` (as scikit-learn does), multiclass
    and multilabel input one entry per class or label.

    ```python
    report = ClassificationReport(output_dict=True)
    report.attach(evaluator, "report")
    # engine.state.metrics["report"]["macro avg"]["f1-score"]
    ```
    """
    precision = Precision(average=None, is_multilabel=is_multilabel, output_transform=output_transform, device=device)
    recall = Recall(average=None, is_multilabel=is_multilabel, output_transform=output_transform, device=device)
    beta2 = beta**2
    f_key = f"f{beta}-score"

    def report(p: torch.Tensor, r: torch.Tensor) -> dict | str:
        f = (1.0 + beta2) * p * r / (beta2 * p + r + 1e-15)
        n = p.numel()
        if labels is not None and len(labels) < n:
            raise ValueError(f"Argument labels should name every class: {n} classes but {len(labels)} labels given")
        p_list, r_list, f_list = p.reshape(-1).tolist(), r.reshape(-1).tolist(), f.reshape(-1).tolist()
        result: dict = {}
        for i in range(n):
            key = labels[i] if labels else str(i)
            result[key] = {"precision": p_list[i], "recall": r_list[i], f_key: f_list[i]}
        result["macro avg"] = {"precision": p.mean().item(), "recall": r.mean().item(), f_key: f.mean().item()}
        return result if output_dict else json.dumps(result)

    return MetricsLambda(report, precision, recall, metrics_result_mode=metrics_result_mode)
