"""GPU memory and utilisation readings (through pynvml) as engine metrics."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from ignite.engine import Engine, Events
from ignite.metrics.metric import Metric

__all__ = ["GpuInfo"]


class GpuInfo(Metric):
    """Writes ``"{name}:{i} mem(%)"`` and ``"{name}:{i} util(%)"`` for every GPU into ``engine.state.metrics``.

    Needs ``pynvml<12`` and a CUDA device.
    """

    def __init__(self) -> None:
        try:
            from pynvml.smi import nvidia_smi
        except ImportError:
            raise ModuleNotFoundError(
                "This contrib module requires pynvml to be installed. "
                "Please install it with command: \n pip install 'pynvml<12'"
            ) from None
        if not torch.cuda.is_available():
            raise RuntimeError("This contrib module requires available GPU")
        self.nvsmi = nvidia_smi.getInstance()
        super().__init__(output_transform=lambda x: x)

    def reset(self) -> None:
        pass

    def update(self, output: Any) -> None:
        pass

    def compute(self) -> list[dict[str, Any]]:
        data = self.nvsmi.DeviceQuery("memory.used, memory.total, utilization.gpu")
        if len(data) == 0 or ("gpu" not in data):
            warnings.warn("No GPU information available")
            return []
        return data["gpu"]

    def completed(self, engine: Engine, name: str) -> None:
        for i, data_by_rank in enumerate(self.compute()):
            memory = _memory_percent(data_by_rank)
            if memory is not None:
                engine.state.metrics[f"{name}:{i} mem(%)"] = memory
            utilization = _utilization_percent(data_by_rank)
            if utilization is not None:
                engine.state.metrics[f"{name}:{i} util(%)"] = utilization

    def attach(  # type: ignore[override]
        self, engine: Engine, name: str = "gpu", event_name: Any = Events.ITERATION_COMPLETED
    ) -> None:
        engine.add_event_handler(event_name, self.completed, name)


def _memory_percent(data: dict[str, Any]) -> int | None:
    """Used memory in percent of the total, or ``None`` (with a warning) if the answer lacks it."""
    if "fb_memory_usage" not in data:
        warnings.warn(f"No GPU memory usage information available in {data}")
        return None
    report = data["fb_memory_usage"]
    if not ("used" in report and "total" in report):
        warnings.warn(
            f"GPU memory usage information does not provide used/total memory consumption information in {report}"
        )
        return None
    return int(report["used"] * 100.0 / report["total"])


def _utilization_percent(data: dict[str, Any]) -> int | None:
    """GPU utilisation in percent, or ``None``: with a warning if the answer lacks it, silently if it is not a
    number (e.g. ``"N/A"``)."""
    if "utilization" not in data:
        warnings.warn(f"No GPU utilization information available in {data}")
        return None
    report = data["utilization"]
    if "gpu_util" not in report:
        warnings.warn(f"GPU utilization information does not provide 'gpu_util' information in {report}")
        return None
    try:
        return int(report["gpu_util"])
    except (TypeError, ValueError):
        return None
