"""Fairness metrics: a metric per subgroup of the samples and its gaps between subgroups."""

from ignite.metrics.fairness.accuracy_difference import SubgroupAccuracyDifference
from ignite.metrics.fairness.base import SubgroupDifference, SubgroupMetric
from ignite.metrics.fairness.demographic_parity import DemographicParityDifference, SelectionRate

__all__ = [
    "SubgroupAccuracyDifference",
    "SubgroupDifference",
    "SubgroupMetric",
    "DemographicParityDifference",
    "SelectionRate",
]
