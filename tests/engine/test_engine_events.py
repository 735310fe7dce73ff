"""Events, filters, EventsList, State and RemovableEventHandle (spec engine.md §5)."""

import gc
import numbers
import weakref
from enum import Enum

import pytest

from ignite.engine import Engine, Events
from ignite.engine.events import CallableEventWithFilter, EventEnum, EventsList, RemovableEventHandle, State


class CustomEvents(EventEnum):
    TEST_EVENT = "test_event"
    OTHER_EVENT = "other_event"


EXPECTED_MEMBERS = [
    ("EPOCH_STARTED", "epoch_started"),
    ("EPOCH_COMPLETED", "epoch_completed"),
    ("STARTED", "started"),
    ("COMPLETED", "completed"),
    ("ITERATION_STARTED", "iteration_started"),
    ("ITERATION_COMPLETED", "iteration_completed"),
    ("EXCEPTION_RAISED", "exception_raised"),
    ("GET_BATCH_STARTED", "get_batch_started"),
    ("GET_BATCH_COMPLETED", "get_batch_completed"),
    ("DATALOADER_STOP_ITERATION", "dataloader_stop_iteration"),
    ("TERMINATE", "terminate"),
    ("TERMINATE_SINGLE_EPOCH", "terminate_single_epoch"),
    ("INTERRUPT", "interrupt"),
]


def test_events_members_in_order():
    assert [(e.name, e.value) for e in Events] == EXPECTED_MEMBERS
    assert Events["STARTED"] is Events.STARTED
    assert Events("started") is Events.STARTED
    for e in Events:
        assert isinstance(e, Events)
        assert isinstance(e, EventEnum)
        assert isinstance(e, CallableEventWithFilter)
        assert e.filter is None


def test_module_all():
    import ignite.engine.events as ev

    assert ev.__all__ == [
        "CallableEventWithFilter",
        "EventEnum",
        "Events",
        "State",
        "EventsList",
        "RemovableEventHandle",
    ]


def test_plain_enum_member_not_callable():
    class PlainEnum(Enum):
        A = "a"

    with pytest.raises(TypeError, match="object is not callable"):
        PlainEnum.A(every=2)


def test_callable_event_with_filter_constructor():
    f = lambda e, v: True
    ev = CallableEventWithFilter("my_value", f, "MY_NAME")
    assert ev.filter is f
    assert ev.value == "my_value"
    assert ev.name == "MY_NAME"
    # enum members keep their own name/value
    assert Events.STARTED.value == "started" and Events.STARTED.name == "STARTED"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"event_filter": lambda e, v: True, "every": 2},
        {"event_filter": lambda e, v: True, "once": 2},
        {"once": 2, "every": 2},
        {"once": 2, "before": 3},
        {"once": 2, "after": 3},
    ],
)
def test_call_group_validation(kwargs):
    with pytest.raises(
        ValueError, match=r"^Only one of the input arguments should be specified, except before, after and every$"
    ):
        Events.ITERATION_STARTED(**kwargs)


def test_call_argument_validation():
    with pytest.raises(TypeError, match=r"^Argument event_filter should be a callable$"):
        Events.ITERATION_STARTED(event_filter="123")
    for bad in (-1, 0, 1.5, "2"):
        with pytest.raises(ValueError, match=r"^Argument every should be integer and greater than zero$"):
            Events.ITERATION_STARTED(every=bad)
    for bad in (-1, 0, 1.5, [], [1, 0], [1, 2.5], "3"):
        with pytest.raises(
            ValueError,
            match=r"Argument once should either be a positive integer or a list of positive integers, got ",
        ):
            Events.ITERATION_STARTED(once=bad)
    for bad in (-1, 1.5):
        with pytest.raises(ValueError, match=r"^Argument before should be integer and greater or equal to zero$"):
            Events.ITERATION_STARTED(before=bad)
        with pytest.raises(ValueError, match=r"^Argument after should be integer and greater or equal to zero$"):
            Events.ITERATION_STARTED(after=bad)
    with pytest.raises(ValueError, match=r"got \[1, -2\]"):
        Events.ITERATION_STARTED(once=[1, -2])
    # bool passes the integer checks; zero bounds are allowed; tuples are accepted for once
    Events.ITERATION_STARTED(every=True)
    Events.ITERATION_STARTED(before=0)
    Events.ITERATION_STARTED(after=0)
    Events.ITERATION_STARTED(once=(1, 2))


def test_call_validation_order():
    # every is checked before once... but once-group conflict is checked first
    with pytest.raises(ValueError, match="Argument every"):
        Events.ITERATION_STARTED(every=0, before=-1)
    with pytest.raises(ValueError, match="Argument before"):
        Events.ITERATION_STARTED(before=-1, after=-1)


def _fired(event, values):
    return [v for v in values if event.filter is None or event.filter(None, v)]


def test_filters_selection():
    values = list(range(1, 31))
    assert Events.ITERATION_COMPLETED(every=1).filter is None
    assert _fired(Events.ITERATION_COMPLETED(every=3), values) == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert _fired(Events.ITERATION_COMPLETED(once=4), values) == [4]
    assert _fired(Events.ITERATION_COMPLETED(once=[2, 7, 40]), values) == [2, 7]
    assert _fired(Events.ITERATION_COMPLETED(once=(3, 5)), values) == [3, 5]
    assert _fired(Events.ITERATION_COMPLETED(before=5), values) == [1, 2, 3, 4]
    assert _fired(Events.ITERATION_COMPLETED(after=26), values) == [27, 28, 29, 30]
    assert _fired(Events.ITERATION_COMPLETED(before=10, after=5), values) == [6, 7, 8, 9]
    # every combined with bounds: phase counted from after + 1
    assert _fired(Events.ITERATION_COMPLETED(every=3, after=0), values)[:4] == [1, 4, 7, 10]
    assert _fired(Events.ITERATION_COMPLETED(every=5, before=25, after=8), values) == [9, 14, 19, 24]
    assert _fired(Events.ITERATION_COMPLETED(every=1, before=4), values) == [1, 2, 3]
    assert Events.ITERATION_COMPLETED(every=1, before=4).filter is not None
    assert _fired(Events.ITERATION_COMPLETED(every=4, before=15), values) == [1, 5, 9, 13]


def test_custom_filter_used_as_is_and_checked():
    def f(engine, event):
        return event in (1, 3)

    ev = Events.EPOCH_COMPLETED(event_filter=f)
    assert ev.filter is f
    with pytest.raises(ValueError, match=r"Error adding .+ takes parameters .+ but will be called with"):
        Events.EPOCH_COMPLETED(event_filter=lambda e: True)


def test_call_returns_new_plain_object_and_keeps_member():
    ev = Events.ITERATION_STARTED(every=2)
    assert type(ev) is CallableEventWithFilter
    assert ev.name == "ITERATION_STARTED" and ev.value == "iteration_started"
    Events.ITERATION_STARTED(event_filter=lambda e, v: False)
    assert Events.ITERATION_STARTED.filter is None
    ev2 = CustomEvents.TEST_EVENT(once=3)
    assert type(ev2) is CallableEventWithFilter and ev2.name == "TEST_EVENT"
    assert CustomEvents.TEST_EVENT.filter is None


def test_static_filter_builders():
    f = CallableEventWithFilter.every_event_filter(3)
    assert [v for v in range(1, 10) if f(None, v)] == [3, 6, 9]
    f = CallableEventWithFilter.once_event_filter([2, 5])
    assert [v for v in range(1, 10) if f(None, v)] == [2, 5]
    f = CallableEventWithFilter.before_and_after_event_filter(before=5)
    assert [v for v in range(0, 10) if f(None, v)] == [1, 2, 3, 4]
    f = CallableEventWithFilter.before_and_after_event_filter(after=7)
    assert [v for v in range(0, 10) if f(None, v)] == [8, 9]
    f = CallableEventWithFilter.every_before_and_after_event_filter(2, before=8, after=1)
    assert [v for v in range(0, 10) if f(None, v)] == [2, 4, 6]
    with pytest.warns(UserWarning, match="Events.default_event_filter is deprecated and will be removed"):
        assert CallableEventWithFilter.default_event_filter(None, 1) is True


def test_equality_and_hash():
    assert Events.EPOCH_COMPLETED == Events.EPOCH_COMPLETED(every=2)
    assert Events.EPOCH_COMPLETED(every=2) == Events.EPOCH_COMPLETED
    assert Events.ITERATION_COMPLETED != Events.EPOCH_COMPLETED
    assert Events.EPOCH_COMPLETED != 1
    assert Events.EPOCH_COMPLETED != "abc"
    assert Events.ITERATION_STARTED != "iteration_started"
    assert Events.ITERATION_STARTED == "ITERATION_STARTED"

    class Other(EventEnum):
        EPOCH_COMPLETED = "something_else"

    assert Other.EPOCH_COMPLETED == Events.EPOCH_COMPLETED
    assert hash(Events.EPOCH_COMPLETED) == hash("EPOCH_COMPLETED")
    assert hash(Events.EPOCH_COMPLETED(every=3)) == hash(Events.EPOCH_COMPLETED)
    d = {Events.EPOCH_COMPLETED: 1}
    assert d["EPOCH_COMPLETED"] == 1
    assert d[Events.EPOCH_COMPLETED(once=1)] == 1
    assert Events.EPOCH_COMPLETED(every=2) in [Events.STARTED, Events.EPOCH_COMPLETED]


def test_repr_and_str():
    assert repr(Events.STARTED) == "Events.STARTED"
    assert f"{Events.STARTED}" == "Events.STARTED"
    assert repr(CustomEvents.TEST_EVENT) == "Events.TEST_EVENT"
    assert f"{CustomEvents.TEST_EVENT}" == "CustomEvents.TEST_EVENT"
    ev = Events.ITERATION_COMPLETED(every=3)
    r = repr(ev)
    assert r.startswith("Events.ITERATION_COMPLETED(filter=") and r.endswith(")")
    assert f"{ev}" == r
    assert ev.name in f"{ev}"


def test_events_or_builds_list():
    el = Events.STARTED | Events.COMPLETED
    assert isinstance(el, EventsList)
    assert list(el) == [Events.STARTED, Events.COMPLETED]
    el2 = Events.STARTED | Events.EPOCH_COMPLETED(every=2) | Events.COMPLETED
    assert len(el2) == 3
    assert el2[1] == Events.EPOCH_COMPLETED and el2[1].filter is not None
    el2 |= Events.STARTED  # duplicates kept
    assert len(el2) == 4 and el2[3] == Events.STARTED
    # in place: left operand mutated
    a = Events.STARTED | Events.COMPLETED
    b = a | Events.EPOCH_STARTED
    assert b is a and len(a) == 3
    with pytest.raises(TypeError, match=r"Argument event should be Events or CallableEventWithFilter, got: "):
        Events.STARTED | "abc"
    with pytest.raises(TypeError, match=r"Argument event should be Events or CallableEventWithFilter, got: "):
        EventsList()._append(1)
    empty = EventsList()
    assert len(empty) == 0 and list(empty) == []


def test_state_defaults_and_repr():
    s = State()
    assert s.iteration == 0 and s.epoch == 0
    assert s.epoch_length is None and s.max_epochs is None and s.max_iters is None
    assert s.output is None and s.batch is None and s.metrics == {} and s.dataloader is None and s.seed is None
    assert s.times == {"EPOCH_COMPLETED": None, "COMPLETED": None}
    r = repr(s)
    assert r.startswith("State:\n")
    lines = r.split("\n")[1:-1]
    names = [line.split(":")[0].strip() for line in lines]
    assert names[:11] == [
        "iteration",
        "epoch",
        "epoch_length",
        "max_epochs",
        "max_iters",
        "output",
        "batch",
        "metrics",
        "dataloader",
        "seed",
        "times",
    ]
    assert "\titeration: 0\n" in r
    assert "\tmetrics: <class 'dict'>\n" in r
    assert "\tepoch_length: <class 'NoneType'>\n" in r
    s2 = State(max_epochs=1, alpha="x", iteration=5)
    assert "\tmax_epochs: 1\n" in repr(s2) and "\talpha: x\n" in repr(s2)
    assert s2.iteration == 5 and s2.alpha == "x"
    # every metric instance has its own dict
    assert State().metrics is not State().metrics


def test_state_event_to_attr_and_get_value():
    m = State.event_to_attr
    for e in (
        Events.GET_BATCH_STARTED,
        Events.GET_BATCH_COMPLETED,
        Events.ITERATION_STARTED,
        Events.ITERATION_COMPLETED,
    ):
        assert m[e] == "iteration"
    for e in (Events.EPOCH_STARTED, Events.EPOCH_COMPLETED, Events.STARTED, Events.COMPLETED):
        assert m[e] == "epoch"
    for e in (
        Events.DATALOADER_STOP_ITERATION,
        Events.EXCEPTION_RAISED,
        Events.TERMINATE,
        Events.TERMINATE_SINGLE_EPOCH,
        Events.INTERRUPT,
    ):
        assert e not in m
    s = State()
    s.iteration, s.epoch = 10, 2
    assert s.get_event_attrib_value(Events.ITERATION_STARTED) == 10
    assert s.get_event_attrib_value(Events.ITERATION_STARTED(every=3)) == 10
    assert s.get_event_attrib_value("EPOCH_COMPLETED") == 2
    assert s.get_event_attrib_value(Events.COMPLETED) == 2
    with pytest.raises(RuntimeError, match=r"^Unknown event name 'abc'$"):
        s.get_event_attrib_value("abc")
    with pytest.raises(RuntimeError, match=r"Unknown event name"):
        s.get_event_attrib_value(Events.TERMINATE)


def test_state_update_attrs():
    s = State()
    assert isinstance(s.iteration, numbers.Integral)
    del s.iteration
    s._update_attrs()
    assert s.iteration == 0


class _Handler:
    def __call__(self, engine):
        pass


def test_removable_event_handle_weakrefs():
    engine = Engine(lambda e, b: None)
    handler = _Handler()
    handle = engine.add_event_handler(Events.STARTED, handler)
    assert isinstance(handle, RemovableEventHandle)
    assert handle.event_name is Events.STARTED
    assert isinstance(handle.handler, weakref.ref) and handle.handler() is handler
    assert isinstance(handle.engine, weakref.ref) and handle.engine() is engine
    del engine, handler
    gc.collect()
    assert handle.engine() is None
    assert handle.handler() is None
    handle.remove()  # harmless


def test_removable_event_handle_remove_and_context():
    engine = Engine(lambda e, b: None)
    calls = []

    def h(engine):
        calls.append(engine.state.epoch)

    handle = engine.add_event_handler(Events.EPOCH_COMPLETED, h)
    assert engine.has_event_handler(h, Events.EPOCH_COMPLETED)
    handle.remove()
    assert not engine.has_event_handler(h, Events.EPOCH_COMPLETED)
    handle.remove()  # second removal is a no-op

    with engine.add_event_handler(Events.EPOCH_COMPLETED, h) as hd:
        assert hd is not None
        with hd:
            engine.run([1, 2], max_epochs=2)
        assert not engine.has_event_handler(h)
    assert not engine.has_event_handler(h)
    assert calls == [1, 2]


def test_removable_event_handle_filtered_and_list():
    engine = Engine(lambda e, b: None)
    calls = []

    def h():
        calls.append(1)

    handle = engine.add_event_handler(Events.EPOCH_COMPLETED(every=2), h)
    assert hasattr(handle.handler(), "_parent")
    assert handle.handler()._parent() is h
    handle.remove()
    assert not engine.has_event_handler(h)

    handle = engine.add_event_handler(Events.STARTED | Events.COMPLETED(once=1) | Events.EPOCH_STARTED, h)
    assert isinstance(handle.event_name, EventsList)
    assert handle.handler() is h
    for e in (Events.STARTED, Events.COMPLETED, Events.EPOCH_STARTED):
        assert engine.has_event_handler(h, e)
    handle.remove()
    assert not engine.has_event_handler(h)
    engine.run([1])
    assert calls == []


def test_removable_event_handle_dead_parent_raises():
    engine = Engine(lambda e, b: None)

    def h():
        pass

    handle = engine.add_event_handler(Events.EPOCH_COMPLETED(every=2), h)
    wrapper = handle.handler()
    wrapper._parent = lambda: None  # simulate a dead parent reference
    with pytest.raises(RuntimeError):
        handle.remove()
