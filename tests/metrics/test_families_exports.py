"""The clustering, fairness, NLP and recommendation names are exported where spec metrics.md §1.2 puts them."""

import subprocess
import sys

import ignite.metrics as metrics
from ignite.metrics import clustering, fairness, nlp, rec_sys

TOP_LEVEL = ["Bleu", "CharacterErrorRate", "Rouge", "RougeN", "RougeL", "Perplexity", "HitRate", "NDCG"]


def test_top_level_names_and_subpackages():
    for name in TOP_LEVEL + ["clustering", "fairness"]:
        assert name in metrics.__all__
    assert metrics.Bleu is nlp.Bleu and metrics.NDCG is rec_sys.NDCG and metrics.HitRate is rec_sys.HitRate
    assert metrics.clustering is clustering and metrics.fairness is fairness
    assert metrics.nlp is nlp and metrics.rec_sys is rec_sys


def test_subpackage_contents():
    assert nlp.__all__ == ["Bleu", "CharacterErrorRate", "Perplexity", "Rouge", "RougeN", "RougeL"]
    assert rec_sys.__all__ == ["HitRate", "NDCG"]
    for name in ("CalinskiHarabaszScore", "DaviesBouldinScore", "SilhouetteScore"):
        assert getattr(clustering, name).__module__ == f"ignite.metrics.clustering.{_snake(name)}"
    for name, module in (
        ("SubgroupMetric", "base"),
        ("SubgroupDifference", "base"),
        ("SubgroupAccuracyDifference", "accuracy_difference"),
        ("DemographicParityDifference", "demographic_parity"),
        ("SelectionRate", "demographic_parity"),
    ):
        assert getattr(fairness, name).__module__ == f"ignite.metrics.fairness.{module}"
    from ignite.metrics.nlp.rouge import (  # noqa: F401
        MultiRefAverageReducer,
        MultiRefBestReducer,
        MultiRefReducer,
        Score,
        compute_lcs_scores,
        compute_ngram_scores,
    )
    from ignite.metrics.nlp.utils import lcs, modified_precision, ngrams  # noqa: F401


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def test_importing_the_families_loads_no_optional_backend():
    code = (
        "import sys; import ignite.metrics.clustering, ignite.metrics.fairness, ignite.metrics.nlp, "
        "ignite.metrics.rec_sys; "
        "print(sorted(m for m in ('sklearn', 'nltk', 'scipy', 'rouge_score') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
