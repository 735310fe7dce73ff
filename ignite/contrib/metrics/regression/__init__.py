"""Deprecated location of :mod:`ignite.metrics.regression`; names resolve lazily, without warnings.

Importing one of the submodules (``ignite.contrib.metrics.regression.r2_score``, ...) emits a
``DeprecationWarning``.
"""

from ignite.contrib.metrics._shim import forward

# the class names and module names of ignite.metrics.regression join here with that package (none yet)
_NAMES: dict[str, str] = {
    # module attributes are the ``ignite.metrics.regression`` modules themselves
}

__all__ = list(_NAMES)

__getattr__ = forward(__name__, _NAMES)
