"""Bad arguments: one line on stderr naming what is wrong, exit code 2, no traceback, no training."""

import pytest
from _example_runner import EXAMPLES, run_example


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("cnn_digits_distributed", ["--nproc", "0"], "argument --nproc: should be a positive integer, got 0"),
        ("cnn_digits", ["--data-dir", "no/such/dir"], "argument --data-dir: directory no/such/dir does not exist"),
        ("dcgan_digits", ["--data-dir", "."], "argument --data-dir: directory . has no digits.npz"),
        ("cnn_digits", ["--resume", "missing.pt"], "argument --resume: file missing.pt does not exist"),
        ("crash_resume", ["--kill-at", "1000"], "argument --kill-at: 1000 is not before the last iteration (224)"),
    ],
)
def test_bad_argument_is_one_line(tmp_path, name, args, message):
    done = run_example(name, *args, "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"{name}.py: error: {message}") and done.stderr.count("\n") == 1
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()


def test_every_example_has_a_readme_row_and_a_test():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    tests = "".join(p.read_text() for p in (EXAMPLES.parent / "tests" / "examples").glob("test_*.py"))
    for script in EXAMPLES.glob("*.py"):
        if script.name.startswith("_"):
            continue
        assert f"[`{script.name}`]" in readme, script.name
        if script.name != "digits.py":  # `make demo`, tested by tests/test_examples.py
            assert f'"{script.stem}"' in tests, script.name
