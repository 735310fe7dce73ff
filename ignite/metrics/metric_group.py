"""``MetricGroup``: several metrics updated and computed together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ignite.metrics.metric import Metric, _identity

__all__ = ["MetricGroup"]


class MetricGroup(Metric):
    """Update and compute a dict of metrics together; ``compute`` returns ``{name: value}``.

    The group's ``output_transform`` (and mapping/unrolling handling) applies first, then each member's own
    ``output_transform``. With the default ``metrics_result_mode`` the engine gets each member's value under
    its name and the whole dict under the group's name.

    ```python
    group = MetricGroup({"acc": Accuracy(), "nll": Loss(nn.NLLLoss())})
    group.attach(evaluator, "eval")
    ```
    """

    _state_dict_all_req_keys: tuple[str, ...] = ("metrics",)

    def __init__(
        self, metrics: dict[str, Metric], output_transform: Callable = _identity, skip_unrolling: bool = False
    ) -> None:
        self.metrics = metrics
        super().__init__(output_transform=output_transform, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        for m in self.metrics.values():
            m.reset()

    def update(self, output: Sequence) -> None:
        for m in self.metrics.values():
            m.update(m._output_transform(output))

    def compute(self) -> dict[str, Any]:
        return {name: m.compute() for name, m in self.metrics.items()}
