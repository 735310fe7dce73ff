"""Bleu (spec metrics.md §6.5) against nltk's sentence_bleu/corpus_bleu with each smoothing function."""

import random
import sys
import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu

from ignite.exceptions import NotComputableError
from ignite.metrics import Bleu

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_state_dict_roundtrip, run_engine  # noqa: E402

VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog"]
NLTK_SMOOTH = {
    "no_smooth": SmoothingFunction().method0,
    "smooth1": SmoothingFunction().method1,
    "nltk_smooth2": SmoothingFunction().method2,
    "smooth2": SmoothingFunction().method2,  # equal to nltk's when every order has n-grams (see below)
}


def corpus(seed, n=12, min_len=0, max_len=12, max_refs=3):
    rng = random.Random(seed)

    def sentence(lo):
        return [rng.choice(VOCAB) for _ in range(rng.randint(lo, max_len))]

    hyps = [sentence(min_len) for _ in range(n)]
    refs = [[sentence(1) for _ in range(rng.randint(1, max_refs))] for _ in range(n)]
    return hyps, refs


def nltk_value(hyps, refs, ngram, smooth, average):
    weights = (1 / ngram,) * ngram
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns on zero counts without smoothing
        if average == "micro":
            return corpus_bleu(refs, hyps, weights=weights, smoothing_function=NLTK_SMOOTH[smooth])
        scores = [
            sentence_bleu(r, h, weights=weights, smoothing_function=NLTK_SMOOTH[smooth]) for h, r in zip(hyps, refs)
        ]
    return sum(scores) / len(scores)


def bleu_value(hyps, refs, chunk=None, **kwargs):
    m = Bleu(**kwargs)
    chunk = chunk or len(hyps)
    for i in range(0, len(hyps), chunk):
        m.update((hyps[i : i + chunk], refs[i : i + chunk]))
    return m.compute()


def test_spec_worked_examples():
    m = Bleu(ngram=2)
    m.update(([["the", "cat", "sat"]], [[["the", "cat", "sat", "down"]]]))
    result = m.compute()
    assert isinstance(result, torch.Tensor) and result.ndim == 0 and result.dtype == torch.float64
    assert result.item() == pytest.approx(0.716531, abs=1e-6)
    m = Bleu(ngram=2, smooth="smooth1")
    m.update(([["the", "dog"]], [[["the", "cat", "sat"]]]))
    assert m.compute().item() == pytest.approx(0.135624, abs=1e-6)
    m = Bleu(ngram=2, average="micro")
    m.update(([["the", "cat", "sat"], ["a", "dog"]], [[["the", "cat", "sat", "down"]], [["a", "dog", "barks"]]]))
    result = m.compute()
    assert isinstance(result, float) and result == pytest.approx(0.670320, abs=1e-6)


@pytest.mark.parametrize("smooth", ["no_smooth", "smooth1", "nltk_smooth2"])
@pytest.mark.parametrize("ngram", [1, 2, 3, 4])
@pytest.mark.parametrize("average", ["macro", "micro"])
def test_matches_nltk(smooth, ngram, average):
    for seed in range(4):
        # nltk counts at least one n-gram per sentence and order in a corpus; spec micro counts the real
        # number, so corpus comparisons use hypotheses with n-grams of every order
        hyps, refs = corpus(seed, min_len=ngram if average == "micro" else 0)
        expected = nltk_value(hyps, refs, ngram, smooth, average)
        assert float(bleu_value(hyps, refs, ngram=ngram, smooth=smooth, average=average)) == pytest.approx(
            expected, rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_smooth2_matches_nltk_method2_when_every_order_has_ngrams(average):
    for seed in range(4):
        hyps, refs = corpus(seed, min_len=4)
        expected = nltk_value(hyps, refs, 4, "smooth2", average)
        assert float(bleu_value(hyps, refs, smooth="smooth2", average=average)) == pytest.approx(expected, rel=1e-9)


def test_smooth2_keeps_zero_denominators_hand_worked():
    # "the cat" vs "the cat sat": p1 = 2/2, p2 = 1/1, orders 3 and 4 have no n-gram; brevity penalty e^(1 - 3/2)
    hyps, refs = [["the", "cat"]], [[["the", "cat", "sat"]]]
    bp = 0.6065306597126334
    # smooth2: (0 + 1) / (0 + 1) = 1 for orders 3, 4
    assert bleu_value(hyps, refs, smooth="smooth2").item() == pytest.approx(bp)
    # nltk_smooth2: (0 + 1) / (1 + 1) = 1/2 for orders 3, 4 -> bp * (1/4)^(1/4)
    assert bleu_value(hyps, refs, smooth="nltk_smooth2").item() == pytest.approx(bp * 0.5**0.5)
    assert bleu_value(hyps, refs, smooth="nltk_smooth2").item() == pytest.approx(
        sentence_bleu(refs[0], hyps[0], smoothing_function=SmoothingFunction().method2)
    )


def test_hand_worked_edge_cases():
    # empty hypothesis, no unigram match, and a missing higher-order match without smoothing all score 0
    assert bleu_value([[]], [[["a"]]]).item() == 0.0
    assert bleu_value([["x", "y"]], [[["a", "b"]]], smooth="smooth1").item() == 0.0
    assert bleu_value([["a", "c", "b"]], [[["a", "b", "c"]]], ngram=2).item() == 0.0
    # closest reference length, ties to the shorter: hyp 3 tokens, refs of 2 and 4 -> r = 2 -> no penalty
    assert bleu_value([["a", "b", "c"]], [[["a", "b"], ["a", "b", "c", "d"]]], ngram=1).item() == pytest.approx(1.0)
    # clipping: "the the the" against "the cat" -> p1 = 1/3
    assert bleu_value([["the"] * 3], [[["the", "cat"]]], ngram=1).item() == pytest.approx(1 / 3)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    chunk=st.integers(1, 12),
    average=st.sampled_from(["macro", "micro"]),
    smooth=st.sampled_from(["no_smooth", "smooth1", "nltk_smooth2", "smooth2"]),
)
def test_many_small_updates_equal_one_big(seed, chunk, average, smooth):
    hyps, refs = corpus(seed)
    whole = bleu_value(hyps, refs, average=average, smooth=smooth)
    parts = bleu_value(hyps, refs, chunk=chunk, average=average, smooth=smooth)
    assert float(parts) == pytest.approx(float(whole), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_state_dict_roundtrip_and_engine(average):
    hyps, refs = corpus(3)
    batches = [(hyps[:5], refs[:5]), (hyps[5:], refs[5:])]
    check_state_dict_roundtrip(lambda: Bleu(average=average, smooth="smooth1"), batches)
    engine_value = run_engine(Bleu(average=average, smooth="smooth1"), batches)
    assert engine_value == pytest.approx(float(bleu_value(hyps, refs, average=average, smooth="smooth1")))


def test_micro_state_without_sentence_count_loads():
    # a state saved without ``_num_sentences`` (upstream layout) still computes
    m = Bleu(average="micro")
    m.update(([["the", "cat"]], [[["the", "cat"]]]))
    state = m.state_dict()
    del state["__metric_state_per_rank"][0]["_num_sentences"]
    fresh = Bleu(average="micro")
    fresh.load_state_dict(state)
    assert fresh.compute() == m.compute()


def test_constructor_errors():
    with pytest.raises(ValueError, match=r"^ngram order must be greater than zero \(got: 0\)$"):
        Bleu(ngram=0)
    with pytest.raises(
        ValueError,
        match=r"^Smooth is not valid \(expected: \['no_smooth', 'smooth1', 'nltk_smooth2', 'smooth2'\], got: bad\)$",
    ):
        Bleu(smooth="bad")
    with pytest.raises(ValueError, match=r'^Average must be either "macro" or "micro" \(got: weighted\)$'):
        Bleu(average="weighted")


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_nothing_seen_is_not_computable(average):
    # (upstream's micro BLEU returned 0 here; spec §11 wart 21)
    with pytest.raises(NotComputableError, match="Bleu must have at least one example before it can be computed."):
        Bleu(average=average).compute()


def test_update_errors():
    m = Bleu()
    with pytest.raises(ValueError, match=r"^nb of candidates should be equal to nb of reference lists \(1 != 2\)$"):
        m.update(([["a"]], [[["a"]], [["b"]]]))
    with pytest.raises(ValueError, match=r"^nb of candidates should be equal to nb of reference lists \(2 != 1\)$"):
        m._corpus_bleu([[["a"]]], [["a"], ["b"]])
    # wrong nesting: plain strings, a reference not wrapped in a list, a missing level
    with pytest.raises(TypeError, match=r"^y_pred should be a list of hypotheses.*got list\[str\]"):
        m.update((["the cat"], [[["the", "cat"]]]))
    with pytest.raises(TypeError, match=r"^y_pred should be a list of hypotheses.*got str"):
        m.update(("the cat", [[["the", "cat"]]]))
    with pytest.raises(TypeError, match=r"^y\[0\] should be a list of references.*got list\[str\]"):
        m.update(([["the", "cat"]], [["the", "cat"]]))
    with pytest.raises(TypeError, match=r"^y should be a list .* got list\[str\]"):
        m.update(([["the", "cat"]], ["the cat"]))
    with pytest.raises(TypeError, match=r"^y_pred should be a list of hypotheses.*list\[list\[list\[str\]\]\]"):
        m.update(([[["the", "cat"]]], [[["the", "cat"]]]))
    with pytest.raises(ValueError, match=r"^y\[0\] should hold at least one reference, got an empty list$"):
        m.update(([["the", "cat"]], [[]]))
    with pytest.raises(NotComputableError):  # failed updates left nothing behind
        m.compute()


def test_inputs_are_not_modified():
    hyps, refs = corpus(5)
    snapshot = (repr(hyps), repr(refs))
    for average in ("macro", "micro"):
        bleu_value(hyps, refs, average=average)
    assert (repr(hyps), repr(refs)) == snapshot
