"""``ignite.handlers.Engine``/``Events`` exist upstream as re-exports; kept lazily here."""

from ignite.engine import Engine, Events

__all__ = ["Engine", "Events"]
