"""Character error rate: Levenshtein edits per reference character."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ignite.exceptions import NotComputableError
from ignite.metrics.metric import Metric, _identity, reinit__is_reduced, sync_all_reduce

__all__ = ["CharacterErrorRate"]


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (unit-cost insert, delete, substitute) between two strings, per code point."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class CharacterErrorRate(Metric):
    """Total character edits needed to turn each prediction into its reference, over the total reference length.

    ``update((y_pred, y))`` takes two strings or two lists of strings of the same length. Every character
    counts, spaces and newlines included. ``compute()`` returns a float (``0.0``/``1.0`` when all references
    are empty and there are no/some errors).

    ```python
    cer = CharacterErrorRate()
    cer.update((["kitten"], ["sitting"]))
    cer.compute()  # 0.428571... (3 edits / 7 characters)
    ```
    """

    _state_dict_all_req_keys = ("_num_errors", "_num_refs", "_num_examples")
    _state_dict_added_keys = ("_num_errors", "_num_refs", "_num_examples")  # upstream saved nothing

    def __init__(
        self,
        output_transform: Callable = _identity,
        device: str | torch.device = torch.device("cpu"),
        skip_unrolling: bool = False,
    ) -> None:
        super().__init__(output_transform=output_transform, device=device, skip_unrolling=skip_unrolling)

    @reinit__is_reduced
    def reset(self) -> None:
        self._num_errors = 0
        self._num_refs = 0
        self._num_examples = 0

    @reinit__is_reduced
    def update(self, output: Sequence[str | list[str]]) -> None:
        y_pred, y = output[0], output[1]
        if not isinstance(y_pred, (str, list)) or not isinstance(y, (str, list)):
            raise TypeError(f"y_pred and y must be str or list[str], got y_pred: {type(y_pred)} and y: {type(y)}")
        predictions = [y_pred] if isinstance(y_pred, str) else y_pred
        references = [y] if isinstance(y, str) else y
        if not all(isinstance(s, str) for s in predictions) or not all(isinstance(s, str) for s in references):
            raise TypeError("All elements of y_pred and y must be strings.")
        if len(predictions) != len(references):
            raise ValueError(
                f"y_pred and y must have the same length. Got y_pred of length {len(predictions)} "
                f"and y of length {len(references)}."
            )
        self._num_errors += sum(_edit_distance(p, r) for p, r in zip(predictions, references))
        self._num_refs += sum(len(r) for r in references)
        self._num_examples += 1

    @sync_all_reduce("_num_errors", "_num_refs", "_num_examples")
    def compute(self) -> float:
        if self._num_examples == 0:
            raise NotComputableError("CharacterErrorRate must have at least one example before it can be computed.")
        if self._num_refs == 0:
            return 0.0 if self._num_errors == 0 else 1.0
        return self._num_errors / self._num_refs
