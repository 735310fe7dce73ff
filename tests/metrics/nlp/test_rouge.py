"""RougeN, RougeL, Rouge (spec metrics.md §6.5) against the rouge-score package on pre-tokenised text, and
hand-worked values for what rouge-score does not have (multi-reference reducers, alpha)."""

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score.rouge_scorer import RougeScorer

from ignite.exceptions import NotComputableError
from ignite.metrics import Rouge, RougeL, RougeN
from ignite.metrics.nlp.rouge import (
    MultiRefAverageReducer,
    MultiRefBestReducer,
    Score,
    compute_lcs_scores,
    compute_ngram_scores,
)

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_state_dict_roundtrip, run_engine  # noqa: E402

VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog"]


class WhitespaceTokenizer:
    """rouge-score's default tokenizer lowercases and drops punctuation; ours are given tokens as they are."""

    def tokenize(self, text):
        return text.split()


def corpus(seed, n=10, max_len=10, max_refs=1):
    rng = random.Random(seed)

    def sentence():
        return [rng.choice(VOCAB) for _ in range(rng.randint(0, max_len))]

    return [sentence() for _ in range(n)], [[sentence() for _ in range(rng.randint(1, max_refs))] for _ in range(n)]


def value(metric, cands, refs, chunk=None):
    chunk = chunk or len(cands)
    metric.reset()
    for i in range(0, len(cands), chunk):
        metric.update((cands[i : i + chunk], refs[i : i + chunk]))
    return metric.compute()


def test_spec_worked_examples():
    assert value(RougeN(ngram=1), [list("abc")], [[list("abde")]]) == pytest.approx(
        {"Rouge-1-P": 0.666667, "Rouge-1-R": 0.5, "Rouge-1-F": 0.5}, abs=1e-6
    )
    assert value(RougeL(alpha=0.5), [list("abc")], [[list("acbd")]]) == pytest.approx(
        {"Rouge-L-P": 0.666667, "Rouge-L-R": 0.5, "Rouge-L-F": 0.571429}, abs=1e-6
    )
    result = value(Rouge(variants=[1, "L"], multiref="best"), [list("abc")], [[list("abde"), list("ac")]])
    assert list(result) == ["Rouge-1-P", "Rouge-1-R", "Rouge-1-F", "Rouge-L-P", "Rouge-L-R", "Rouge-L-F"]
    assert result == pytest.approx(dict.fromkeys(result, 1.0) | {"Rouge-1-P": 2 / 3, "Rouge-L-P": 2 / 3})


@pytest.mark.parametrize("variant", [1, 2, 3, 4, "L"])
def test_matches_rouge_score_single_reference(variant):
    scorer = RougeScorer([f"rouge{variant}"], tokenizer=WhitespaceTokenizer())
    metric = RougeL(alpha=0.5) if variant == "L" else RougeN(ngram=variant, alpha=0.5)
    for seed in range(5):
        cands, refs = corpus(seed)
        scores = [scorer.score(" ".join(r[0]), " ".join(c))[f"rouge{variant}"] for c, r in zip(cands, refs)]
        expected = {
            f"Rouge-{variant}-P": sum(s.precision for s in scores) / len(scores),
            f"Rouge-{variant}-R": sum(s.recall for s in scores) / len(scores),
            f"Rouge-{variant}-F": sum(s.fmeasure for s in scores) / len(scores),
        }
        for multiref in ("average", "best"):  # the same with one reference
            metric._multiref_reducer = {"average": MultiRefAverageReducer, "best": MultiRefBestReducer}[multiref]()
            assert value(metric, cands, refs) == pytest.approx(expected, rel=1e-12)


def test_alpha_weights_precision_and_recall():
    # cand "a b c" vs ref "a b d e": P = 2/3, R = 1/2; F = PR / ((1 - a)P + aR)
    for alpha in (0.0, 0.25, 0.5, 1.0):
        p, r = 2 / 3, 1 / 2
        expected = p * r / ((1 - alpha) * p + alpha * r)
        assert value(RougeN(1, alpha=alpha), [list("abc")], [[list("abde")]])["Rouge-1-F"] == pytest.approx(expected)
    assert value(RougeN(2), [list("ab")], [[list("cd")]]) == {"Rouge-2-P": 0.0, "Rouge-2-R": 0.0, "Rouge-2-F": 0.0}


def test_multi_reference_reducers_hand_worked():
    cand, refs = list("abc"), [list("abde"), list("ac")]
    scores = [compute_ngram_scores(cand, r, 1) for r in refs]
    assert scores == [Score(2, 3, 4), Score(2, 3, 2)]
    assert MultiRefAverageReducer()(scores) == Score(4, 6, 6)
    assert MultiRefBestReducer()(scores) == Score(2, 3, 2)
    assert MultiRefBestReducer()([Score(1, 2, 2), Score(2, 3, 4)]) == Score(1, 2, 2)  # ties: the first
    assert value(RougeN(1), [cand], [refs]) == pytest.approx(
        {"Rouge-1-P": 4 / 6, "Rouge-1-R": 4 / 6, "Rouge-1-F": 4 / 6}
    )
    assert compute_lcs_scores(list("abcd"), list("acdb")) == Score(3, 4, 4)
    assert Score(0, 0, 0).precision() == 0 and Score(0, 0, 0).recall() == 0


def test_rouge_variants():
    assert [m.name for m in Rouge().internal_metrics] == ["Rouge-1", "Rouge-2", "Rouge-4", "Rouge-L"]
    assert [m.name for m in Rouge(variants=[]).internal_metrics] == ["Rouge-1", "Rouge-2", "Rouge-4", "Rouge-L"]
    cands, refs = corpus(7, max_refs=3)
    combined = value(Rouge(variants=[3, "L"], multiref="best", alpha=0.3), cands, refs)
    assert combined == value(RougeN(3, multiref="best", alpha=0.3), cands, refs) | value(
        RougeL(multiref="best", alpha=0.3), cands, refs
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), chunk=st.integers(1, 10), multiref=st.sampled_from(["average", "best"]))
def test_many_small_updates_equal_one_big(seed, chunk, multiref):
    cands, refs = corpus(seed, max_refs=3)
    metric = Rouge(variants=[1, 2, "L"], multiref=multiref, alpha=0.5)
    whole = value(metric, cands, refs)
    assert value(metric, cands, refs, chunk=chunk) == pytest.approx(whole, rel=1e-12)


def test_state_dict_roundtrip_and_engine():
    cands, refs = corpus(3, max_refs=2)
    batches = [(cands[:4], refs[:4]), (cands[4:], refs[4:])]
    for factory in (lambda: RougeN(2, alpha=0.5), lambda: RougeL(), lambda: Rouge(variants=[1, "L"])):
        check_state_dict_roundtrip(factory, batches)
        assert run_engine(factory(), batches) == pytest.approx(value(factory(), cands, refs))


def test_errors():
    with pytest.raises(ValueError, match=r"^alpha must be in interval \[0, 1\] \(got : 1.5\)$"):
        RougeN(alpha=1.5)
    with pytest.raises(ValueError, match=r"^multiref : valid values are \['best', 'average'\] \(got : worst\)$"):
        RougeL(multiref="worst")
    with pytest.raises(ValueError, match=r"^ngram order must be greater than zero \(got : 0\)$"):
        RougeN(ngram=0)
    for bad in (0, "M", 1.5):
        with pytest.raises(ValueError, match=r"^variant must be 'L' or integer greater to zero$"):
            Rouge(variants=[1, bad])
    with pytest.raises(
        NotComputableError, match=r"^Rouge metric must have at least one example before being computed$"
    ):
        RougeN().compute()
    with pytest.raises(TypeError, match=r"^y_pred should be a list of hypotheses"):
        RougeL().update((["a b c"], [[["a", "b"]]]))
    with pytest.raises(TypeError, match=r"^y\[0\] should be a list of references"):
        RougeL().update(([["a", "b"]], [["a", "b"]]))


def test_inputs_are_not_modified():
    cands, refs = corpus(5, max_refs=3)
    snapshot = repr((cands, refs))
    value(Rouge(multiref="best"), cands, refs)
    assert repr((cands, refs)) == snapshot
