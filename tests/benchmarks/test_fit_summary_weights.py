"""The fitting script's fast ROUGE is rouge-score's, and its oracle labels pick the gist."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from fit_summary_weights import Rouge, oracle_labels  # noqa: E402
from summary_corpus import EmbeddedArticle  # noqa: E402

ARTICLE = EmbeddedArticle(
    id="000.txt",
    texts=(
        "a huge magma reservoir was found under yellowstone.",
        "it is huge.",
        "scientists mapped it with earthquake waves.",
        "visitors still come to see geysers.",
    ),
    vectors=np.zeros((4, 2), dtype=np.float32),
    reference="huge magma reservoir found under yellowstone.\nscientists used earthquake waves.",
)


def test_quick_rouge_equals_rouge_score():
    rouge = Rouge()
    pair = rouge.pair(ARTICLE)
    for picked in ([0], [1, 3], [0, 2]):
        assert np.allclose(Rouge.quick(pair, picked), rouge.full(ARTICLE, picked)[:2])


def test_oracle_labels_the_sentences_that_carry_the_highlights():
    labels = oracle_labels(Rouge().pair(ARTICLE))
    assert labels.tolist() == [1.0, 0.0, 1.0, 0.0]
