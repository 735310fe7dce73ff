"""examples/cnn_digits_distributed.py: two gloo processes spawned by idist.Parallel train one model."""

import numpy as np
import pytest
from _example_runner import fast_result
from sklearn.datasets import load_digits


@pytest.mark.distributed
def test_cnn_digits_on_two_processes(tmp_path):
    # the data as a user would bring their own: DIR/digits.npz
    digits = load_digits()
    np.savez(tmp_path / "digits.npz", images=digits.images, labels=digits.target)
    result = fast_result("cnn_digits_distributed", tmp_path, "--nproc", "2", "--data-dir", str(tmp_path))
    assert result["world_size"] == 2
    assert result["same_weights_on_all_processes"] is True
    assert result["test_accuracy"] > 0.7  # 2 epochs; the full run reaches ~0.99 (README)
    # rank 0 alone wrote the checkpoint and the log
    assert len(list((tmp_path / "training").glob("checkpoint_*.pt"))) == 1
    assert (tmp_path / "log.jsonl").read_text().count("validation/accuracy") == 2
