"""The engine's private handler-surgery methods used by the library's own tools (profilers, resume, preemption).

They own the stored ``(handler, args, kwargs)`` format: entries they add fire in the stated order on both firing
paths, are seen by ``has_event_handler``/``remove_event_handler``, and keep upstream's ``_event_handlers`` readable.
"""

import logging
import weakref

import pytest

from ignite.engine import Engine, EventEnum, Events


class SlowPathEngine(Engine):
    """An engine whose ``_fire_event`` is overridden: every event goes through it (no compiled fast path)."""

    def _fire_event(self, event_name, *event_args, **event_kwargs):
        super()._fire_event(event_name, *event_args, **event_kwargs)


@pytest.fixture(params=[Engine, SlowPathEngine], ids=["fast", "slow"])
def make_engine(request):
    def make(process=lambda e, b: b):
        engine = request.param(process)
        assert engine._fast_fire is (request.param is Engine)
        return engine

    return make


def _recorder(calls, name):
    def handler(engine):
        calls.append((name, engine.state.iteration))

    handler.__name__ = name
    return handler


def test_prepend_and_append_fire_first_and_last(make_engine):
    engine = make_engine()
    calls = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, _recorder(calls, "a"))
    engine.add_event_handler(Events.ITERATION_COMPLETED, _recorder(calls, "b"))
    engine._prepend_handler(Events.ITERATION_COMPLETED, _recorder(calls, "first"))
    engine._append_handler(Events.ITERATION_COMPLETED, _recorder(calls, "last"))
    engine._append_handler(Events.ITERATION_COMPLETED, lambda: calls.append(("bare", None)), pass_engine=False)
    engine.run([0, 0])
    per_iteration = ["first", "a", "b", "last", "bare"]
    assert [name for name, _ in calls] == per_iteration * 2
    assert [it for name, it in calls if name != "bare"] == [1] * 4 + [2] * 4


def test_entries_in_upstream_format_and_engine_held_weakly(make_engine):
    engine = make_engine()

    def hook(e):
        pass

    entry = engine._prepend_handler(Events.STARTED, hook)
    stored = engine._event_handlers[Events.STARTED]
    assert stored == [entry]
    func, args, kwargs = entry
    assert func is hook and kwargs == {}
    assert len(args) == 1 and isinstance(args[0], weakref.ref) and args[0]() is engine
    assert engine._prepend_handler(Events.STARTED, hook, pass_engine=False)[1:] == ((), {})

    ref = weakref.ref(engine)
    del engine, stored, args, func, entry
    assert ref() is None  # no reference cycle through the entry: freed by refcount, before any gc pass


def test_appended_while_the_event_fires_runs_in_that_firing(make_engine):
    engine = make_engine()
    calls = []

    def adder(e):
        calls.append("adder")
        if e.state.iteration == 1:
            e._append_handler(Events.ITERATION_COMPLETED, lambda e: calls.append("late"))

    engine.add_event_handler(Events.ITERATION_COMPLETED, adder)
    engine.run([0, 0])
    assert calls == ["adder", "late", "adder", "late"]


def test_event_arguments_reach_surgery_handlers(make_engine):
    engine = make_engine(lambda e, b: 1 / 0)
    seen = []
    engine._append_handler(Events.EXCEPTION_RAISED, lambda e, exc: seen.append((e, type(exc))))
    engine.run([0])
    assert seen == [(engine, ZeroDivisionError)]


def test_filters_apply_and_has_remove_see_the_handler(make_engine):
    engine = make_engine()
    calls = []
    handler = _recorder(calls, "every2")
    engine._prepend_handler(Events.ITERATION_COMPLETED(every=2), handler)
    assert engine.has_event_handler(handler)
    assert engine.has_event_handler(handler, Events.ITERATION_COMPLETED)
    assert not engine.has_event_handler(handler, Events.EPOCH_COMPLETED)
    wrapper = engine._handlers_of(Events.ITERATION_COMPLETED)[0]
    assert wrapper._parent() is handler and wrapper.__name__ == "every2"
    engine.run([0] * 5)
    assert calls == [("every2", 2), ("every2", 4)]

    engine.remove_event_handler(handler, Events.ITERATION_COMPLETED)
    assert not engine.has_event_handler(handler)
    engine.run([0] * 4)
    assert calls == [("every2", 2), ("every2", 4)]


def test_remove_entry_removes_exactly_that_entry(make_engine):
    engine = make_engine()
    calls = []
    handler = _recorder(calls, "h")
    engine.add_event_handler(Events.ITERATION_COMPLETED, handler)
    entry = engine._prepend_handler(Events.ITERATION_COMPLETED, handler)
    engine.run([0])
    assert calls == [("h", 1), ("h", 1)]

    assert engine._remove_entry(Events.ITERATION_COMPLETED, entry) is True
    assert engine._remove_entry(Events.ITERATION_COMPLETED, entry) is False  # already gone
    assert engine._remove_entry(Events.EPOCH_STARTED, entry) is False  # an event without handlers
    assert engine.has_event_handler(handler, Events.ITERATION_COMPLETED)  # the other registration stays
    calls.clear()
    engine.run([0], max_epochs=1)
    assert calls == [("h", 1)]


def test_handlers_of_lists_in_firing_order_without_creating_lists(make_engine):
    engine = make_engine()

    def a(e):
        pass

    def b():
        pass

    engine.add_event_handler(Events.EPOCH_COMPLETED, a)
    engine._prepend_handler(Events.EPOCH_COMPLETED, b, pass_engine=False)
    assert engine._handlers_of(Events.EPOCH_COMPLETED) == [b, a]
    assert engine._handlers_of("EPOCH_COMPLETED") == [b, a]  # events are looked up by name
    assert engine._handlers_of(Events.GET_BATCH_STARTED) == []
    assert Events.GET_BATCH_STARTED not in engine._event_handlers
    assert engine._handler_events() == [Events.EPOCH_COMPLETED]


def test_move_handler_last_changes_the_firing_order(make_engine):
    engine = make_engine()
    calls = []
    first, second = _recorder(calls, "first"), _recorder(calls, "second")
    engine.add_event_handler(Events.ITERATION_COMPLETED, first)
    engine.add_event_handler(Events.ITERATION_COMPLETED, second)
    engine._move_handler_last(Events.ITERATION_COMPLETED, first)
    engine._move_handler_last(Events.ITERATION_COMPLETED, lambda e: None)  # not registered: nothing happens
    engine._move_handler_last(Events.COMPLETED, first)  # no handlers on that event: nothing happens
    assert engine._handlers_of(Events.ITERATION_COMPLETED) == [second, first]
    engine.run([0])
    assert [name for name, _ in calls] == ["second", "first"]


def test_replace_handlers_keeps_place_and_arguments(make_engine):
    engine = make_engine()
    calls = []

    def scaled(e, factor, offset=0):
        calls.append(("scaled", e.state.iteration * factor + offset))

    def other(e):
        calls.append(("other", e.state.iteration))

    engine.add_event_handler(Events.ITERATION_COMPLETED, scaled, 10, offset=1)
    engine.add_event_handler(Events.ITERATION_COMPLETED, other)
    kept = engine._event_handlers[Events.ITERATION_COMPLETED][1]

    def wrap(func):
        if func is not scaled:
            return func  # left in place: the very same entry

        def wrapper(*args, **kwargs):
            calls.append(("wrapped", None))
            return func(*args, **kwargs)

        return wrapper

    engine._replace_handlers(Events.ITERATION_COMPLETED, wrap)
    engine._replace_handlers(Events.EPOCH_STARTED, wrap)  # no handlers on that event: nothing happens
    assert engine._event_handlers[Events.ITERATION_COMPLETED][1] is kept
    engine.run([0, 0])
    assert calls == [("wrapped", None), ("scaled", 11), ("other", 1), ("wrapped", None), ("scaled", 21), ("other", 2)]


def test_surgery_on_an_unregistered_event_is_refused(make_engine):
    class Custom(EventEnum):
        PING = "ping"

    engine = make_engine()
    with pytest.raises(ValueError, match="is not a valid event"):
        engine._prepend_handler(Custom.PING, lambda e: None)
    with pytest.raises(ValueError, match="is not a valid event"):
        engine._append_handler("unknown", lambda e: None)
    engine.register_events(*Custom)
    fired = []
    engine._append_handler(Custom.PING, lambda e: fired.append(e))
    engine.fire_event(Custom.PING)
    assert fired == [engine]


def test_debug_logging_path_fires_surgery_handlers_in_order(caplog):
    engine = Engine(lambda e, b: b)
    calls = []
    engine.add_event_handler(Events.COMPLETED, lambda: calls.append("user"))
    engine._prepend_handler(Events.COMPLETED, lambda e: calls.append("first"))
    with caplog.at_level(logging.DEBUG, logger=engine.logger.name):
        engine.run([0])
    assert engine._fast_fire is False  # the run went through _fire_event for every event
    assert calls == ["first", "user"]
