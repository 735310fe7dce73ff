"""examples/deterministic.py, examples/custom_events.py and examples/tbptt.py."""

from _example_runner import fast_result, is_png


def test_deterministic_fast(tmp_path):
    result = fast_result("deterministic", tmp_path)
    del result["_stdout"]
    assert result == {
        "same seed, again": True,
        "another seed": False,
        "resumed at iteration 28 (end of an epoch)": True,
        "resumed at iteration 40, ExactResume": True,
        "resumed at iteration 40, engine state only": True,
        "plain Engine, resumed at iteration 28": False,
    }


def test_custom_events_fast(tmp_path):
    result = fast_result("custom_events", tmp_path, "--accumulate", "4")
    assert result["backward_completed"] == result["iterations"] == result["grad_norms_recorded"]
    assert result["optim_step_completed"] == result["iterations"] // 4
    # the lr decays by 2% every 10 optimizer steps (a filter on the custom counter)
    assert abs(result["lr"] - 0.05 * 0.98 ** (result["optim_step_completed"] // 10)) < 1e-6
    assert result["_stdout"].count("new best validation accuracy") >= 1
    assert is_png(tmp_path / "grad_norms.png")


def test_tbptt_fast(tmp_path):
    result = fast_result("tbptt", tmp_path, "--length", "100", "--chunk", "30")
    assert result["chunks"] == result["chunks_expected"] == 2 * 8 * 4  # 2 epochs, 8 batches, ceil(100 / 30)
    assert result["test_mse"] < result["naive_mse"]
    assert is_png(tmp_path / "forecast.png")
