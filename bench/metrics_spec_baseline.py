#!/usr/bin/env python
"""Our metric updates against the update *as the spec describes it*, written literally, in the same process.

The issue's target is "at most half of PyTorch-Ignite's update time". PyTorch-Ignite itself cannot be installed
here (clean room), and this machine is slower than the one the issue's figures come from, so this script builds
the yardstick in-process: each ``Spec*`` class below performs, per ``update``, exactly the steps that
``shared/spec/metrics.md`` gives for that metric (its input checks, its tensor operations, its per-batch
accumulation into a device tensor). It is written from the spec, not from PyTorch-Ignite's code.

Calibration: the issue quotes PyTorch-Ignite Accuracy 39 µs and Precision 102-109 µs, torchmetrics Accuracy 95 µs
and Precision 119 µs, on its machine. ``--torchmetrics`` times torchmetrics here too, so that the printed
``spec/torchmetrics`` ratios can be checked against 39/95 = 0.41 and 102/119 = 0.86: when they agree, the
literal spec implementation costs what PyTorch-Ignite costs, and ``ours/spec`` is the figure to hold to <= 0.5.

Times: CPU time of this thread (``time.thread_time``), median over repeats, µs per update of a 256-sample batch
(classification: logits ``[256, 10]`` and int64 targets; regression ``[256]`` float pairs).

    python bench/metrics_spec_baseline.py [--batches 500] [--repeats 7] [--torchmetrics]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from metrics_throughput import NCLS, make_data  # same folder: the scripts run as ``python bench/...``

DD = torch.float64


# ------------------------------------------------------------------------- literal spec implementations


class _SpecMetric:
    def __init__(self) -> None:
        self._device = torch.device("cpu")
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Any) -> None:
        raise NotImplementedError


class _SpecClassification(_SpecMetric):
    """spec 3.1: ``_check_shape`` and ``_check_type`` run on every update."""

    def reset(self) -> None:
        self._type: str | None = None
        self._num_classes: int | None = None

    def _check_shape(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        if not (y.ndimension() == y_pred.ndimension() or y.ndimension() + 1 == y_pred.ndimension()):
            raise ValueError("y must have shape of (batch_size, ...)")
        y_shape, y_pred_shape = y.shape, y_pred.shape
        if y.ndimension() + 1 == y_pred.ndimension():
            y_pred_shape = (y_pred_shape[0],) + y_pred_shape[2:]
        if y_shape != y_pred_shape:
            raise ValueError("y and y_pred must have compatible shapes.")

    def _check_type(self, y_pred: torch.Tensor, y: torch.Tensor) -> None:
        if y.ndimension() + 1 == y_pred.ndimension():
            num_classes = y_pred.shape[1]
            if num_classes == 1:
                update_type = "binary"
                if not torch.equal(y, y**2):
                    raise ValueError("For binary cases, y must be comprised of 0's and 1's.")
            else:
                update_type = "multiclass"
        else:
            update_type, num_classes = "binary", 1
            if not torch.equal(y, y**2):
                raise ValueError("For binary cases, y must be comprised of 0's and 1's.")
            if not torch.equal(y_pred, y_pred**2):
                raise ValueError("For binary cases, y_pred must be comprised of 0's and 1's.")
        if self._type is None:
            self._type, self._num_classes = update_type, num_classes
        elif self._type != update_type:
            raise RuntimeError(f"Input data type has changed from {self._type} to {update_type}.")
        elif self._num_classes != num_classes:
            raise ValueError("Input data number of classes has changed")


class SpecAccuracy(_SpecClassification):
    """spec 3.2, multiclass: ``argmax(y_pred, 1) == y``; ``_num_correct`` an int64 tensor on the device."""

    def reset(self) -> None:
        super().reset()
        self._num_correct = torch.tensor(0, device=self._device)
        self._num_examples = 0

    def update(self, output: Any) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check_shape(y_pred, y)
        self._check_type(y_pred, y)
        indices = torch.argmax(y_pred, dim=1)
        correct = torch.eq(indices, y).view(-1)
        self._num_correct += torch.sum(correct).to(self._device)
        self._num_examples += correct.shape[0]


class SpecPrecisionRecall(_SpecClassification):
    """spec 3.3, multiclass, ``average`` False/'macro': one-hot of ``y`` and of the argmax cast to float64,
    ``correct = y * y_pred``, per-column sums added to ``_numerator``/``_denominator``."""

    def __init__(self, recall: bool) -> None:
        self._recall = recall
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._numerator: Any = 0
        self._denominator: Any = 0
        self._updated = False

    def update(self, output: Any) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        self._check_shape(y_pred, y)
        self._check_type(y_pred, y)
        if y.dtype != torch.long:
            warnings.warn("`y` should be of dtype long when entry type is multiclass", RuntimeWarning)
        c = y_pred.size(1)
        if y.max() + 1 > c:
            raise ValueError("y_pred contains fewer classes than y.")
        y_oh = torch.nn.functional.one_hot(y.reshape(-1), num_classes=c)
        pred_oh = torch.nn.functional.one_hot(torch.argmax(y_pred, dim=1).reshape(-1), num_classes=c)
        y_oh = y_oh.to(dtype=DD, device=self._device)
        pred_oh = pred_oh.to(dtype=DD, device=self._device)
        correct = y_oh * pred_oh
        tp = correct.sum(dim=0)
        denominator = (y_oh if self._recall else pred_oh).sum(dim=0)
        self._numerator = self._numerator + tp
        self._denominator = self._denominator + denominator
        self._updated = True


class SpecTopK(_SpecMetric):
    """spec 3.6: target among the indices of ``torch.topk(y_pred, k, dim=1)``."""

    def reset(self) -> None:
        self._num_correct = torch.tensor(0, device=self._device)
        self._num_examples = 0

    def update(self, output: Any) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        sorted_indices = torch.topk(y_pred, 5, dim=1)[1]
        expanded_y = y.view(-1, 1).expand(-1, 5)
        correct = torch.sum(torch.eq(sorted_indices, expanded_y), dim=1)
        self._num_correct += torch.sum(correct).to(self._device)
        self._num_examples += correct.shape[0]


class SpecConfusionMatrix(_SpecMetric):
    """spec 3.7: shape checks, argmax, targets outside ``[0, C)`` dropped, bincount of ``C*y + pred``."""

    def reset(self) -> None:
        self.confusion_matrix = torch.zeros(NCLS, NCLS, dtype=torch.int64, device=self._device)
        self._num_examples = 0

    def update(self, output: Any) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        if y_pred.ndimension() < 2:
            raise ValueError("y_pred must have shape (batch_size, num_classes, ...)")
        if y_pred.shape[1] != NCLS:
            raise ValueError("y_pred does not have correct number of classes")
        if not (y.ndimension() + 1 == y_pred.ndimension()):
            raise ValueError("y_pred must have shape (batch_size, num_classes, ...) and y (batch_size, ...)")
        if y.shape[1:] != y_pred.shape[2:]:
            raise ValueError("y and y_pred must have compatible shapes.")
        self._num_examples += y_pred.shape[0]
        y_pred = torch.argmax(y_pred, dim=1).flatten()
        y = y.flatten()
        target_mask = (y >= 0) & (y < NCLS)
        y = y[target_mask]
        y_pred = y_pred[target_mask]
        indices = NCLS * y + y_pred
        m = torch.bincount(indices, minlength=NCLS**2).reshape(NCLS, NCLS)
        self.confusion_matrix += m.to(self.confusion_matrix)


class SpecLoss(_SpecMetric):
    """spec 2.11: ``_sum += loss_fn(y_pred, y).detach().to(device) * n``."""

    def __init__(self, loss_fn: Callable) -> None:
        self._loss_fn = loss_fn
        super().__init__()

    def reset(self) -> None:
        self._sum = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    def update(self, output: Any) -> None:
        y_pred, y = output[0], output[1]
        average_loss = self._loss_fn(y_pred, y).detach()
        if len(average_loss.shape) != 0:
            raise ValueError("loss_fn did not return the average loss.")
        n = len(y)
        self._sum += average_loss.to(self._device) * n
        self._num_examples += n


class _SpecElementwise(_SpecMetric):
    """spec 4: ``Σ f(y_pred − y)`` over all elements (``y`` viewed as ``y_pred``), a float32 device tensor."""

    def reset(self) -> None:
        self._sum = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    def _term(self, diff: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def update(self, output: Any) -> None:
        y_pred, y = output[0].detach(), output[1].detach()
        errors = self._term(y_pred - y.view_as(y_pred))
        self._sum += torch.sum(errors).to(self._device)
        self._num_examples += y.shape[0]


class SpecMSE(_SpecElementwise):
    def _term(self, diff: torch.Tensor) -> torch.Tensor:
        return torch.pow(diff, 2)


class SpecMAE(_SpecElementwise):
    def _term(self, diff: torch.Tensor) -> torch.Tensor:
        return torch.abs(diff)


class SpecEpochMetric(_SpecMetric):
    """spec 2.8 (ROC_AUC's backend): shape checks, detach, clone, dtype coherence, append."""

    def reset(self) -> None:
        self._predictions: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []

    def update(self, output: Any) -> None:
        y_pred, y = output[0], output[1]
        if y_pred.ndimension() not in (1, 2):
            raise ValueError("Predictions should be of shape (batch_size, n_targets) or (batch_size, ).")
        if y.ndimension() not in (1, 2):
            raise ValueError("Targets should be of shape (batch_size, n_targets) or (batch_size, ).")
        y_pred, y = y_pred.detach(), y.detach()
        if y_pred.ndimension() == 2 and y_pred.shape[1] == 1:
            y_pred = y_pred.squeeze(dim=-1)
        if y.ndimension() == 2 and y.shape[1] == 1:
            y = y.squeeze(dim=-1)
        y_pred = y_pred.clone().to(self._device)
        y = y.clone().to(self._device)
        if self._predictions and self._predictions[-1].dtype != y_pred.dtype:
            raise ValueError("Incoherent types between input y_pred and stored predictions")
        if self._targets and self._targets[-1].dtype != y.dtype:
            raise ValueError("Incoherent types between input y and stored targets")
        self._predictions.append(y_pred)
        self._targets.append(y)


# ------------------------------------------------------------------------- the comparison


def _cases() -> list[tuple[str, str, Callable[[], Any], Callable[[], Any], Callable[[], Any] | None]]:
    """(name, data kind, ours, spec-literal, torchmetrics or None)."""
    import ignite.metrics as M

    tm: dict[str, Callable[[], Any]] = {}
    try:
        from torchmetrics.classification import (
            MulticlassAccuracy,
            MulticlassConfusionMatrix,
            MulticlassPrecision,
            MulticlassRecall,
        )
        from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError

        tm = {
            "Accuracy": lambda: MulticlassAccuracy(num_classes=NCLS, average="micro"),
            "Precision_avgFalse": lambda: MulticlassPrecision(num_classes=NCLS, average=None),
            "Precision_macro": lambda: MulticlassPrecision(num_classes=NCLS, average="macro"),
            "Recall_macro": lambda: MulticlassRecall(num_classes=NCLS, average="macro"),
            "ConfusionMatrix": lambda: MulticlassConfusionMatrix(num_classes=NCLS),
            "TopKCategoricalAccuracy": lambda: MulticlassAccuracy(num_classes=NCLS, top_k=5, average="micro"),
            "MeanSquaredError": MeanSquaredError,
            "MeanAbsoluteError": MeanAbsoluteError,
        }
    except ImportError:
        pass
    ce = torch.nn.CrossEntropyLoss()
    rows = [
        ("Accuracy", "cls", M.Accuracy, SpecAccuracy),
        ("Precision_avgFalse", "cls", lambda: M.Precision(average=False), lambda: SpecPrecisionRecall(False)),
        ("Precision_macro", "cls", lambda: M.Precision(average="macro"), lambda: SpecPrecisionRecall(False)),
        ("Recall_macro", "cls", lambda: M.Recall(average="macro"), lambda: SpecPrecisionRecall(True)),
        ("ConfusionMatrix", "cls", lambda: M.ConfusionMatrix(num_classes=NCLS), SpecConfusionMatrix),
        ("TopKCategoricalAccuracy", "cls", lambda: M.TopKCategoricalAccuracy(k=5), SpecTopK),
        ("Loss_CrossEntropy", "cls", lambda: M.Loss(ce), lambda: SpecLoss(ce)),
        ("MeanSquaredError", "reg", M.MeanSquaredError, SpecMSE),
        ("MeanAbsoluteError", "reg", M.MeanAbsoluteError, SpecMAE),
        ("ROC_AUC", "roc", M.ROC_AUC, SpecEpochMetric),
    ]
    return [(name, kind, ours, spec, tm.get(name)) for name, kind, ours, spec in rows]


def _time_updates(factory: Callable[[], Any], batches: list, torchmetrics: bool = False) -> float:
    m = factory()
    if not torchmetrics:
        m.reset()
    t0 = time.thread_time()
    if torchmetrics:
        for p, t in batches:
            m.update(p, t)
    else:
        for b in batches:
            m.update(b)
    return (time.thread_time() - t0) / len(batches) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--torchmetrics", action="store_true", help="also time torchmetrics (calibration)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    data = make_data(args.batches)
    results: dict[str, dict[str, float]] = {}
    for name, kind, ours, spec, tm in _cases():
        batches = data[kind]
        factories: dict[str, tuple[Callable[[], Any], bool]] = {"ours": (ours, False), "spec": (spec, False)}
        if args.torchmetrics and tm is not None:
            factories["torchmetrics"] = (tm, True)
        times: dict[str, list[float]] = {k: [] for k in factories}
        for f, is_tm in factories.values():
            _time_updates(f, batches[:50], is_tm)  # warm-up
        for _ in range(args.repeats):
            for k, (f, is_tm) in factories.items():  # interleaved: drift hits all alike
                times[k].append(_time_updates(f, batches, is_tm))
        r = {f"{k}_us": round(statistics.median(v), 2) for k, v in times.items()}
        r["ours_over_spec"] = round(r["ours_us"] / r["spec_us"], 3)
        if "torchmetrics_us" in r:
            r["spec_over_torchmetrics"] = round(r["spec_us"] / r["torchmetrics_us"], 3)
            r["ours_over_torchmetrics"] = round(r["ours_us"] / r["torchmetrics_us"], 3)
        results[name] = r
        print(f"[metrics_spec_baseline] {name}: {r}", file=sys.stderr)
    print(json.dumps({"bench": "metrics_spec_baseline", "batches": args.batches, "results": results}))


if __name__ == "__main__":
    main()
