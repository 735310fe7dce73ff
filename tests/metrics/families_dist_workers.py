"""Run inside 2 real gloo processes by ``test_families_distributed.py``: the clustering, fairness, NLP and
recommendation metrics (module level so that it pickles)."""

from __future__ import annotations

import json
import os
import random
from typing import Any

import torch

import ignite.distributed as idist
from ignite.engine import Engine
from ignite.metrics import (
    NDCG,
    Accuracy,
    Bleu,
    CharacterErrorRate,
    HitRate,
    Perplexity,
    Precision,
    Rouge,
    RougeL,
    RougeN,
)
from ignite.metrics.clustering import CalinskiHarabaszScore, DaviesBouldinScore, SilhouetteScore
from ignite.metrics.fairness import (
    DemographicParityDifference,
    SelectionRate,
    SubgroupAccuracyDifference,
    SubgroupDifference,
    SubgroupMetric,
)

N_SAMPLES = 29
VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog"]


def make_batches(seed: int = 0) -> list[dict[str, Any]]:
    """All samples, in batches of 5 (the last one shorter)."""
    g = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)

    def sentence(lo: int = 0) -> list[str]:
        return [rng.choice(VOCAB) for _ in range(rng.randint(lo, 9))]

    hyps = [sentence() for _ in range(N_SAMPLES)]
    refs = [[sentence(1) for _ in range(rng.randint(1, 3))] for _ in range(N_SAMPLES)]
    centers = 3 * torch.randn(3, 4, generator=g)
    cluster = torch.randint(0, 3, (N_SAMPLES,), generator=g)
    features = centers[cluster] + torch.randn(N_SAMPLES, 4, generator=g)
    logits = torch.randn(N_SAMPLES, 3, generator=g)
    labels = torch.randint(0, 3, (N_SAMPLES,), generator=g)
    groups = torch.randint(0, 2, (N_SAMPLES,), generator=g)
    groups[:3] = 5  # a group that only rank 0 sees
    lm_logits = torch.randn(N_SAMPLES, 6, 4, generator=g)
    lm_targets = torch.randint(0, 6, (N_SAMPLES, 4), generator=g)
    lm_targets[torch.rand(N_SAMPLES, 4, generator=g) < 0.2] = -100
    scores = torch.randn(N_SAMPLES, 7, generator=g)
    relevance = torch.randint(0, 3, (N_SAMPLES, 7), generator=g) * (torch.rand(N_SAMPLES, 7, generator=g) < 0.4)
    return [
        {
            "hyps": hyps[i : i + 5],
            "refs": refs[i : i + 5],
            "texts": [" ".join(h) for h in hyps[i : i + 5]],
            "ref_texts": [" ".join(r[0]) for r in refs[i : i + 5]],
            "features": features[i : i + 5],
            "cluster": cluster[i : i + 5],
            "logits": logits[i : i + 5],
            "labels": labels[i : i + 5],
            "groups": groups[i : i + 5],
            "binary": (logits[i : i + 5, 0] > 0).long(),
            "lm_logits": lm_logits[i : i + 5],
            "lm_targets": lm_targets[i : i + 5],
            "scores": scores[i : i + 5],
            "relevance": relevance[i : i + 5],
        }
        for i in range(0, N_SAMPLES, 5)
    ]


def metrics() -> dict[str, Any]:
    text = lambda b: (b["hyps"], b["refs"])  # noqa: E731
    cls_groups = lambda b: (b["logits"], b["labels"], b["groups"])  # noqa: E731
    ranking = lambda b: (b["scores"], b["relevance"])  # noqa: E731
    clusters = lambda b: (b["features"], b["cluster"])  # noqa: E731
    return {
        "bleu_macro": Bleu(ngram=3, smooth="smooth1", output_transform=text),
        "bleu_micro": Bleu(ngram=2, smooth="nltk_smooth2", average="micro", output_transform=text),
        "rouge_2": RougeN(ngram=2, alpha=0.5, output_transform=text),
        "rouge_l": RougeL(multiref="best", output_transform=text),
        "rouge": Rouge(variants=[1, "L"], output_transform=text),
        "cer": CharacterErrorRate(output_transform=lambda b: (b["texts"], b["ref_texts"])),
        "perplexity": Perplexity(output_transform=lambda b: (b["lm_logits"], b["lm_targets"])),
        "hit_rate": HitRate(top_k=[1, 3], output_transform=ranking),
        "ndcg": NDCG(top_k=[2, 5], gain_function="linear_rank", output_transform=ranking),
        "ndcg_all_rows": NDCG(top_k=[3], ignore_zero_hits=False, output_transform=ranking),
        "silhouette": SilhouetteScore(output_transform=clusters),
        "davies_bouldin": DaviesBouldinScore(output_transform=clusters),
        "calinski_harabasz": CalinskiHarabaszScore(output_transform=clusters),
        "selection_rate": SelectionRate(output_transform=lambda b: (b["logits"], b["labels"])),
        "per_group": SubgroupMetric(Accuracy(), [0, 1, 5], output_transform=cls_groups),
        "accuracy_gap": SubgroupAccuracyDifference([0, 1, 5], output_transform=cls_groups),
        "parity_gap": DemographicParityDifference(
            [0, 1, 5], output_transform=lambda b: (b["binary"], b["binary"], b["groups"])
        ),
        "precision_gap": SubgroupDifference(Precision(average=False), [0, 1, 5], output_transform=cls_groups),
    }


def _plain(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.tolist()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def evaluate(batches: list[dict[str, Any]]) -> dict[str, Any]:
    engine = Engine(lambda e, b: b)
    for name, metric in metrics().items():
        metric.attach(engine, name)
    state = engine.run(batches)
    return {k: _plain(v) for k, v in state.metrics.items()}


def shard(batches: list, rank: int) -> list:
    # uneven on purpose: rank 0 gets 4 batches (20 samples), rank 1 gets 2 (9 samples)
    return batches[:4] if rank == 0 else batches[4:]


def only_rank0(batches: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics fed on rank 0 only: a rank that saw nothing must still reduce consistently."""
    rank = idist.get_rank()
    out: dict[str, Any] = {}
    rate, hit = SelectionRate(), HitRate(top_k=[2])
    for b in batches if rank == 0 else []:
        rate.update((b["logits"], b["labels"]))
        hit.update((b["scores"], b["relevance"]))
    out["selection_rate"] = _plain(rate.compute())
    out["hit_rate"] = hit.compute()
    return out


def run(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == 2
    batches = make_batches()
    result = {"distributed": evaluate(shard(batches, rank)), "only_rank0": only_rank0(batches)}
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
