"""Deprecated: moved to :mod:`ignite.metrics.cohen_kappa` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.cohen_kappa")

from ignite.metrics.cohen_kappa import CohenKappa  # noqa: E402

__all__ = ["CohenKappa"]
