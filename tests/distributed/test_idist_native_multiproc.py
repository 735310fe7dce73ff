"""ignite.distributed on real processes spawned by idist: gloo with 2 ranks, failure propagation."""

from __future__ import annotations

import os
import pickle
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import torch

import ignite.distributed as idist
from ignite.distributed import RankFailedError

sys.path.insert(0, str(Path(__file__).parent))
import idist_workers  # noqa: E402
from idist_workers import expected_config as _expected  # noqa: E402
from idist_workers import free_port  # noqa: E402
from idist_workers import read_result as _read  # noqa: E402

pytestmark = pytest.mark.distributed


# ------------------------------------------------------------------------------------------------------
# spawn mode: every collective and helper on 2 gloo ranks


def test_parallel_spawn_gloo_2_ranks_all_collectives_and_helpers(tmp_path, caplog):
    env_before = dict(os.environ)
    port = free_port()
    with idist.Parallel(backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", master_port=port) as parallel:
        assert parallel._spawn_params == {
            "nproc_per_node": 2,
            "nnodes": 1,
            "node_rank": 0,
            "master_addr": "127.0.0.1",
            "master_port": port,
        }
        parallel.run(idist_workers.all_checks, str(tmp_path), _expected(2, 2, 1))

    infos = [_read(tmp_path, f"rank{r}") for r in range(2)]
    assert [i["rank"] for i in infos] == [0, 1]
    assert [i["local_rank"] for i in infos] == [0, 1]
    assert [i["node_rank"] for i in infos] == [0, 0]
    assert [i["env_rank"] for i in infos] == ["0", "1"]
    exact = _read(tmp_path, "exact_eval")
    assert exact["per_rank"] == [6, 5]
    assert exact["mse"] == pytest.approx(exact["expected"], rel=1e-12)
    assert exact["metric_exact"] == pytest.approx(exact["expected"], rel=1e-6)
    # the parent is untouched: serial model, same environment
    assert idist.model_name() == "serial"
    assert dict(os.environ) == env_before


# ------------------------------------------------------------------------------------------------------
# no hangs: an exception on one rank stops every rank and names the failing rank


def test_exception_on_one_rank_stops_every_rank(tmp_path):
    with pytest.raises(RankFailedError, match=r"Rank 1 failed with the following error") as excinfo:
        idist.spawn(
            "gloo",
            idist_workers.fail_on_rank,
            args=(1, str(tmp_path)),
            nproc_per_node=2,
            master_port=free_port(),
            timeout=timedelta(seconds=600),  # a hang limit only: the collective timeout is not what ends the run
        )
    err = excinfo.value
    assert (err.rank, err.node_rank, err.local_rank) == (1, 0, 1)
    assert "Rank 1 failed with the following error (node 0, local rank 1):" in str(err)
    again = pickle.loads(pickle.dumps(err))  # crosses process boundaries (a launcher inside a spawned process)
    assert (again.rank, again.node_rank, again.local_rank, again.remote_traceback) == (1, 0, 1, err.remote_traceback)
    assert "ValueError: boom from rank 1" in err.remote_traceback
    assert "fail_on_rank" in err.remote_traceback  # the failing rank's traceback
    assert isinstance(err, torch.multiprocessing.ProcessRaisedException)
    # rank 0 was blocked in a collective and got stopped: its collective neither timed out nor returned
    assert (tmp_path / "waiting0.json").exists()
    assert not idist_workers.collective_timeouts(tmp_path)
    assert not (tmp_path / "not_stopped0.json").exists()


def test_process_dying_without_exception_stops_every_rank():
    with pytest.raises(RankFailedError, match=r"Rank 1 failed with the following error \(node 0, local rank 1\)") as e:
        # no master_port: a free one is chosen for a single-node run
        idist.spawn("gloo", idist_workers.die_on_rank, args=(1,), nproc_per_node=2)
    assert (e.value.rank, e.value.node_rank, e.value.local_rank) == (1, 0, 1)
    assert "rank 1 (node 0, local rank 1): process " in e.value.remote_traceback
    assert "exited with code 13, without a Python exception" in e.value.remote_traceback
    # torch's own exception, with the exit status, is the cause
    assert isinstance(e.value.__cause__, torch.multiprocessing.ProcessExitedException)
    assert e.value.__cause__.exit_code == 13
    # also the type torch's launcher (and upstream) raises here, with its exit status
    assert isinstance(e.value, torch.multiprocessing.ProcessExitedException)
    assert (e.value.exit_code, e.value.signal_name) == (13, None)
    assert pickle.loads(pickle.dumps(e.value)).remote_traceback == e.value.remote_traceback


def test_process_killed_by_a_signal_is_named_by_every_rank(tmp_path, capfd):
    """A rank that kills itself with SIGKILL just before a collective: the launcher names it with the signal, and
    the surviving rank, whose collective broke on the closed connection, says it was stopped by that death."""
    with pytest.raises(RankFailedError, match=r"Rank 1 failed with the following error \(node 0, local rank 1\)") as e:
        idist.spawn(
            "gloo", idist_workers.kill_on_rank, args=(1, str(tmp_path), "before"), nproc_per_node=2,
            timeout=timedelta(seconds=600),  # a hang limit only
        )  # fmt: skip
    assert "killed by signal SIGKILL, without a Python exception" in e.value.remote_traceback
    assert e.value.__cause__.signal_name == "SIGKILL"
    assert isinstance(e.value, torch.multiprocessing.ProcessExitedException) and e.value.signal_name == "SIGKILL"
    err = capfd.readouterr().err
    assert "rank 0: stopping because rank 1 failed (node 0, local rank 1)" in err, err
    assert "killed by signal SIGKILL" in err, err
    assert not [noise for noise in ("terminate called", "Exception raised from", "frame #") if noise in err], err
    assert not (tmp_path / "not_stopped0.json").exists()
