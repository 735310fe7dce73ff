"""Engine construction, registration, firing and the run loop (spec engine.md §6, §7).

Event sequences are recorded by overriding ``_fire_event`` (§6.1) and compared with the spec's traces (§7.11).
Run-loop tests run in both modes of ``Engine.interrupt_resume_enabled`` (§7.12).
"""

import collections
import functools
import logging
import weakref
from unittest.mock import create_autospec

import pytest

from ignite.engine import Engine, EventEnum, Events, State
from ignite.engine.engine import _EngineTerminateException, _EngineTerminateSingleEpochException, _get_none_data_iter

GBS, GBC, IS, IC = "GET_BATCH_STARTED", "GET_BATCH_COMPLETED", "ITERATION_STARTED", "ITERATION_COMPLETED"
ES, EC, ST, CO = "EPOCH_STARTED", "EPOCH_COMPLETED", "STARTED", "COMPLETED"
DSI, TE, TSE, INT, EXC = (
    "DATALOADER_STOP_ITERATION",
    "TERMINATE",
    "TERMINATE_SINGLE_EPOCH",
    "INTERRUPT",
    "EXCEPTION_RAISED",
)


class RecordingEngine(Engine):
    """Records ``(epoch, iteration, event name)`` of every fired event."""

    def __init__(self, process_function=None):
        self.events = []
        super().__init__(process_function or (lambda e, b: b))

    def _fire_event(self, event_name, *event_args, **event_kwargs):
        self.events.append((self.state.epoch, self.state.iteration, getattr(event_name, "name", event_name)))
        super()._fire_event(event_name, *event_args, **event_kwargs)


@pytest.fixture(params=[True, False], ids=["resumable", "legacy"])
def mode(request):
    previous = Engine.interrupt_resume_enabled
    Engine.interrupt_resume_enabled = request.param
    yield request.param
    Engine.interrupt_resume_enabled = previous


def _iteration(e, i, with_data=True):
    """Events of iteration ``i`` (1-based, global) in epoch ``e``."""
    head = [(e, i - 1, GBS), (e, i - 1, GBC)] if with_data else []
    return head + [(e, i, IS), (e, i, IC)]


# ---------------------------------------------------------------------------------------------- construction


def test_construction_errors():
    with pytest.raises(ValueError, match=r"^Engine must be given a processing function in order to run.$"):
        Engine(None)
    for bad in (lambda: None, lambda batch: None, lambda e, b, extra: None):
        with pytest.raises(ValueError, match=r"Error adding .+ takes parameters .+ but will be called with"):
            Engine(bad)
    Engine(lambda *args: None)
    Engine(lambda e, b=None, c=1: None)


def test_construction_defaults():
    engine = Engine(lambda e, b: None)
    assert engine.logger.name == "ignite.engine.engine.Engine"
    assert len(engine.logger.handlers) == 0
    assert engine.last_event_name is None
    assert engine.should_terminate is False
    assert engine.should_terminate_single_epoch is False
    assert engine.should_interrupt is False
    assert isinstance(engine.state, State)
    assert engine.state_dict_user_keys == []
    assert engine._allowed_events[: len(Events)] == list(Events)
    assert engine._dataloader_iter is None and engine._init_iter is None
    assert engine._internal_run_generator is None
    assert Engine.interrupt_resume_enabled is True
    assert engine.state_dict_user_keys is engine._state_dict_user_keys


def test_subclass_logger_name():
    class MyEngine(Engine):
        pass

    assert MyEngine(lambda e, b: None).logger.name == "ignite.engine.engine.MyEngine"


def test_module_surface():
    import ignite.engine.engine as mod

    assert mod.__all__ == ["Engine"]
    assert list(_get_none_data_iter(3)) == [None, None, None]
    assert issubclass(_EngineTerminateException, Exception)
    assert issubclass(_EngineTerminateSingleEpochException, Exception)


# ---------------------------------------------------------------------------------------------- registration


class CustomEvents(EventEnum):
    TEST_EVENT = "test_event"
    OTHER_EVENT = "other_event"


def test_register_events_errors():
    engine = Engine(lambda e, b: None)
    with pytest.raises(ValueError, match=r"^Expected event_to_attr to be dictionary. Got <class 'list'>.$"):
        engine.register_events(*CustomEvents, event_to_attr=[])
    with pytest.raises(TypeError, match=r"^Value at 1 of event_names should be a str or EventEnum, but given 1$"):
        engine.register_events("a", 1, "b")
    assert engine.has_registered_events("a")  # earlier items of the same call stay registered
    assert not engine.has_registered_events("b")


def test_has_registered_events():
    engine = Engine(lambda e, b: None)
    assert engine.has_registered_events(Events.STARTED)
    assert engine.has_registered_events("STARTED")
    assert engine.has_registered_events(Events.EPOCH_COMPLETED(every=2))
    assert not engine.has_registered_events("non_existent_event")
    assert not engine.has_registered_events(CustomEvents.TEST_EVENT)
    engine.register_events(*CustomEvents)
    assert engine.has_registered_events(CustomEvents.TEST_EVENT)
    assert engine._allowed_events[-2:] == [CustomEvents.TEST_EVENT, CustomEvents.OTHER_EVENT]


def test_custom_events_fire(mode):
    engine = RecordingEngine(lambda e, b: e.fire_event(CustomEvents.TEST_EVENT))
    engine.register_events(*CustomEvents, "string_event")
    calls = []
    engine.add_event_handler(CustomEvents.TEST_EVENT, lambda e: calls.append(e.state.iteration))
    engine.add_event_handler("string_event", lambda: calls.append("s"))
    engine.on(Events.COMPLETED)(lambda e: e.fire_event("string_event"))
    engine.run([1, 2, 3])
    assert calls == [1, 2, 3, "s"]
    assert engine.events.count((1, 2, "TEST_EVENT")) == 1
    assert engine.last_event_name == "string_event"
    engine.fire_event(CustomEvents.OTHER_EVENT)  # registered, no handlers: no-op
    assert engine.last_event_name == CustomEvents.OTHER_EVENT


def test_fire_unregistered_event(caplog):
    engine = Engine(lambda e, b: None)
    with caplog.at_level(logging.ERROR, logger="ignite.engine.engine.Engine"):
        with pytest.raises(ValueError, match=r"^Event CustomEvents.TEST_EVENT is not a valid event for this Engine.$"):
            engine.fire_event(CustomEvents.TEST_EVENT)
    assert "attempt to add event handler to an invalid event" in caplog.text


@pytest.fixture
def restore_global_event_to_attr():
    """register_events(event_to_attr=...) also writes the class-level State.event_to_attr (upstream)."""
    saved = dict(State.event_to_attr)
    yield
    State.event_to_attr.clear()
    State.event_to_attr.update(saved)


def test_custom_events_with_event_to_attr(restore_global_event_to_attr):
    engine = Engine(lambda e, b: e.fire_event(CustomEvents.TEST_EVENT))
    engine.register_events(*CustomEvents, event_to_attr={CustomEvents.TEST_EVENT: "test_event"})
    assert engine.state.test_event == 0
    calls = []

    @engine.on(CustomEvents.TEST_EVENT)
    def incr(e):
        e.state.test_event += 1

    engine.add_event_handler(CustomEvents.TEST_EVENT(every=2), lambda e: calls.append(e.state.test_event))
    engine.run(range(5))
    # the filter reads the counter after incr ran (handlers in registration order)
    assert calls == [2, 4]
    assert engine.state.test_event == 5


def test_event_to_attr_does_not_leak_to_other_engines(restore_global_event_to_attr):
    a = Engine(lambda e, b: None)
    a.register_events(Events.ITERATION_COMPLETED, event_to_attr={Events.ITERATION_COMPLETED: "epoch"})
    a.register_events(*CustomEvents, event_to_attr={CustomEvents.TEST_EVENT: "custom_counter"})

    b = Engine(lambda e, b: None)
    calls = []
    b.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda e: calls.append(e.state.iteration))
    b.run([1, 2, 3, 4, 5])
    assert calls == [2, 4]

    # engine a uses its own mapping
    a_calls = []
    a.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: a_calls.append(e.state.iteration))
    a.run([1, 2, 3], max_epochs=3)
    assert a_calls == [4, 5, 6]  # every iteration of epoch 2 (counter = epoch)

    # a custom event mapped on engine a only: on c a filter on it has no counter
    c = Engine(lambda e, b: e.fire_event(CustomEvents.TEST_EVENT))
    c.register_events(*CustomEvents)
    c.add_event_handler(CustomEvents.TEST_EVENT(every=2), lambda: None)
    with pytest.raises(RuntimeError, match="Unknown event name"):
        c.run([1, 2])


# ---------------------------------------------------------------------------------------------- add_event_handler


def test_add_event_handler_invalid_event(caplog):
    engine = Engine(lambda e, b: None)
    with caplog.at_level(logging.ERROR, logger="ignite.engine.engine.Engine"):
        with pytest.raises(ValueError, match=r"^Event incorrect is not a valid event for this Engine.$"):
            engine.add_event_handler("incorrect", lambda: None)
    assert "attempt to add event handler to an invalid event incorrect" in caplog.text

    class MyEngine(Engine):
        pass

    with pytest.raises(ValueError, match=r"is not a valid event for this MyEngine."):
        MyEngine(lambda e, b: None).add_event_handler(CustomEvents.TEST_EVENT, lambda: None)


class _CallableWithEngine:
    def __init__(self):
        self.calls = []

    def __call__(self, engine):
        self.calls.append(engine)


class _CallableNoEngine:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1


class _Obj:
    def __init__(self):
        self.got = []

    def method(self, engine, x):
        self.got.append((engine, x))

    def method_no_engine(self):
        self.got.append("noeng")


def test_handler_signature_negotiation():
    engine = Engine(lambda e, b: None)
    got = {}

    def no_args():
        got["no_args"] = ()

    def with_engine(engine):
        got["with_engine"] = engine

    def star(*a):
        got["star"] = a

    def default(x=1):
        got["default"] = x

    def engine_and_arg(engine, a):
        got["engine_and_arg"] = (engine, a)

    def arg_only(a, b=2):
        got.setdefault("arg_only", []).append((a, b))

    def kw(engine, *, key):
        got["kw"] = key

    def decorator(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        return wrapper

    @decorator
    def wrapped_no_engine():
        got["wrapped"] = ()

    partial = functools.partial(lambda tag, engine: got.__setitem__("partial", (tag, engine)), "p")
    ce, cn, obj = _CallableWithEngine(), _CallableNoEngine(), _Obj()
    mock = create_autospec(lambda engine: None)

    for h in (no_args, with_engine, star, default, wrapped_no_engine, ce, cn, obj.method_no_engine, mock):
        engine.add_event_handler(Events.STARTED, h)
    engine.add_event_handler(Events.STARTED, engine_and_arg, 5)
    engine.add_event_handler(Events.STARTED, arg_only, 7)
    engine.add_event_handler(Events.STARTED, arg_only, 7, b=8)
    engine.add_event_handler(Events.STARTED, kw, key="k")
    engine.add_event_handler(Events.STARTED, partial)
    engine.add_event_handler(Events.STARTED, obj.method, 3)

    with pytest.raises(ValueError, match=r"Error adding .+ 'handler': takes parameters \['engine', 'a'\] but will be"):
        engine.add_event_handler(Events.STARTED, engine_and_arg)
    with pytest.raises(ValueError, match="but will be called with"):
        engine.add_event_handler(Events.STARTED, no_args, 1)
    with pytest.raises(ValueError, match="but will be called with"):
        engine.add_event_handler(Events.STARTED, kw)

    engine.run([0])
    assert got["no_args"] == ()
    assert got["with_engine"] is engine
    assert got["star"] == (engine,)
    assert got["default"] is engine
    assert got["engine_and_arg"] == (engine, 5)
    assert got["arg_only"] == [(engine, 7), (7, 8)]  # (engine, 7) binds to (a, b)
    assert got["kw"] == "k"
    assert got["wrapped"] == ()
    assert got["partial"] == ("p", engine)
    assert ce.calls == [engine] and cn.calls == 1
    assert obj.got == ["noeng", (engine, 3)]
    mock.assert_called_once_with(engine)


def test_stored_triples_shape():
    engine = Engine(lambda e, b: None)

    def h(engine, a, k=None):
        pass

    def g():
        pass

    engine.add_event_handler(Events.STARTED, h, 1, k=2)
    engine.add_event_handler(Events.STARTED, g)
    (f1, a1, k1), (f2, a2, k2) = engine._event_handlers[Events.STARTED]
    assert f1 is h and isinstance(a1[0], weakref.ref) and a1[0]() is engine and a1[1:] == (1,) and k1 == {"k": 2}
    assert f2 is g and a2 == () and k2 == {}
    assert isinstance(engine._event_handlers, collections.defaultdict)
    assert Events.STARTED in engine._event_handlers
    assert "STARTED" in engine._event_handlers


def test_raw_triples_inserted_by_other_modules(mode):
    engine = Engine(lambda e, b: None)
    calls = []

    def with_engine(engine):
        calls.append(("raw_engine", engine))

    def bare():
        calls.append("bare")

    engine._event_handlers[Events.EPOCH_COMPLETED].append((with_engine, (engine,), {}))
    engine._event_handlers[Events.EPOCH_COMPLETED].append((bare, (), {}))
    engine._event_handlers[Events.EPOCH_COMPLETED].append((with_engine, (weakref.ref(engine),), {}))
    engine.run([1, 2], max_epochs=1)
    assert calls == [("raw_engine", engine), "bare", ("raw_engine", engine)]

    # entries replaced in place are honoured
    calls.clear()
    handlers = engine._event_handlers[Events.EPOCH_COMPLETED]
    handlers[1] = (lambda: calls.append("replaced"), (), {})
    engine.run([1, 2], max_epochs=1)
    assert calls == [("raw_engine", engine), "replaced", ("raw_engine", engine)]


def test_handler_order_and_duplicates(mode):
    engine = Engine(lambda e, b: None)
    calls = []

    def h1(engine):
        calls.append(1)

    def h2():
        calls.append(2)

    engine.add_event_handler(Events.EPOCH_COMPLETED, h1)
    engine.add_event_handler(Events.EPOCH_COMPLETED(every=1), h2)
    engine.add_event_handler(Events.EPOCH_COMPLETED, h1)
    assert len(engine._event_handlers[Events.EPOCH_COMPLETED]) == 3
    engine.run([0])
    assert calls == [1, 2, 1]


def test_on_decorator_returns_original_and_stacks():
    engine = Engine(lambda e, b: None)
    calls = []

    @engine.on(Events.STARTED)
    @engine.on(Events.COMPLETED, "x", k=1)
    def h(engine, tag=None, k=None):
        calls.append((engine.last_event_name, tag, k))

    assert h.__name__ == "h" and callable(h)
    engine.run([0])
    assert calls == [(Events.STARTED, None, None), (Events.COMPLETED, "x", 1)]


def test_events_list_registration(mode):
    engine = RecordingEngine()
    calls = []
    handle = engine.add_event_handler(
        Events.STARTED | Events.EPOCH_COMPLETED(every=2) | Events.COMPLETED,
        lambda e, x: calls.append((e.last_event_name.name, x)),
        9,
    )
    engine.run([1], max_epochs=4)
    assert calls == [(ST, 9), (EC, 9), (EC, 9), (CO, 9)]
    assert [c for c in engine.events if c[2] == EC] == [(1, 1, EC), (2, 2, EC), (3, 3, EC), (4, 4, EC)]
    handle.remove()
    calls.clear()
    engine.run([1], max_epochs=4)
    assert calls == []


def test_has_and_remove_event_handler():
    engine = Engine(lambda e, b: None)

    def foo(engine):
        pass

    def bar(engine):
        pass

    assert not engine.has_event_handler(foo)
    assert not engine.has_event_handler(foo, Events.STARTED)
    engine.add_event_handler(Events.STARTED, foo)
    engine.add_event_handler(Events.EPOCH_COMPLETED(every=3), bar)
    engine.add_event_handler(Events.EPOCH_COMPLETED, bar)
    assert engine.has_event_handler(foo)
    assert engine.has_event_handler(foo, Events.STARTED)
    assert not engine.has_event_handler(foo, Events.COMPLETED)
    assert engine.has_event_handler(bar, Events.EPOCH_COMPLETED)
    assert engine.has_event_handler(bar, Events.EPOCH_COMPLETED(once=2))
    assert engine.has_event_handler(bar)

    with pytest.raises(ValueError, match=r"^Input event name 'Events.ITERATION_COMPLETED' does not exist$"):
        engine.remove_event_handler(foo, Events.ITERATION_COMPLETED)
    with pytest.raises(ValueError, match=r"Input handler '.+' is not found among registered event handlers"):
        engine.remove_event_handler(bar, Events.STARTED)
    # removes every registration for the event name, regardless of filter
    engine.remove_event_handler(bar, Events.EPOCH_COMPLETED)
    assert not engine.has_event_handler(bar)
    assert engine._event_handlers[Events.EPOCH_COMPLETED] == []
    assert Events.EPOCH_COMPLETED in engine._event_handlers
    engine.remove_event_handler(foo, Events.STARTED)
    assert not engine.has_event_handler(foo)


def test_removed_handler_not_called(mode):
    engine = Engine(lambda e, b: None)
    calls = []

    def h(engine):
        calls.append(engine.state.epoch)
        if engine.state.epoch == 2:
            engine.remove_event_handler(h, Events.EPOCH_COMPLETED)

    engine.add_event_handler(Events.EPOCH_COMPLETED, h)
    engine.run([1], max_epochs=4)
    assert calls == [1, 2]


def test_args_and_kwargs_passed(mode):
    engine = Engine(lambda e, b: None)
    got = []

    def h(engine, a, b, c=None):
        got.append((engine, a, b, c))

    def n(a, c=None):
        got.append((a, c))

    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), h, 1, 2, c=3)
    engine.add_event_handler(Events.COMPLETED, n, "x", c="y")
    engine.run([0, 1])
    assert got == [(engine, 1, 2, 3), ("x", "y")]


def test_last_event_name(mode):
    engine = Engine(lambda e, b: None)
    seen = []
    engine.add_event_handler(Events.EPOCH_STARTED, lambda e: seen.append(e.last_event_name))
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: seen.append(e.last_event_name))
    engine.run([0])
    assert seen == [Events.EPOCH_STARTED, Events.ITERATION_COMPLETED]
    assert engine.last_event_name == Events.COMPLETED


# ---------------------------------------------------------------------------------------------- filters on a run


def test_filtered_handlers_on_run(mode):
    engine = Engine(lambda e, b: None)
    got = {"every": [], "once": [], "before_after": [], "every_after": [], "custom": [], "noeng": []}
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=3), lambda e: got["every"].append(e.state.iteration))
    engine.add_event_handler(Events.ITERATION_STARTED(once=[2, 11]), lambda e: got["once"].append(e.state.iteration))
    engine.add_event_handler(
        Events.ITERATION_COMPLETED(before=6, after=3), lambda e: got["before_after"].append(e.state.iteration)
    )
    engine.add_event_handler(
        Events.ITERATION_COMPLETED(every=4, after=2), lambda e: got["every_after"].append(e.state.iteration)
    )
    engine.add_event_handler(
        Events.EPOCH_COMPLETED(event_filter=lambda e, ev: ev in (1, 3)), lambda e: got["custom"].append(e.state.epoch)
    )
    engine.add_event_handler(Events.EPOCH_STARTED(every=2), lambda: got["noeng"].append("x"))
    engine.run(range(4), max_epochs=3)
    assert got["every"] == [3, 6, 9, 12]
    assert got["once"] == [2, 11]
    assert got["before_after"] == [4, 5]
    assert got["every_after"] == [3, 7, 11]
    assert got["custom"] == [1, 3]
    assert got["noeng"] == ["x"]


def test_get_batch_filters_see_completed_iterations(mode):
    engine = Engine(lambda e, b: None)
    got = []
    engine.add_event_handler(Events.GET_BATCH_STARTED(once=12), lambda e: got.append(("gbs", e.state.iteration)))
    engine.add_event_handler(Events.GET_BATCH_COMPLETED(every=5), lambda e: got.append(("gbc", e.state.iteration)))
    engine.run(range(20))
    # every=5 also fires at 0 (before the first fetch)
    assert got == [("gbc", 0), ("gbc", 5), ("gbc", 10), ("gbs", 12), ("gbc", 15)]


def test_filter_on_unmapped_event_raises_at_fire(mode):
    engine = Engine(lambda e, b: e.terminate())
    engine.add_event_handler(Events.TERMINATE(every=2), lambda: None)  # accepted at registration
    with pytest.raises(RuntimeError, match="Unknown event name"):
        engine.run([1, 2])


def test_filtered_handler_wrapper_attributes():
    engine = Engine(lambda e, b: None)

    def my_handler(engine):
        """doc"""

    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), my_handler)
    stored = engine._event_handlers[Events.ITERATION_COMPLETED][0][0]
    assert stored is not my_handler
    assert stored._parent() is my_handler
    assert stored.__name__ == "my_handler" and stored.__doc__ == "doc"


# ---------------------------------------------------------------------------------------------- traces §7.11


def test_trace_max_epochs(mode):
    engine = RecordingEngine()
    engine.run(["a", "b", "c"], max_epochs=2)
    expected = [(0, 0, ST), (1, 0, ES)]
    for i in (1, 2, 3):
        expected += _iteration(1, i)
    expected += [(1, 3, EC), (2, 3, ES), (2, 3, GBS), (2, 3, DSI), (2, 3, GBC), (2, 4, IS), (2, 4, IC)]
    expected += _iteration(2, 5) + _iteration(2, 6)
    expected += [(2, 6, EC), (2, 6, CO)]
    assert engine.events == expected
    assert engine.state.epoch == 2 and engine.state.iteration == 6
    assert engine.state.batch == "c" and engine.state.output == "c"
    assert engine._dataloader_iter is None


def test_trace_max_iters(mode):
    engine = RecordingEngine()
    engine.run(["a", "b", "c"], max_iters=4)
    expected = [(0, 0, ST), (1, 0, ES)] + _iteration(1, 1) + _iteration(1, 2) + _iteration(1, 3)
    expected += [(1, 3, EC), (2, 3, ES), (2, 3, GBS), (2, 3, DSI), (2, 3, GBC), (2, 4, IS), (2, 4, IC)]
    expected += [(2, 4, TE), (2, 4, CO)]
    assert engine.events == expected
    assert engine.should_terminate
    assert engine.state.max_iters == 4 and engine.state.max_epochs is None


def test_trace_no_data(mode):
    batches = []
    engine = RecordingEngine(lambda e, b: batches.append(b))
    engine.run(epoch_length=2, max_epochs=2)
    expected = [(0, 0, ST), (1, 0, ES)] + _iteration(1, 1, False) + _iteration(1, 2, False) + [(1, 2, EC)]
    expected += [(2, 2, ES)] + _iteration(2, 3, False) + _iteration(2, 4, False) + [(2, 4, EC), (2, 4, CO)]
    assert engine.events == expected
    assert batches == [None] * 4
    assert engine.state.dataloader is None


def test_trace_terminate_epoch(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.ITERATION_STARTED(once=2), lambda e: e.terminate_epoch())
    iter_counters = []
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda iter_counter: iter_counters.append(iter_counter))
    batches = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: batches.append(e.state.batch))
    engine.run(["a", "b", "c"], max_epochs=2)
    expected = [(0, 0, ST), (1, 0, ES)] + _iteration(1, 1)
    expected += [(1, 1, GBS), (1, 1, GBC), (1, 2, IS), (1, 2, TSE), (1, 2, EC), (2, 2, ES)]
    expected += _iteration(2, 3) + _iteration(2, 4) + _iteration(2, 5) + [(2, 5, EC), (2, 5, CO)]
    assert engine.events == expected
    assert iter_counters == [2]
    assert batches == ["a", "a", "b", "c"]  # epoch 2 starts at batch a


def test_trace_interrupt(mode):
    engine = RecordingEngine()
    if not mode:  # the legacy mode refuses interrupt
        with pytest.raises(RuntimeError, match="Engine 'interrupt/resume' feature is disabled"):
            engine.interrupt()
        return
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda e: e.interrupt())
    data = ["a", "b", "c"]
    engine.run(data, max_epochs=2)
    run1 = list(engine.events)
    assert run1 == [(0, 0, ST), (1, 0, ES)] + _iteration(1, 1) + _iteration(1, 2) + [(1, 2, INT)]
    assert engine.state.epoch == 1 and engine.state.iteration == 2
    engine.events.clear()
    engine.run(data)
    run2 = list(engine.events)
    assert run2[0] == (1, 2, GBS)
    assert run2 == _iteration(1, 3) + [(1, 3, EC), (2, 3, ES), (2, 3, GBS), (2, 3, DSI), (2, 3, GBC)] + [
        (2, 4, IS),
        (2, 4, IC),
        (2, 4, INT),
    ]
    engine.events.clear()
    engine.run(data)
    assert engine.events == _iteration(2, 5) + _iteration(2, 6) + [(2, 6, INT)]
    engine.events.clear()
    engine.run(data)
    assert engine.events == [(2, 6, EC), (2, 6, CO)]
    # a further run restarts (done state)
    engine.events.clear()
    engine.run(data, max_epochs=2)
    assert engine.events[:2] == [(0, 0, ST), (1, 0, ES)]


# ---------------------------------------------------------------------------------------------- run arguments


def test_run_argument_errors(mode):
    engine = Engine(lambda e, b: None)
    with pytest.raises(TypeError, match=r"^Argument data should be iterable$"):
        engine.run(12)
    with pytest.raises(
        ValueError,
        match=r"^Arguments max_iters and max_epochs are mutually exclusive. "
        r"Please provide only max_epochs or max_iters.$",
    ):
        engine.run([1], max_epochs=1, max_iters=1)
    with pytest.raises(ValueError, match=r"^epoch_length should be provided if data is None$"):
        engine.run()
    with pytest.raises(ValueError, match=r"^Input data has zero size. Please provide non-empty data$"):
        engine.run([])
    with pytest.raises(ValueError, match=r"^Input data has zero size. Please provide non-empty data$"):
        engine.run([1], epoch_length=0)


def test_run_mode_switch_errors(mode):
    engine = Engine(lambda e, b: None)
    engine.run([1, 2], max_epochs=2)
    with pytest.raises(
        ValueError,
        match=r"^To switch from max_epochs to max_iters mode during resume, you must first reset by setting "
        r"'engine.state.max_epochs = None' before calling run\(\).$",
    ):
        engine.run([1, 2], max_iters=3)
    engine.state.max_epochs = None
    engine.run([1, 2], max_iters=3)
    assert engine.state.iteration == 3
    with pytest.raises(
        ValueError,
        match=r"^To switch from max_iters to max_epochs mode during resume, you must first reset by setting "
        r"'engine.state.max_iters = None' before calling run\(\).$",
    ):
        engine.run([1, 2], max_epochs=3)


def test_run_max_value_errors(mode):
    engine = Engine(lambda e, b: None)
    engine.run([1, 2], max_epochs=3)
    with pytest.raises(
        ValueError, match=r"^Argument max_epochs is invalid. Please, set a correct max_epochs positive value$"
    ):
        engine.run([1, 2], max_epochs=0)
    with pytest.raises(
        ValueError,
        match=r"^Argument max_epochs should be greater than or equal to the start epoch defined in the state: "
        r"2 vs 3. Please, set engine.state.max_epochs = None before calling engine.run\(\) in order to restart "
        r"the training from the beginning.$",
    ):
        engine.run([1, 2], max_epochs=2)
    engine2 = Engine(lambda e, b: None)
    engine2.run([1, 2], max_iters=5)
    with pytest.raises(
        ValueError, match=r"^Argument max_iters is invalid. Please, set a correct max_iters positive value$"
    ):
        engine2.run([1, 2], max_iters=-1)
    with pytest.raises(
        ValueError,
        match=r"Argument max_iters should be greater than or equal to the start iteration defined in the state: 4 vs 5",
    ):
        engine2.run([1, 2], max_iters=4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_epochs": -1}, r"^Argument max_epochs is invalid. Please, set a correct max_epochs positive value$"),
        ({"max_epochs": 2.5}, r"^Argument max_epochs should be an integer, but given 2.5$"),
        ({"max_epochs": True}, r"^Argument max_epochs should be an integer, but given True$"),
        ({"max_iters": 0}, r"^Argument max_iters is invalid. Please, set a correct max_iters positive value$"),
        ({"max_iters": -3}, r"^Argument max_iters is invalid. Please, set a correct max_iters positive value$"),
        ({"max_iters": 2.5}, r"^Argument max_iters should be an integer, but given 2.5$"),
        ({"epoch_length": 2.5}, r"^Argument epoch_length should be an integer, but given 2.5$"),
        ({"epoch_length": 2.5, "max_iters": 4}, r"^Argument epoch_length should be an integer, but given 2.5$"),
    ],
)
def test_run_rejects_stop_criteria_the_spec_leaves_undefined(mode, kwargs, match):
    """Issue 12 §2.4: values the spec gives no meaning (``epoch_length=2.5`` used to hang) raise at once."""
    engine = RecordingEngine()
    with pytest.raises(ValueError, match=match):
        engine.run([1, 2], **kwargs)
    assert engine.events == []
    # data=None with a fractional epoch length hung forever before the check
    with pytest.raises(ValueError, match=match):
        engine.run(None, **{"epoch_length": 2, **kwargs})


def test_run_accepts_integral_numbers(mode):
    import numpy as np

    state = Engine(lambda e, b: None).run([1, 2], max_epochs=np.int64(2), epoch_length=np.int32(2))
    assert (state.epoch, state.iteration) == (2, 4)


def test_first_run_max_epochs_zero(mode):
    engine = RecordingEngine()
    engine.run([1, 2], max_epochs=0)
    assert engine.events == [(0, 0, ST), (0, 0, CO)]


def test_run_logs(mode, caplog):
    engine = Engine(lambda e, b: None)
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.Engine"):
        engine.run([1, 2], max_epochs=2)
        engine.run([1, 2], max_epochs=3)
        engine.state.max_epochs = None
        engine.run([1, 2], max_iters=3)
        engine.run([1, 2], max_iters=5)
    msgs = [r.getMessage() for r in caplog.records]
    assert "Engine run starting with max_epochs=2." in msgs
    assert "Engine run resuming from iteration 4, epoch 2 until 3 epochs" in msgs
    assert "Engine run starting with max_iters=3." in msgs
    assert "Engine run resuming from iteration 3, epoch 2 until 5 iterations" in msgs
    assert any(m.startswith("Epoch[1] Complete. Time taken: 00:00:0") for m in msgs)
    assert any(m.startswith("Engine run finished. Time taken: 00:00:0") for m in msgs)


def test_rerun_finished_engine_restarts(mode):
    engine = RecordingEngine()
    engine.run([1, 2, 3], max_epochs=2)
    engine.events.clear()
    state = engine.run([1, 2, 3])
    assert state.max_epochs == 1 and state.epoch == 1 and state.iteration == 3
    assert engine.events[0] == (0, 0, ST)
    # same max_epochs: done -> restart from 0
    engine.run([1, 2, 3], max_epochs=2)
    engine.events.clear()
    engine.run([1, 2, 3], max_epochs=2)
    assert engine.events[0] == (0, 0, ST) and engine.state.iteration == 6


def test_continue_training_larger_max_epochs(mode):
    engine = RecordingEngine()
    engine.run([1, 2, 3], max_epochs=2)
    engine.events.clear()
    engine.run([1, 2, 3], max_epochs=4)
    assert engine.events[0] == (2, 6, ST)
    assert engine.events[1] == (3, 6, ES)
    assert engine.state.epoch == 4 and engine.state.iteration == 12


def test_state_attributes_survive_new_run(mode):
    engine = Engine(lambda e, b: None)
    engine.state.alpha = 3.0
    engine.state.metrics["m"] = 1
    seen = []
    engine.add_event_handler(Events.STARTED, lambda e: seen.append((e.state.alpha, dict(e.state.metrics))))
    engine.add_event_handler(Events.COMPLETED, lambda e: seen.append(e.state.alpha))
    engine.run([1, 2])
    assert seen == [(3.0, {"m": 1}), 3.0]


def test_state_replaced_wholesale(mode):
    engine = Engine(lambda e, b: None)
    engine.run([1, 2])
    engine.state = State()
    calls = []
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda e: calls.append(e.state.iteration))
    engine.run([1, 2, 3, 4])
    assert calls == [2, 4] and engine.state.iteration == 4


def test_is_done():
    s = State()
    assert not Engine._is_done(s)
    s.max_iters, s.iteration = 5, 5
    assert Engine._is_done(s)
    s = State(epoch_length=3, max_epochs=2, iteration=6)
    assert Engine._is_done(s)
    s = State(max_epochs=2, epoch=2)
    assert Engine._is_done(s)
    s = State(max_epochs=2, epoch=1, epoch_length=3, iteration=5)
    assert not Engine._is_done(s)


# ---------------------------------------------------------------------------------------------- epoch length / data


def _count_event(engine, name):
    return sum(1 for *_, n in engine.events if n == name)


@pytest.mark.parametrize("epoch_length, expected", [(50, 2), (150, 7), (100, 4)])
def test_dataloader_stop_iteration_count(mode, epoch_length, expected):
    engine = RecordingEngine()
    engine.run(list(range(100)), max_epochs=5, epoch_length=epoch_length)
    assert _count_event(engine, DSI) == expected
    assert engine.state.iteration == epoch_length * 5


def test_epoch_length_smaller_continues_data(mode):
    batches = []
    engine = Engine(lambda e, b: batches.append(b))
    engine.run(list(range(5)), max_epochs=3, epoch_length=2)
    assert batches == [0, 1, 2, 3, 4, 0]


def test_epoch_length_larger_restarts_inside_epoch(mode):
    batches = []
    engine = RecordingEngine(lambda e, b: batches.append(b))
    engine.run([0, 1, 2], max_epochs=2, epoch_length=4)
    assert batches == [0, 1, 2, 0, 1, 2, 0, 1]
    assert engine.events[0:2] == [(0, 0, ST), (1, 0, ES)]
    # the restart inside epoch 1 (no GET_BATCH_STARTED retry)
    assert engine.events[14:18] == [(1, 3, GBS), (1, 3, DSI), (1, 3, GBC), (1, 4, IS)]


def test_infinite_iterator_with_epoch_length(mode):
    def infinite():
        i = 0
        while True:
            yield i
            i += 1

    engine = RecordingEngine()
    engine.run(infinite(), max_epochs=3, epoch_length=5)
    assert engine.state.iteration == 15 and engine.state.batch == 14
    assert _count_event(engine, DSI) == 0


def test_infinite_iterator_terminate(mode):
    def infinite():
        while True:
            yield 1

    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=15), lambda e: e.terminate())
    state = engine.run(infinite())
    assert state.epoch == 1 and state.iteration == 15
    assert state.epoch_length is None


def test_finite_iterator_unknown_size(mode):
    engine = RecordingEngine()
    completed = []
    engine.add_event_handler(Events.COMPLETED, lambda: completed.append(1))
    state = engine.run(iter(range(7)))
    assert state.epoch == 1 and state.iteration == 7 and state.epoch_length == 7
    assert completed == [1]
    assert _count_event(engine, DSI) == 0  # first exhaustion: no DATALOADER_STOP_ITERATION
    assert engine.events[-2:] == [(1, 7, EC), (1, 7, CO)]


def test_one_shot_iterator_several_epochs(mode):
    outputs = []
    engine = RecordingEngine(lambda e, b: outputs.append(b) or b * 10)
    with pytest.warns(UserWarning, match="Data iterator can not provide data anymore") as record:
        state = engine.run(iter([1, 2, 3, 4]), max_epochs=3)
    messages = [str(w.message) for w in record if "Data iterator" in str(w.message)]
    assert messages == [
        "Data iterator can not provide data anymore but required total number of iterations to run is not "
        "reached. Current iteration: 4 vs Total iterations to run : 12"
    ]
    assert state.epoch == 3 and state.iteration == 4 and state.output == 40
    assert outputs == [1, 2, 3, 4]
    tail = [(2, 4, ES), (2, 4, GBS), (2, 4, DSI), (2, 4, EC), (3, 4, ES), (3, 4, GBS), (3, 4, DSI), (3, 4, EC)]
    assert engine.events[-9:] == tail + [(3, 4, CO)]


def test_one_shot_iterator_max_iters_warning(mode):
    engine = Engine(lambda e, b: None)
    with pytest.warns(UserWarning, match="Current iteration: 3 vs Total iterations to run : 10"):
        state = engine.run(iter([1, 2, 3]), max_iters=10)
    assert state.iteration == 3


def test_unknown_length_max_iters(mode):
    engine = Engine(lambda e, b: None)
    state = engine.run(iter(range(10)), max_iters=4)
    assert state.iteration == 4 and state.epoch_length is None and state.max_epochs is None

    def gen():
        yield from range(3)

    engine2 = Engine(lambda e, b: None)
    engine2.add_event_handler(Events.DATALOADER_STOP_ITERATION, lambda e: setattr(e.state, "dataloader", gen()))
    state = engine2.run(gen(), max_iters=7)
    assert state.iteration == 7 and state.epoch_length == 3 and state.max_epochs == 3


def test_restart_finite_generator_in_stop_iteration_handler(mode):
    def gen(n):
        yield from range(n)

    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.DATALOADER_STOP_ITERATION, lambda e: setattr(e.state, "dataloader", gen(11)))
    state = engine.run(gen(11), max_epochs=5)
    assert state.epoch == 5 and state.iteration == 55


def test_restart_finite_generator_at_iteration_completed(mode):
    def gen(n):
        yield from range(n)

    engine = Engine(lambda e, b: None)

    @engine.on(Events.ITERATION_COMPLETED(every=6))
    def restart(e):
        e.state.dataloader = gen(6)

    state = engine.run(gen(6), max_epochs=3, epoch_length=6)
    assert state.epoch == 3 and state.iteration == 18


def test_output_reset_and_batch(mode):
    seen = []
    engine = Engine(lambda e, b: b * 2)
    engine.add_event_handler(Events.GET_BATCH_STARTED, lambda e: seen.append(("gbs", e.state.batch, e.state.output)))
    engine.add_event_handler(Events.GET_BATCH_COMPLETED, lambda e: seen.append(("gbc", e.state.batch, e.state.output)))
    engine.run([1, 2])
    assert seen == [("gbs", None, None), ("gbc", 1, None), ("gbs", None, 2), ("gbc", 2, None)]
    assert engine.state.batch == 2 and engine.state.output == 4


def test_iteration_started_may_replace_batch(mode):
    got = []
    engine = Engine(lambda e, b: got.append(b))
    engine.add_event_handler(Events.ITERATION_STARTED, lambda e: setattr(e.state, "batch", e.state.batch + 100))
    engine.run([1, 2])
    assert got == [101, 102]


def test_setup_engine_init_iter():
    engine = Engine(lambda e, b: None)
    engine.state.iteration = 10
    engine.state.epoch_length = 100
    engine.state.dataloader = list(range(100))
    engine._setup_engine()
    assert engine._init_iter == 10
    engine2 = Engine(lambda e, b: None)
    engine2.state.iteration = 10
    engine2.state.epoch_length = None
    engine2.state.dataloader = iter(range(3))
    engine2._setup_engine()
    assert engine2._init_iter == 10


def test_setup_dataloader_iter_none_without_length():
    engine = Engine(lambda e, b: None)
    with pytest.raises(RuntimeError):
        engine._setup_dataloader_iter()
    engine.state.epoch_length = 2
    engine._setup_dataloader_iter()
    assert list(engine._dataloader_iter) == [None, None]


def test_get_data_length():
    from torch.utils.data import DataLoader, IterableDataset

    class DS(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    engine = Engine(lambda e, b: None)
    assert engine._get_data_length([1, 2, 3]) == 3
    assert engine._get_data_length(iter([1])) is None
    assert engine._get_data_length(DataLoader(DS())) is None
    assert engine._get_data_length(range(7)) == 7


def test_set_data(mode):
    got = []
    engine = Engine(lambda e, b: got.append(b))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.set_data(["x", "y", "z", "w"]))
    engine.run([1, 2, 3, 4], max_epochs=2)
    assert got == [1, 2, "x", "y", "z", "w", "x", "y"]
    assert engine.state.epoch_length == 4


# ---------------------------------------------------------------------------------------------- terminate


def test_terminate_at_started(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.STARTED, lambda e: e.terminate())
    engine.run([1, 2, 3], max_epochs=2)
    assert engine.events == [(0, 0, ST), (0, 0, TE), (0, 0, CO)]
    assert engine.should_terminate


@pytest.mark.parametrize(
    "event, trigger, epoch, iteration",
    [
        (Events.EPOCH_STARTED(once=2), ES, 2, 3),
        (Events.EPOCH_COMPLETED(once=2), EC, 2, 6),
        (Events.GET_BATCH_STARTED(once=4), GBS, 2, 4),
        (Events.GET_BATCH_COMPLETED(once=4), GBC, 2, 4),
        (Events.ITERATION_STARTED(once=5), IS, 2, 5),
        (Events.ITERATION_COMPLETED(once=5), IC, 2, 5),
        (Events.DATALOADER_STOP_ITERATION, DSI, 2, 3),
    ],
)
def test_terminate_at_events(mode, event, trigger, epoch, iteration):
    engine = RecordingEngine()
    engine.add_event_handler(event, lambda e: e.terminate())
    state = engine.run([1, 2, 3], max_epochs=4)
    assert engine.events[-3:] == [(epoch, iteration, trigger), (epoch, iteration, TE), (epoch, iteration, CO)]
    assert state.epoch == epoch and state.iteration == iteration
    assert engine.should_terminate is True
    # no EPOCH_COMPLETED for the cut epoch unless triggered by it
    n_ec = _count_event(engine, EC)
    assert n_ec == (2 if trigger == EC else 1)


def test_terminate_skip_completed(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate(skip_completed=True))
    engine.run([1, 2, 3], max_epochs=2)
    assert engine.events[-2:] == [(1, 2, IC), (1, 2, TE)]
    assert engine.should_terminate == "skip_completed"


def test_terminate_at_completed_no_effect(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.COMPLETED, lambda e: e.terminate())
    engine.run([1, 2])
    assert engine.events[-1] == (1, 2, CO) and _count_event(engine, TE) == 0


def test_terminate_log(mode, caplog):
    engine = Engine(lambda e, b: e.terminate())
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.Engine"):
        engine.run([1, 2])
    assert "Terminate signaled. Engine will stop after current iteration is finished." in caplog.messages


def test_terminate_then_resume(mode):
    got = []
    engine = Engine(lambda e, b: got.append((e.state.epoch, e.state.iteration, b)))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=14), lambda e: e.terminate())
    state = engine.run(range(10), max_epochs=4)
    assert state.epoch == 2 and state.iteration == 14
    got.clear()
    state = engine.run(range(10))
    assert got[0] == (3, 15, 0)
    assert got[-1] == (4, 34, 9)
    assert len(got) == 20
    assert state.epoch == 4 and state.iteration == 34


def test_terminate_at_epoch_started_then_resume(mode):
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.EPOCH_STARTED(once=3), lambda e: e.terminate())
    state = engine.run(range(10), max_epochs=5)
    assert state.epoch == 3 and state.iteration == 20
    state = engine.run(range(10))
    assert state.iteration == 10 * (5 - 1)  # epoch 3 counts as done
    assert state.epoch == 5


def test_max_iters_resume(mode):
    engine = Engine(lambda e, b: None)
    engine.load_state_dict({"epoch_length": 10, "iteration": 15, "max_iters": 25})
    state = engine.run(range(10))
    assert state.iteration == 25 and state.epoch == 3


# ---------------------------------------------------------------------------------------------- terminate_epoch


@pytest.mark.parametrize("skip", [False, True])
def test_terminate_epoch_counts(mode, skip):
    engine = RecordingEngine()
    engine.add_event_handler(Events.ITERATION_STARTED(once=14), lambda e: e.terminate_epoch(skip))
    flags = []
    engine.add_event_handler(Events.EPOCH_STARTED, lambda e: flags.append(e.should_terminate_single_epoch))
    counters = []
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda e, iter_counter: counters.append(iter_counter))
    state = engine.run(range(10), max_epochs=3)
    assert state.epoch == 3 and state.iteration == 24
    assert _count_event(engine, EC) == (2 if skip else 3)
    assert _count_event(engine, TSE) == 1
    assert counters == [4]
    assert flags == [False, False, False]
    assert engine.should_terminate_single_epoch is False


def test_terminate_epoch_flag_values():
    engine = Engine(lambda e, b: None)
    engine.terminate_epoch()
    assert engine.should_terminate_single_epoch is True
    engine.terminate_epoch(skip_epoch_completed=True)
    assert engine.should_terminate_single_epoch == "skip_epoch_completed"
    engine.terminate()
    assert engine.should_terminate is True


@pytest.mark.parametrize(
    "event, trigger, iteration",
    [
        (Events.GET_BATCH_STARTED(once=1), GBS, 1),
        (Events.GET_BATCH_COMPLETED(once=1), GBC, 1),
        (Events.ITERATION_STARTED(once=2), IS, 2),
        (Events.ITERATION_COMPLETED(once=2), IC, 2),
    ],
)
def test_terminate_epoch_at_events(mode, event, trigger, iteration):
    engine = RecordingEngine()
    engine.add_event_handler(event, lambda e: e.terminate_epoch())
    engine.run([1, 2, 3], max_epochs=2)
    i = engine.events.index((1, iteration, trigger))
    assert engine.events[i + 1 : i + 4] == [(1, iteration, TSE), (1, iteration, EC), (2, iteration, ES)]
    assert engine.events[-1][2] == CO
    assert engine.state.epoch == 2


def test_terminate_epoch_at_stop_iteration(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.DATALOADER_STOP_ITERATION, lambda e: e.terminate_epoch())
    state = engine.run([1, 2, 3], max_epochs=3)
    assert (2, 3, TSE) in engine.events
    assert state.epoch == 3


@pytest.mark.parametrize("event", [Events.STARTED, Events.EPOCH_STARTED])
def test_terminate_epoch_at_started_raises(mode, event):
    engine = RecordingEngine()
    engine.add_event_handler(event, lambda e: e.terminate_epoch())
    msg = (
        "The method terminate_epoch() should not be called on Event.STARTED or Event.EPOCH_STARTED."
        "If this is a desired behaviour, please open a feature request on"
        "https://github.com/pytorch/ignite/issues/new/choose"
    )
    with pytest.raises(RuntimeError) as exc_info:
        engine.run([1, 2])
    assert str(exc_info.value) == msg

    # routed like any exception
    engine2 = RecordingEngine()
    engine2.add_event_handler(event, lambda e: e.terminate_epoch())
    errors = []
    engine2.add_event_handler(Events.EXCEPTION_RAISED, lambda e, exc: errors.append(exc))
    engine2.run([1, 2])
    assert len(errors) == 1 and str(errors[0]) == msg


def test_terminate_epoch_at_epoch_completed_cleared(mode):
    engine = RecordingEngine()
    engine.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda e: e.terminate_epoch())
    state = engine.run([1, 2], max_epochs=3)
    assert state.iteration == 6 and _count_event(engine, TSE) == 0
    assert engine.should_terminate_single_epoch is False


def test_terminate_epoch_log(mode, caplog):
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: e.terminate_epoch())
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.Engine"):
        engine.run([1, 2])
    assert (
        "Terminate current epoch is signaled. Current epoch iteration will stop after current iteration is finished."
        in caplog.messages
    )


def test_priority_terminate_over_terminate_epoch(mode):
    engine = RecordingEngine()

    @engine.on(Events.ITERATION_COMPLETED(once=2))
    def both(e):
        e.terminate_epoch()
        e.terminate()

    engine.run([1, 2, 3], max_epochs=2)
    assert _count_event(engine, TSE) == 0
    assert engine.events[-2:] == [(1, 2, TE), (1, 2, CO)]


# ---------------------------------------------------------------------------------------------- interrupt


def test_interrupt_disabled(mode):
    engine = Engine(lambda e, b: None)
    if mode:
        engine.interrupt()
        assert engine.should_interrupt is True
        return
    with pytest.raises(
        RuntimeError,
        match=r"^Engine 'interrupt/resume' feature is disabled. "
        r"Please, set Engine.interrupt_resume_enabled=True to enable it$",
    ):
        engine.interrupt()
    # legacy mode ignores the flag in checks
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: setattr(e, "should_interrupt", True))
    state = engine.run([1, 2], max_epochs=2)
    assert state.iteration == 4


@pytest.mark.parametrize(
    "every, stops", [(11, [(2, 11), (3, 22), (3, 30)]), (6, [(1, 6), (2, 12), (2, 18), (3, 24), (3, 30)])]
)
def test_interrupt_resume_sequence(every, stops):
    data = list(range(10))
    batches = []
    engine = Engine(lambda e, b: batches.append((e.state.iteration, b)))
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=every), lambda e: e.interrupt())
    got = []
    for _ in range(len(stops)):
        state = engine.run(data, max_epochs=3)
        got.append((state.epoch, state.iteration))
        assert engine.should_interrupt is False
    assert got == stops
    assert batches == [(i, data[(i - 1) % 10]) for i in range(1, 31)]


@pytest.mark.parametrize(
    "event, trigger",
    [
        (Events.EPOCH_STARTED(once=2), ES),
        (Events.EPOCH_COMPLETED(once=2), EC),
        (Events.GET_BATCH_STARTED(once=12), GBS),
        (Events.GET_BATCH_COMPLETED(once=12), GBC),
        (Events.ITERATION_STARTED(once=12), IS),
        (Events.ITERATION_COMPLETED(once=12), IC),
        (Events.STARTED, ST),
        (Events.DATALOADER_STOP_ITERATION(event_filter=lambda e, v: True), DSI),
    ],
)
def test_interrupt_at_events_concatenates(event, trigger):
    reference = RecordingEngine()
    reference.run(range(10), max_epochs=3)

    engine = RecordingEngine()
    if trigger == DSI:
        handler_event = Events.DATALOADER_STOP_ITERATION
        fired = []

        def h(e):
            if not fired:
                fired.append(1)
                e.interrupt()

        engine.add_event_handler(handler_event, h)
    else:
        engine.add_event_handler(event, lambda e: e.interrupt())
    engine.run(range(10), max_epochs=3)
    first = list(engine.events)
    assert first[-1][2] == INT and first[-2][2] == trigger
    assert first[-1][:2] == first[-2][:2]
    engine.run(range(10), max_epochs=3)
    combined = [ev for ev in engine.events if ev[2] != INT]
    assert combined == reference.events


def test_interrupt_resume_ignores_data_and_applies_larger_max_epochs():
    engine = Engine(lambda e, b: b)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=1)
    state = engine.run(["x", "y", "z"], max_epochs=2)
    assert state.epoch == 2 and state.iteration == 6
    # the data argument is ignored: the live iterator, then state.dataloader, keep being used
    assert state.dataloader == [1, 2, 3] and state.output == 3


def test_interrupt_no_started_on_resume():
    engine = RecordingEngine()
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=2)
    engine.events.clear()
    engine.run([1, 2, 3], max_epochs=2)
    assert _count_event(engine, ST) == 0


def test_interrupt_then_force_new_state():
    engine = RecordingEngine()
    errors = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e, exc: errors.append(exc))
    handle = engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=2)
    handle.remove()
    engine.state.max_epochs = None
    engine.events.clear()
    state = engine.run([7, 8, 9], max_epochs=3)
    assert engine.events[:2] == [(0, 0, ST), (1, 0, ES)]
    assert state.epoch == 3 and state.iteration == 9 and state.batch == 9
    assert errors == []


def test_interrupt_resumed_run_done_state_finishes():
    engine = RecordingEngine()
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=1)
    assert engine.events[-1] == (1, 3, INT)
    assert Engine._is_done(engine.state)
    engine.events.clear()
    engine.run([1, 2, 3])
    assert engine.events == [(1, 3, EC), (1, 3, CO)]


def test_interrupt_log(caplog):
    engine = Engine(lambda e, b: e.interrupt())
    with caplog.at_level(logging.INFO, logger="ignite.engine.engine.Engine"):
        engine.run([1, 2])
    assert any("nterrupt" in m for m in caplog.messages)


# ---------------------------------------------------------------------------------------------- exceptions


def _raise(exc):
    raise exc


def test_exception_propagates_without_handlers(mode):
    engine = Engine(lambda e, b: _raise(ValueError("boom")))
    with pytest.raises(ValueError, match="boom"):
        engine.run([1, 2])
    assert engine._dataloader_iter is None
    # the engine can run again afterwards
    engine2 = Engine(lambda e, b: None)
    engine2.add_event_handler(Events.EPOCH_COMPLETED, lambda: _raise(KeyError("k")))
    with pytest.raises(KeyError):
        engine2.run([1, 2])


@pytest.mark.parametrize(
    "event",
    [
        Events.STARTED,
        Events.EPOCH_STARTED,
        Events.GET_BATCH_STARTED,
        Events.GET_BATCH_COMPLETED,
        Events.ITERATION_STARTED,
        Events.ITERATION_COMPLETED,
        Events.EPOCH_COMPLETED,
        Events.COMPLETED,
        Events.DATALOADER_STOP_ITERATION,
    ],
)
def test_exception_in_handlers_propagates(mode, event):
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(event, lambda: _raise(ValueError(event.name)))
    with pytest.raises(ValueError, match=event.name):
        engine.run([1, 2], max_epochs=2)


def test_exception_logs(mode, caplog):
    engine = Engine(lambda e, b: _raise(ValueError("inner")))
    with caplog.at_level(logging.ERROR, logger="ignite.engine.engine.Engine"):
        with pytest.raises(ValueError):
            engine.run([1])
    assert "Current run is terminating due to exception: inner" in caplog.messages
    caplog.clear()
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.STARTED, lambda: _raise(ValueError("outer")))
    with caplog.at_level(logging.ERROR, logger="ignite.engine.engine.Engine"):
        with pytest.raises(ValueError):
            engine.run([1])
    assert caplog.messages == ["Engine run is terminating due to exception: outer"]


def test_exception_raised_handler_swallows_inner(mode):
    engine = RecordingEngine(lambda e, b: _raise(ValueError("x")) if e.state.iteration == 2 else b)
    got = []

    @engine.on(Events.EXCEPTION_RAISED)
    def on_exc(engine, e):
        got.append((engine.state.epoch, engine.state.iteration, type(e)))

    state = engine.run([1, 2, 3], max_epochs=3)
    assert got == [(1, 2, ValueError)]
    # epoch 1 ended at the failing iteration, then the run went on from the same iterator position
    assert (1, 2, EXC) in engine.events
    i = engine.events.index((1, 2, EXC))
    assert engine.events[i + 1 : i + 3] == [(1, 2, EC), (2, 2, ES)]
    assert engine.events[i + 3] == (2, 2, GBS)
    assert state.epoch == 3


def test_exception_raised_single_call_max_epochs_1(mode):
    engine = Engine(lambda e, b: _raise(ValueError("x")))
    seen = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: seen.append(e))
    engine.run([1, 2, 3], max_epochs=1)
    assert len(seen) == 1 and isinstance(seen[0], ValueError)


def test_exception_raised_handler_outer_level(mode):
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda: _raise(RuntimeError("outer")))
    got = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e, exc: got.append(str(exc)))
    state = engine.run([1, 2], max_epochs=3)
    assert got == ["outer"]
    assert state.epoch == 1  # the outer level ends the run
    assert engine._dataloader_iter is None


def test_reraising_exception_handler_runs_once(mode):
    """Beyond upstream (spec §13.1): a re-raising EXCEPTION_RAISED handler is invoked once."""
    engine = Engine(lambda e, b: _raise(ValueError("x")))
    calls = []

    @engine.on(Events.EXCEPTION_RAISED)
    def reraise(e):
        calls.append(e)
        raise e

    with pytest.raises(ValueError, match="x"):
        engine.run([1, 2])
    assert len(calls) == 1


def test_handler_raising_other_exception_from_exception_handler(mode):
    engine = Engine(lambda e, b: _raise(ValueError("x")))
    calls = []

    @engine.on(Events.EXCEPTION_RAISED)
    def convert(e):
        calls.append(type(e))
        raise KeyError("converted")

    with pytest.raises(KeyError, match="converted"):
        engine.run([1, 2])
    assert calls[0] is ValueError


def test_exceptions_not_swallowed_after_removing_last_handler(mode):
    """Beyond upstream (spec §13.2)."""
    engine = Engine(lambda e, b: _raise(ValueError("x")))

    def h(e):
        pass

    engine.add_event_handler(Events.EXCEPTION_RAISED, h)
    engine.remove_event_handler(h, Events.EXCEPTION_RAISED)
    with pytest.raises(ValueError, match="x"):
        engine.run([1, 2])


def test_keyboard_interrupt_routed(mode):
    engine = Engine(lambda e, b: _raise(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        engine.run([1])


def test_terminate_signals_not_routed_to_exception_handlers(mode):
    engine = Engine(lambda e, b: None)
    errors = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda exc: errors.append(exc))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate_epoch())
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=4), lambda e: e.terminate())
    engine.run([1, 2, 3], max_epochs=3)
    assert errors == []


# ---------------------------------------------------------------------------------------------- times


class FakeClock:
    """Stands in for the ``time`` module of ``ignite.engine.engine``: ``time()`` reads a clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    import ignite.engine.engine as engine_module

    fake = FakeClock()
    monkeypatch.setattr(engine_module, "time", fake)
    return fake


def test_times(mode, clock):
    engine = Engine(lambda e, b: clock.sleep(0.25))
    seen = {}

    @engine.on(Events.EPOCH_COMPLETED)
    def on_ec(e):
        seen["ec"] = e.state.times["EPOCH_COMPLETED"]
        clock.sleep(0.5)

    @engine.on(Events.COMPLETED)
    def on_c(e):
        seen["c"] = e.state.times["COMPLETED"]
        clock.sleep(2.0)

    @engine.on(Events.STARTED)
    def on_s(e):
        seen["s"] = dict(e.state.times)

    engine.run(range(3), max_epochs=1)
    assert seen["s"] == {"EPOCH_COMPLETED": 0.0, "COMPLETED": 0.0}
    assert seen["ec"] == pytest.approx(0.75)  # the epoch's three iterations
    assert engine.state.times["EPOCH_COMPLETED"] == pytest.approx(1.25)  # then its handlers too
    assert seen["c"] == pytest.approx(1.25)
    assert engine.state.times["COMPLETED"] == pytest.approx(3.25)
    assert set(engine.state.times) == {"EPOCH_COMPLETED", "COMPLETED"}


def test_init_timers():
    s = State()
    Engine._init_timers(s)
    assert s.times == {"EPOCH_COMPLETED": 0.0, "COMPLETED": 0.0}


# ---------------------------------------------------------------------------------------------- memory


class _CountedEngine(Engine):
    deleted = 0

    def __del__(self):
        type(self).deleted += 1


def test_engine_freed_by_refcount_plain_and_with_handler(mode):
    _CountedEngine.deleted = 0
    engine = _CountedEngine(lambda e, b: None)
    engine.run([1, 2], max_epochs=2)
    del engine
    assert _CountedEngine.deleted == 1

    engine = _CountedEngine(lambda e, b: None)

    @engine.on(Events.EPOCH_COMPLETED)
    def h(e):
        pass

    engine.run([1, 2], max_epochs=2)
    del engine
    assert _CountedEngine.deleted == 2


def test_engine_with_filtered_handler_freed_by_refcount(mode):
    """Beyond upstream (spec §13.15)."""
    _CountedEngine.deleted = 0
    engine = _CountedEngine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda e: None)
    engine.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(event_filter=lambda e, v: True), lambda x: None, 1)
    engine.run([1, 2, 3], max_epochs=2)
    del engine
    assert _CountedEngine.deleted == 1


def test_engine_freed_after_terminate_epoch_and_exception(mode):
    _CountedEngine.deleted = 0
    engine = _CountedEngine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: e.terminate_epoch())
    engine.run([1, 2, 3], max_epochs=2)
    del engine
    assert _CountedEngine.deleted == 1


def test_dead_engine_reference_raises():
    engine = Engine(lambda e, b: None)

    def h(engine):
        pass

    other = Engine(lambda e, b: None)
    other.add_event_handler(Events.STARTED, h)
    # copy the stored triple (weak engine reference) onto another engine, then kill the owner
    engine._event_handlers[Events.STARTED].append(other._event_handlers[Events.STARTED][0])
    del other
    import gc

    gc.collect()
    with pytest.raises(RuntimeError, match="Engine reference not resolved. Cannot execute event handler."):
        engine.run([1])


def test_dead_plain_weakref_engine_reference_raises_on_fire_event():
    """Issue 12 §1.9: a raw triple holding an upstream-style ``weakref.ref`` to a dead engine (spec §6.5)."""

    class CE(EventEnum):
        FOO = "foo"

    engine = Engine(lambda e, b: None)
    engine.register_events(*CE)
    calls = []

    def h(engine):
        calls.append(engine)

    other = Engine(lambda e, b: None)
    engine._event_handlers[CE.FOO].append((h, (weakref.ref(other),), {}))
    engine._event_handlers[Events.EXCEPTION_RAISED].append((h, (weakref.ref(other),), {}))
    del other
    import gc

    gc.collect()
    with pytest.raises(RuntimeError, match=r"^Engine reference not resolved. Cannot execute event handler.$"):
        engine.fire_event(CE.FOO)
    # the path with event arguments too
    with pytest.raises(RuntimeError, match=r"^Engine reference not resolved. Cannot execute event handler.$"):
        engine._fire_event(Events.EXCEPTION_RAISED, ValueError("x"))
    assert calls == []


def test_convert_tensor_importable_from_engine():
    from ignite.engine import convert_tensor
    from ignite.utils import convert_tensor as utils_convert_tensor

    assert convert_tensor is utils_convert_tensor


# ---------------------------------------------------------------------------------------------- beyond upstream


def test_event_kwargs_do_not_leak_into_stored_kwargs(mode):
    """Beyond upstream (spec §13.5)."""
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: e.terminate_epoch())
    got = []

    def h(engine, iter_counter, tag="t"):
        got.append((iter_counter, tag))

    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, h, tag="x")
    engine.run([1, 2, 3], max_epochs=2)
    assert got == [(1, "x")]
    for _, _, kwargs in engine._event_handlers[Events.TERMINATE_SINGLE_EPOCH]:
        assert "iter_counter" not in kwargs


def test_terminate_single_epoch_signature_checked_with_keyword():
    """Beyond upstream (spec §13.6)."""
    engine = Engine(lambda e, b: None)
    with pytest.raises(ValueError, match="but will be called with"):
        engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda engine: None)
    with pytest.raises(ValueError, match="but will be called with"):
        engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda engine, counter: None)
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda iter_counter: None)
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda engine, iter_counter: None)
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda *a, **k: None)


def test_terminate_single_epoch_no_engine_handler(mode):
    got = []
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate_epoch())
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda iter_counter: got.append(iter_counter))
    engine.run([1, 2, 3])
    assert got == [2]


def test_exception_handler_signatures(mode):
    got = []
    engine = Engine(lambda e, b: _raise(ValueError("v")))
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: got.append(("no_engine", type(e))))
    engine.add_event_handler(
        Events.EXCEPTION_RAISED, lambda engine, e, extra: got.append(("engine", type(e), extra)), 5
    )
    with pytest.raises(ValueError, match="but will be called with"):
        engine.add_event_handler(Events.EXCEPTION_RAISED, lambda: None)
    engine.run([1])
    assert got == [("no_engine", ValueError), ("engine", ValueError, 5)]


def test_discarding_interrupted_run_is_not_an_error(caplog):
    """Beyond upstream (spec §13.4)."""
    engine = Engine(lambda e, b: None)
    errors = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: errors.append(e))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=2)
    with caplog.at_level(logging.ERROR, logger="ignite.engine.engine.Engine"):
        engine.state.max_epochs = None
        engine.run([1, 2, 3], max_epochs=2)
        # load_state_dict also discards a suspended run
        engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.interrupt())
        engine.state.max_epochs = None
        engine.run([1, 2, 3], max_epochs=2)
        assert engine._internal_run_generator is not None
        engine.load_state_dict({"epoch_length": 3, "iteration": 0, "max_epochs": 2})
        assert engine._internal_run_generator is None
        assert engine._dataloader_iter is None
    assert errors == []
    assert caplog.records == []


def test_interrupted_engine_freed_without_error_output(capsys):
    _CountedEngine.deleted = 0
    engine = _CountedEngine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.interrupt())
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: None)
    engine.run([1, 2, 3], max_epochs=2)
    del engine
    import gc

    gc.collect()
    assert _CountedEngine.deleted == 1
    assert "Engine reference not resolved" not in capsys.readouterr().err


def test_weakref_user_argument_passed_through(mode):
    """Beyond upstream (spec §13.16)."""

    class Obj:
        pass

    obj = Obj()
    other_engine = Engine(lambda e, b: None)
    got = []
    engine = Engine(lambda e, b: None)
    ref_obj, ref_engine = weakref.ref(obj), weakref.ref(other_engine)
    engine.add_event_handler(Events.STARTED, lambda r: got.append(r), ref_obj)
    engine.add_event_handler(Events.STARTED, lambda r: got.append(r), ref_engine)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda r: got.append(r), ref_engine)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), lambda e: e.terminate_epoch())
    engine.add_event_handler(Events.TERMINATE_SINGLE_EPOCH, lambda r, iter_counter: got.append(r), ref_engine)
    engine.run([1, 2])
    assert got == [ref_obj, ref_engine, ref_engine, ref_engine]


# ---------------------------------------------------------------------------------------------- more run-loop rules


def test_custom_event_checked_after_iteration_completed(mode):
    engine = RecordingEngine(lambda e, b: e.fire_event(CustomEvents.TEST_EVENT))
    engine.register_events(*CustomEvents)

    @engine.on(CustomEvents.TEST_EVENT)
    def stop(e):
        if e.state.iteration == 2:
            e.terminate()

    engine.run([1, 2, 3], max_epochs=2)
    assert engine.events[-5:] == [(1, 2, IS), (1, 2, "TEST_EVENT"), (1, 2, IC), (1, 2, TE), (1, 2, CO)]


def test_interrupt_resume_validates_max_epochs():
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=5), lambda e: e.interrupt())
    engine.run([1, 2, 3], max_epochs=3)
    assert engine.state.epoch == 2
    with pytest.raises(ValueError, match="should be greater than or equal to the start epoch"):
        engine.run([1, 2, 3], max_epochs=1)
    state = engine.run([1, 2, 3], max_epochs=4)
    assert state.epoch == 4 and state.iteration == 12


def test_times_not_reset_on_interrupt_resume(clock):
    engine = Engine(lambda e, b: clock.sleep(0.25))
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=4), lambda e: e.interrupt())
    seen = []
    engine.add_event_handler(Events.GET_BATCH_STARTED(once=4), lambda e: seen.append(e.state.times["EPOCH_COMPLETED"]))
    engine.run([1, 2, 3], max_epochs=2)
    before = engine.state.times["EPOCH_COMPLETED"]
    assert before == pytest.approx(0.75)
    engine.run([1, 2, 3])
    assert seen == [before]


def test_handle_exception_direct():
    engine = Engine(lambda e, b: None)
    with pytest.raises(KeyError):
        engine._handle_exception(KeyError("k"))
    got = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: got.append(e))
    err = KeyError("k")
    engine._handle_exception(err)
    assert got == [err]


def test_keyboard_interrupt_goes_to_exception_handlers(mode):
    engine = Engine(lambda e, b: _raise(KeyboardInterrupt()))
    got = []
    engine.add_event_handler(Events.EXCEPTION_RAISED, lambda e: got.append(type(e)))
    engine.run([1, 2])
    assert got == [KeyboardInterrupt]
