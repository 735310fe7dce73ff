"""The checkpoint modules' layout: names at the spec's paths, pickles and files from before the split still load.

DiskSaver's behaviour (atomic writes, directory checks, ranks, CRC option) is tested in ``test_checkpoint.py``.
"""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn

import ignite.handlers
import ignite.handlers._disk_saver as disk_saver_module
import ignite.handlers.checkpoint as checkpoint_module
from ignite.engine import Engine, Events

_SPEC_NAMES = ["Checkpoint", "DiskSaver", "ModelCheckpoint", "BaseSaveHandler", "CheckpointEvents"]


def test_names_stay_at_the_spec_paths():
    assert sorted(checkpoint_module.__all__) == sorted(_SPEC_NAMES)
    for name in ["Checkpoint", "DiskSaver", "ModelCheckpoint", "CorruptCheckpointError"]:
        assert getattr(ignite.handlers, name) is getattr(checkpoint_module, name)
    for name in ["DiskSaver", "BaseSaveHandler", "CorruptCheckpointError", "_load_file"]:
        assert getattr(checkpoint_module, name) is getattr(disk_saver_module, name)
    assert issubclass(checkpoint_module.DiskSaver, checkpoint_module.BaseSaveHandler)
    from ignite.handlers._file_writer import CheckpointDiskFullError

    assert checkpoint_module.CheckpointDiskFullError is CheckpointDiskFullError


def test_pickle_naming_the_old_module_path_loads_a_working_saver(tmp_path):
    """A DiskSaver pickled when it lived in ``ignite.handlers.checkpoint`` loads and saves."""
    saver = disk_saver_module.DiskSaver(tmp_path)
    new_stream = pickle.dumps(saver, protocol=2)  # protocol 2 writes module paths as plain text lines
    assert b"ignite.handlers._disk_saver\n" in new_stream
    old_stream = new_stream.replace(b"ignite.handlers._disk_saver\n", b"ignite.handlers.checkpoint\n")
    loaded = pickle.loads(old_stream)
    assert type(loaded) is checkpoint_module.DiskSaver and loaded.dirname == tmp_path
    loaded({"w": torch.arange(3)}, "model_1.pt")
    assert torch.equal(torch.load(tmp_path / "model_1.pt")["w"], torch.arange(3))


def test_checkpoint_pickles_and_keeps_saving(tmp_path):
    handler = checkpoint_module.Checkpoint({"model": nn.Linear(2, 1)}, tmp_path, n_saved=1)
    clone = pickle.loads(pickle.dumps(handler))
    assert isinstance(clone.save_handler, checkpoint_module.DiskSaver)
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, clone)
    trainer.run([0, 1], max_epochs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model_2.pt"]
    assert clone.last_checkpoint == tmp_path / "model_2.pt"


def test_load_file_names_a_corrupt_file(tmp_path):
    path = tmp_path / "model_1.pt"
    torch.save({"w": torch.ones(64)}, path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(checkpoint_module.CorruptCheckpointError, match="model_1.pt"):
        disk_saver_module._load_file(path)
