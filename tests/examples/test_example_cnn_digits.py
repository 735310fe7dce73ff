"""examples/cnn_digits.py: trains, checkpoints, logs, plots, and continues from its own checkpoint."""

import json

from _example_runner import fast_result, is_png


def test_cnn_digits_fast_then_resume(tmp_path):
    result = fast_result("cnn_digits", tmp_path)
    assert result["epochs"] == 3
    assert result["test_accuracy"] > 0.8  # a 3-epoch run; the full run reaches ~0.99 (README)
    assert (tmp_path / "best" / result["best_checkpoint"]).is_file()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(records) == result["log_records"]
    validation = [r for r in records if "validation/accuracy" in r]
    iters_per_epoch = max(r["step"] for r in records) // 3
    assert [r["step"] for r in validation] == [iters_per_epoch, 2 * iters_per_epoch, 3 * iters_per_epoch]
    assert is_png(tmp_path / "training_curves.png") and is_png(tmp_path / "profiler.png")

    # --resume continues the run from the last training checkpoint, appending to the same log
    checkpoint = max((tmp_path / "training").glob("checkpoint_*.pt"), key=lambda p: int(p.stem.split("_")[-1]))
    images = tmp_path / "images"
    resumed = fast_result("cnn_digits", tmp_path, "--epochs", "4", "--resume", str(checkpoint), "--images", str(images))
    assert f"resumed from {checkpoint} at epoch 3" in resumed["_stdout"]
    assert "epoch   4" in resumed["_stdout"] and "epoch   3" not in resumed["_stdout"]
    steps = [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert max(steps) == 4 * iters_per_epoch and len(steps) > len(records)  # appended
    assert resumed["epochs"] == 4  # one more epoch
    assert is_png(images / "training_curves.png") and is_png(images / "profiler.png")
