"""Neptune, Polyaxon and ClearML loggers under ``idist.Parallel`` on 2 gloo ranks: rank 0 logs, rank 1 writes
nothing and registers no handler."""

import sys
from pathlib import Path

import pytest

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
import _tracker_rank_worker  # noqa: E402

pytestmark = pytest.mark.distributed

pytest.importorskip("neptune")
pytest.importorskip("polyaxon")
pytest.importorskip("clearml")


def test_only_rank_zero_logs(tmp_path):
    with idist.Parallel(backend="gloo", nproc_per_node=2, timeout=600) as parallel:
        parallel.run(_tracker_rank_worker.run, str(tmp_path))
    rank0, rank1 = tmp_path / "rank0", tmp_path / "rank1"
    assert (rank0 / ".neptune" / "offline").is_dir()
    assert (rank0 / "plx" / "events" / "metric" / "training__loss.plx").is_file()
    assert any((rank0 / "clearml" / "offline").iterdir())
    assert sorted(p.name for p in rank1.iterdir()) == ["handlers.txt"]
    assert (rank0 / "handlers.txt").read_text() == "3" and (rank1 / "handlers.txt").read_text() == "0"
