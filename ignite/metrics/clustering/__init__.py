"""Clustering quality metrics on ``(features, labels)``, computed in torch on the samples of the epoch."""

from ignite.metrics.clustering.calinski_harabasz_score import CalinskiHarabaszScore
from ignite.metrics.clustering.davies_bouldin_score import DaviesBouldinScore
from ignite.metrics.clustering.silhouette_score import SilhouetteScore

__all__ = ["CalinskiHarabaszScore", "DaviesBouldinScore", "SilhouetteScore"]
