"""ignite.exceptions (spec engine.md §1)."""

import pytest

import ignite.exceptions
from ignite.exceptions import NotComputableError


def test_not_computable_error():
    assert ignite.exceptions.__all__ == ["NotComputableError"]
    assert issubclass(NotComputableError, RuntimeError)
    with pytest.raises(RuntimeError, match="no samples"):
        raise NotComputableError("no samples")
