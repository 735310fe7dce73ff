"""BLEU (Papineni et al., 2002) over token lists, sentence-averaged (``macro``) or corpus-level (``micro``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce
from ignite.metrics.nlp.utils import _check_token_inputs, modified_precision

__all__ = ["Bleu"]

_SMOOTHS = ["no_smooth", "smooth1", "nltk_smooth2", "smooth2"]


def _closest_ref_length(references: Sequence[Sequence[Any]], hyp_len: int) -> int:
    """The reference length closest to ``hyp_len`` (the shorter one on ties)."""
    return min((len(r) for r in references), key=lambda r: (abs(r - hyp_len), r))


def _brevity_penalty(hyp_len: float, ref_len: float) -> float:
    if hyp_len >= ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


def _precisions(smooth: str, num: Sequence[float], den: Sequence[float]) -> list[float]:
    """Smoothed n-gram precisions for orders 1..N (``num[0]``/``den[0]`` are unused)."""
    orders = range(1, len(num))
    if smooth == "smooth1":
        return [(num[k] if num[k] != 0 else 0.1) / max(1, den[k]) for k in orders]
    if smooth in ("smooth2", "nltk_smooth2"):
        dens = [max(1, den[k]) for k in orders] if smooth == "nltk_smooth2" else [den[k] for k in orders]
        return [num[1] / dens[0]] + [(num[k] + 1) / (dens[k - 1] + 1) for k in orders if k >= 2]
    return [num[k] / max(1, den[k]) for k in orders]


class Bleu(Metric):
    r"""BLEU score of tokenised hypotheses against one or more tokenised references each.

    ``update((y_pred, y))`` takes ``y_pred``, a list of hypotheses (each a list of tokens), and ``y``, a list of
    the same length whose items are lists of references (each a list of tokens). With ``average="macro"``
    every hypothesis is scored on its own and ``compute()`` returns the mean as a 0-d tensor; with
    ``average="micro"`` the n-gram counts and lengths are summed over the corpus and ``compute()`` returns one
    corpus-level float.

    Args:
        ngram: highest n-gram order (uniform weights ``1/ngram``).
        smooth: ``"no_smooth"``, ``"smooth1"`` (0.1 matches for empty orders), ``"nltk_smooth2"`` (nltk's
            method 2) or ``"smooth2"`` (add one to orders >= 2, zero denominators kept).
        output_transform: see :class:`~ignite.metrics.metric.Metric`.
        device: device of the accumulators.
        average: ``"macro"`` (mean of sentence scores) or ``"micro"`` (corpus score).

    ```python
    bleu = Bleu(ngram=2)
    bleu.update(([["the", "cat", "sat"]], [[["the", "cat", "sat", "down"]]]))
    bleu.compute()  # tensor(0.7165, dtype=torch.float64)
    ```
    """

    def __init__(
        self,
        ngram: int = 4,
        smooth: str = "no_smooth",
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        average: str = "macro",
    ):
        if ngram <= 0:
            raise ValueError(f"ngram order must be greater than zero (got: {ngram})")
        if smooth not in _SMOOTHS:
            raise ValueError(f"Smooth is not valid (expected: {_SMOOTHS}, got: {smooth})")
        if average not in ["macro", "micro"]:
            raise ValueError(f'Average must be either "macro" or "micro" (got: {average})')
        self.ngrams_order = ngram
        self.weights = [1 / ngram] * ngram
        self.smoother = smooth
        self.average = average
        if average == "macro":
            self._state_dict_all_req_keys = ("_sum_of_bleu", "_num_sentences")
        else:
            self._state_dict_all_req_keys = (
                "p_numerators",
                "p_denominators",
                "hyp_length_sum",
                "ref_length_sum",
                "_num_sentences",
            )
            # the sentence count is ours (it tells "no data" from "a score of 0"): older states may lack it
            self._state_dict_added_keys = ("_num_sentences",)
        super().__init__(output_transform=output_transform, device=device)

    # ------------------------------------------------------------------ counting and scoring

    def _n_gram_counter(
        self,
        references: Sequence[Sequence[Sequence[Any]]],
        candidates: Sequence[Sequence[Any]],
        p_numerators: list[int],
        p_denominators: list[int],
    ) -> tuple[int, int]:
        """Add the clipped matches and n-gram counts of every order into the lists; return the summed
        hypothesis and closest-reference lengths."""
        if len(references) != len(candidates):
            raise ValueError(
                f"nb of candidates should be equal to nb of reference lists ({len(candidates)} != {len(references)})"
            )
        hyp_lengths = ref_lengths = 0
        for refs, hyp in zip(references, candidates):
            for k in range(1, self.ngrams_order + 1):
                num, den = modified_precision(refs, hyp, k)
                p_numerators[k] += num
                p_denominators[k] += den
            hyp_lengths += len(hyp)
            ref_lengths += _closest_ref_length(refs, len(hyp))
        return hyp_lengths, ref_lengths

    def _score(self, num: Sequence[float], den: Sequence[float], hyp_len: float, ref_len: float) -> float:
        if num[1] == 0:
            return 0.0
        if self.smoother == "no_smooth" and min(num[1:]) == 0:
            return 0.0
        bp = _brevity_penalty(hyp_len, ref_len)
        if bp == 0.0:
            return 0.0
        p = _precisions(self.smoother, num, den)
        return bp * math.exp(sum(w * math.log(p_k) for w, p_k in zip(self.weights, p)))

    def _corpus_bleu(self, references: Sequence[Sequence[Sequence[Any]]], candidates: Sequence[Sequence[Any]]) -> float:
        num = [0] * (self.ngrams_order + 1)
        den = [0] * (self.ngrams_order + 1)
        hyp_len, ref_len = self._n_gram_counter(references, candidates, num, den)
        return self._score(num, den, hyp_len, ref_len)

    def _sentence_bleu(self, references: Sequence[Sequence[Any]], candidates: Sequence[Any]) -> float:
        return self._corpus_bleu([references], [candidates])

    # ------------------------------------------------------------------ metric API

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_sentences = 0
        if self.average == "macro":
            self._sum_of_bleu = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
        else:
            size = self.ngrams_order + 1
            self.p_numerators = torch.zeros(size, dtype=self._double_dtype, device=self._device)
            self.p_denominators = torch.zeros(size, dtype=self._double_dtype, device=self._device)
            self.hyp_length_sum = 0
            self.ref_length_sum = 0

    @reinit__is_reduced
    def update(self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]) -> None:
        y_pred, y = output
        _check_token_inputs(y_pred, y)
        if len(y_pred) != len(y):
            raise ValueError(f"nb of candidates should be equal to nb of reference lists ({len(y_pred)} != {len(y)})")
        if self.average == "macro":
            batch_sum = math.fsum(self._sentence_bleu(refs, hyp) for refs, hyp in zip(y, y_pred))
            self._sum_of_bleu = self._sum_of_bleu + batch_sum  # a Python scalar: no transfer, no sync
        else:
            num = [0] * (self.ngrams_order + 1)
            den = [0] * (self.ngrams_order + 1)
            hyp_len, ref_len = self._n_gram_counter(y, y_pred, num, den)
            dtype, device = self.p_numerators.dtype, self.p_numerators.device
            self.p_numerators = self.p_numerators + torch.tensor(num, dtype=dtype).to(device)
            self.p_denominators = self.p_denominators + torch.tensor(den, dtype=dtype).to(device)
            self.hyp_length_sum += hyp_len
            self.ref_length_sum += ref_len
        self._num_sentences += len(y_pred)

    def compute(self) -> float | torch.Tensor:
        if self.average == "macro":
            return self._compute_macro()
        return self._compute_micro()

    def _load_state_dict_per_rank(self, state_dict: Any) -> None:
        super()._load_state_dict_per_rank(state_dict)
        if self.average == "micro" and "_num_sentences" not in state_dict:
            # a state saved without the count: any reference length means sentences were seen
            self._num_sentences = int(self.ref_length_sum > 0 or self.hyp_length_sum > 0)

    @sync_all_reduce("_sum_of_bleu", "_num_sentences")
    def _compute_macro(self) -> torch.Tensor:
        if self._num_sentences == 0:
            raise NotComputableError("Bleu must have at least one example before it can be computed.")
        return self._sum_of_bleu / self._num_sentences

    @sync_all_reduce("p_numerators", "p_denominators", "hyp_length_sum", "ref_length_sum", "_num_sentences")
    def _compute_micro(self) -> float:
        if self._num_sentences == 0:
            raise NotComputableError("Bleu must have at least one example before it can be computed.")
        num = self.p_numerators.tolist()
        den = self.p_denominators.tolist()
        return self._score(num, den, self.hyp_length_sum, self.ref_length_sum)
