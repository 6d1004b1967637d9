"""Extractive summaries from stored sentence vectors: score sentences, pick diverse ones, in order.

Two scorers. `LearnedScorer` (the default, values in retrieval/summary_scorer.py) is a logistic
regression fitted by benchmarks/fit_summary_weights.py on 3,989 CNN/DailyMail articles, labelled
by the greedy ROUGE oracle: it reads `learned_features` and the sentence vector itself, so it only
applies to vectors of the model it was fitted with. `SummaryWeights` (from [summary] in the
config) serves any other model; a sentence's score mixes seven signals:

- centrality: cosine to the document's centroid (what the whole document is about);
- lead: cosine to the centroid of the opening sentences (what the writer put first);
- position: a prior for early sentences, 1 / (1 + index) ** position_decay;
- brevity: a penalty for fragments shorter than `min_words` ("Scroll down for video.");
- echo: a bonus for a sentence the document says again in other words (a caption, a recap):
  its highest cosine to another sentence, above ECHO_FLOOR;
- quote: a penalty for a sentence that opens with a quotation mark (a voice, rarely the gist);
- numbers: a bonus for a sentence with a digit in it (an age, a score, a count, a date: the
  concrete facts news highlights keep).

Then maximal marginal relevance picks sentences that do not repeat each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ECHO_FLOOR = 0.5  # cosines below this are ordinary topical overlap, not a restatement
NEAR_DUPLICATE = 0.95  # cosine above which two sentences say the same thing
# The opening of a sentence that refers back to one before it.
POINTS_BACK = re.compile(
    r"^\W*(?:it|its|this|these|that|those|they|their|them|he|his|him|she|her|such)\b",
    re.IGNORECASE,
)
QUOTE_MARKS = "\"'‘’“”«»„"


@dataclass(frozen=True)
class SummaryWeights:
    """How sentences are scored; the values come from [summary] in the config (SummarySettings)."""

    centrality: float
    lead: float
    lead_sentences: int
    position: float
    position_decay: float
    brevity: float
    min_words: int
    echo: float
    quote: float
    numbers: float
    redundancy: float

    def scores(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return sentence_scores(vectors, texts, self)


@dataclass(frozen=True)
class LearnedScorer:
    """Logistic sentence scores: bias + learned_features . feature_weights + vector . vector_weights."""

    model_digest: str  # the embedding model the vector weights were fitted for
    bias: float
    feature_weights: tuple[float, ...]  # in the order of `learned_features`' columns
    vector_weights: tuple[float, ...]
    redundancy: float

    def scores(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        features = learned_features(vectors, texts)
        return (
            self.bias
            + features @ np.asarray(self.feature_weights, dtype=np.float32)
            + vectors @ np.asarray(self.vector_weights, dtype=np.float32)
        )


LEARNED_FEATURES = (
    "centrality",
    "lead",
    "short",
    "echo",
    "opens with a quote",
    "has a digit",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth to tenth",
    "later",
    "log words",
    "relative position",
    "log sentences",
)


def learned_features(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """One row per sentence, columns as LEARNED_FEATURES: the seven signals of `sentence_features`
    (lead = the first sentence, short = under 10 words) without the position prior, which is
    learned here per position instead, plus length and where the sentence sits."""
    count = len(vectors)
    base = sentence_features(vectors, texts, _LEARNED_SHAPE)
    index = np.arange(count)
    positions = [index == k for k in range(5)] + [(index >= 5) & (index < 10), index >= 10]
    words = np.array([len(t.split()) for t in texts], dtype=np.float32)
    return np.column_stack(
        [
            base[:, [0, 1, 3, 4, 5, 6]],
            *positions,
            np.log1p(words),
            index / max(1, count - 1),
            np.full(count, np.log(count)),
        ]
    ).astype(np.float32)


def sentence_features(
    vectors: np.ndarray, texts: Sequence[str], weights: SummaryWeights
) -> np.ndarray:
    """One row per sentence: centrality, lead, position, shortness, echo, opens with a quote,
    has a digit."""
    centroid = _unit(vectors.mean(axis=0))
    lead = _unit(vectors[: max(1, weights.lead_sentences)].mean(axis=0))
    index = np.arange(len(vectors), dtype=np.float32)
    words = np.array([len(t.split()) for t in texts], dtype=np.float32)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    return np.stack(
        [
            vectors @ centroid,
            vectors @ lead,
            1.0 / (1.0 + index) ** weights.position_decay,
            np.clip(1.0 - words / weights.min_words, 0.0, 1.0),
            np.clip(similarity.max(axis=1, initial=-1.0) - ECHO_FLOOR, 0.0, None),
            np.array([t[:1] in QUOTE_MARKS for t in texts], dtype=np.float32),
            np.array([any(c.isdigit() for c in t) for t in texts], dtype=np.float32),
        ],
        axis=1,
    ).astype(np.float32)


def feature_weights(weights: SummaryWeights) -> np.ndarray:
    """The weights in the order of `sentence_features`' columns (penalties negative)."""
    return np.array(
        [
            weights.centrality,
            weights.lead,
            weights.position,
            -weights.brevity,
            weights.echo,
            -weights.quote,
            weights.numbers,
        ],
        dtype=np.float32,
    )


def sentence_scores(
    vectors: np.ndarray, texts: Sequence[str], weights: SummaryWeights
) -> np.ndarray:
    """How well each sentence of one document (vectors and texts in order) summarises it."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    return sentence_features(vectors, texts, weights) @ feature_weights(weights)


def summarize_rows(
    vectors: np.ndarray,
    texts: Sequence[str],
    count: int,
    scorer: SummaryWeights | LearnedScorer,
    *,
    by_score: bool = False,
) -> list[tuple[int, float]]:
    """(index, score) of the `count` sentences that best summarise one document, in document
    order, or best first with `by_score`."""
    if len(vectors) == 0 or count <= 0:
        return []
    relevance = scorer.scores(vectors, texts)
    # A sentence that opens by pointing back ("It can also show…", "This is typically done…")
    # loses its subject when quoted alone: it is picked only once no other sentence is left.
    alone = np.array([i == 0 or not POINTS_BACK.match(t) for i, t in enumerate(texts)])
    chosen = [int(i) for i in np.flatnonzero(alone)]
    chosen = [
        chosen[i]
        for i in select_diverse(vectors[alone], relevance[alone], count, scorer.redundancy)
    ]
    if len(chosen) < count and not alone.all():
        rest = np.flatnonzero(~alone)
        more = select_diverse(
            vectors[rest], relevance[rest], count - len(chosen), scorer.redundancy
        )
        chosen += [int(rest[i]) for i in more]
    return [(i, float(relevance[i])) for i in (chosen if by_score else sorted(chosen))]


def select_diverse(
    vectors: np.ndarray, relevance: np.ndarray, count: int, redundancy: float
) -> list[int]:
    """Maximal marginal relevance: greedily the best sentence, less `redundancy` times its
    similarity to the closest one already picked; near-duplicates are never picked twice."""
    chosen: list[int] = []
    closest = np.full(len(vectors), -1.0, dtype=np.float32)
    available = np.ones(len(vectors), dtype=bool)
    while available.any() and len(chosen) < count:
        gain = np.where(available, relevance - redundancy * np.maximum(closest, 0.0), -np.inf)
        best = int(np.argmax(gain))
        chosen.append(best)
        available[best] = False
        similarity = vectors @ vectors[best]
        closest = np.maximum(closest, similarity)
        available &= similarity < NEAR_DUPLICATE
    return chosen


_LEARNED_SHAPE = SummaryWeights(
    centrality=1.0,
    lead=1.0,
    lead_sentences=1,
    position=0.0,
    position_decay=1.0,
    brevity=1.0,
    min_words=10,
    echo=1.0,
    quote=1.0,
    numbers=1.0,
    redundancy=0.0,
)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
