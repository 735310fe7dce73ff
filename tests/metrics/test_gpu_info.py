"""GpuInfo: the pynvml and CUDA requirements, and how readings become engine metrics.

Without a GPU the readings come from a stand-in for pynvml's ``nvidia_smi`` answer (its documented layout);
the test on a real GPU is skipped here.
"""

from __future__ import annotations

import sys
import warnings

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.metrics import GpuInfo


def _nvml_available() -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pynvml.smi import nvidia_smi  # noqa: F401
    except ImportError:
        return False
    return True


class Answer:
    """Returns a fixed ``DeviceQuery`` answer."""

    def __init__(self, answer):
        self.answer = answer
        self.queries = []

    def DeviceQuery(self, query):  # noqa: N802 (pynvml's name)
        self.queries.append(query)
        return self.answer


def gpu_info(answer) -> GpuInfo:
    metric = GpuInfo.__new__(GpuInfo)  # skip the hardware checks of the constructor
    metric.nvsmi = Answer(answer)
    return metric


def run_attached(metric: GpuInfo, **attach_kwargs) -> dict:
    engine = Engine(lambda e, b: None)
    metric.attach(engine, **attach_kwargs)
    return engine.run([0, 1], max_epochs=1).metrics


def test_missing_pynvml(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "pynvml.smi", None)
    with pytest.raises(ModuleNotFoundError, match="This contrib module requires pynvml to be installed."):
        GpuInfo()


@pytest.mark.skipif(not _nvml_available() or torch.cuda.is_available(), reason="needs pynvml and no CUDA")
def test_requires_a_gpu():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pynvml.smi announces its move
        with pytest.raises(RuntimeError, match="This contrib module requires available GPU"):
            GpuInfo()


def test_readings_become_percentages():
    answer = {
        "gpu": [
            {"fb_memory_usage": {"used": 512.0, "total": 2048.0}, "utilization": {"gpu_util": 37}},
            {"fb_memory_usage": {"used": 1000.0, "total": 3000.0}, "utilization": {"gpu_util": "N/A"}},
        ]
    }
    metric = gpu_info(answer)
    metrics = run_attached(metric)
    assert metrics == {"gpu:0 mem(%)": 25, "gpu:0 util(%)": 37, "gpu:1 mem(%)": 33}
    assert metric.nvsmi.queries == ["memory.used, memory.total, utilization.gpu"] * 2  # each iteration
    assert metric.compute() == answer["gpu"]


def test_missing_sections_warn_and_are_skipped():
    answer = {"gpu": [{"utilization": {"gpu_util": 5}}, {"fb_memory_usage": {"used": 1.0}, "utilization": {}}]}
    with pytest.warns(UserWarning) as record:
        metrics = run_attached(gpu_info(answer), name="card")
    assert metrics == {"card:0 util(%)": 5}  # the utilisation is reported without the memory section
    messages = {str(w.message) for w in record}
    assert any(m.startswith("No GPU memory usage information available in") for m in messages)
    assert any("does not provide used/total memory consumption information" in m for m in messages)
    assert any("does not provide 'gpu_util' information" in m for m in messages)


@pytest.mark.parametrize("answer", [{}, {"driver_version": "x"}])
def test_no_information_warns_and_gives_an_empty_list(answer):
    metric = gpu_info(answer)
    with pytest.warns(UserWarning, match="No GPU information available"):
        assert metric.compute() == []


def test_attach_registers_only_completed_on_the_given_event():
    metric = gpu_info({"gpu": [{"fb_memory_usage": {"used": 1.0, "total": 4.0}, "utilization": {"gpu_util": 1}}]})
    engine = Engine(lambda e, b: None)
    metric.attach(engine, name="g", event_name=Events.EPOCH_COMPLETED)
    assert engine.has_event_handler(metric.completed, Events.EPOCH_COMPLETED)
    assert not engine.has_event_handler(metric.started, Events.EPOCH_STARTED)
    assert not engine.has_event_handler(metric.iteration_completed, Events.ITERATION_COMPLETED)
    assert engine.run([0, 1, 2]).metrics == {"g:0 mem(%)": 25, "g:0 util(%)": 1}
    assert metric.nvsmi.queries == ["memory.used, memory.total, utilization.gpu"]


@pytest.mark.skipif(not (torch.cuda.is_available() and _nvml_available()), reason="needs a CUDA GPU and pynvml")
def test_real_gpu_readings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        metric = GpuInfo()
    metrics = run_attached(metric)
    for i in range(torch.cuda.device_count()):
        assert 0 <= metrics[f"gpu:{i} mem(%)"] <= 100
