from ignite.base.mixins import ResettableHandler, Serializable

__all__ = ["Serializable", "ResettableHandler"]
