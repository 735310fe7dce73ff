"""FBResearchLogger: the exact line formats, captured from a real logging.Logger."""

import logging
import re

import pytest
import torch

from ignite.engine import Engine
from ignite.handlers.fbresearch_logger import MB, FBResearchLogger


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="fbresearch_test")
    return logging.getLogger("fbresearch_test"), caplog


def _lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "fbresearch_test"]


def test_lines_of_a_two_epoch_run(log):
    logger, caplog = log
    trainer = Engine(lambda e, b: {"loss": torch.tensor(0.25 * e.state.iteration)})
    trainer.state.alpha = 3.899
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.001)
    fb = FBResearchLogger(logger, show_output=True)
    fb.attach(trainer, name="Train", every=2, optimizer=optimizer, state_attributes=["alpha"])
    trainer.run(range(4), max_epochs=2)

    lines = _lines(caplog)
    assert lines[0] == "Train: start epoch [1/2]"
    number = r"\d+\.\d{4}"
    every = (
        rf"^Epoch \[(\d)/2\]  \[(\d)/4\]:  ETA: 0:00:00  lr: 0\.00100  loss: ({number})  alpha: 3\.8990  "
        rf"Iter time: {number} s  Data prep time: {number} s  "
        + ("GPU Max Mem: \\d+ MB" if torch.cuda.is_available() else "")
        + "$"
    )
    matches = [re.match(every, line) for line in lines if line.startswith("Epoch")]
    assert all(matches) and len(matches) == 4, lines
    assert [(m[1], m[2], m[3]) for m in matches] == [
        ("1", "2", "0.5000"), ("1", "4", "1.0000"), ("2", "2", "1.5000"), ("2", "4", "2.0000"),
    ]  # fmt: skip
    epoch_done = [line for line in lines if line.startswith("Train: Epoch")]
    assert len(epoch_done) == 2
    assert re.match(rf"^Train: Epoch \[1/2\]  Total time: 0:00:00  \({number} s / it\)$", epoch_done[0])
    assert re.match(r"^Train: run completed  Total time: 0:00:00$", lines[-1])
    assert lines.index("Train: start epoch [2/2]") == lines.index(epoch_done[0]) + 1
    assert MB == 1024.0 * 1024.0


def test_single_epoch_several_lr_groups_and_custom_delimiter(log):
    logger, caplog = log
    evaluator = Engine(lambda e, b: 42)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.001)
    optimizer.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 0.01})
    fb = FBResearchLogger(logger, delimiter=" | ", show_output=True)
    fb.attach(evaluator, name="Val", output_transform=lambda x: {"loss": x}, optimizer=optimizer)
    evaluator.run(range(1), max_epochs=1)

    lines = _lines(caplog)
    assert lines[0] == "Val: start epoch [1/1]"
    gpu = " | GPU Max Mem: \\d+ MB" if torch.cuda.is_available() else " | "
    every = (
        r"^Epoch \[1/1\] \| \[1/1\]: \| ETA: 0:00:00 \| lr \[g0\]: 0\.00100lr \[g1\]: 0\.01000 \| "
        r"loss: 42\.0000 \|  \| "
        r"Iter time: \d\.\d{4} s \| Data prep time: \d\.\d{4} s" + gpu + "$"
    )
    assert re.match(every, lines[1]), lines[1]
    assert re.match(r"^Val:  \| Total time: 0:00:00 \| \(\d\.\d{4} s / it\)$", lines[2])
    assert len(lines) == 3  # no "run completed" line for a single epoch


def test_without_optimizer_or_output_the_parts_stay_empty(log):
    logger, caplog = log
    engine = Engine(lambda e, b: None)
    FBResearchLogger(logger).attach(engine, name="T", every=1)
    engine.run(range(1), max_epochs=1)
    line = _lines(caplog)[1]
    assert re.match(r"^Epoch \[1/1\]  \[1/1\]:  ETA: 0:00:00      Iter time: ", line), line
