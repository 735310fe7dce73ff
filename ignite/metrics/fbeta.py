"""F-beta score built from Precision and Recall."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ignite.metrics.metrics_lambda import MetricsLambda
from ignite.metrics.precision import Precision
from ignite.metrics.recall import Recall

__all__ = ["Fbeta"]


def _identity(x: object) -> object:
    return x


def _fbeta_fn(beta: float, average: bool) -> Callable:
    beta2 = beta**2

    def fbeta(precision: torch.Tensor, recall: torch.Tensor) -> torch.Tensor | float:
        score = (1.0 + beta2) * precision * recall / (beta2 * precision + recall + 1e-15)
        return score.mean().item() if average else score

    return fbeta


def Fbeta(
    beta: float,
    average: bool = True,
    precision: Precision | None = None,
    recall: Recall | None = None,
    output_transform: Callable | None = None,
    device: str | torch.device | None = None,
) -> MetricsLambda:
    r"""F-beta score :math:`(1 + \beta^2) \frac{P R}{\beta^2 P + R}` per class, or its mean.

    Args:
        beta: weight of recall relative to precision (> 0).
        average: return the mean over classes as a float (default), else the per-class tensor (0-d for binary).
        precision: a ``Precision`` with ``average=False`` (or ``None``) to use; created when omitted.
        recall: a ``Recall`` with ``average=False`` (or ``None``) to use; created when omitted.
        output_transform: transform of the created metrics (only when neither metric is given).
        device: device of the created metrics (only when neither metric is given).

    Returns a :class:`~ignite.metrics.MetricsLambda`.

    ```python
    f1 = Fbeta(beta=1.0)
    f1.attach(evaluator, "f1")
    ```
    """
    if not (beta > 0):
        raise ValueError(f"Beta should be a positive integer, but given {beta}")
    if precision is not None and output_transform is not None:
        raise ValueError("If precision argument is provided, output_transform should be None")
    if precision is not None and device is not None:
        raise ValueError("If precision argument is provided, device should be None")
    if recall is not None and output_transform is not None:
        raise ValueError("If recall argument is provided, output_transform should be None")
    if recall is not None and device is not None:
        raise ValueError("If recall argument is provided, device should be None")

    transform = _identity if output_transform is None else output_transform
    if device is None:
        given = precision if precision is not None else recall
        device = given._device if given is not None else torch.device("cpu")

    if precision is None:
        precision = Precision(output_transform=transform, average=False, device=device)
    elif precision._average:
        raise ValueError("Input precision metric should have average=False")
    if recall is None:
        recall = Recall(output_transform=transform, average=False, device=device)
    elif recall._average:
        raise ValueError("Input recall metric should have average=False")

    return MetricsLambda(_fbeta_fn(beta, average), precision, recall)
