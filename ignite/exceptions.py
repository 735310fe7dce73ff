"""Exceptions shared by the whole package."""

__all__ = ["NotComputableError"]


class NotComputableError(RuntimeError):
    """Raised when a metric is asked for a value it has not seen enough data to compute."""
