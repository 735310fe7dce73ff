"""Asynchronous sharded (DCP) checkpoints, ``reload_objects`` and checkpoint discovery with ``DCPSaver``, on 2 real
gloo processes training an FSDP2 model (one launch runs every scenario of ``dcp_async_workers.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "distributed"))
import dcp_async_workers as w  # noqa: E402
from idist_workers import free_port  # noqa: E402


def _read(out: Path, name: str) -> list[dict]:
    return [json.loads((out / f"{name}_{rank}.json").read_text()) for rank in (0, 1)]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dcp_async")
    with idist.Parallel(
        backend="gloo", nproc_per_node=2, master_addr="127.0.0.1", master_port=free_port(), timeout=600
    ) as parallel:
        parallel.run(w.run_all, str(tmp))
    return tmp


def _equal_states(a: dict, b: dict) -> None:
    assert a["it"] == b["it"]
    assert sorted(a["params"]) == sorted(b["params"])
    for k in a["params"]:
        assert torch.equal(a["params"][k], b["params"][k]), k
    assert sorted(a["optim"]["state"]) == sorted(b["optim"]["state"])
    for name, st in a["optim"]["state"].items():
        for key, value in st.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(b["optim"]["state"][name][key])), (name, key)
    assert a["optim"]["param_groups"] == b["optim"]["param_groups"]


@pytest.mark.distributed
def test_async_rotation_keeps_one_directory_listed_on_every_rank(out: Path) -> None:
    for seen in _read(out, "trained"):
        assert seen["sync"] == ["checkpoint_2.dcp", "checkpoint_4.dcp", "checkpoint_6.dcp"]
        assert seen["async"] == ["checkpoint_6.dcp"]  # n_saved=1: the evicted ones removed, no temporary left
        assert seen["saved"] == [[6, "checkpoint_6.dcp"]]
        assert seen["last"] == str(out / "async" / "checkpoint_6.dcp")
    for seen in _read(out, "after_change"):
        assert seen["listing"] == ["checkpoint_100.dcp"]
        assert seen["listed_incomplete"] == []


@pytest.mark.distributed
def test_async_save_loads_to_the_tensors_of_the_call_and_of_a_sync_save(out: Path) -> None:
    got = torch.load(out / "trained.pt", weights_only=True)
    # the parameters were changed right after the async call returned: the checkpoint holds the values of the call
    _equal_states(got["async"], got["expected"])
    _equal_states(got["sync"], got["expected"])  # the sync save of the same step, loaded back the same way


@pytest.mark.distributed
def test_reload_objects_and_discovery_read_dcp_directories_on_2_ranks(out: Path) -> None:
    for seen in _read(out, "discovered"):
        # newest first (the sync handler wrote them in this order), only complete checkpoint directories
        assert seen["found"] == ["checkpoint_6.dcp", "checkpoint_4.dcp", "checkpoint_2.dcp"]
    got = torch.load(out / "reloaded.pt", weights_only=True)
    trained = torch.load(out / "trained.pt", weights_only=True)
    assert got["reloaded"]["it"] == 4  # reload_objects(global_step=4) read checkpoint_4.dcp
    _equal_states(got["discovered"], trained["expected"])  # the newest one: the end of training


@pytest.mark.distributed
def test_a_failed_background_write_is_raised_by_wait_and_by_the_next_save(out: Path) -> None:
    for seen in _read(out, "failure"):
        failing = out / "failing"
        # the directory is named, and torch's own error (the write could not serialize the lambda) is kept
        assert "Asynchronous save of checkpoint 'checkpoint_2.dcp' failed" in seen["errors"]["wait"]
        assert f"Saving sharded checkpoint \\'{failing / 'checkpoint_2.dcp'}\\' failed" in seen["errors"]["wait"]
        assert "pickle" in seen["errors"]["wait"]
        # never listed; the listed one intact and nothing else (no temporary) in the directory
        assert seen["after_wait"] == {"listing": ["checkpoint_1.dcp"], "saved": ["checkpoint_1.dcp"]}
        assert f"Saving sharded checkpoint \\'{failing / 'checkpoint_3.dcp'}\\' failed" in seen["errors"]["next_save"]
        assert seen["final"] == ["checkpoint_4.dcp"]  # the rotation went on
        assert seen["last"] == str(failing / "checkpoint_4.dcp")
