"""ignite.base.mixins (spec engine.md §2)."""

from collections import OrderedDict

import pytest

from ignite.base import ResettableHandler, Serializable, mixins


def test_reexports():
    assert ResettableHandler is mixins.ResettableHandler
    assert Serializable is mixins.Serializable


def test_resettable_handler_abstract():
    with pytest.raises(TypeError):
        ResettableHandler()

    class OnlyReset(ResettableHandler):
        def reset(self):
            pass

    with pytest.raises(TypeError):
        OnlyReset()

    class Full(ResettableHandler):
        def reset(self):
            self.was_reset = True

        def attach(self, engine, *args, **kwargs):
            self.engine = engine

    h = Full()
    h.reset()
    h.attach("e")
    assert h.was_reset and h.engine == "e"


def test_serializable_base():
    s = Serializable()
    assert Serializable._state_dict_all_req_keys == ()
    assert Serializable._state_dict_one_of_opt_keys == ()
    with pytest.raises(NotImplementedError):
        s.state_dict()
    s.load_state_dict({})
    s.load_state_dict(OrderedDict(a=1))
    with pytest.raises(TypeError, match=r"^Argument state_dict should be a dictionary, but given <class 'int'>$"):
        s.load_state_dict(1)


class _Required(Serializable):
    _state_dict_all_req_keys = ("a", "b")
    _state_dict_one_of_opt_keys = (("c", "d"), ("e",))


def test_required_and_one_of():
    obj = _Required()
    with pytest.raises(ValueError, match=r"^Required state attribute 'a' is absent in provided state_dict '"):
        obj.load_state_dict({"b": 1})
    with pytest.raises(ValueError, match=r"Required state attribute 'b' is absent in provided state_dict 'dict_keys"):
        obj.load_state_dict({"a": 1})
    with pytest.raises(ValueError, match=r"^state_dict should contain exactly one of '\('c', 'd'\)' keys$"):
        obj.load_state_dict({"a": 1, "b": 2, "e": 3})
    with pytest.raises(ValueError, match=r"^state_dict should contain exactly one of '\('c', 'd'\)' keys$"):
        obj.load_state_dict({"a": 1, "b": 2, "c": 3, "d": 4, "e": 3})
    with pytest.raises(ValueError, match=r"^state_dict should contain exactly one of '\('e',\)' keys$"):
        obj.load_state_dict({"a": 1, "b": 2, "c": 3})
    obj.load_state_dict({"a": 1, "b": 2, "d": 3, "e": 4})
    assert not hasattr(obj, "a")  # validation only


def test_flat_one_of_tuple_is_single_group():
    class Flat(Serializable):
        _state_dict_one_of_opt_keys = ("x", "y")

    Flat().load_state_dict({"x": 1})
    with pytest.raises(ValueError, match=r"exactly one of '\('x', 'y'\)' keys"):
        Flat().load_state_dict({"x": 1, "y": 2})
    with pytest.raises(ValueError, match=r"exactly one of '\('x', 'y'\)' keys"):
        Flat().load_state_dict({})


def test_empty_group():
    class Empty(Serializable):
        _state_dict_one_of_opt_keys = (("x",), ())

    with pytest.raises(
        ValueError,
        match=r"^Empty group found in 'Empty._state_dict_one_of_opt_keys'. "
        r"Each group must contain at least one state attribute key.$",
    ):
        Empty().load_state_dict({"x": 1})
