"""Deprecated: moved to :mod:`ignite.metrics.gpu_info` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.gpu_info")

from ignite.metrics.gpu_info import GpuInfo  # noqa: E402

__all__ = ["GpuInfo"]
