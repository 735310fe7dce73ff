"""Perplexity (spec metrics.md §6.5) against a numpy log-softmax reference."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite.exceptions import NotComputableError
from ignite.metrics import Perplexity

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_chunked, check_state_dict_roundtrip, run_engine  # noqa: E402


def reference(logits, targets, ignore_index=-100):
    x = np.moveaxis(logits.double().numpy(), 1, -1).reshape(-1, logits.shape[1])
    t = targets.numpy().reshape(-1)
    keep = t != ignore_index
    x, t = x[keep], t[keep]
    log_probs = x - x.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    return float(np.exp(-log_probs[np.arange(len(t)), t].mean()))


def data(seed, shape=(12, 5), vocab=7, dtype=torch.float32, ignore=False):
    g = torch.Generator().manual_seed(seed)
    logits = (3 * torch.randn(shape[0], vocab, *shape[1:], generator=g)).to(dtype)
    targets = torch.randint(0, vocab, shape, generator=g)
    if ignore:
        targets[torch.rand(shape, generator=g) < 0.3] = -100
    return logits, targets


def test_spec_worked_example():
    m = Perplexity()
    m.update((torch.zeros(1, 4, 3), torch.tensor([[0, 1, 2]])))
    assert m.compute() == pytest.approx(4.0)


@pytest.mark.parametrize("shape", [(12,), (12, 5), (6, 3, 4)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("ignore", [False, True])
def test_matches_reference(shape, dtype, ignore):
    logits, targets = data(0, shape, dtype=dtype, ignore=ignore)
    m = Perplexity()
    m.update((logits, targets))
    rtol = 1e-2 if dtype == torch.bfloat16 else 1e-5
    assert m.compute() == pytest.approx(reference(logits.float(), targets), rel=rtol)


def test_int32_targets():
    logits, targets = data(7)
    m = Perplexity()
    m.update((logits, targets.int()))
    assert m.compute() == pytest.approx(reference(logits, targets), rel=1e-6)


def test_ignore_index_argument():
    logits, targets = data(1)
    targets[:, 0] = 3
    m = Perplexity(ignore_index=3)
    m.update((logits, targets))
    assert m.compute() == pytest.approx(reference(logits, targets, ignore_index=3), rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 11), max_size=4))
def test_many_small_updates_equal_one_big(seed, cuts):
    logits, targets = data(seed, ignore=True)
    if (targets != -100).any():
        check_chunked(Perplexity, (logits, targets), cuts, reference(logits, targets), rtol=1e-6)


def test_token_weighted_not_batch_averaged():
    a, b = data(2, (4, 2)), data(3, (8, 5))
    m = Perplexity()
    m.update(a)
    m.update(b)
    logits = torch.cat([a[0].reshape(4, 7, 2).movedim(1, -1).reshape(-1, 7), b[0].movedim(1, -1).reshape(-1, 7)])
    targets = torch.cat([a[1].reshape(-1), b[1].reshape(-1)])
    assert m.compute() == pytest.approx(reference(logits, targets), rel=1e-6)


def test_state_dict_roundtrip_and_engine():
    logits, targets = data(4, ignore=True)
    batches = [(logits[:5], targets[:5]), (logits[5:], targets[5:])]
    check_state_dict_roundtrip(Perplexity, batches)
    assert run_engine(Perplexity(), batches) == pytest.approx(reference(logits, targets), rel=1e-6)


def test_inputs_are_not_modified():
    logits, targets = data(5, ignore=True)
    copies = logits.clone(), targets.clone()
    Perplexity().update((logits, targets))
    assert torch.equal(logits, copies[0]) and torch.equal(targets, copies[1])


def test_errors():
    m = Perplexity()
    with pytest.raises(ValueError, match=r"^y_pred must be at least 2-dimensional \(got shape: \(3,\)\)$"):
        m.update((torch.zeros(3), torch.zeros(3, dtype=torch.long)))
    with pytest.raises(ValueError, match=r"^y must be at least 1-dimensional \(got shape: \(\)\)$"):
        m.update((torch.zeros(3, 2), torch.tensor(0)))
    with pytest.raises(
        ValueError, match=r"^y_pred must have exactly one more dimension than y \(got y_pred=3D and y=1D\).$"
    ):
        m.update((torch.zeros(3, 2, 2), torch.zeros(3, dtype=torch.long)))
    with pytest.raises(ValueError, match=r"^y_pred and y have incompatible shapes: y_pred=\(3, 2, 4\), y=\(3, 5\) "):
        m.update((torch.zeros(3, 2, 4), torch.zeros(3, 5, dtype=torch.long)))
    with pytest.raises(
        NotComputableError, match=r"^Perplexity must have at least one example before it can be computed.$"
    ):
        m.compute()
    m.update((torch.zeros(2, 3), torch.tensor([-100, -100])))  # every target ignored: still nothing counted
    with pytest.raises(NotComputableError):
        m.compute()


def test_nan_logits_are_refused():
    m = Perplexity()
    logits, targets = data(6)
    logits[2, :, 1] = float("nan")
    m.update((logits, targets))
    with pytest.raises(ValueError, match=r"^Perplexity is undefined: y_pred held NaN values"):
        m.compute()
