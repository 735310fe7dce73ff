"""Recall (shares its machinery with Precision in :mod:`ignite.metrics.precision`)."""

from __future__ import annotations

from ignite.metrics.precision import _BasePrecisionRecall

__all__ = ["Recall"]


class Recall(_BasePrecisionRecall):
    r"""Recall: :math:`\frac{TP}{TP + FN}` per class, optionally averaged.

    Same inputs, arguments and averaging modes as :class:`~ignite.metrics.Precision`; the denominator counts
    the actual members of each class instead of the predicted ones. ``average='micro'`` equals accuracy for
    binary and multiclass input.

    ```python
    recall = Recall(average="macro")
    recall.update((torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])))
    recall.compute()  # 0.25: class 0 has no member (0), class 1 recall 0.5
    ```
    """

    _count_predicted = False
