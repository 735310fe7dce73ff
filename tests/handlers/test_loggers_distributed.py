"""Every experiment logger on 2 real gloo processes: rank 0 logs, rank 1 creates no file and no connection."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import ignite.distributed as idist
from tests.handlers.logger_dist_worker import log_on_every_rank
from tests.handlers.visdom_server import free_port

pytestmark = pytest.mark.distributed

for module in ("tensorboard", "mlflow", "wandb", "visdom"):
    pytest.importorskip(module)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("loggers_dist")
    idist.spawn(
        "gloo",
        log_on_every_rank,
        args=(str(base), free_port()),
        nproc_per_node=2,
        master_port=free_port(),
        timeout=timedelta(seconds=600),
    )
    return [json.loads((base / f"result{r}.json").read_text()) for r in (0, 1)], base


def test_rank_0_logs_with_every_backend(results):
    (rank0, _), base = results
    files = rank0["files"]
    assert rank0["inactive"] is False
    assert any(f.startswith("tb/events.out.tfevents") for f in files)
    lines = (base / "rank0" / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["t/output"] for line in lines] == [1.0, 2.0, 3.0]
    assert any(f.startswith("mlruns/") and f.endswith("metrics/t output") for f in files)
    assert any(f.endswith(".wandb") for f in files)
    assert "visdom.log" in files and (base / "rank0" / "visdom.log").stat().st_size > 0
    assert rank0["visdom"].startswith("Failed to connect to Visdom server at 127.0.0.1")


def test_rank_1_creates_nothing_and_connects_nowhere(results):
    (_, rank1), base = results
    assert rank1["inactive"] is True
    assert rank1["files"] == [] and not (base / "rank1").exists()
    assert rank1["visdom"] == "no attempt"
