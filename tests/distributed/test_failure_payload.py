"""The failure record a failing rank publishes (ignite/distributed/comp_models/_guard.py), and torchrun's error file."""

from __future__ import annotations

import json
import pickle
import signal
import subprocess
import sys
import time

import pytest

from ignite.distributed import RankFailedError
from ignite.distributed.comp_models import _guard


def test_payload_round_trip_names_node_and_local_rank():
    tb = "Traceback (most recent call last):\nValueError: boom\n"
    failure = _guard._parse_payload(_guard._format_payload(3, tb, 1, 1))
    assert failure == _guard.Failure(3, tb, 1, 1)
    assert failure.describe() == "rank 3 failed (node 1, local rank 1)"
    # a payload without the node (an older writer) still parses; garbage is kept whole under rank -1
    assert _guard._parse_payload(f"2\n{tb}") == _guard.Failure(2, tb)
    assert _guard._parse_payload(f"2\n{tb}").describe() == "rank 2 failed"
    assert _guard._parse_payload("no header") == _guard.Failure(-1, "no header")


def test_rank_failed_error_message_and_pickle():
    err = RankFailedError(3, "ValueError: boom\n", 1, 1234, node_rank=1, local_rank=1)
    assert "Rank 3 failed with the following error (node 1, local rank 1):\nValueError: boom" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (again.rank, again.node_rank, again.local_rank, again.error_pid) == (3, 1, 1, 1234)
    assert "(node" not in str(RankFailedError(0, "x"))


def test_elastic_error_file_written_once_in_torchruns_format(tmp_path, monkeypatch):
    path = tmp_path / "error.json"
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", str(path))
    _guard._write_elastic_error_file("ValueError: boom", "Traceback ...\nValueError: boom\n")
    _guard._write_elastic_error_file("RankFailedError: later", "not written: the first failure is kept")
    data = json.loads(path.read_text())
    # the layout torch.distributed.elastic's ProcessFailure reads back (message, py_callstack, timestamp)
    from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

    failure = ProcessFailure(local_rank=0, pid=1, exitcode=1, error_file=str(path))
    assert failure.message["message"] == "ValueError: boom"
    assert failure.message["extraInfo"]["py_callstack"].endswith("ValueError: boom\n")
    assert failure.timestamp == int(data["message"]["extraInfo"]["timestamp"])
    monkeypatch.delenv("TORCHELASTIC_ERROR_FILE")
    _guard._write_elastic_error_file("ignored", "no file without the variable")


def test_peer_loss_is_recognised_through_the_exception_chain():
    gloo = RuntimeError(
        "[gloo/transport/tcp/pair.cc:553] Connection closed by peer [127.0.0.1]:35004. This is typically caused by "
        "a remote worker crashing."
    )
    assert _guard._is_peer_loss(gloo)
    assert _guard._is_peer_loss(RuntimeError("Read error [127.0.0.1]:1: Connection reset by peer"))
    try:
        try:
            raise gloo
        except RuntimeError as e:
            raise ValueError("wrapped by user code") from e
    except ValueError as wrapped:
        assert _guard._is_peer_loss(wrapped)
    assert not _guard._is_peer_loss(ValueError("boom from rank 3"))


def test_death_messages():
    from ignite.distributed.comp_models._deaths import death_message, describe_exit

    assert describe_exit(-signal.SIGKILL) == "was killed by signal SIGKILL"
    assert describe_exit(-signal.SIGSEGV) == "was killed by signal SIGSEGV"
    assert describe_exit(13) == "exited with code 13"
    assert describe_exit(None) == "ended (exit status unknown)"
    text = death_message(3, 1, 1, 4242, -signal.SIGKILL)
    assert (
        text == "rank 3 (node 1, local rank 1): process 4242 was killed by signal SIGKILL, without a Python exception\n"
    )
    failure = _guard._parse_payload(_guard._format_payload(3, text, 1, 1))
    assert (failure.rank, failure.node_rank, failure.local_rank, failure.traceback) == (3, 1, 1, text)


def _wait_for(predicate) -> None:
    deadline = time.monotonic() + 600  # a hang limit only
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dead_process_of_this_host_is_found_with_its_signal_until_reaped():
    """A real child process killed by SIGKILL: a zombie gives its signal, a reaped one is still found (status
    unknown); a cleared record (a rank that ended for a known reason) is not a death."""
    import torch.distributed as dist

    from ignite.distributed.comp_models import _peers

    store = dist.HashStore()
    assert _peers.register(store, 0, 0, 0)  # this process as rank 0
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        start = _peers._start_time(child.pid)
        record = json.loads(_peers.process_record(0, 0, 0))
        record.update(pid=child.pid, start=start, node=1, local=1)
        store.set(_peers._proc_key(3), json.dumps(record))
        watch = _peers.PeerWatch(store, 4, 0)
        assert list(watch.peers) == [3]  # ranks 1 and 2 recorded nothing
        assert watch.find_dead() is None  # alive
        child.kill()
        _wait_for(lambda: (_peers._stat_fields(child.pid) or ["Z"])[0] == "Z")
        rank, payload = watch.find_dead()
        failure = _guard._parse_payload(payload)
        assert (rank, failure.rank, failure.node_rank, failure.local_rank) == (3, 3, 1, 1)
        assert failure.traceback == (
            f"rank 3 (node 1, local rank 1): process {child.pid} was killed by signal SIGKILL, "
            "without a Python exception (found by rank 0, on its host)\n"
        )
    finally:
        child.kill()
        child.wait()
    assert "ended (exit status unknown)" in watch.find_dead()[1]  # reaped by its parent
    _peers.unregister(store, 3)
    assert watch.find_dead() is None


def _record_child(store, rank: int, pid: int, host: str | None = None) -> None:
    """Record the process ``pid`` as ``rank``'s, as that rank's ``register`` would (on this host by default)."""
    from ignite.distributed.comp_models import _peers

    record = json.loads(_peers.process_record(0, 0, 0))
    record.update(pid=pid, start=_peers._start_time(pid), node=0, local=rank)
    if host is not None:
        record["host"] = host
    _peers._record(store, rank, json.dumps(record))


def test_a_peer_killed_later_does_not_hide_the_first_death():
    """The agent SIGTERMs the other workers of a node after the first death: a SIGTERMed peer is named only
    when no other death is found, and the first published failure is never replaced (one atomic claim)."""
    import torch.distributed as dist

    from ignite.distributed.comp_models import _peers

    store = dist.HashStore()
    children = [
        subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        for rank, child in zip((1, 2), children):
            _record_child(store, rank, child.pid)
        watch = _peers.PeerWatch(store, 3, 0)
        children[0].send_signal(signal.SIGTERM)  # rank 1: stopped by its agent
        children[1].kill()  # rank 2: the death that matters
        for child in children:
            _wait_for(lambda child=child: (_peers._stat_fields(child.pid) or ["Z"])[0] == "Z")
        rank, payload = watch.find_dead()
        assert rank == 2 and "SIGKILL" in payload
        children[1].wait()  # reaped: its status is unknown, still preferred to a known SIGTERM
        rank, payload = watch.find_dead()
        assert rank == 2 and "exit status unknown" in payload
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert _guard.publish_death(store, 3, 2, payload)
    assert not _guard.publish_death(store, 3, 1, "1 0 1\nlater\n")
    assert store.get(_guard._ERR_KEY).decode() == payload
    assert store.get(_guard._rank_key(0)).decode() == payload and not store.check([_guard._rank_key(2)])


@pytest.mark.skipif(not hasattr(__import__("os"), "pidfd_open"), reason="needs pidfd_open (Linux 5.3+)")
def test_death_watch_publishes_a_killed_peer_and_ignores_one_that_ended_normally():
    """``DeathWatch`` wakes when the process of a rank of its host ends: a cleared record (a normal end) is not
    a death; a killed one is published at once, with its signal (the process is still a zombie)."""
    import torch.distributed as dist

    from ignite.distributed.comp_models import _peers

    store = dist.HashStore()
    children = [
        subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        for _ in range(2)
    ]
    watch = None
    try:
        assert _peers.register(store, 0, 0, 0)
        for rank, child in zip((1, 2), children):
            _record_child(store, rank, child.pid)
        _record_child(store, 3, children[0].pid, host="another-host")  # a pid there says nothing here
        watch = _peers.DeathWatch(store, 4, 0).start()
        _wait_for(lambda: watch.watching == {1, 2})
        _peers.unregister(store, 1)
        children[0].stdin.close()  # rank 1 ends normally
        children[0].wait()
        children[1].kill()
        _wait_for(lambda: store.check([_guard._ERR_KEY]))
        failure = _guard._parse_payload(store.get(_guard._ERR_KEY).decode())
        assert (failure.rank, failure.node_rank, failure.local_rank) == (2, 0, 2)
        assert failure.traceback == (
            f"rank 2 (node 0, local rank 2): process {children[1].pid} was killed by signal SIGKILL, "
            "without a Python exception (found by rank 0, on its host)\n"
        )
    finally:
        for child in children:
            child.kill()
            child.wait()
        if watch is not None:
            watch.stop()


_LOST_WAKE_UP = """
import sys
import torch.distributed as dist
from ignite.distributed.comp_models import _guard

guard = _guard.FailureGuard(1, 3, exit_code=75, peer_loss_wait_s=600.0)
guard._store = dist.HashStore()  # no watcher thread: its wake-up is lost
_guard._claim(guard._store, _guard._format_payload(2, "ValueError: boom from rank 2\\n", 1, 0))
guard.publish(RuntimeError("Connection closed by peer [127.0.0.1]:1"))
print("not stopped")
"""


def test_a_rank_whose_collective_broke_stops_with_the_published_failure_even_if_its_watcher_missed_it():
    """A publisher can be stopped (SIGTERMed by its agent) after publishing the failure but before waking every
    rank's watcher: a rank whose collective broke finds the failure itself and stops naming it."""
    proc = subprocess.run([sys.executable, "-c", _LOST_WAKE_UP], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 75, proc.stdout + proc.stderr
    assert "rank 1: stopping because rank 2 failed (node 1, local rank 0)" in proc.stderr
    assert "ValueError: boom from rank 2" in proc.stderr and "not stopped" not in proc.stdout
