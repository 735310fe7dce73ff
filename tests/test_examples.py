"""examples/digits.py (what `make demo` runs): a mid-epoch crash resumed exactly, on a short schedule."""

import importlib.util
import json
import warnings
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits.py"


def test_digits_demo_resumes_exactly(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("digits_example", EXAMPLE)
    digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(digits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "saved state is ignored" or other warnings on the way
        code = digits.main(["--epochs", "3", "--crash-after", "50", "--no-progress", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Resuming from checkpoint_40.pt (epoch 2, iteration 40)" in out
    assert "Resumed run ends with parameters identical to the uninterrupted run: True" in out
    epochs = [line for line in out.splitlines() if line.startswith("Epoch")]
    # the crashed run reports epochs 1-2, the resumed one re-runs the rest of epoch 2 (same line) and epoch 3
    assert [line[:8] for line in epochs] == ["Epoch  1", "Epoch  2", "Epoch  2", "Epoch  3"]
    assert epochs[1] == epochs[2]
    assert len(list((tmp_path / "interrupted" / "best").glob("digits_model_*_val_acc=*.pt"))) == 1
    # the training log: the crashed run's records, then the resumed run's (from iteration 41 again)
    records = [json.loads(line) for line in (tmp_path / "interrupted" / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "training/loss" in r]
    assert steps == list(range(1, 51)) + list(range(41, 3 * 23 + 1))
    validation = {r["step"]: r["validation/accuracy"] for r in records if "validation/accuracy" in r}
    assert sorted(validation) == [23, 46, 69]
    assert f"Training log: log.jsonl ({len(records)} records)" in out
    assert (tmp_path / "interrupted" / "log.png").read_bytes()[:4] == b"\x89PNG"
