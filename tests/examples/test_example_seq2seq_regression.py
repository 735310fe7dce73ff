"""examples/seq2seq_numbers.py (Bleu, Rouge) and examples/regression_diabetes.py (regression metrics)."""

import math

import pytest
from _example_runner import fast_result, is_png


def test_seq2seq_fast(tmp_path):
    result = fast_result("seq2seq_numbers", tmp_path)
    assert 0.2 < result["bleu"] <= 1.0  # 2 epochs; the full run reaches ~0.97 (README)
    assert 0.0 <= result["exact_match"] <= 1.0
    assert 0.5 < result["rouge_l_f"] <= 1.0
    assert " -> " in result["_stdout"]  # sample translations


def test_regression_fast(tmp_path):
    result = fast_result("regression_diabetes", tmp_path)
    for model in ("mlp", "least_squares"):
        m = result[model]
        assert m["RMSE"] == pytest.approx(math.sqrt(m["MSE"]), rel=1e-3)
        assert m["MedianAE"] <= m["MAE"] * 1.5 and m["MAE"] <= m["MaxAE"]
        assert 0.3 < m["R2"] < 1.0 and 0.5 < m["Pearson"] < 1.0
    assert is_png(tmp_path / "predictions.png")
