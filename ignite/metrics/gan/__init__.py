"""Metrics of generative models: :class:`FID` and :class:`InceptionScore` (plus :func:`fid_score` and the
default feature extractor :class:`InceptionModel`, importable from here but not in ``__all__``)."""

from ignite.metrics.gan.fid import FID
from ignite.metrics.gan.fid import fid_score as fid_score
from ignite.metrics.gan.inception_score import InceptionScore
from ignite.metrics.gan.utils import InceptionModel as InceptionModel

__all__ = ["InceptionScore", "FID"]
