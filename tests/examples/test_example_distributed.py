"""examples/cnn_digits_distributed.py: two gloo processes spawned by idist.Parallel train one model."""

import pytest
from _example_runner import fast_result


@pytest.mark.distributed
def test_cnn_digits_on_two_processes(tmp_path):
    result = fast_result("cnn_digits_distributed", tmp_path, "--nproc", "2")
    assert result["world_size"] == 2
    assert result["same_weights_on_all_processes"] is True
    assert result["test_accuracy"] > 0.7  # 2 epochs; the full run reaches ~0.99 (README)
    # rank 0 alone wrote the checkpoint and the log
    assert len(list((tmp_path / "training").glob("checkpoint_*.pt"))) == 1
    assert (tmp_path / "log.jsonl").read_text().count("validation/accuracy") == 2
