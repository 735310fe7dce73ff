"""The failure record a failing rank publishes (ignite/distributed/comp_models/_guard.py), and torchrun's error file."""

from __future__ import annotations

import json
import pickle

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
