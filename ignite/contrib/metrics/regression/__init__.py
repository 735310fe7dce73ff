"""Deprecated location of :mod:`ignite.metrics.regression`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.regression.r2_score``, ...) emits a
``DeprecationWarning``.
"""

from ignite.contrib.metrics._shim import forward

_NAMES = {
    # module attributes are the ``ignite.metrics.regression`` modules themselves
}

__all__ = list(_NAMES)

__getattr__ = forward(__name__, _NAMES)
