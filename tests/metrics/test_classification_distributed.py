"""Every classification metric on 2 real gloo ranks equals the single-process result on all the data.

One spawn runs all the metrics. The ranks hold uneven shares of the batches (and one metric sees no batch at
all on rank 1), which exercises the uneven gathers and the shape agreement of lazily shaped state.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch
from metric_checks import assert_equal_values

import ignite.distributed as idist
from ignite.metrics import (
    ROC_AUC,
    Accuracy,
    AveragePrecision,
    ClassificationReport,
    CohenKappa,
    ConfusionMatrix,
    Fbeta,
    MatthewsCorrCoef,
    MeanAveragePrecision,
    MultiLabelConfusionMatrix,
    Precision,
    PrecisionRecallCurve,
    Recall,
    RocCurve,
    TopKCategoricalAccuracy,
    mIoU,
)

pytestmark = pytest.mark.distributed

NUM_BATCHES = 5  # rank 0 gets 3 batches, rank 1 gets 2


def _data() -> dict[str, list[tuple[torch.Tensor, torch.Tensor]]]:
    g = torch.Generator().manual_seed(2024)
    sizes = [7, 12, 5, 9, 11]
    data: dict[str, list] = {
        "multiclass": [],
        "binary": [],
        "multilabel": [],
        "labels": [],
        "scores": [],
        "ml_scores": [],
    }
    for n in sizes:
        y = torch.randint(0, 4, (n,), generator=g)
        data["multiclass"].append((torch.randn(n, 4, generator=g) + torch.nn.functional.one_hot(y, 4), y))
        data["binary"].append((torch.randint(0, 2, (n,), generator=g), torch.randint(0, 2, (n,), generator=g)))
        data["multilabel"].append((torch.randint(0, 2, (n, 3), generator=g), torch.randint(0, 2, (n, 3), generator=g)))
        data["labels"].append((torch.randint(0, 4, (n,), generator=g), torch.randint(0, 4, (n,), generator=g)))
        t = torch.randint(0, 2, (n,), generator=g)
        data["scores"].append((((t + torch.randn(n, generator=g)) * 2).round() / 4, t))  # with ties
        tm = torch.randint(0, 2, (n, 3), generator=g)
        data["ml_scores"].append((torch.rand(n, 3, generator=g), tm))
    return data


def _metrics() -> dict[str, tuple[str, object]]:
    out: dict[str, tuple[str, object]] = {
        "accuracy": ("multiclass", lambda: Accuracy()),
        "accuracy_ml": ("multilabel", lambda: Accuracy(is_multilabel=True)),
        "topk": ("multiclass", lambda: TopKCategoricalAccuracy(k=2)),
        "fbeta": ("multiclass", lambda: Fbeta(2.0)),
        "report": ("multiclass", lambda: ClassificationReport(output_dict=True)),
        "report_binary": ("binary", lambda: ClassificationReport(output_dict=True)),
        "cm": ("multiclass", lambda: ConfusionMatrix(4)),
        "cm_recall": ("multiclass", lambda: ConfusionMatrix(4, average="recall")),
        "miou": ("multiclass", lambda: mIoU(ConfusionMatrix(4), ignore_index=0)),
        "mlcm": ("multilabel", lambda: MultiLabelConfusionMatrix(3)),
        "kappa": ("labels", lambda: CohenKappa(weights="quadratic")),
        "kappa_cm": ("labels", lambda: CohenKappa(weights="linear", num_classes=4)),
        "mcc": ("labels", lambda: MatthewsCorrCoef()),
        "roc_auc": ("scores", lambda: ROC_AUC()),
        "roc_auc_ml": ("ml_scores", lambda: ROC_AUC()),
        "roc_curve": ("scores", lambda: RocCurve()),
        "ap": ("scores", lambda: AveragePrecision()),
        "pr_curve": ("scores", lambda: PrecisionRecallCurve()),
        "map": ("multiclass", lambda: MeanAveragePrecision(class_mean=None)),
        "map_ml": ("ml_scores", lambda: MeanAveragePrecision(is_multilabel=True, class_mean="weighted")),
    }
    for cls in (Precision, Recall):
        name = cls.__name__.lower()
        for average in (False, None, "micro", "macro", "weighted"):
            out[f"{name}_mc_{average}"] = ("multiclass", lambda c=cls, a=average: c(average=a))
            out[f"{name}_bin_{average}"] = ("binary", lambda c=cls, a=average: c(average=a))
            out[f"{name}_ml_{average}"] = ("multilabel", lambda c=cls, a=average: c(average=a, is_multilabel=True))
        out[f"{name}_ml_samples"] = ("multilabel", lambda c=cls: c(average="samples", is_multilabel=True))
    return out


def _results(shard: slice, empty_on_rank1: bool = False) -> dict[str, object]:
    data = _data()
    results = {}
    for name, (kind, factory) in _metrics().items():
        metric = factory()
        for batch in data[kind][shard]:
            metric.update(batch)
        results[name] = metric.compute()
    # a rank that saw no batch: its counters take the shape of the other ranks' ones
    partial = Precision(average="weighted")
    if not empty_on_rank1:
        for batch in data["multiclass"]:
            partial.update(batch)
    results["precision_one_rank"] = partial.compute()
    return results


def _worker(local_rank: int, out_dir: str) -> None:
    rank, world_size = idist.get_rank(), idist.get_world_size()
    assert world_size == 2
    torch.save(
        _results(slice(rank, NUM_BATCHES, world_size), empty_on_rank1=rank == 1), Path(out_dir) / f"rank{rank}.pt"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_all_classification_metrics_on_two_gloo_ranks(tmp_path):
    with idist.Parallel(
        backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", master_port=_free_port()
    ) as parallel:
        parallel.run(_worker, str(tmp_path))
    expected = _results(slice(0, NUM_BATCHES))
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
        assert got.keys() == expected.keys()
        for name in expected:
            _assert_same(got[name], expected[name], f"{name} (rank {rank})")


def _assert_same(a: object, b: object, what: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            _assert_same(a[k], b[k], what)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            _assert_same(x, y, what)
    elif isinstance(a, torch.Tensor):
        assert a.shape == b.shape and a.dtype == b.dtype, what
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=what)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), what
    else:
        assert_equal_values(a, b)
