"""Token-sequence helpers shared by the NLP metrics: n-gram counts, longest common subsequence, clipped
n-gram precision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

__all__ = ["ngrams", "lcs", "modified_precision"]


def ngrams(sequence: Sequence[Hashable], n: int) -> Counter:
    """Counts of the n-grams (tuples of ``n`` consecutive tokens) of ``sequence``.

    ```python
    ngrams(["a", "b", "a", "b"], 2)  # Counter({('a', 'b'): 2, ('b', 'a'): 1})
    ```
    """
    return Counter(tuple(sequence[i : i + n]) for i in range(len(sequence) - n + 1))


def lcs(seq_a: Sequence[Hashable], seq_b: Sequence[Hashable]) -> int:
    """Length of the longest common subsequence of two token sequences (dynamic programming, O(len_a * len_b)).

    ```python
    lcs(["a", "b", "c", "d"], ["a", "c", "d", "b"])  # 3
    ```
    """
    if len(seq_a) < len(seq_b):  # one row of the table, as long as the shorter sequence
        seq_a, seq_b = seq_b, seq_a
    previous = [0] * (len(seq_b) + 1)
    for a in seq_a:
        current = [0]
        for j, b in enumerate(seq_b):
            current.append(previous[j] + 1 if a == b else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def modified_precision(
    references: Sequence[Sequence[Hashable]], candidate: Sequence[Hashable], n: int
) -> tuple[int, int]:
    """Clipped n-gram matches of ``candidate`` against ``references``, and its number of n-grams.

    Each candidate n-gram counts at most as often as it occurs in a single reference (the largest such count).

    ```python
    modified_precision([["the", "cat"]], ["the", "the", "the"], 1)  # (1, 3)
    ```
    """
    counts = ngrams(candidate, n)
    if not counts:
        return 0, 0
    max_counts: dict[tuple, int] = {}
    for reference in references:
        reference_counts = ngrams(reference, n)
        for gram in counts:
            c = reference_counts.get(gram, 0)
            if c > max_counts.get(gram, 0):
                max_counts[gram] = c
    clipped = sum(min(c, max_counts.get(gram, 0)) for gram, c in counts.items())
    return clipped, sum(counts.values())


def _is_sequence(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, str)


def _is_token_list(x: Any) -> bool:
    """A non-string sequence whose first item (if any) is a token, not another sequence."""
    return _is_sequence(x) and (len(x) == 0 or not _is_sequence(x[0]))


def _check_token_inputs(y_pred: Any, y: Any) -> None:
    """``y_pred`` is a list of hypotheses (token lists), ``y`` a list of lists of references (token lists).

    The usual mistakes (plain strings instead of token lists, one reference not wrapped in a list) would be
    counted silently as n-grams of characters, so they are refused here with the argument named.
    """
    if not _is_sequence(y_pred) or not all(_is_token_list(h) for h in y_pred):
        raise TypeError(
            "y_pred should be a list of hypotheses, each a list of tokens (e.g. [['the', 'cat']]), "
            f"got {_describe(y_pred)}"
        )
    if not _is_sequence(y) or not all(_is_sequence(refs) for refs in y):
        raise TypeError(
            "y should be a list (one item per hypothesis) of lists of references, each a list of tokens "
            f"(e.g. [[['the', 'cat']]]), got {_describe(y)}"
        )
    for i, refs in enumerate(y):
        if len(refs) == 0:
            raise ValueError(f"y[{i}] should hold at least one reference, got an empty list")
        if not all(_is_token_list(r) for r in refs):
            raise TypeError(
                f"y[{i}] should be a list of references, each a list of tokens (e.g. [['the', 'cat']]), "
                f"got {_describe(refs)}"
            )


def _describe(x: object, depth: int = 3) -> str:
    """The nesting of ``x``, e.g. ``list[list[str]]``, for error messages."""
    if isinstance(x, str) or not isinstance(x, Sequence) or depth == 0:
        return type(x).__name__
    inner = _describe(x[0], depth - 1) if len(x) else "empty"
    return f"{type(x).__name__}[{inner}]"
