"""examples/crash_resume.py (SIGKILL, resume) and examples/preemption.py (SIGTERM, resume): bit-identical."""

import sys

import pytest
from _example_runner import fast_result

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_crash_resume_fast(tmp_path):
    result = fast_result("crash_resume", tmp_path)
    assert result["identical"] is True
    assert "killed (exit code -9)" in result["_stdout"]
    assert result["resumed_from"] in ("checkpoint_45.pt", "checkpoint_30.pt", "checkpoint_60.pt")


def test_preemption_fast(tmp_path):
    result = fast_result("preemption", tmp_path)
    assert result["identical"] is True
    assert result["preempted_exit_code"] == 0
    assert result["resumed"] == "resumed from checkpoint_50.pt at iteration 50"
