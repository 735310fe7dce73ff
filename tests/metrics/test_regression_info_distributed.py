"""The regression (§6.1), image-quality (§4.1-4.2) and kernel/information (§5) metrics on 2 real gloo ranks
with uneven shards (20 and 12 samples) give the single-process result; medians and rank correlations are
exact (one spawn for all of them)."""

import json
import sys
from pathlib import Path

import pytest

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
import regression_info_dist_workers as workers  # noqa: E402

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("regression_info_dist")
    # a bounded timeout: a port clash with another run on the machine fails instead of hanging
    with idist.Parallel(backend="gloo", nproc_per_node=2, timeout=600) as parallel:
        parallel.run(workers.run, str(out))
    per_rank = [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
    return per_rank, workers.evaluate(workers.make_batches())


NAMES = [
    *workers.REGRESSION,
    "KendallRankCorrelation_c",
    "PSNR",
    "SSIM",
    "SSIM_uniform",
    "HSIC",
    "MaximumMeanDiscrepancy",
    "MutualInformation",
]
EXACT = {"MedianAbsoluteError", "MedianAbsolutePercentageError", "MedianRelativeAbsoluteError", "MaximumAbsoluteError"}


@pytest.mark.parametrize("name", NAMES)
def test_distributed_equals_single_process(results, name):
    per_rank, single = results
    for rank in range(2):
        value = per_rank[rank]["distributed"][name]
        if name in EXACT:  # order statistics: the same sample, not merely a close value
            assert value == pytest.approx(single[name], rel=1e-12)
        else:
            assert value == pytest.approx(single[name], rel=1e-5, abs=1e-7)


def test_stored_state_is_per_rank_and_loads_back(results):
    per_rank, single = results
    for r in per_rank:
        assert r["state_counts"] == [20, 12]
        assert r["state_median"] == pytest.approx(single["MedianAbsoluteError"], rel=1e-12)
