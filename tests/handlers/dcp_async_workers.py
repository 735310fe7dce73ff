"""Run inside real gloo processes by ``test_dcp_async.py`` (module level so that they pickle).

Every scenario writes what it saw to ``<out>/<name>_<rank>.json`` (and rank 0 the full states to ``.pt`` files),
and the tests compare those to independent values.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import torch
from fsdp_dcp_workers import EPOCHS, LR, full_optim, full_params, make_data, make_model, shard
from torch import nn

import ignite.distributed as idist
from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.handlers import Checkpoint, DCPSaver


def _dump(out: Path, name: str, data: dict) -> None:
    path = out / f"{name}_{idist.get_rank()}.json"
    path.with_suffix(".tmp").write_text(json.dumps(data))
    os.replace(path.with_suffix(".tmp"), path)


def _listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def _fsdp_setup() -> tuple[nn.Module, torch.optim.Optimizer, Engine]:
    model = idist.auto_model(make_model(), fsdp=True, fsdp_policy={nn.Linear})
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    return model, optimizer, trainer


def _full_state(model: nn.Module, optimizer: torch.optim.Optimizer, trainer: Engine) -> dict[str, Any]:
    """The unsharded state (collective)."""
    return {"params": full_params(model), "optim": full_optim(model, optimizer), "it": trainer.state.iteration}


class Unpicklable:
    """A stateful object whose state cannot be written once ``fail`` is set (its state holds a lambda)."""

    fail = False

    def state_dict(self) -> dict:
        return {"f": (lambda: 0) if self.fail else 1}

    def load_state_dict(self, state: dict) -> None:
        pass


def run_all(local_rank: int, out_dir: str) -> None:
    out = Path(out_dir)
    _train_sync_and_async(out)
    _reload_and_discover(out)
    _failure_surfaces(out)


def _listed_incomplete(handler: Checkpoint, dirname: Path) -> list[str]:
    """While ``handler``'s background save runs, the names it lists that are not complete checkpoint directories
    (none expected: a directory is listed only once written on every rank and renamed into place)."""
    bad: list[str] = []
    job = handler._job
    while job is not None and not job.done.is_set():
        bad += [f for _, f in list(handler._saved) if not (dirname / f / ".metadata").is_file()]
        time.sleep(0.001)
    return sorted(set(bad))


def _train_sync_and_async(out: Path) -> None:
    """The same training checkpointed by a sync and an async handler at the same iterations; then one async save
    followed at once by changes to the parameters (the save must hold the values of the call)."""
    rank, ws = idist.get_rank(), idist.get_world_size()
    model, optimizer, trainer = _fsdp_setup()
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer}
    sync = Checkpoint(to_save, DCPSaver(out / "sync"), n_saved=None)
    asyn = Checkpoint(to_save, DCPSaver(out / "async"), n_saved=1, async_save=True)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), sync)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), asyn)
    trainer.add_event_handler(Events.COMPLETED, lambda _: asyn.wait())
    trainer.run(shard(make_data(), rank, ws), max_epochs=EPOCHS)
    _dump(
        out,
        "trained",
        {
            "sync": _listing(out / "sync"),
            "async": _listing(out / "async"),
            "saved": [list(item) for item in asyn.state_dict()["_saved"]],
            "last": str(asyn.last_checkpoint),
        },
    )
    expected = _full_state(model, optimizer, trainer)

    # save under a fixed name, then change the parameters at once: the staged copy is what gets written
    asyn.global_step_transform = lambda e, n: 100
    asyn(trainer)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(100.0)
    listed_incomplete = _listed_incomplete(asyn, out / "async")
    asyn.wait()
    listing = _listing(out / "async")
    loaded = _fsdp_setup()
    Checkpoint.load_objects(dict(zip(("model", "optimizer", "trainer"), loaded)), out / "async" / "checkpoint_100.dcp")
    got = _full_state(*loaded)
    from_sync = _fsdp_setup()
    Checkpoint.load_objects(dict(zip(("model", "optimizer", "trainer"), from_sync)), out / "sync" / "checkpoint_6.dcp")
    got_sync = _full_state(*from_sync)
    if rank == 0:
        torch.save({"expected": expected, "async": got, "sync": got_sync}, out / "trained.pt")
    _dump(out, "after_change", {"listing": listing, "listed_incomplete": listed_incomplete})


def _reload_and_discover(out: Path) -> None:
    """``reload_objects`` and ``_find_checkpoints`` on a DCPSaver's directory, on 2 ranks."""
    rank = idist.get_rank()
    model, optimizer, trainer = _fsdp_setup()
    to_load = {"model": model, "optimizer": optimizer, "trainer": trainer}
    reloader = Checkpoint(to_load, DCPSaver(out / "sync", require_empty=False))
    reloader.reload_objects(to_load, global_step=4)
    reloaded = _full_state(model, optimizer, trainer)

    found = reloader._find_checkpoints()
    model2, optimizer2, trainer2 = _fsdp_setup()
    Checkpoint.load_objects({"model": model2, "optimizer": optimizer2, "trainer": trainer2}, found[0])
    discovered = _full_state(model2, optimizer2, trainer2)
    if rank == 0:
        torch.save({"reloaded": reloaded, "discovered": discovered}, out / "reloaded.pt")
    _dump(out, "discovered", {"found": [p.name for p in found]})


def _failure_surfaces(out: Path) -> None:
    """A background write that fails (a state torch cannot serialize) is raised by ``wait()``, then by the next
    save; the listed checkpoint stays intact and the rotation goes on."""
    obj = Unpicklable()
    model = nn.Linear(3, 2)
    engine = Engine(lambda e, b: None)
    step = {"value": 1}
    handler = Checkpoint(
        {"model": model, "obj": obj},
        DCPSaver(out / "failing"),
        n_saved=1,
        async_save=True,
        global_step_transform=lambda e, n: step["value"],
    )
    handler(engine)
    handler.wait()
    errors: dict[str, str] = {}

    obj.fail, step["value"] = True, 2
    handler(engine)  # returns: the copy was taken; the write fails in the background
    try:
        handler.wait()
    except RuntimeError as e:
        errors["wait"] = str(e)
    after_wait = {"listing": _listing(out / "failing"), "saved": [f for _, f in handler.state_dict()["_saved"]]}

    step["value"] = 3
    handler(engine)
    obj.fail, step["value"] = False, 4
    try:
        handler(engine)  # the failure of save 3 is raised here, before anything is saved
    except RuntimeError as e:
        errors["next_save"] = str(e)
    handler(engine)
    handler.wait()
    _dump(
        out,
        "failure",
        {
            "errors": errors,
            "after_wait": after_wait,
            "final": _listing(out / "failing"),
            "last": str(handler.last_checkpoint),
        },
    )
