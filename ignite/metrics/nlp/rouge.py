"""ROUGE-N and ROUGE-L (Lin, 2004) over token lists, with several references per candidate."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce
from ignite.metrics.nlp.utils import _check_token_inputs, lcs, ngrams

__all__ = [
    "Rouge",
    "RougeN",
    "RougeL",
    "Score",
    "compute_ngram_scores",
    "compute_lcs_scores",
    "MultiRefReducer",
    "MultiRefAverageReducer",
    "MultiRefBestReducer",
]


class Score(NamedTuple):
    """Matches between a candidate and a reference, with the candidate and reference sizes."""

    match: int
    candidate: int
    reference: int

    def precision(self) -> float:
        return 0.0 if self.candidate == 0 else self.match / self.candidate

    def recall(self) -> float:
        return 0.0 if self.reference == 0 else self.match / self.reference


def compute_ngram_scores(candidate: Sequence[Any], reference: Sequence[Any], n: int = 4) -> Score:
    """n-gram overlap (multiset intersection) of two token lists, with their n-gram counts."""
    candidate_counts = ngrams(candidate, n)
    reference_counts = ngrams(reference, n)
    match = sum((candidate_counts & reference_counts).values())
    return Score(match=match, candidate=sum(candidate_counts.values()), reference=sum(reference_counts.values()))


def compute_lcs_scores(candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
    """Longest common subsequence of two token lists, with their lengths."""
    return Score(match=lcs(candidate, reference), candidate=len(candidate), reference=len(reference))


class MultiRefReducer(metaclass=ABCMeta):
    """Combine the scores of one candidate against each of its references into one score."""

    @abstractmethod
    def __call__(self, scores: list[Score]) -> Score:
        pass


class MultiRefAverageReducer(MultiRefReducer):
    """Sum the matches and sizes over the references (a micro average)."""

    def __call__(self, scores: list[Score]) -> Score:
        match = sum(s.match for s in scores)
        candidate = sum(s.candidate for s in scores)
        reference = sum(s.reference for s in scores)
        return Score(match=match, candidate=candidate, reference=reference)


class MultiRefBestReducer(MultiRefReducer):
    """The score of the reference with the highest recall (the first one on ties)."""

    def __call__(self, scores: list[Score]) -> Score:
        return max(scores, key=lambda s: s.recall())


_REDUCERS: dict[str, type[MultiRefReducer]] = {"best": MultiRefBestReducer, "average": MultiRefAverageReducer}


class _BaseRouge(Metric):
    """Mean precision, recall and F-measure of candidates against their references.

    ``F = P R / ((1 - alpha) P + alpha R)``: ``alpha = 0`` gives the recall, ``alpha = 0.5`` the harmonic mean,
    ``alpha = 1`` the precision.
    """

    _state_dict_all_req_keys = ("_recall", "_precision", "_fmeasure", "_num_examples")

    def __init__(
        self,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in interval [0, 1] (got : {alpha})")
        if multiref not in _REDUCERS:
            raise ValueError(f"multiref : valid values are ['best', 'average'] (got : {multiref})")
        self._alpha = alpha
        self._multiref_reducer = _REDUCERS[multiref]()
        super().__init__(output_transform=output_transform, device=device)

    @property
    def name(self) -> str:  # set by subclasses
        raise NotImplementedError

    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        raise NotImplementedError

    def _fmeasure_of(self, precision: float, recall: float) -> float:
        if precision * recall == 0:
            return 0.0
        return precision * recall / ((1 - self._alpha) * precision + self._alpha * recall)

    @reinit__is_reduced
    def reset(self) -> None:
        self._recall = 0.0
        self._precision = 0.0
        self._fmeasure = 0.0
        self._num_examples = 0

    @reinit__is_reduced
    def update(self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]) -> None:
        candidates, references = output
        _check_token_inputs(candidates, references)
        if len(candidates) != len(references):
            raise ValueError(
                f"y_pred and y must hold as many items: {len(candidates)} candidates, {len(references)} reference lists"
            )
        for candidate, refs in zip(candidates, references):
            score = self._multiref_reducer([self._compute_score(candidate, ref) for ref in refs])
            precision, recall = score.precision(), score.recall()
            self._precision += precision
            self._recall += recall
            self._fmeasure += self._fmeasure_of(precision, recall)
        self._num_examples += len(candidates)

    @sync_all_reduce("_precision", "_recall", "_fmeasure", "_num_examples")
    def compute(self) -> Mapping:
        if self._num_examples == 0:
            raise NotComputableError("Rouge metric must have at least one example before being computed")
        n = self._num_examples
        return {
            f"{self.name}-P": float(self._precision / n),
            f"{self.name}-R": float(self._recall / n),
            f"{self.name}-F": float(self._fmeasure / n),
        }


class RougeN(_BaseRouge):
    """ROUGE-N: n-gram overlap of candidates with their references.

    ``update((y_pred, y))`` takes a list of candidates (token lists) and a list of the same length of lists of
    references (token lists). ``compute()`` returns ``{"Rouge-N-P": .., "Rouge-N-R": .., "Rouge-N-F": ..}``
    (means over candidates).

    Args:
        ngram: the n-gram order.
        multiref: ``"average"`` (sum the overlaps over the references) or ``"best"`` (the reference with the
            highest recall).
        alpha: weight of recall in ``F = P R / ((1 - alpha) P + alpha R)``, in ``[0, 1]``.
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: unused (the sums are Python numbers); kept for the common signature.

    ```python
    m = RougeN(ngram=1)
    m.update(([["a", "b", "c"]], [[["a", "b", "d", "e"]]]))
    m.compute()  # {'Rouge-1-P': 0.666..., 'Rouge-1-R': 0.5, 'Rouge-1-F': 0.5}
    ```
    """

    def __init__(
        self,
        ngram: int = 4,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if ngram < 1:
            raise ValueError(f"ngram order must be greater than zero (got : {ngram})")
        self._ngram = ngram
        super().__init__(multiref=multiref, alpha=alpha, output_transform=output_transform, device=device)

    @property
    def name(self) -> str:
        return f"Rouge-{self._ngram}"

    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        return compute_ngram_scores(candidate, reference, self._ngram)


class RougeL(_BaseRouge):
    """ROUGE-L: longest common subsequence of candidates and references (same inputs as :class:`RougeN`).

    ```python
    m = RougeL(alpha=0.5)
    m.update(([["a", "b", "c"]], [[["a", "c", "b", "d"]]]))
    m.compute()  # {'Rouge-L-P': 0.666..., 'Rouge-L-R': 0.5, 'Rouge-L-F': 0.571...}
    ```
    """

    @property
    def name(self) -> str:
        return "Rouge-L"

    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        return compute_lcs_scores(candidate, reference)


class Rouge(Metric):
    """Several ROUGE variants at once: ``variants`` lists n-gram orders (ints) and ``"L"``.

    ``compute()`` merges the dicts of the variants in the given order (default ``[1, 2, 4, "L"]``). The other
    arguments are those of :class:`RougeN`.

    ```python
    m = Rouge(variants=[1, "L"], multiref="best")
    m.update(([["a", "b", "c"]], [[["a", "b", "d", "e"], ["a", "c"]]]))
    sorted(m.compute())  # ['Rouge-1-F', 'Rouge-1-P', 'Rouge-1-R', 'Rouge-L-F', 'Rouge-L-P', 'Rouge-L-R']
    ```
    """

    _state_dict_all_req_keys = ("internal_metrics",)

    def __init__(
        self,
        variants: Sequence[str | int] | None = None,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
    ) -> None:
        if variants is None or len(variants) == 0:
            variants = [1, 2, 4, "L"]
        self.internal_metrics: list[_BaseRouge] = []
        for m in variants:
            variant: _BaseRouge
            if isinstance(m, str) and m == "L":
                variant = RougeL(multiref=multiref, alpha=alpha, output_transform=output_transform, device=device)
            elif isinstance(m, int) and not isinstance(m, bool) and m > 0:
                variant = RougeN(
                    ngram=m, multiref=multiref, alpha=alpha, output_transform=output_transform, device=device
                )
            else:
                raise ValueError("variant must be 'L' or integer greater to zero")
            self.internal_metrics.append(variant)
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        for m in self.internal_metrics:
            m.reset()

    @reinit__is_reduced
    def update(self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]) -> None:
        for m in self.internal_metrics:
            m.update(output)

    def compute(self) -> Mapping:
        results: dict[str, float] = {}
        for m in self.internal_metrics:
            results.update(m.compute())
        return results
