"""Deprecated: moved to :mod:`ignite.metrics.regression.fractional_bias` (importing this module warns)."""

from ignite.contrib.metrics._shim import warn_moved

warn_moved(__name__, "ignite.metrics.regression.fractional_bias")

from ignite.metrics.regression.fractional_bias import FractionalBias  # noqa: E402

__all__ = ["FractionalBias"]
