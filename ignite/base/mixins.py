"""Small mixins: state (de)serialisation validation and resettable handlers."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any


class ResettableHandler(metaclass=ABCMeta):
    """Interface of a handler that can be attached to an engine and reset to its initial state."""

    @abstractmethod
    def reset(self) -> None:
        pass

    @abstractmethod
    def attach(self, engine: Any, *args: Any, **kwargs: Any) -> None:
        pass


class Serializable:
    """Mixin giving ``load_state_dict`` a validation of required keys.

    ``_state_dict_all_req_keys`` lists keys that must all be present, ``_state_dict_one_of_opt_keys``
    lists groups of which exactly one key must be present.
    """

    _state_dict_all_req_keys: tuple[str, ...] = ()
    _state_dict_one_of_opt_keys: tuple[tuple[str, ...], ...] = ()

    def state_dict(self) -> OrderedDict:
        raise NotImplementedError

    def load_state_dict(self, state_dict: Mapping) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")

        for k in self._state_dict_all_req_keys:
            if k not in state_dict:
                raise ValueError(
                    f"Required state attribute '{k}' is absent in provided state_dict '{state_dict.keys()}'"
                )

        groups: Any = self._state_dict_one_of_opt_keys
        if len(groups) > 0 and isinstance(groups[0], str):
            groups = (groups,)
        for group in groups:
            if len(group) == 0:
                raise ValueError(
                    f"Empty group found in '{type(self).__name__}._state_dict_one_of_opt_keys'. "
                    "Each group must contain at least one state attribute key."
                )
            if sum(1 for k in group if k in state_dict) != 1:
                raise ValueError(f"state_dict should contain exactly one of '{group}' keys")
