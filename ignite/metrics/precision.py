"""Precision, and the machinery it shares with Recall (``_BasePrecisionRecall``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics._pending import _PendingSums
from ignite.metrics.accuracy import _BaseClassification, _bincount, _identity
from ignite.metrics.metric import _world_size, reinit__is_reduced

__all__ = ["Precision"]

_AVERAGES = ("macro", "micro", "weighted", "samples")


class _BasePrecisionRecall(_PendingSums, _BaseClassification):
    """Per-class true positives over predicted (Precision) or actual (Recall) positives, with averaging.

    State: ``_numerator`` (true positives, or summed per-sample ratios for ``'samples'``), ``_denominator``
    (predicted/actual positives, or the number of samples for ``'samples'``), ``_weight`` (actual positives
    per class, ``'weighted'`` only) and ``_updated``. The three counters are ``0`` until the first update, then
    ``_double_dtype`` tensors on the data's device.
    """

    _state_dict_all_req_keys = ("_numerator", "_denominator", "_weight", "_updated")
    _accumulator_attrs = ("_numerator", "_denominator", "_weight")
    # True: the denominator counts predicted positives (precision); False: actual positives (recall)
    _count_predicted: bool = True

    def __init__(
        self,
        output_transform: Callable = _identity,
        average: bool | str | None = False,
        is_multilabel: bool = False,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        if not (average is None or isinstance(average, bool) or (isinstance(average, str) and average in _AVERAGES)):
            raise ValueError(
                "Argument average should be None or a boolean or one of values "
                "'macro', 'micro', 'weighted' and 'samples'."
            )
        self._average: bool | str | None = "macro" if average is True else average
        self._pending_attrs = ("_numerator", "_denominator", "_weight")[: 3 if self._average == "weighted" else 2]
        self.eps = 1e-20
        self._updated = False
        super().__init__(
            output_transform=output_transform,
            is_multilabel=is_multilabel,
            device=device,
            skip_unrolling=skip_unrolling,
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._numerator: Any = 0
        self._denominator: Any = 0
        self._weight: Any = 0
        self._updated = False
        self._eq_buffer: torch.Tensor | None = None
        self._reset_pending()
        super().reset()

    def _check_type(self, output: Sequence[torch.Tensor]) -> None:
        first = self._type is None
        super()._check_type(output)
        y_pred, y = output[0], output[1]
        if self._type in ("binary", "multiclass") and self._average == "samples":
            raise ValueError("Argument average='samples' is incompatible with binary and multiclass input data.")
        if self._type == "multiclass":
            if y.dtype != torch.long:
                warnings.warn("`y` should be of dtype long when entry type is multiclass", RuntimeWarning)
            if first and y.numel() > 0:
                max_class = int(y.max()) + 1
                if max_class > self._num_classes:  # type: ignore[operator]
                    raise ValueError(self._fewer_classes_message(max_class))
        elif self._type == "binary" and self._average is not False:
            if y.dtype != torch.long or y_pred.dtype != torch.long:
                warnings.warn(
                    "`y` and `y_pred` should be of dtype long when entry type is binary and average!=False",
                    RuntimeWarning,
                )

    def _fewer_classes_message(self, max_class: int) -> str:
        return (
            "y_pred contains fewer classes than y. Number of classes in the prediction is "
            f"{self._num_classes} and an element in y has invalid class = {max_class}."
        )

    def _prepare_output(self, output: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(y_pred, y, correct)`` as ``_double_dtype`` indicator matrices (rows, columns), as upstream.

        Not used by ``update`` (which counts without building one-hot matrices); kept for code that reads it.
        """
        y_pred, y = output[0].detach(), output[1].detach()
        dd = self._double_dtype
        if self._type == "binary" and self._average is False:
            y_pred, y = y_pred.reshape(-1).to(dd), y.reshape(-1).to(dd)
        elif self._type == "binary":
            y_pred = torch.nn.functional.one_hot(y_pred.reshape(-1).long(), 2).to(dd)
            y = torch.nn.functional.one_hot(y.reshape(-1).long(), 2).to(dd)
        elif self._type == "multiclass":
            c = self._num_classes
            y_pred = torch.nn.functional.one_hot(torch.argmax(y_pred, dim=1).reshape(-1), c).to(dd)  # type: ignore[arg-type]
            y = torch.nn.functional.one_hot(y.reshape(-1).long(), c).to(dd)  # type: ignore[arg-type]
        else:
            c = y_pred.shape[1]
            y_pred = y_pred.movedim(1, -1).reshape(-1, c).to(dd)
            y = y.movedim(1, -1).reshape(-1, c).to(dd)
        return y_pred, y, y * y_pred

    # ------------------------------------------------------------------ per-batch counts

    def _batch_partials(self, y_pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The partial sums of one batch, in the cheapest form to compute (decoded by ``_add_totals``).

        - multiclass (except ``'micro'``): counts of ``2 * k + correct`` over ``2 * C`` bins, ``k`` the predicted
          (Precision) or actual (Recall) class: per class ``[wrong, right]``; weighted Precision adds the
          counts of the actual classes;
        - binary (except ``average=False``): the 2x2 confusion matrix as 4 counts ``2 * y + y_pred``;
        - otherwise ``(numerator, denominator[, weight])`` directly.
        """
        average = self._average
        kind = self._type
        predicted = self._count_predicted
        if kind == "multiclass":
            c: int = self._num_classes  # type: ignore[assignment]
            pred = torch.argmax(y_pred, dim=1)
            if pred.ndim != 1:  # a reshape is not free: only with extra dims
                pred, target = pred.reshape(-1), y.reshape(-1)
            else:
                target = y
            if target.dtype != torch.long:
                target = target.long()
            # the comparison written straight into a reused int64 buffer: adding a bool tensor to an int64
            # one below would cost a type promotion
            buffer = self._eq_buffer
            if buffer is None or buffer.shape != pred.shape or buffer.device != pred.device:
                buffer = self._eq_buffer = torch.empty(pred.shape, dtype=torch.long, device=pred.device)
            correct = torch.eq(pred, target, out=buffer)
            if average == "micro":
                return torch.count_nonzero(correct), torch.tensor(correct.numel(), device=correct.device)
            counts = _bincount(torch.add(correct, pred if predicted else target, alpha=2), 2 * c)
            if counts.shape[0] > 2 * c:  # a target class >= C (CPU only: the length is free to read)
                raise ValueError(self._fewer_classes_message((counts.shape[0] + 1) // 2))
            if predicted and average == "weighted":
                support = _bincount(target, c)
                if support.shape[0] > c:
                    raise ValueError(self._fewer_classes_message(support.shape[0]))
                return counts, support
            return (counts,)

        if kind == "binary":
            p = y_pred.reshape(-1)
            t = y.reshape(-1)
            if average is False:
                return torch.count_nonzero(p * t), torch.count_nonzero(p if predicted else t)
            return (_bincount(torch.add(p.long(), t.long(), alpha=2), 4),)

        # multilabel: (N, C, ...) with labels on dim 1
        dd = self._double_dtype
        p = y_pred.to(dd)
        t = y.to(dd)
        both = p * t
        ref = p if predicted else t
        if average == "samples":
            tp_rows = both.sum(dim=1)
            ratios = tp_rows / (ref.sum(dim=1) + self.eps)
            return ratios.sum(), torch.tensor(float(tp_rows.numel()), dtype=dd, device=p.device)
        if average == "micro":
            return both.sum(), ref.sum()
        dims = [0, *range(2, y.ndim)]
        if average == "weighted":
            return both.sum(dim=dims), ref.sum(dim=dims), t.sum(dim=dims)
        return both.sum(dim=dims), ref.sum(dim=dims)

    def _add_totals(self, totals: list[torch.Tensor]) -> None:
        average = self._average
        if self._type == "multiclass" and average != "micro":
            counts = totals[0].view(-1, 2)  # per class [wrong, right]
            decoded = [counts[:, 1], counts.sum(dim=1)]
            if average == "weighted":  # support: actual members (Precision counted them apart)
                decoded.append(totals[1] if self._count_predicted else decoded[1])
            totals = decoded
        elif self._type == "binary" and average is not False:
            cm = totals[0].view(2, 2)  # [[tn, fp], [fn, tp]]: rows actual class, columns predicted class
            if average == "micro":
                totals = [cm.trace(), cm.sum()]
            else:
                totals = [cm.diagonal(), cm.sum(dim=0) if self._count_predicted else cm.sum(dim=1)]
                if average == "weighted":
                    totals.append(cm.sum(dim=1))
        super()._add_totals(totals)

    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y = output[0], output[1]
        if y_pred.requires_grad:
            y_pred = y_pred.detach()
        if y.requires_grad:
            y = y.detach()
        self._check(y_pred, y)
        self._queue(self._batch_partials(y_pred, y))
        self._updated = True

    def _fold_into(self, acc: Any, total: torch.Tensor) -> torch.Tensor:
        if isinstance(acc, torch.Tensor):
            return super()._fold_into(acc, total)
        # first fold after reset: the counters become tensors (on the data's device unless placed elsewhere)
        device = total.device if self._device.type == "cpu" else self._device
        return total.to(device=device, dtype=self._double_dtype, copy=True)

    # ------------------------------------------------------------------ compute

    def _fill_absent_state(self) -> None:
        """Distributed: give ranks that saw no batch zero counters shaped like the other ranks' ones.

        Raises ``NotComputableError`` on every rank when no rank saw a batch.
        """
        import ignite.distributed as idist

        if self._updated:
            shape = [1, self._numerator.ndim, self._numerator.numel()]
        else:
            shape = [0, 0, 0]
        info = idist.all_reduce(torch.tensor(shape, dtype=torch.int64), op="MAX").tolist()
        if info[0] == 0:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        if not self._updated:
            size = () if info[1] == 0 else (info[2],)
            zeros = torch.zeros(size, dtype=self._double_dtype, device=self._device)
            self._numerator = zeros
            self._denominator = zeros.clone()
            self._weight = zeros.clone()

    def compute(self) -> torch.Tensor | float:
        self._fold_pending()
        world_size = _world_size()
        if world_size > 1:
            self._fill_absent_state()
        elif not self._updated:
            raise NotComputableError(
                f"{self.__class__.__name__} must have at least one example before it can be computed."
            )
        numerator, denominator = self._numerator, self._denominator
        weight = self._weight
        if world_size > 1:
            import ignite.distributed as idist

            packed = torch.stack((numerator, denominator)) if self._average != "weighted" else None
            if packed is None:
                packed = torch.stack((numerator, denominator, torch.as_tensor(weight).to(numerator)))
            packed = idist.all_reduce(packed.clone())
            numerator, denominator = packed[0], packed[1]
            if self._average == "weighted":
                weight = packed[2]

        if self._average == "samples":
            fraction = numerator / denominator
        else:
            fraction = numerator / (denominator + self.eps)

        if self._average == "weighted":
            return ((fraction @ weight) / (weight.sum() + self.eps)).item()
        if self._average in ("micro", "samples"):
            return fraction.item()
        if self._average == "macro":
            return fraction.mean().item()
        return fraction.to(self._device)


def _add(acc: torch.Tensor, partial: Any) -> torch.Tensor:
    """``acc + partial`` in place (``partial`` a number or a tensor, moved to ``acc``'s device if needed)."""
    if isinstance(partial, torch.Tensor) and partial.device != acc.device:
        partial = partial.to(acc.device)
    return acc.add_(partial)


class Precision(_BasePrecisionRecall):
    r"""Precision: :math:`\frac{TP}{TP + FP}` per class, optionally averaged.

    Inputs as :class:`~ignite.metrics.Accuracy` (binary, multiclass, or multilabel with ``is_multilabel=True``).

    Args:
        output_transform: applied to the engine output before ``update``.
        average: how to combine the per-class values

            - ``False`` (default): the per-class tensor, 0-d for binary input (precision of class 1);
            - ``None``: the per-class tensor, binary input gives both classes ``[class 0, class 1]``;
            - ``True`` or ``'macro'``: the unweighted mean over classes (both classes for binary input);
            - ``'micro'``: pooled counts over classes (equals accuracy for binary/multiclass input);
            - ``'weighted'``: mean over classes weighted by the number of actual members of each class;
            - ``'samples'``: mean over samples of the per-sample precision (multilabel only).
        is_multilabel: treat equal-shape inputs as multilabel.
        device: device of the accumulators.
        skip_unrolling: pass list outputs to ``update`` unchanged.

    Binary and multilabel values must be 0/1 (checked on the first batch after ``reset``); threshold scores in
    ``output_transform``. Binary input with ``average`` other than ``False`` expects ``long`` tensors.

    An F1 score composed from precision and recall:

    ```python
    precision = Precision(average=False)
    recall = Recall(average=False)
    F1 = (precision * recall * 2 / (precision + recall)).mean()
    F1.attach(evaluator, "F1")
    ```
    """

    _count_predicted = True
