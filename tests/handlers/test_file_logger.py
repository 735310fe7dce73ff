"""FileLogger (JSON lines / CSV), read back with the json and csv modules; concurrent reading; the plot."""

import csv
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver, FileLogger
from ignite.handlers.file_logger import OptimizerParamsHandler, OutputHandler, plot_file_log, read_file_log
from tests.handlers.logger_training import EPOCH_LENGTH, EPOCHS, attach_standard, make_run, train

ROOT = Path(__file__).resolve().parents[2]


def test_jsonl_training_run_read_back_with_json(tmp_path):
    run = make_run()
    path = tmp_path / "logs" / "run.jsonl"  # parent directories created
    with FileLogger(path) as file_logger:
        attach_standard(file_logger, run)
        train(run)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records == read_file_log(path)
    loss = {r["step"]: r["training/loss"] for r in records if "training/loss" in r}
    assert sorted(loss) == list(range(1, EPOCHS * EPOCH_LENGTH + 1))
    assert loss == pytest.approx(run.loss, rel=1e-6)
    assert {r["step"]: r["lr/group_0"] for r in records if "lr/group_0" in r} == pytest.approx(run.lr)
    validation = [r for r in records if "validation/accuracy" in r]
    assert {r["step"]: r["validation/accuracy"] for r in validation} == pytest.approx(run.accuracy)
    assert {r["event"] for r in validation} == {"completed"}
    assert {r["event"] for r in records if "training/loss" in r} == {"iteration_completed"}
    assert all(set(r) >= {"time", "event", "step"} for r in records)


def test_csv_read_back_with_csv_and_appending_on_resume(tmp_path):
    path = tmp_path / "run.csv"
    engine = Engine(lambda e, b: {"loss": 0.5 * e.state.iteration, "note": "a,b"})
    with FileLogger(path) as file_logger:
        handle = file_logger.attach_output_handler(
            engine, Events.ITERATION_COMPLETED, tag="train", output_transform=lambda o: o
        )
        engine.run(range(2), max_epochs=1)
    handle.remove()
    engine = Engine(lambda e, b: {"loss": 0.5 * e.state.iteration, "note": "a,b"})
    with FileLogger(path) as file_logger:  # another run continues the file, header once
        file_logger.attach_output_handler(engine, Events.ITERATION_COMPLETED, tag="train", output_transform=lambda o: o)
        engine.run(range(3), max_epochs=2)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time", "event", "step", "name", "value"]
    assert [row[2:] for row in rows[1:5]] == [
        ["1", "train/loss", "0.5"], ["1", "train/note", "a,b"], ["2", "train/loss", "1.0"], ["2", "train/note", "a,b"],
    ]  # fmt: skip
    assert len(rows) == 1 + 2 * 2 + 2 * 6
    parsed = read_file_log(path)
    assert [(r["step"], r["value"]) for r in parsed if r["name"] == "train/loss"][-1] == (6, 3.0)


_WRITER = """
import sys
from ignite.engine import Engine, Events
from ignite.handlers.file_logger import FileLogger
engine = Engine(lambda e, b: {"loss": float(e.state.iteration), "blob": "x" * 2000})
with FileLogger(sys.argv[1]) as logger:
    logger.attach_output_handler(engine, Events.ITERATION_COMPLETED, tag="t", output_transform=lambda o: o)
    engine.run(range(500), max_epochs=1)
"""


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_reading_while_another_process_writes_sees_whole_lines(tmp_path, suffix):
    path = tmp_path / f"live{suffix}"
    path.touch()
    env = {"PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], env={**os.environ, **env})
    reads, seen = 0, 0
    try:
        while writer.poll() is None or reads == 0:
            records = read_file_log(path)  # raises on a torn line
            assert len(records) >= seen
            seen = len(records)
            data = path.read_bytes()
            for line in data.split(b"\n")[:-1]:  # every terminated line is whole
                if suffix == ".jsonl":
                    json.loads(line)
                elif not line.startswith(b"time,"):
                    assert line.count(b",") == 4
            reads += 1
    finally:
        writer.wait(timeout=600)
    assert writer.returncode == 0
    final = read_file_log(path)
    assert len(final) == (500 if suffix == ".jsonl" else 1000)
    assert reads > 1


def test_disk_full_warns_once_and_the_checkpoint_of_the_run_is_intact(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    model = torch.nn.Linear(2, 2)
    trainer = Engine(lambda e, b: 0.1)
    file_logger = FileLogger("/dev/full", format="jsonl")  # every write fails with ENOSPC
    file_logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="t", output_transform=lambda x: x)
    checkpoint = Checkpoint({"model": model}, DiskSaver(tmp_path, require_empty=False), n_saved=1)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.run(range(5), max_epochs=2)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "FileLogger could not write to /dev/full" in messages[0], messages
    assert "No space left on device" in messages[0]
    saved = torch.load(tmp_path / checkpoint.last_checkpoint.name, weights_only=True)
    assert all(torch.equal(saved["weight"], model.weight) for _ in [0])
    file_logger.close()


def test_plot_of_loss_metrics_and_learning_rate(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    run = make_run()
    path = tmp_path / "run.jsonl"
    with FileLogger(path) as file_logger:
        attach_standard(file_logger, run)
        train(run)
    png = plot_file_log(path)
    assert png == tmp_path / "run.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(png)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 300
    assert pixels.std() > 0  # something is drawn
    csv_path = tmp_path / "run.csv"
    with FileLogger(csv_path) as file_logger:
        file_logger.log({"training/loss": 1.0, "lr/group_0": 0.1}, step=1)
    assert plot_file_log(csv_path, tmp_path / "other.png").exists()


def test_missing_matplotlib_raises_module_not_found(tmp_path, monkeypatch):
    path = tmp_path / "run.jsonl"
    path.write_text("")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ModuleNotFoundError, match="plot_file_log requires matplotlib"):
        plot_file_log(path)


def test_bad_arguments_and_wrong_logger(tmp_path):
    with pytest.raises(ValueError, match="Argument format should be one of"):
        FileLogger(tmp_path / "a.log", format="xml")
    with pytest.raises(TypeError, match="Argument path should be a str or os.PathLike"):
        FileLogger(3)
    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError, match="^Handler 'OutputHandler' works only with FileLogger$"):
        OutputHandler("t", metric_names="all")(engine, object(), Events.ITERATION_COMPLETED)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(RuntimeError, match="^Handler OptimizerParamsHandler works only with FileLogger$"):
        OptimizerParamsHandler(optimizer)(engine, object(), Events.ITERATION_COMPLETED)
