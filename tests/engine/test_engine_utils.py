"""ignite.engine.utils private helpers (spec engine.md §4)."""

import functools

import pytest

from ignite.engine import Engine, Events
from ignite.engine.utils import _check_signature, _to_hours_mins_secs


def test_check_signature():
    def f(engine, a, b=1):
        pass

    _check_signature(f, "f", None, 1)
    _check_signature(f, "f", None, 1, b=2)
    with pytest.raises(ValueError) as exc_info:
        _check_signature(f, "handler", None, 1, 2, 3)
    msg = str(exc_info.value)
    assert msg.startswith("Error adding ")
    assert "'handler': takes parameters ['engine', 'a', 'b'] but will be called with [None, 1, 2, 3](" in msg
    assert msg.endswith(").")
    with pytest.raises(ValueError, match=r"but will be called with \[None, 'c'\]\("):
        _check_signature(f, "handler", None, c=3)


def test_check_signature_follows_wrapped_and_parent():
    def inner(engine):
        pass

    @functools.wraps(inner)
    def outer(*args, **kwargs):
        return inner(*args, **kwargs)

    with pytest.raises(ValueError, match="but will be called with"):
        _check_signature(outer, "h", 1, 2)

    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), inner)
    wrapper = engine._event_handlers[Events.ITERATION_COMPLETED][0][0]
    assert wrapper._parent() is inner
    _check_signature(wrapper, "h", engine)
    with pytest.raises(ValueError, match="but will be called with"):
        _check_signature(wrapper, "h", engine, 1)


@pytest.mark.parametrize(
    "t, expected",
    [(0, (0, 0, 0)), (59.5, (0, 0, 59.5)), (61, (0, 1, 1)), (3600, (1, 0, 0)), (3725.25, (1, 2, 5.25))],
)
def test_to_hours_mins_secs(t, expected):
    h, m, s = _to_hours_mins_secs(t)
    assert (h, m) == expected[:2] and s == pytest.approx(expected[2])
    assert isinstance(h, int) and isinstance(m, int)
