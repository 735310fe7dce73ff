"""FSDP2 training and sharded (DCP) checkpoints on real gloo processes, against one process on the full batch.

One chain of runs (module fixture): a 1-process reference run that also saves a DCP checkpoint; 2 ranks train
with FSDP2 and save, and load the 1-process checkpoint; 3 ranks load the 2-rank checkpoint and save; 2 ranks
load the 3-rank one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import ignite.distributed as idist
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint, DCPSaver, EMAHandler
from ignite.metrics import Accuracy, Loss

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "distributed"))
import fsdp_dcp_workers as w  # noqa: E402
from idist_workers import free_port  # noqa: E402

ATOL = 1e-5


def _launch(nproc: int, fn, *args) -> None:  # type: ignore[no-untyped-def]
    with idist.Parallel(backend="gloo", nproc_per_node=nproc, master_addr="127.0.0.1", master_port=free_port()) as p:
        p.run(fn, *args)


def _reference(tmp: Path) -> dict:
    """One process on the full batches: the run FSDP must reproduce; saves a 1-process DCP checkpoint."""
    model = w.make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=w.LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    ema = EMAHandler(model, momentum=w.EMA_MOMENTUM)
    ema.attach(trainer)
    handler = Checkpoint({"model": model, "optimizer": optimizer, "trainer": trainer}, DCPSaver(tmp / "ckpt1"))
    trainer.add_event_handler(Events.COMPLETED, handler)
    trainer.run(w.make_data(), max_epochs=w.EPOCHS)
    evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy(), "loss": Loss(nn.CrossEntropyLoss())})
    evaluator.run(w.make_data())
    return {
        "params": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "ema": {k: v.detach().clone() for k, v in ema.ema_model.state_dict().items()},
        "optim": w.full_optim(model, optimizer),
        "metrics": evaluator.state.metrics,
        "ckpt": handler.last_checkpoint,
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("fsdp_dcp")
    ref = _reference(tmp)
    _launch(2, w.train_fsdp, str(tmp), str(ref["ckpt"]))
    info = json.loads((tmp / "fsdp_trained.json").read_text())
    _launch(3, w.load_then_save, info["last"], str(tmp / "loaded_2_on_3.pt"), str(tmp / "ckpt3"))
    _launch(2, w.load_then_save, str(tmp / "ckpt3" / "checkpoint_6.dcp"), str(tmp / "loaded_3_on_2.pt"), "")
    return {"tmp": tmp, "ref": ref, "info": info}


def _close(a: dict, b: dict, shift: float = 0.0) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        torch.testing.assert_close(a[k], b[k] + shift, atol=ATOL, rtol=1e-5, msg=k)


def _close_optim(a: dict, b: dict) -> None:
    assert sorted(a["state"]) == sorted(b["state"])
    for name, st in a["state"].items():
        for key, value in st.items():
            torch.testing.assert_close(value, b["state"][name][key], atol=ATOL, rtol=1e-5, msg=f"{name}.{key}")
    assert [g["lr"] for g in a["param_groups"]] == [g["lr"] for g in b["param_groups"]]


@pytest.mark.distributed
def test_fsdp_on_2_ranks_trains_as_one_process_on_the_full_batch(runs: dict) -> None:
    got = torch.load(runs["tmp"] / "fsdp_trained.pt", weights_only=True)
    ref = runs["ref"]
    assert runs["info"]["sharded"] == ["", "0", "2", "4"]  # the policy {nn.Linear}: each Linear, then the root
    _close(got["params"], ref["params"])
    _close(got["ema"], ref["ema"])
    _close_optim(got["optim"], ref["optim"])
    metrics = runs["info"]["metrics"]
    assert metrics["acc"] == pytest.approx(ref["metrics"]["acc"])
    assert metrics["loss"] == pytest.approx(ref["metrics"]["loss"], rel=1e-5)


@pytest.mark.distributed
def test_mixed_precision_and_cpu_offload_policies_reach_every_fully_shard(runs: dict) -> None:
    got = json.loads((runs["tmp"] / "mp_offload.json").read_text())
    assert got["n"] == 4  # three Linear layers and the root
    assert got["param_dtypes"] == ["torch.bfloat16"] and got["out_dtype"] == "torch.bfloat16"
    assert got["offload"] == ["CPUOffloadPolicy"] * 3
    assert got["shard_dtypes"] == ["torch.float32"]  # the sharded (stored) parameters stay in float32
    assert got["loss"] == got["loss"] and 0 < got["loss"] < 10  # finite


@pytest.mark.distributed
def test_dcp_checkpoints_rotate_best_k_and_leave_no_temporaries(runs: dict) -> None:
    # saves at iterations 2, 4 and 6 with n_saved=2: the oldest is gone, and no hidden directory is left
    assert runs["info"]["saved"] == ["checkpoint_4.dcp", "checkpoint_6.dcp"]
    assert runs["info"]["last"] == str(runs["tmp"] / "ckpt2" / "checkpoint_6.dcp")
    assert (runs["tmp"] / "ckpt2" / "checkpoint_6.dcp" / ".metadata").is_file()


@pytest.mark.distributed
def test_disk_saver_writes_the_full_state_of_an_fsdp_model(runs: dict) -> None:
    saved = torch.load(runs["info"]["disk"], weights_only=True)
    model, ema_model = w.make_model(), w.make_model()
    model.load_state_dict(saved["model"])
    ema_model.load_state_dict(saved["ema"])
    _close(model.state_dict(), runs["ref"]["params"])
    _close(ema_model.state_dict(), runs["ref"]["ema"])


@pytest.mark.distributed
def test_dcp_saved_on_2_ranks_loads_on_1(runs: dict) -> None:
    model = w.make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=w.LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    Checkpoint.load_objects({"model": model, "optimizer": optimizer, "trainer": trainer}, runs["info"]["last"])
    _close(model.state_dict(), runs["ref"]["params"])
    _close_optim(w.full_optim(model, optimizer), runs["ref"]["optim"])
    assert trainer.state.iteration == w.ITERS * w.EPOCHS and trainer.state.epoch == w.EPOCHS


def _check_loaded(runs: dict, name: str, shift: float = 0.0, check_iteration: bool = True) -> None:
    """The state a worker loaded and wrote as ``name`` equals the single-process reference (parameters
    ``+ shift``), with the optimizer state and, unless told otherwise, the trainer's iteration."""
    got = torch.load(runs["tmp"] / name, weights_only=True)
    _close(got["params"], runs["ref"]["params"], shift=shift)
    _close_optim(got["optim"], runs["ref"]["optim"])
    if check_iteration:
        assert got["it"] == w.ITERS * w.EPOCHS


@pytest.mark.distributed
def test_dcp_saved_on_2_ranks_loads_on_3(runs: dict) -> None:
    _check_loaded(runs, "loaded_2_on_3.pt")


@pytest.mark.distributed
def test_dcp_saved_on_1_and_on_3_ranks_loads_on_2(runs: dict) -> None:
    _check_loaded(runs, "loaded_1_on_2.pt")
    # the 3-rank run added 1 to every parameter
    _check_loaded(runs, "loaded_3_on_2.pt", shift=1.0, check_iteration=False)


@pytest.mark.distributed
def test_dcp_resume_into_another_structure_names_missing_and_unexpected_keys(runs: dict) -> None:
    torch.manual_seed(0)
    other = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 10), nn.ReLU(), nn.Identity(), nn.Linear(10, 3))
    with pytest.raises(RuntimeError, match=r"Missing keys .*'model\.5\.bias', 'model\.5\.weight'\]") as err:
        Checkpoint.load_objects({"model": other}, runs["info"]["last"])
    assert "Unexpected keys (in the checkpoint, not in the object): ['model.4.bias', 'model.4.weight']" in str(
        err.value
    )
    # strict=False loads the common keys
    Checkpoint.load_objects({"model": other}, runs["info"]["last"], strict=False)
    torch.testing.assert_close(other[0].weight, runs["ref"]["params"]["0.weight"], atol=ATOL, rtol=1e-5)
