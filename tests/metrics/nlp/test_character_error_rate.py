"""CharacterErrorRate (spec metrics.md §6.5) against nltk's edit_distance."""

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.distance import edit_distance

from ignite.exceptions import NotComputableError
from ignite.metrics import CharacterErrorRate

sys.path.insert(0, str(Path(__file__).parents[1]))
from metric_checks import check_state_dict_roundtrip, run_engine  # noqa: E402

texts = st.text(alphabet="ab c\né", max_size=12)


def value(pairs, chunk=None):
    m = CharacterErrorRate()
    chunk = chunk or max(1, len(pairs))
    for i in range(0, len(pairs), chunk):
        m.update(([p for p, _ in pairs[i : i + chunk]], [r for _, r in pairs[i : i + chunk]]))
    return m.compute()


def test_spec_worked_example_and_strings():
    assert value([("kitten", "sitting")]) == pytest.approx(3 / 7)
    m = CharacterErrorRate()
    m.update(("kitten", "sitting"))  # two strings are one pair
    assert m.compute() == pytest.approx(3 / 7)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(texts, texts), min_size=1, max_size=8), chunk=st.integers(1, 8))
def test_matches_nltk_edit_distance_and_chunking(pairs, chunk):
    errors = sum(edit_distance(p, r) for p, r in pairs)
    chars = sum(len(r) for _, r in pairs)
    expected = errors / chars if chars else (0.0 if errors == 0 else 1.0)
    assert value(pairs) == pytest.approx(expected)
    assert value(pairs, chunk) == pytest.approx(expected)


def test_empty_references():
    assert value([("", "")]) == 0.0
    assert value([("abc", "")]) == 1.0


def test_state_dict_roundtrip_and_engine():
    rng = random.Random(0)
    words = ["".join(rng.choice("abc ") for _ in range(rng.randint(0, 6))) for _ in range(12)]
    batches = [(words[:3], words[3:6]), (words[6:9], words[9:])]
    check_state_dict_roundtrip(CharacterErrorRate, batches)
    engine = run_engine(CharacterErrorRate(skip_unrolling=True), batches)
    assert engine == pytest.approx(value(list(zip(words[:3] + words[6:9], words[3:6] + words[9:]))))


def test_errors():
    m = CharacterErrorRate()
    with pytest.raises(
        TypeError, match=r"^y_pred and y must be str or list\[str\], got y_pred: <class 'int'> and y: <class 'str'>$"
    ):
        m.update((1, "a"))
    with pytest.raises(TypeError, match=r"^All elements of y_pred and y must be strings.$"):
        m.update((["a", 1], ["a", "b"]))
    with pytest.raises(
        ValueError, match=r"^y_pred and y must have the same length. Got y_pred of length 2 and y of length 1.$"
    ):
        m.update((["a", "b"], ["a"]))
    with pytest.raises(
        NotComputableError, match=r"^CharacterErrorRate must have at least one example before it can be computed.$"
    ):
        m.compute()
