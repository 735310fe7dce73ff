"""Run inside 2 real gloo processes by ``test_metrics_distributed.py`` (module level so that it pickles)."""

from __future__ import annotations

import json
import math
import os
import warnings
from typing import Any

import torch
import torch.nn.functional as F

import ignite.distributed as idist
from ignite.engine import Engine, Events
from ignite.metrics import (
    Average,
    CosineSimilarity,
    Entropy,
    EpochMetric,
    Frequency,
    GeometricAverage,
    JSDivergence,
    KLDivergence,
    Loss,
    MeanAbsoluteError,
    MeanPairwiseDistance,
    MeanSquaredError,
    MetricGroup,
    Precision,
    Recall,
    RootMeanSquaredError,
    RunningAverage,
    VariableAccumulation,
)
from ignite.metrics.metric import Metric, sync_all_reduce

N_SAMPLES = 29
CLASSES = 4


def make_batches(seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """All samples, in batches of 5 (the last one shorter)."""
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(N_SAMPLES, 3, generator=g)
    t = p + 0.5 * torch.randn(N_SAMPLES, 3, generator=g)
    logits = torch.randn(N_SAMPLES, CLASSES, generator=g)
    target_logits = torch.randn(N_SAMPLES, CLASSES, generator=g)
    labels = torch.randint(0, CLASSES, (N_SAMPLES,), generator=g)
    score = torch.rand(N_SAMPLES, generator=g)
    return [
        {
            "p": p[i : i + 5],
            "t": t[i : i + 5],
            "logits": logits[i : i + 5],
            "target_logits": target_logits[i : i + 5],
            "labels": labels[i : i + 5],
            "score": score[i : i + 5],
            "positive": (labels[i : i + 5] == 0).long(),
        }
        for i in range(0, N_SAMPLES, 5)
    ]


def sort_sum(y_pred: torch.Tensor, y: torch.Tensor) -> float:
    """An order-independent EpochMetric function (ranks' samples arrive in rank order)."""
    return float((y_pred.sort().values * torch.arange(len(y_pred))).sum() + y.sum())


def metrics() -> dict[str, Any]:
    reg = lambda b: (b["p"], b["t"])  # noqa: E731
    out: dict[str, Any] = {
        "mse": MeanSquaredError(output_transform=reg),
        "mae": MeanAbsoluteError(output_transform=reg),
        "rmse": RootMeanSquaredError(output_transform=reg),
        "mpd": MeanPairwiseDistance(output_transform=reg),
        "cos": CosineSimilarity(output_transform=reg),
        "entropy": Entropy(output_transform=lambda b: (b["logits"], None)),
        "kl": KLDivergence(output_transform=lambda b: (b["logits"], b["target_logits"])),
        "js": JSDivergence(output_transform=lambda b: (b["logits"], b["target_logits"])),
        "loss": Loss(torch.nn.CrossEntropyLoss(), output_transform=lambda b: (b["logits"], b["labels"])),
        "average": Average(output_transform=lambda b: b["p"]),
        "geometric": GeometricAverage(output_transform=lambda b: b["score"][:, None] + 0.5),
        "accumulation": VariableAccumulation(lambda a, x: a + x.sum(), output_transform=lambda b: b["p"]),
        "epoch_metric": EpochMetric(sort_sum, output_transform=lambda b: (b["score"], b["positive"])),
        "group": MetricGroup({"g_mse": MeanSquaredError(), "g_mae": MeanAbsoluteError()}, output_transform=reg),
    }
    mse = MeanSquaredError(output_transform=reg)
    mae = MeanAbsoluteError(output_transform=reg)
    out["lambda"] = mse * 2 + 1 / mae
    # the slides' F1
    cls = lambda b: (b["logits"], b["labels"])  # noqa: E731
    precision, recall = Precision(average=False, output_transform=cls), Recall(average=False, output_transform=cls)
    out["f1"] = (precision * recall * 2 / (precision + recall + 1e-20)).mean()
    return out


def evaluate(batches: list[dict[str, torch.Tensor]]) -> dict[str, Any]:
    engine = Engine(lambda e, b: b)
    for name, metric in metrics().items():
        metric.attach(engine, name)
    state = engine.run(batches)
    return {k: _plain(v) for k, v in state.metrics.items()}


def _plain(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def running_average_cases() -> dict[str, tuple[RunningAverage, Any]]:
    """Every way of using RunningAverage: over a metric or the output, with each usage and ``epoch_bound``."""
    from ignite.metrics import Accuracy, Precision
    from ignite.metrics.metric import RunningBatchWise, RunningEpochWise, SingleEpochRunningBatchWise

    cls = lambda b: (b["logits"], b["labels"])  # noqa: E731
    mean = lambda b: b["p"][:, 0].mean()  # noqa: E731
    ce = torch.nn.CrossEntropyLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # epoch_bound is deprecated
        return {
            "acc": (RunningAverage(Accuracy(output_transform=cls), alpha=0.5), RunningBatchWise()),
            "acc_single_epoch": (
                RunningAverage(Accuracy(output_transform=cls), alpha=0.5),
                SingleEpochRunningBatchWise(),
            ),
            "acc_epoch_wise": (RunningAverage(Accuracy(output_transform=cls), alpha=0.5), RunningEpochWise()),
            "loss_default_alpha": (RunningAverage(Loss(ce, output_transform=cls)), RunningBatchWise()),
            "loss_epoch_bound": (RunningAverage(Loss(ce, output_transform=cls), alpha=0.7, epoch_bound=True), None),
            "loss_not_epoch_bound": (
                RunningAverage(Loss(ce, output_transform=cls), alpha=0.7, epoch_bound=False),
                None,
            ),
            "precision": (RunningAverage(Precision(average=True, output_transform=cls), alpha=0.6), None),
            "output": (RunningAverage(output_transform=mean, alpha=0.5), RunningBatchWise()),
            "output_single_epoch": (RunningAverage(output_transform=mean, alpha=0.5), SingleEpochRunningBatchWise()),
            "output_epoch_bound": (RunningAverage(output_transform=mean, alpha=0.5, epoch_bound=True), None),
        }


def running_average_values(rank: int, world_size: int) -> dict[str, list]:
    """The value of each RunningAverage case after every iteration of 2 epochs over 5 batches of 6 samples.

    Each rank gets every ``world_size``-th sample of every batch (equal halves), so a rank's metric sums add up to
    the whole batch's and the mean of the ranks' output means is the whole batch's mean: the values must equal the
    single-process ones.
    """
    g = torch.Generator().manual_seed(7)
    batches = [
        {
            "p": torch.randn(6, 3, generator=g),
            "logits": torch.randn(6, CLASSES, generator=g),
            "labels": torch.randint(0, CLASSES, (6,), generator=g),
        }
        for _ in range(5)
    ]
    batches = [{k: v[rank::world_size] for k, v in b.items()} for b in batches]
    out: dict[str, list] = {}
    for name, (metric, usage) in running_average_cases().items():
        engine = Engine(lambda e, b: b)
        if usage is None:
            metric.attach(engine, name)
        else:
            metric.attach(engine, name, usage=usage)
        values: list = []
        engine.add_event_handler(
            Events.ITERATION_COMPLETED, lambda e, n=name, v=values: v.append(_plain(e.state.metrics.get(n)))
        )
        engine.run(batches, max_epochs=2)
        out[name] = values
    return out


def shard(batches: list, rank: int) -> list:
    # uneven on purpose: rank 0 gets 4 batches (20 samples), rank 1 gets 2 (9 samples)
    return batches[:4] if rank == 0 else batches[4:]


class Reduced(Metric):
    """Attributes of several kinds reduced with every op: packed collectives must unpack them right."""

    _state_dict_all_req_keys = ()

    def reset(self) -> None:
        rank = idist.get_rank()
        self.n_sum = rank + 1  # int
        self.f_max = 0.5 + rank  # float
        self.t_min = torch.tensor([3.0, -1.0]) * (rank + 1)  # float32 vector
        self.t_prod = torch.tensor([[2, 3]], dtype=torch.int64) + rank  # int64 matrix
        self.d_sum = torch.tensor(0.25, dtype=torch.float64) * (rank + 1)  # float64 0-d
        self.flag = True

    def update(self, output: Any) -> None:
        pass

    @sync_all_reduce("n_sum", "f_max:MAX", "t_min:MIN", "t_prod:PRODUCT", "d_sum:SUM", "flag:MIN")
    def compute(self) -> dict:
        return {
            "n_sum": self.n_sum,
            "f_max": self.f_max,
            "t_min": self.t_min.tolist(),
            "t_prod": self.t_prod.tolist(),
            "d_sum": self.d_sum.item(),
            "types": [type(self.n_sum).__name__, type(self.f_max).__name__, str(self.t_prod.dtype)],
            "flag": self.flag,
        }


def sync_errors() -> list[str]:
    class Bad(Reduced):
        @sync_all_reduce("n_sum:AVG")
        def bad_op(self) -> None:
            pass

        @sync_all_reduce("missing")
        def missing(self) -> None:
            pass

        @sync_all_reduce("names")
        def wrong_type(self) -> None:
            pass

    m = Bad()
    m.names = ["a"]
    errors = []
    for method in (m.bad_op, m.missing, m.wrong_type):
        try:
            method()
        except (ValueError, TypeError) as e:
            errors.append(f"{type(e).__name__}: {e}")
    return errors


def run(local_rank: int, out_dir: str) -> None:
    rank, world_size = idist.get_rank(), idist.get_world_size()
    assert world_size == 2
    batches = make_batches()
    result: dict[str, Any] = {"distributed": evaluate(shard(batches, rank))}

    # state dicts gather every rank's state and load back into the same ranks
    mse = MeanSquaredError()
    for b in shard(batches, rank):
        mse.update((b["p"], b["t"]))
    state = mse.state_dict()["__metric_state_per_rank"]
    result["state_counts"] = [s["_num_examples"] for s in state]
    fresh = MeanSquaredError()
    fresh.load_state_dict(mse.state_dict())
    result["state_mse"] = fresh.compute()
    result["local_num_examples"] = fresh._num_examples  # compute() left the local state alone

    # running average of the output: every rank averages the ranks' values at each update
    ra = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    for x in [1.0, 3.0] if rank == 0 else [5.0, 7.0]:
        ra.update(torch.tensor(x))
    result["running_average"] = float(ra.compute())

    result["running_average_usages"] = running_average_values(rank, world_size)

    reduced = Reduced()
    result["reduced"] = reduced.compute()
    result["reduced_again"] = reduced.compute()  # local values were restored: no double reduction
    result["sync_errors"] = sync_errors()

    # EpochMetric results that are tensors or other objects reach every rank
    tensor_fn = EpochMetric(lambda p, t: p.sort().values, check_compute_fn=False)
    tuple_fn = EpochMetric(lambda p, t: (p.sum().item(), t.tolist()), check_compute_fn=False)
    for b in shard(batches, rank):
        tensor_fn.update((b["score"], b["positive"]))
        tuple_fn.update((b["score"], b["positive"]))
    result["epoch_tensor"] = tensor_fn.compute().tolist()
    result["epoch_tuple"] = [tuple_fn.compute()[0], len(tuple_fn.compute()[1])]

    # frequency: total items over the mean elapsed time of the ranks
    freq = Frequency()
    freq.update(10 * (rank + 1))
    elapsed = freq._elapsed
    result["frequency"] = freq.compute()
    result["frequency_expected"] = 30 / (sum(idist.all_gather(elapsed)) / 2)

    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f, default=lambda o: None if isinstance(o, float) and math.isnan(o) else str(o))


def reference_loss(batches: list) -> float:
    logits = torch.cat([b["logits"] for b in batches])
    labels = torch.cat([b["labels"] for b in batches])
    return F.cross_entropy(logits, labels).item()
