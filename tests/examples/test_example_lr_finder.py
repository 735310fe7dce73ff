"""examples/lr_finder_one_cycle.py: the LR finder's suggestion, then one cycle; both plots saved."""

from _example_runner import fast_result, is_png


def test_lr_finder_one_cycle_fast(tmp_path):
    images = tmp_path / "images"
    result = fast_result("lr_finder_one_cycle", tmp_path / "run", "--images", str(images))
    assert 1e-4 < result["suggested_lr"] <= 1.0  # the search runs from 1e-4 to 10
    assert result["test_accuracy"] > 0.7
    for name in ("lr_finder.png", "schedule.png"):
        assert is_png(tmp_path / "run" / name) and is_png(images / name)
