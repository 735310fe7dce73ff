"""Recommendation metrics on ``(batch, num_items)`` score and relevance matrices."""

from ignite.metrics.rec_sys.hitrate import HitRate
from ignite.metrics.rec_sys.ndcg import NDCG

__all__ = ["HitRate", "NDCG"]
