"""Every metric of the machinery/regression/information family on 2 real gloo ranks with uneven shards: the
distributed result equals the single-process result (one spawn for all of them)."""

import json
import sys
from pathlib import Path

import pytest

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
import metrics_dist_workers  # noqa: E402

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("metrics_dist")
    # a bounded timeout: a port clash with another run on the machine fails instead of hanging
    with idist.Parallel(backend="gloo", nproc_per_node=2, timeout=600) as parallel:
        parallel.run(metrics_dist_workers.run, str(out))
    per_rank = [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
    # the single-process reference, computed here (serial) on all the samples
    per_rank[0]["single"] = metrics_dist_workers.evaluate(metrics_dist_workers.make_batches())
    per_rank[0]["single_running_average"] = metrics_dist_workers.running_average_values(0, 1)
    return per_rank


def _close(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    elif b is None:
        assert a is None
    else:
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)


NAMES = [
    "mse",
    "mae",
    "rmse",
    "mpd",
    "cos",
    "entropy",
    "kl",
    "js",
    "loss",
    "average",
    "geometric",
    "accumulation",
    "epoch_metric",
    "group",
    "g_mse",
    "g_mae",
    "lambda",
    "f1",
]


@pytest.mark.parametrize("name", NAMES)
def test_distributed_equals_single_process(results, name):
    single = results[0]["single"]
    assert name in single and all(name in results[rank]["distributed"] for rank in range(2))
    for rank in range(2):
        _close(results[rank]["distributed"][name], single[name])


def test_loss_matches_torch_on_all_samples(results):
    batches = metrics_dist_workers.make_batches()
    assert results[0]["single"]["loss"] == pytest.approx(metrics_dist_workers.reference_loss(batches), rel=1e-6)


def test_state_dict_gathers_ranks_and_loads_back(results):
    for rank in range(2):
        assert results[rank]["state_counts"] == [20, 9]
        assert results[rank]["state_mse"] == pytest.approx(results[0]["single"]["mse"], rel=1e-6)
    assert [r["local_num_examples"] for r in results] == [20, 9]


def test_running_average_of_output_averages_ranks(results):
    # step values 3 then 5 (means over ranks): 3 * 0.5 + 5 * 0.5
    assert [r["running_average"] for r in results] == [4.0, 4.0]


@pytest.mark.parametrize("name", list(metrics_dist_workers.running_average_cases()))
def test_running_average_every_usage_equals_single_process(results, name):
    """RunningAverage over a metric or the output, every usage and epoch_bound, at every iteration of 2 epochs."""
    single = results[0]["single_running_average"][name]
    assert len(single) == 10 and single[-1] is not None
    if name == "acc_epoch_wise":  # folded in at EPOCH_COMPLETED: seen from the next iteration on
        assert single[:5] == [None] * 5 and single[5] is not None
    for rank in range(2):
        _close(results[rank]["running_average_usages"][name], single)


def test_frequency_uses_total_items_and_mean_elapsed(results):
    for r in results:
        assert r["frequency"] == pytest.approx(r["frequency_expected"], rel=1e-9)


def test_sync_all_reduce_ops_and_packing(results):
    expected = {
        "n_sum": 3,
        "f_max": 1.5,
        "t_min": [3.0, -2.0],
        "t_prod": [[6, 12]],
        "d_sum": 0.75,
        "types": ["int", "float", "torch.int64"],
        "flag": True,
    }
    for r in results:
        assert r["reduced"] == expected and r["reduced_again"] == expected


def test_sync_all_reduce_errors(results):
    errors = results[0]["sync_errors"]
    assert errors[0].startswith(
        "ValueError: Reduction operation is not valid (expected : ['MIN', 'MAX', 'SUM', 'PRODUCT'], got: AVG"
    )
    assert errors[1].startswith("ValueError: Metric <class") and errors[1].endswith("has no attribute named `missing`.")
    assert errors[2].startswith(
        "TypeError: Attribute provided to sync_all_reduce should be a number or tensor but `names`"
    )


def test_epoch_metric_results_of_any_type_reach_every_rank(results):
    scores = sorted(float(x) for b in metrics_dist_workers.make_batches() for x in b["score"])
    for r in results:
        assert r["epoch_tensor"] == pytest.approx(scores)
        assert r["epoch_tuple"] == [pytest.approx(sum(scores)), len(scores)]
