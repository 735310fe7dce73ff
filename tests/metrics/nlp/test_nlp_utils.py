"""ngrams, lcs, modified_precision (spec metrics.md §6.5) against nltk and a brute-force LCS."""

import itertools
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import modified_precision as nltk_modified_precision
from nltk.util import ngrams as nltk_ngrams

from ignite.metrics.nlp.utils import lcs, modified_precision, ngrams

tokens = st.lists(st.sampled_from("abcd"), max_size=9)


@settings(max_examples=60, deadline=None)
@given(seq=tokens, n=st.integers(1, 4))
def test_ngrams_match_nltk(seq, n):
    assert ngrams(seq, n) == Counter(nltk_ngrams(seq, n))
    assert list(ngrams(seq, n)) == list(dict.fromkeys(nltk_ngrams(seq, n)))  # first-seen order


def _brute_force_lcs(a, b):
    for size in range(min(len(a), len(b)), 0, -1):
        subsequences = set(itertools.combinations(a, size))
        if any(s in subsequences for s in itertools.combinations(b, size)):
            return size
    return 0


@settings(max_examples=60, deadline=None)
@given(a=tokens, b=tokens)
def test_lcs_matches_brute_force(a, b):
    assert lcs(a, b) == _brute_force_lcs(a, b) == lcs(b, a)


def test_lcs_hand_worked():
    assert lcs([], ["a"]) == 0
    assert lcs(list("abcbdab"), list("bdcaba")) == 4


def test_modified_precision_matches_nltk():
    rng = random.Random(0)
    for _ in range(200):
        cand = [rng.choice("abcd") for _ in range(rng.randint(0, 8))]
        refs = [[rng.choice("abcd") for _ in range(rng.randint(0, 8))] for _ in range(rng.randint(1, 3))]
        n = rng.randint(1, 4)
        expected = nltk_modified_precision(refs, cand, n)
        num, den = modified_precision(refs, cand, n)
        # nltk reports max(1, den) as the denominator
        assert (num, max(1, den)) == (expected.numerator, expected.denominator)
        assert den == max(0, len(cand) - n + 1)
