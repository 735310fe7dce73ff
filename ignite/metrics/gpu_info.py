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
            mem_name = f"{name}:{i} mem(%)"
            if "fb_memory_usage" not in data_by_rank:
                warnings.warn(f"No GPU memory usage information available in {data_by_rank}")
                continue
            mem_report = data_by_rank["fb_memory_usage"]
            if not ("used" in mem_report and "total" in mem_report):
                warnings.warn(
                    "GPU memory usage information does not provide used/total "
                    f"memory consumption information in {mem_report}"
                )
                continue
            engine.state.metrics[mem_name] = int(mem_report["used"] * 100.0 / mem_report["total"])

            util_name = f"{name}:{i} util(%)"
            if "utilization" not in data_by_rank:
                warnings.warn(f"No GPU utilization information available in {data_by_rank}")
                continue
            util_report = data_by_rank["utilization"]
            if "gpu_util" not in util_report:
                warnings.warn(f"GPU utilization information does not provide 'gpu_util' information in {util_report}")
                continue
            try:
                engine.state.metrics[util_name] = int(util_report["gpu_util"])
            except ValueError:
                pass  # e.g. "N/A"

    def attach(  # type: ignore[override]
        self, engine: Engine, name: str = "gpu", event_name: Any = Events.ITERATION_COMPLETED
    ) -> None:
        engine.add_event_handler(event_name, self.completed, name)
