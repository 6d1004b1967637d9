"""Rank a question's candidate sentences and say how relevant each is.

A sentence's score is a weighted sum of four signals — its cosine to the question, its
passage's cosine, and the BM25 of each (divided by the question's best BM25, so they sit on
the cosines' 0-1 scale) — plus the share of the question's idf weight the sentence contains,
the share that only the sentence before it (in the same passage) adds, the share its passage
holds, and a small bonus when it holds what the question asks for (see `cues`). The score only
orders sentences for one question.

Whether to answer at all needs a number that means the same for every question and every
collection: `relevance`, a logistic model over absolute evidence (see
`evidence.relevance_features`). Both sets of weights live in config, named below in the order
of the feature columns; `benchmarks/fit_ranking.py` fits them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.evidence import (
    best_positions,
    question_signals,
    ranking_features,
    relevance_features,
    sentence_features,
)
from retrieval.query import Query
from retrieval.settings import RetrievalSettings
from retrieval.snapshot import Snapshot

POOL_FACTOR = 4  # sentences scored in full per candidate kept

# The settings that weigh each column of ranking_features, sentence_features and
# relevance_features, in column order.
FUSED_WEIGHTS = (
    "dense_sentence_weight",
    "dense_passage_weight",
    "lexical_sentence_weight",
    "lexical_passage_weight",
)
SENTENCE_WEIGHTS = (
    "answer_type_weight",
    "term_coverage_weight",
    "context_coverage_weight",
    "passage_coverage_weight",
)
RELEVANCE_WEIGHTS = (
    "relevance_sentence_weight",
    "relevance_passage_weight",
    "relevance_coverage_weight",
    "relevance_unknown_weight",
    "relevance_size_weight",
)


@dataclass(frozen=True)
class RankedSentence:
    row: int  # sentence row in the snapshot
    score: float  # fused score, used for ordering
    relevance: float  # how well it answers, comparable across questions: used to abstain


def weights(settings: RetrievalSettings, names: tuple[str, ...]) -> np.ndarray:
    return np.array([getattr(settings, name) for name in names])


def relevance_of(evidence: np.ndarray, settings: RetrievalSettings) -> np.ndarray:
    """The relevance model (0-1) over rows of `evidence.relevance_columns`."""
    logit = settings.relevance_bias + evidence @ weights(settings, RELEVANCE_WEIGHTS)
    return 1.0 / (1.0 + np.exp(-logit))


def rank_sentences(
    snapshot: Snapshot,
    query_vector: np.ndarray,
    query: Query,
    settings: RetrievalSettings,
    follow_up_of: str | None = None,
) -> list[RankedSentence]:
    """The `settings.candidates` best sentences for a question, best first; `follow_up_of`
    (a document of the snapshot) changes only their relevance (see `relevance_features`)."""
    if not snapshot.sentences:
        return []
    pool = POOL_FACTOR * settings.candidates
    signals = question_signals(snapshot, query_vector, query, pool)
    fused = ranking_features(snapshot, signals, signals.candidates) @ weights(
        settings, FUSED_WEIGHTS
    )
    # The cue and term coverage are per-sentence work: score a wider pool, keep `candidates`.
    # The pool is the best by the fused score and the best by BM25 alone: the fused score
    # leans on the cosines, which miss a name the model does not know ("chatham house").
    best = np.union1d(
        best_positions(fused, pool), best_positions(signals.lexical_sentence, settings.candidates)
    )
    rows, fused = signals.candidates[best], fused[best]
    scores = fused + sentence_features(snapshot, query, rows) @ weights(settings, SENTENCE_WEIGHTS)
    kept = np.argsort(-scores, kind="stable")[: settings.candidates]
    rows, scores = rows[kept], scores[kept]
    relevance = relevance_of(
        relevance_features(snapshot, signals, query, rows, follow_up_of), settings
    )
    return [RankedSentence(int(r), float(s), float(p)) for r, s, p in zip(rows, scores, relevance)]
