"""GpuInfo (spec metrics.md §6.8): its errors and warnings word for word, and the metrics it writes.

Without a GPU, NVML cannot answer: the readings are fed by a stand-in for pynvml's ``nvidia_smi`` that returns
the documented ``DeviceQuery`` structure. With CUDA, the real query runs.
"""

import sys
import warnings

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.metrics import GpuInfo


class _Answer:
    """Stand-in for ``nvidia_smi``: returns a fixed ``DeviceQuery`` answer."""

    def __init__(self, answer):
        self.answer = answer

    def DeviceQuery(self, query):  # noqa: N802 - pynvml's name
        assert query == "memory.used, memory.total, utilization.gpu"
        return self.answer


def _gpu_info(answer):
    metric = GpuInfo.__new__(GpuInfo)  # the constructor needs a GPU; the readings are what is tested here
    metric.nvsmi = _Answer(answer)
    return metric


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_no_gpu_raises_the_spec_error():
    pytest.importorskip("pynvml")  # third-party, in the test extra: without it the import error comes first
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pynvml 11.5 deprecates pynvml.smi
        with pytest.raises(RuntimeError, match=r"^This contrib module requires available GPU$"):
            GpuInfo()


def test_missing_pynvml(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml.smi", None)
    with pytest.raises(ModuleNotFoundError, match=r"^This contrib module requires pynvml to be installed\."):
        GpuInfo()


@pytest.mark.parametrize("answer", [{}, {"count": 0}])
def test_no_gpu_information_warning(answer):
    with pytest.warns(UserWarning) as record:
        assert _gpu_info(answer).compute() == []
    assert [str(w.message) for w in record] == ["No GPU information available"]


def test_completed_writes_memory_and_utilisation_per_gpu():
    answer = {
        "gpu": [
            {"fb_memory_usage": {"used": 1024.0, "total": 4096.0}, "utilization": {"gpu_util": 37}},
            {"fb_memory_usage": {"used": 1000.0, "total": 3000.0}, "utilization": {"gpu_util": "N/A"}},
        ]
    }
    engine = Engine(lambda e, b: None)
    _gpu_info(answer).attach(engine, name="gpu", event_name=Events.ITERATION_COMPLETED)
    engine.run([0])
    assert engine.state.metrics == {"gpu:0 mem(%)": 25, "gpu:0 util(%)": 37, "gpu:1 mem(%)": 33}


def test_missing_sections_warn_and_are_skipped():
    answer = {"gpu": [{"utilization": {"gpu_util": 5}}, {"fb_memory_usage": {"used": 1.0, "total": 2.0}}]}
    engine = Engine(lambda e, b: None)
    metric = _gpu_info(answer)
    with pytest.warns(UserWarning) as record:
        metric.completed(engine, "gpu")
    messages = [str(w.message) for w in record]
    assert messages[0].startswith("No GPU memory usage information available in")
    assert messages[1].startswith("No GPU utilization information available in")
    assert engine.state.metrics == {"gpu:1 mem(%)": 50}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_real_readings_on_a_gpu():
    pytest.importorskip("pynvml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        metric = GpuInfo()
    engine = Engine(lambda e, b: None)
    metric.attach(engine)
    engine.run([0])
    assert 0 <= engine.state.metrics["gpu:0 mem(%)"] <= 100
    assert 0 <= engine.state.metrics["gpu:0 util(%)"] <= 100
