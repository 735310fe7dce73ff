"""Checks shared by the metric tests (imported as ``metric_checks``; not a test module)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ignite.engine import Engine
from ignite.metrics.metric import Metric


def as_float_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(as_float_array(actual), as_float_array(expected), rtol=rtol, atol=atol)


def run_updates(metric: Metric, batches: Sequence[Any]) -> Any:
    metric.reset()
    for batch in batches:
        metric.update(batch)
    return metric.compute()


def run_engine(metric: Metric, batches: Sequence[Any], name: str = "m", **attach_kwargs: Any) -> Any:
    """Value stored by an evaluator that returns each batch as its output."""
    engine = Engine(lambda e, b: b)
    metric.attach(engine, name, **attach_kwargs)
    return engine.run(batches, max_epochs=1).metrics[name]


def check_state_dict_roundtrip(factory: Callable[[], Metric], batches: Sequence[Any]) -> None:
    """The state saved after ``batches`` (also through ``torch.save``) restores the same value into the same
    metric after a reset and into a fresh one."""
    metric = factory()
    expected = run_updates(metric, batches)
    state = metric.state_dict()
    assert list(state) == ["__metric_state_per_rank"] and len(state["__metric_state_per_rank"]) == 1

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)

    metric.reset()
    metric.load_state_dict(loaded)
    assert_equal_values(metric.compute(), expected)

    fresh = factory()
    fresh.load_state_dict(loaded)
    assert_equal_values(fresh.compute(), expected)
    # and the restored metric keeps accumulating where it stopped
    for batch in batches:
        fresh.update(batch)
        metric.update(batch)
    assert_equal_values(fresh.compute(), metric.compute())


def assert_equal_values(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_equal_values(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_equal_values(x, y)
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def split_batches(tensors: Sequence[torch.Tensor], cuts: Sequence[int]) -> list[tuple[torch.Tensor, ...]]:
    """Split tensors along dim 0 at the sorted, distinct ``cuts`` (each in ``1..N-1``)."""
    n = tensors[0].shape[0]
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < n)), n]
    return [tuple(t[a:b] for t in tensors) for a, b in zip(bounds[:-1], bounds[1:])]


def check_chunked(
    factory: Callable[[], Metric], tensors: Sequence[torch.Tensor], cuts: Sequence[int], expected: Any, **tol: float
) -> None:
    """Updating with the pieces of ``tensors`` gives the value of a single update, and ``expected``."""
    parts = factory()
    for piece in split_batches(tensors, cuts):
        parts.update(piece)
    whole = factory()
    whole.update(tuple(tensors))
    assert_close(parts.compute(), whole.compute(), **tol)
    assert_close(whole.compute(), expected, **tol)
