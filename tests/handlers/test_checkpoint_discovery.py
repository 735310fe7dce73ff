"""Discovery of existing checkpoint files: hand-worked names against the regex, real directories scanned."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver
from ignite.handlers._checkpoint_discovery import filename_regex, find_checkpoints


@pytest.mark.parametrize(
    "prefix, name, matching, not_matching",
    [
        (
            "",
            "model",
            ["model_12.pt", "model_acc=0.9000.pt", "model_3_acc=0.5000.pt", "model.pt"],
            ["model_12.pt.bak", "best_model_12.pt", "model_12.pth", "models_1.pt", "optimizer_1.pt"],
        ),
        (
            "best",
            "checkpoint",
            ["best_checkpoint_7.pt", "best_checkpoint_7_loss=-0.2500.pt"],
            ["checkpoint_7.pt", "best_model_7.pt", "bestcheckpoint_7.pt", "best_checkpoint_7.ptx"],
        ),
        ("a.b", "m", ["a.b_m_1.pt"], ["aXb_m_1.pt"]),  # the prefix is literal, not a regex
    ],
)
def test_default_pattern_regex(prefix, name, matching, not_matching):
    regex = filename_regex(None, prefix, name, "pt", None)
    assert [n for n in matching if regex.match(n)] == matching
    assert [n for n in not_matching if regex.match(n)] == []


def test_custom_pattern_regex_fixes_known_fields_and_frees_the_others():
    regex = filename_regex(
        "{filename_prefix}-{name}-{global_step}-{score_name}@{score}.{ext}", "run", "net", "pt", "acc"
    )
    assert regex.match("run-net-3-acc@0.5000.pt")
    assert regex.match("run-net--acc@.pt")  # step and score may be anything, even empty
    assert not regex.match("run-net-3-loss@0.5000.pt")  # the score name is fixed
    assert not regex.match("run-model-3-acc@0.5.pt")
    assert not regex.match("run-net-3-acc@0.5.pth")
    # without a score name, that field is free too
    free = filename_regex("{name}_{score_name}.{ext}", "", "net", "pt", None)
    assert free.match("net_anything.pt") and not free.match("net_anything.pt~")


def test_every_name_a_checkpoint_writes_is_found(tmp_path):
    """The regex and the names Checkpoint gives its files agree, for each kind of default pattern."""
    configs = [
        {},
        {"filename_prefix": "best"},
        {"score_function": lambda e: 0.25 * e.state.iteration, "score_name": "acc"},
        {"score_function": lambda e: -e.state.iteration},
        {"global_step_transform": lambda e, _: 10 * e.state.iteration, "score_function": lambda e: 1.0},
        {"filename_pattern": "{filename_prefix}{name}.{global_step}.{ext}", "filename_prefix": "x"},
    ]
    for i, kwargs in enumerate(configs):
        dirname = tmp_path / str(i)
        handler = Checkpoint({"model": nn.Linear(2, 1)}, DiskSaver(dirname), n_saved=None, **kwargs)
        trainer = Engine(lambda e, b: None)
        trainer.add_event_handler(Events.ITERATION_COMPLETED, handler)
        trainer.run([0, 1, 2], max_epochs=1)
        written = sorted(os.listdir(dirname))
        assert len(written) == 3, (kwargs, written)
        assert sorted(p.name for p in handler._find_checkpoints()) == written, kwargs


def test_find_checkpoints_newest_first_skipping_hidden_other_and_directories(tmp_path):
    for name, mtime_s in [("model_1.pt", 100), ("model_3.pt", 300), ("model_2.pt", 200)]:
        torch.save({"i": mtime_s}, tmp_path / name)
        os.utime(tmp_path / name, ns=(mtime_s * 10**9, mtime_s * 10**9))
    (tmp_path / ".model_4.pt.123.abc.ckpt-tmp").write_bytes(b"partial")  # a save in progress
    (tmp_path / ".model_5.pt").write_bytes(b"hidden")
    (tmp_path / "optimizer_9.pt").write_bytes(b"other object")
    (tmp_path / "model_6.pt").mkdir()  # a directory with a checkpoint's name
    regex = filename_regex(None, "", "model", "pt", None)
    assert find_checkpoints(tmp_path, regex) == [
        tmp_path / "model_3.pt",
        tmp_path / "model_2.pt",
        tmp_path / "model_1.pt",
    ]


def test_find_checkpoints_in_a_missing_directory(tmp_path):
    assert find_checkpoints(tmp_path / "nowhere", filename_regex(None, "", "model", "pt", None)) == []


def test_find_checkpoints_needs_a_disk_saver():
    handler = Checkpoint({"model": nn.Linear(2, 1)}, lambda checkpoint, filename: None)
    with pytest.raises(AttributeError, match="`save_handler` should be of type `DiskSaver`"):
        handler._find_checkpoints()
