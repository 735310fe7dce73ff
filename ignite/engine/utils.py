"""Private helpers of the engine: handler signature checks and duration formatting."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def _check_signature(fn: Callable, fn_description: str, *args: Any, **kwargs: Any) -> None:
    """Raise ``ValueError`` unless ``fn`` can be called with ``args`` and ``kwargs``."""
    parent = getattr(fn, "_parent", None)
    target = parent() if parent is not None else fn
    signature = inspect.signature(target)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        fn_params = list(signature.parameters)
        exception_msg = str(exc)
        passed_params = list(args) + list(kwargs)
        raise ValueError(
            f"Error adding {fn} '{fn_description}': "
            f"takes parameters {fn_params} but will be called with {passed_params}"
            f"({exception_msg})."
        ) from None


def _to_hours_mins_secs(time_taken: float | int) -> tuple[int, int, float]:
    """Split seconds into ``(hours, minutes, seconds)``."""
    mins, secs = divmod(time_taken, 60)
    hours, mins = divmod(mins, 60)
    return round(hours), round(mins), secs
