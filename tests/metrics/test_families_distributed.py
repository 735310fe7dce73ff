"""The clustering, fairness, NLP and recommendation metrics on 2 real gloo ranks with uneven shards: the
distributed result equals the single-process result (one spawn for all of them)."""

import json
import sys
from pathlib import Path

import pytest

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
import families_dist_workers as workers  # noqa: E402

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("families_dist")
    # a bounded timeout: a port clash with another run on the machine fails instead of hanging
    with idist.Parallel(backend="gloo", nproc_per_node=2, timeout=600) as parallel:
        parallel.run(workers.run, str(out))
    per_rank = [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
    batches = workers.make_batches()
    single = {"distributed": workers.evaluate(batches)}
    rank0_only = {}
    for name, metric in (("selection_rate", workers.SelectionRate()), ("hit_rate", workers.HitRate(top_k=[2]))):
        for b in batches:
            metric.update((b["logits"], b["labels"]) if name == "selection_rate" else (b["scores"], b["relevance"]))
        rank0_only[name] = workers._plain(metric.compute())
    return per_rank, json.loads(json.dumps(single)), rank0_only, batches


def _close(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", list(workers.metrics()))
def test_distributed_equals_single_process(results, name):
    per_rank, single, _, _ = results
    assert name in single["distributed"]
    for rank in range(2):
        _close(per_rank[rank]["distributed"][name], single["distributed"][name])


def test_group_seen_by_one_rank_only_is_reduced(results):
    per_rank, single, _, _ = results
    assert set(single["distributed"]["per_group"]) == {"0", "1", "5"}


def test_rank_without_data(results):
    # rank 0 saw every batch, rank 1 none: SelectionRate's per-class counts (empty on rank 1) still reduce
    per_rank, _, rank0_only, _ = results
    for rank in range(2):
        _close(per_rank[rank]["only_rank0"], rank0_only)
