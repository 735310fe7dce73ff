"""Run inside 2 real gloo processes by ``test_regression_info_distributed.py`` (module level so that it
pickles): the regression, image-quality and kernel/information metrics on uneven shards."""

from __future__ import annotations

import json
import os
from typing import Any

import torch

import ignite.distributed as idist
import ignite.metrics.regression as R
from ignite.engine import Engine
from ignite.metrics import HSIC, PSNR, SSIM, MaximumMeanDiscrepancy, MutualInformation

N_SAMPLES = 32  # even: the medians take the mean of the two middle values
BATCH = 5

REGRESSION = [
    "CanberraMetric",
    "FractionalAbsoluteError",
    "FractionalBias",
    "GeometricMeanAbsoluteError",
    "GeometricMeanRelativeAbsoluteError",
    "ManhattanDistance",
    "MaximumAbsoluteError",
    "MeanAbsoluteRelativeError",
    "MeanError",
    "MeanNormalizedBias",
    "MedianAbsoluteError",
    "MedianAbsolutePercentageError",
    "MedianRelativeAbsoluteError",
    "PearsonCorrelation",
    "R2Score",
    "WaveHedgesDistance",
    "SpearmanRankCorrelation",
    "KendallRankCorrelation",
]


def make_batches(seed: int = 0) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(N_SAMPLES, generator=g) + 0.5  # positive targets (relative errors, Wave Hedges)
    p = (t + 0.3 * torch.randn(N_SAMPLES, generator=g)).abs() + 0.1
    image = torch.rand(N_SAMPLES, 2, 12, 12, generator=g)
    noisy = (image + 0.1 * torch.randn(N_SAMPLES, 2, 12, 12, generator=g)).clamp(0, 1)
    features = torch.randn(N_SAMPLES, 3, generator=g)
    other = features[:, :1] ** 2 + 0.5 * torch.randn(N_SAMPLES, 2, generator=g)
    logits = 2 * torch.randn(N_SAMPLES, 4, generator=g)
    return [
        {
            "p": p[i : i + BATCH],
            "t": t[i : i + BATCH],
            "image": image[i : i + BATCH],
            "noisy": noisy[i : i + BATCH],
            "features": features[i : i + BATCH],
            "other": other[i : i + BATCH],
            "logits": logits[i : i + BATCH],
        }
        for i in range(0, N_SAMPLES, BATCH)
    ]


def shard(batches: list, rank: int) -> list:
    # uneven on purpose: rank 0 gets 4 batches (20 samples), rank 1 gets 3 (12 samples, the last batch of 2)
    return batches[:4] if rank == 0 else batches[4:]


def metrics() -> dict[str, Any]:
    reg = lambda b: (b["p"], b["t"])  # noqa: E731
    img = lambda b: (b["noisy"], b["image"])  # noqa: E731
    pair = lambda b: (b["features"], b["other"])  # noqa: E731
    out: dict[str, Any] = {name: getattr(R, name)(output_transform=reg) for name in REGRESSION}
    out["KendallRankCorrelation_c"] = R.KendallRankCorrelation(variant="c", output_transform=reg)
    out["PSNR"] = PSNR(data_range=1.0, output_transform=img)
    out["SSIM"] = SSIM(data_range=1.0, kernel_size=5, output_transform=img)
    out["SSIM_uniform"] = SSIM(data_range=1.0, kernel_size=3, gaussian=False, output_transform=img)
    out["HSIC"] = HSIC(output_transform=pair)  # the batch of 2 is skipped everywhere
    out["MaximumMeanDiscrepancy"] = MaximumMeanDiscrepancy(
        output_transform=lambda b: (b["features"], b["other"][:, :1].expand(-1, 3))
    )
    out["MutualInformation"] = MutualInformation(output_transform=lambda b: (b["logits"], None))
    return out


def evaluate(batches: list[dict[str, torch.Tensor]]) -> dict[str, float]:
    engine = Engine(lambda e, b: b)
    for name, metric in metrics().items():
        metric.attach(engine, name)
    return dict(engine.run(batches).metrics)


def run(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == 2
    result = {"distributed": evaluate(shard(make_batches(), rank))}
    # state dicts of stored-data metrics gather every rank's samples and load back into the same ranks
    median = R.MedianAbsoluteError()
    for b in shard(make_batches(), rank):
        median.update((b["p"], b["t"]))
    state = median.state_dict()
    result["state_counts"] = [sum(len(t) for t in s["_predictions"]) for s in state["__metric_state_per_rank"]]
    fresh = R.MedianAbsoluteError()
    fresh.load_state_dict(state)
    result["state_median"] = fresh.compute()
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
