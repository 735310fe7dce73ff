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
            "without a Python exception\n"
        )
    finally:
        child.kill()
        child.wait()
    assert "ended (exit status unknown)" in watch.find_dead()[1]  # reaped by its parent
    _peers.unregister(store, 3)
    assert watch.find_dead() is None
