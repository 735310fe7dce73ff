"""ignite.distributed on real processes launched from outside: 2 nodes on loopback, torchrun and SLURM envs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import idist_workers  # noqa: E402
from idist_workers import expected_config as _expected  # noqa: E402
from idist_workers import free_port  # noqa: E402
from idist_workers import read_result as _read  # noqa: E402

pytestmark = pytest.mark.distributed

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _python_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "MASTER_")) and k not in _TORCH_VARS}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(HERE), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


_TORCH_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")


def _run_all(procs: list[subprocess.Popen], timeout: float = 600) -> list[tuple[int, str]]:
    """Wait for every process and return ``(returncode, stdout)``; ``timeout`` is a hang limit only."""
    out = []
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            stdout, _ = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        out.append((p.returncode, stdout))
    return out


def _launch(code: str, args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# ------------------------------------------------------------------------------------------------------
# two nodes simulated on loopback: two launches with nnodes=2, node_rank 0 and 1

_NODE_LAUNCHER = """
import sys, json
import ignite.distributed as idist
import idist_workers

node_rank, port, out_dir, what = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
idist_workers.silence_warnings()
with idist.Parallel(
    backend="gloo", nproc_per_node=2, nnodes=2, node_rank=node_rank, master_addr="127.0.0.1",
    master_port=port, start_method="fork",
) as parallel:
    if what == "checks":
        parallel.run(idist_workers.config_only, out_dir, json.loads(sys.argv[5]), True)
    else:
        try:
            if what == "kill":
                parallel.run(idist_workers.kill_on_rank, 3, out_dir, "in")
            else:
                parallel.run(idist_workers.fail_on_rank, 3, out_dir)
        except idist.RankFailedError as e:
            print(f"LAUNCHER node {node_rank} caught: rank={e.rank} node_rank={e.node_rank} local_rank={e.local_rank}")
            print(e.remote_traceback)
            sys.exit(3)
"""


def test_two_nodes_on_loopback(tmp_path):
    port = free_port()
    expected = json.dumps(_expected(4, 2, 2))
    procs = [
        _launch(_NODE_LAUNCHER, [str(node), str(port), str(tmp_path), "checks", expected], _python_env())
        for node in (0, 1)
    ]
    results = _run_all(procs)
    for rc, out in results:
        assert rc == 0, out
    infos = [_read(tmp_path, f"rank{r}") for r in range(4)]
    assert [i["node_rank"] for i in infos] == [0, 0, 1, 1]
    assert [i["local_rank"] for i in infos] == [0, 1, 0, 1]
    assert all(i["nnodes"] == 2 and i["world_size"] == 4 for i in infos)


def test_two_nodes_failure_on_remote_node_stops_both_nodes(tmp_path):
    port = free_port()
    procs = [_launch(_NODE_LAUNCHER, [str(node), str(port), str(tmp_path), "fail"], _python_env()) for node in (0, 1)]
    results = _run_all(procs)
    for node, (rc, out) in enumerate(results):
        # both launchers, including node 0 where nothing failed, report rank 3 (node 1, local rank 1) and its traceback
        assert rc == 3, out
        assert f"LAUNCHER node {node} caught: rank=3 node_rank=1 local_rank=1" in out, out
        assert "ValueError: boom from rank 3" in out, out
        assert not [noise for noise in _CPP_NOISE if noise in out], out
    # the ranks of node 0 say why they stopped
    for rank in (0, 1):
        assert f"rank {rank}: stopping because rank 3 failed (node 1, local rank 1)" in results[0][1], results[0][1]
    # the other ranks were stopped while waiting in their collective: it neither timed out nor returned (on node
    # 0 it may fail at once, rank 3's process being gone: that is how the failure reaches the other node)
    assert sorted(p.name for p in tmp_path.glob("waiting*.json")) == ["waiting0.json", "waiting1.json", "waiting2.json"]
    assert not idist_workers.collective_timeouts(tmp_path)
    assert not list(tmp_path.glob("not_stopped*.json"))


def test_two_nodes_rank_killed_on_remote_node_is_named_on_both_nodes(tmp_path):
    """Rank 3 (node 1) kills itself with SIGKILL while the others wait in a collective: it publishes nothing, its
    peers only see their connections to it close. Node 1's launcher reports the death in the store, so node 0's
    ranks and launcher name rank 3, its node, local rank and signal rather than their own broken connection."""
    port = free_port()
    procs = [_launch(_NODE_LAUNCHER, [str(node), str(port), str(tmp_path), "kill"], _python_env()) for node in (0, 1)]
    results = _run_all(procs)
    for node, (rc, out) in enumerate(results):
        assert rc == 3, out
        assert f"LAUNCHER node {node} caught: rank=3 node_rank=1 local_rank=1" in out, out
        assert "rank 3 (node 1, local rank 1): process " in out and "killed by signal SIGKILL" in out, out
        assert "Connection closed by peer" not in out and "Connection reset by peer" not in out, out
        assert not [noise for noise in _CPP_NOISE if noise in out], out
    # every surviving rank, on both nodes, says what stopped it
    for rank, node in ((0, 0), (1, 0), (2, 1)):
        assert f"rank {rank}: stopping because rank 3 failed (node 1, local rank 1)" in results[node][1], results
    assert sorted(p.name for p in tmp_path.glob("waiting*.json")) == ["waiting0.json", "waiting1.json", "waiting2.json"]
    assert not idist_workers.collective_timeouts(tmp_path)
    assert not list(tmp_path.glob("not_stopped*.json"))


# ------------------------------------------------------------------------------------------------------
# processes started by a launcher: torchrun-style environment, SLURM variables

_ATTACH_SCRIPT = """
import os, sys, json
import ignite.distributed as idist
import idist_workers

out_dir = sys.argv[1]
expected = json.loads(sys.argv[2])
env_before = dict(os.environ)
idist_workers.silence_warnings()
with idist.Parallel(backend="gloo") as parallel:
    assert parallel._spawn_params is None
    env_during = {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    parallel.run(idist_workers.config_only, out_dir, expected, sys.argv[3] == "1")
assert idist.model_name() == "serial"
assert dict(os.environ) == env_before, "environment restored by finalize"
idist_workers._dump(out_dir, "env" + env_during["RANK"], env_during)

if len(sys.argv) > 4:
    # a second run in the same processes in which rank 1 raises while rank 0 waits in a collective
    os.environ["MASTER_PORT"] = sys.argv[4]
    with idist.Parallel(backend="gloo") as parallel:
        parallel.run(idist_workers.fail_on_rank, 1, out_dir)
"""


def test_torchrun_style_environment(tmp_path):
    port, port2 = free_port(), free_port()
    procs = []
    for rank in range(2):
        env = _python_env(
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            WORLD_SIZE="2",
            LOCAL_WORLD_SIZE="2",
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(port),
        )
        args = [str(tmp_path), json.dumps(_expected(2, 2, 1)), "1", str(port2)]
        procs.append(_launch(_ATTACH_SCRIPT, args, env))
    (rc0, out0), (rc1, out1) = _run_all(procs)
    infos = [_read(tmp_path, f"rank{r}") for r in range(2)]
    assert [i["local_rank"] for i in infos] == [0, 1]
    # the second run: rank 1 raised, rank 0 (blocked in a collective) was stopped and names rank 1
    assert rc1 == 1 and "ValueError: boom from rank 1" in out1, out1
    assert rc0 == 1, out0
    assert "rank 0: stopping because rank 1 failed" in out0 and "ValueError: boom from rank 1" in out0, out0
    assert (tmp_path / "waiting0.json").exists()
    assert not idist_workers.collective_timeouts(tmp_path)
    assert not list(tmp_path.glob("not_stopped*.json"))


_FAIL_SCRIPT = """
import sys
import ignite.distributed as idist
import idist_workers

idist_workers.silence_warnings()
with idist.Parallel(backend="gloo") as parallel:
    parallel.run(idist_workers.fail_on_rank, int(sys.argv[2]), sys.argv[1])
"""

_CPP_NOISE = ("terminate called", "Exception raised from", "frame #", "TCPStore.cpp", "recvValue failed")


def _torchrun_style_pair(script: str, args: list[str]) -> list[subprocess.Popen]:
    """Two processes running ``script`` with the environment torchrun gives 2 ranks on one node (env://)."""
    port = free_port()
    procs = []
    for rank in range(2):
        env = _python_env(
            RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", LOCAL_WORLD_SIZE="2",
            MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
        )  # fmt: skip
        procs.append(_launch(script, args, env))
    return procs


@pytest.mark.parametrize("failing", [1, 0])
def test_torchrun_style_rank_failure_ends_every_rank_cleanly(tmp_path, failing):
    """Torchrun-style launches (env://, rank 0 hosts the store) in which one rank raises: both ranks exit with 1
    (not SIGABRT), each names the failing rank, and no C++ error or stack dump is printed. Repeated, because the
    abort it guards against happened in some launches only."""
    other = 1 - failing
    for attempt in range(5 if failing == 1 else 1):
        results = _run_all(_torchrun_style_pair(_FAIL_SCRIPT, [str(tmp_path), str(failing)]))
        codes = [rc for rc, _ in results]
        assert codes == [1, 1], (attempt, results)
        failed_out, stopped_out = results[failing][1], results[other][1]
        assert f"[rank{failing}]: ValueError: boom from rank {failing}" in failed_out, failed_out
        assert f"rank {other}: stopping because rank {failing} failed" in stopped_out, stopped_out
        assert f"RankFailedError: rank {failing} failed" in stopped_out, stopped_out
        for _, out in results:
            assert not [noise for noise in _CPP_NOISE if noise in out], (attempt, out)
    assert not list(tmp_path.glob("not_stopped*.json"))


_KILL_SCRIPT = """
import sys
import ignite.distributed as idist
import idist_workers

idist_workers.silence_warnings()
with idist.Parallel(backend="gloo") as parallel:
    parallel.run(idist_workers.kill_on_rank, int(sys.argv[2]), sys.argv[1], "in")
"""


def test_torchrun_style_rank_killed_is_named_by_its_peer(tmp_path):
    """Torchrun-style launches (no launcher of ours): rank 1 kills itself with SIGKILL while rank 0 waits in a
    collective. Rank 0 finds rank 1's dead process on its host and stops naming it, with the signal (its parent,
    this test, has not reaped it yet), instead of its broken connection."""
    (rc0, out0), (rc1, _) = _run_all(_torchrun_style_pair(_KILL_SCRIPT, [str(tmp_path), "1"]))
    assert (rc0, rc1) == (1, -signal.SIGKILL), out0
    assert "rank 0: stopping because rank 1 failed (node 0, local rank 1)" in out0, out0
    assert "rank 1 (node 0, local rank 1): process " in out0 and "was killed by signal SIGKILL" in out0, out0
    assert "RankFailedError: rank 1 failed (node 0, local rank 1)" in out0, out0
    assert not [noise for noise in _CPP_NOISE if noise in out0], out0
    assert not list(tmp_path.glob("not_stopped*.json"))


# ------------------------------------------------------------------------------------------------------
# torchrun itself: two agents with --nnodes=2 and a static rendezvous on loopback, as on two hosts

_TORCHRUN_SCRIPT = """
import sys, json
import ignite.distributed as idist
import idist_workers

idist_workers.silence_warnings()
with idist.Parallel(backend="gloo") as parallel:
    parallel.run(idist_workers.config_then_fail, sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]))
"""


def _torchrun_two_nodes(tmp_path: Path, script_text: str, out_dir: Path, *args: str) -> list[tuple[int, str]]:
    """Run ``script_text`` under two ``torchrun --nnodes=2 --nproc_per_node=2`` agents on 127.0.0.1 (node 0 and
    node 1), with ``out_dir`` and ``args`` as its arguments; ``(returncode, output)`` of each agent."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(script_text))
    out_dir.mkdir()
    port = free_port()
    procs = []
    for node in (0, 1):
        cmd = [
            sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node_rank={node}", "--nproc_per_node=2",
            "--master_addr=127.0.0.1", f"--master_port={port}", str(script), str(out_dir), *args,
        ]  # fmt: skip
        env = _python_env(OMP_NUM_THREADS="1")
        procs.append(
            subprocess.Popen(cmd, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    return _run_all(procs)


def test_torchrun_two_nodes_rendezvous_and_failure_on_the_second_node(tmp_path):
    """Two ``torchrun --nnodes=2`` agents (one per "host") start 2 workers each; the workers see the 2x2
    configuration, then rank 3 (node 1) raises while the others wait in a collective: every worker ends, both
    agents fail, and node 0's workers and torchrun's report on node 0 name rank 3 and its error."""
    out_dir = tmp_path / "out"
    expected = json.dumps(_expected(4, 2, 2))
    (rc0, out0), (rc1, out1) = _torchrun_two_nodes(tmp_path, _TORCHRUN_SCRIPT, out_dir, expected, "3")

    infos = [_read(out_dir, f"rank{r}") for r in range(4)]
    assert [(i["node_rank"], i["local_rank"]) for i in infos] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(i["nnodes"] == 2 and i["world_size"] == 4 and i["nproc_per_node"] == 2 for i in infos)

    assert rc0 != 0 and rc1 != 0, (out0, out1)
    for rank in (0, 1):
        assert f"rank {rank}: stopping because rank 3 failed (node 1, local rank 1)" in out0, out0
    assert "ValueError: boom from rank 3" in out0 and "ValueError: boom from rank 3" in out1
    # torchrun's own failure report on node 0 (read from the workers' error files) names rank 3, not a bystander
    report0 = out0.split("Root Cause", 1)[-1]
    assert "rank 3 failed (node 1, local rank 1)" in report0 and "ValueError: boom from rank 3" in report0, out0
    for out in (out0, out1):
        assert not [noise for noise in _CPP_NOISE if noise in out], out
    assert sorted(p.name for p in out_dir.glob("waiting*.json")) == ["waiting0.json", "waiting1.json", "waiting2.json"]
    assert not idist_workers.collective_timeouts(out_dir)
    assert not list(out_dir.glob("not_stopped*.json"))


def _free_slurm_port() -> int:
    # MASTER_PORT derived from SLURM_JOB_ID is 15000 + its last 4 digits; the OS hands out ephemeral ports above
    # that range, so probe it in random order: two suites running at once do not pick the same port
    import random
    import socket

    candidates = list(range(15000, 25000))
    random.SystemRandom().shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 15000-24999")


def test_slurm_environment(tmp_path):
    port = _free_slurm_port()
    job_id = f"77{port - 15000:04d}"
    procs = []
    for rank in range(2):
        env = _python_env(
            SLURM_JOB_ID=job_id,
            SLURM_PROCID=str(rank),
            SLURM_LOCALID=str(rank),
            SLURM_NTASKS="2",
            SLURM_JOB_NODELIST="127.0.0.[1]",
            SLURM_JOB_NUM_NODES="1",
        )
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p)  # no scontrol here
        procs.append(_launch(_ATTACH_SCRIPT, [str(tmp_path), json.dumps(_expected(2, 2, 1)), "0"], env))
    for rc, out in _run_all(procs):
        assert rc == 0, out
    for rank in range(2):
        env_during = _read(tmp_path, f"env{rank}")
        assert env_during == {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
        assert _read(tmp_path, f"rank{rank}")["local_rank"] == rank


_TORCHRUN_KILL_SCRIPT = """
import sys
import ignite.distributed as idist
import idist_workers

idist_workers.silence_warnings()
with idist.Parallel(backend="gloo") as parallel:
    parallel.run(idist_workers.kill_on_rank, 3, sys.argv[1], "in")
"""


def test_torchrun_two_nodes_rank_killed_on_the_second_node(tmp_path):
    """Two ``torchrun --nnodes=2`` agents; rank 3 (node 1) kills itself with SIGKILL while the others wait in a
    collective. torchrun does not report the death to the other node: a peer on its host finds the dead process
    and publishes it, so the workers of node 0 and torchrun's report there name rank 3, node 1, local rank 1.
    (Whether the signal is known depends on whether its agent has already reaped it: not asserted.)"""
    out_dir = tmp_path / "out"
    (rc0, out0), (rc1, out1) = _torchrun_two_nodes(tmp_path, _TORCHRUN_KILL_SCRIPT, out_dir)
    assert rc0 != 0 and rc1 != 0, (out0, out1)
    for rank in (0, 1):
        assert f"rank {rank}: stopping because rank 3 failed (node 1, local rank 1)" in out0, out0
    assert "rank 3 (node 1, local rank 1): process " in out0 and "without a Python exception" in out0, out0
    report0 = out0.split("Root Cause", 1)[-1]
    assert "rank 3 failed (node 1, local rank 1)" in report0, out0
    assert "Connection closed by peer" not in out0 and "Connection reset by peer" not in out0, out0
    for out in (out0, out1):
        assert not [noise for noise in _CPP_NOISE if noise in out], out
    assert not list(out_dir.glob("not_stopped*.json"))
