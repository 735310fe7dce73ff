"""examples/crash_resume.py (SIGKILL, resume) and examples/preemption.py (SIGTERM, resume): bit-identical."""

import re
import sys

import pytest
from _example_runner import fast_result

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_crash_resume_fast(tmp_path):
    result = fast_result("crash_resume", tmp_path)
    assert result["identical"] is True
    assert "killed (exit code -9)" in result["_stdout"]
    # checkpoints every 15 iterations; the kill lands after iteration 50, later when the machine is busy
    iteration = int(re.fullmatch(r"checkpoint_(\d+)\.pt", result["resumed_from"]).group(1))
    assert iteration % 15 == 0 and iteration >= 45


def test_preemption_fast(tmp_path):
    result = fast_result("preemption", tmp_path)
    assert result["identical"] is True
    assert result["preempted_exit_code"] == 0
    # the signal is sent after iteration 50 is reported; the child may have gone on a little further
    match = re.fullmatch(r"resumed from checkpoint_(\d+)\.pt at iteration (\d+)", result["resumed"])
    assert match and match.group(1) == match.group(2) and int(match.group(1)) >= 50
