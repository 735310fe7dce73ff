"""References of the regression metrics (numpy, scipy, scikit-learn; not a test module).

``A`` is the target, ``P`` the prediction, both float64 numpy vectors.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import canberra, cityblock
from scipy.stats import gmean, kendalltau, pearsonr, spearmanr
from sklearn.metrics import (
    max_error,
    mean_absolute_percentage_error,
    median_absolute_error,
    r2_score,
)

RUNNING = {
    "CanberraMetric": lambda P, A: canberra(P, A),
    "FractionalAbsoluteError": lambda P, A: np.mean(2 * np.abs(A - P) / (np.abs(A) + np.abs(P))),
    "FractionalBias": lambda P, A: np.mean(2 * (A - P) / (A + P)),
    "GeometricMeanAbsoluteError": lambda P, A: gmean(np.abs(A - P)),
    "ManhattanDistance": lambda P, A: cityblock(P, A),
    "MaximumAbsoluteError": lambda P, A: max_error(A, P),
    "MeanAbsoluteRelativeError": lambda P, A: mean_absolute_percentage_error(A, P),
    "MeanError": lambda P, A: np.mean(A - P),
    "MeanNormalizedBias": lambda P, A: np.mean((A - P) / A),
    "PearsonCorrelation": lambda P, A: pearsonr(P, A).statistic,
    "R2Score": lambda P, A: r2_score(A, P),
    "WaveHedgesDistance": lambda P, A: np.sum(np.abs(A - P) / np.maximum(A, P)),
}

STORED = {
    "GeometricMeanRelativeAbsoluteError": lambda P, A: gmean(np.abs(A - P) / np.abs(A - A.mean())),
    "MedianAbsoluteError": lambda P, A: median_absolute_error(A, P),
    "MedianAbsolutePercentageError": lambda P, A: 100 * np.median(np.abs(A - P) / np.abs(A)),
    "MedianRelativeAbsoluteError": lambda P, A: np.median(np.abs(A - P) / np.abs(A - A.mean())),
    "SpearmanRankCorrelation": lambda P, A: spearmanr(P, A).statistic,
    "KendallRankCorrelation": lambda P, A: kendalltau(P, A, variant="b").statistic,
}

ALL = {**RUNNING, **STORED}

# metrics that take positive targets/predictions only (divisions by A, A + P, max(A, P); logs)
POSITIVE = {"WaveHedgesDistance", "FractionalBias", "MeanNormalizedBias", "MeanAbsoluteRelativeError"}


def sample(n: int, seed: int, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Targets and correlated predictions (continuous: no ties, no zeros)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    p = a + 0.5 * rng.normal(size=n)
    if positive:
        a, p = np.abs(a) + 0.5, np.abs(p) + 0.5
    return p, a
