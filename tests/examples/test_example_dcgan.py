"""examples/dcgan_digits.py: two optimizers in one step; FID and Inception Score with a small extractor."""

import math

from _example_runner import fast_result, is_png


def test_dcgan_fast(tmp_path):
    result = fast_result("dcgan_digits", tmp_path)
    values = [result[k] for k in ("fid_first", "fid_last", "fid_real", "is_last", "is_real")]
    assert all(math.isfinite(v) for v in values)
    # real images against real images score better than a generator after 3 epochs
    assert result["fid_real"] < result["fid_last"]
    assert 1.0 <= result["is_last"] < result["is_real"] <= 10.0  # IS lies in [1, number of classes]
    assert is_png(tmp_path / "samples.png")
    assert len(list((tmp_path / "checkpoints").glob("checkpoint_*.pt"))) == 1
    assert "loss D" in result["_stdout"] and "D(G(z))" in result["_stdout"]
