"""Root mean squared error."""

from __future__ import annotations

import math

from ignite.metrics.mean_squared_error import MeanSquaredError

__all__ = ["RootMeanSquaredError"]


class RootMeanSquaredError(MeanSquaredError):
    r"""Root mean squared error: :math:`\sqrt{\frac{1}{N} \sum_{i=1}^N \lVert y_i - x_i \rVert^2_2}`.

    Same input and accumulation as :class:`~ignite.metrics.MeanSquaredError`; ``compute`` returns a float.
    """

    def compute(self) -> float:  # type: ignore[override]
        return math.sqrt(super().compute())
