"""Hybrid retrieval: dense and BM25 signals of a sentence and its passage, fused and calibrated.

A sentence's score is a weighted sum of four signals — its cosine to the question, its
passage's cosine, and the BM25 of each (divided by the question's best BM25, so they sit on
the cosines' 0-1 scale) — plus the share of the question's idf weight the sentence contains,
the share that only the sentence before it (in the same passage) adds, the share its passage
holds, and a small bonus when it holds what the question asks for (a date for "when", a number
for "how many", "X is" for "What is X?", a name for "who"). The score only orders sentences
for one question.

Whether to answer at all needs a number that means the same for every question: `relevance`,
a logistic model over absolute evidence — the two cosines, the share of the question's
term weight (idf) found in the passage, and the share of it the collection has never seen.
Both sets of weights live in config; `benchmarks/fit_ranking.py` fits them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from retrieval.lexical import LexicalIndex
from retrieval.settings import RetrievalSettings
from retrieval.snapshot import Snapshot


POOL_FACTOR = 4  # sentences scored in full per candidate kept


@dataclass(frozen=True)
class RankedSentence:
    row: int  # sentence row in the snapshot
    score: float  # fused score, used for ordering
    relevance: float  # how well it answers, comparable across questions: used to abstain


# Words a question uses to ask, not to say what it is about; BM25's own stop list keeps them.
FUNCTION_WORDS = """what which who whom whose when where why how did do does done can could
would should shall may might must has have had having was were been being am i me my we our
you your he him his she her its they them their there here than from about also any some
many much more most other others one ones kind type sort""".split()

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}})s?\b|\b(?:{_MONTHS})\b|\bcentur(?:y|ies)\b|\b\d+(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|large|big|far|tall|high|often)\b"
    r"|\bwhat (?:percentage|percent|number|amount|proportion)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|century|decade|time|period)\b",
    re.IGNORECASE,
)


_ASKS_DEFINITION = re.compile(
    r"^\s*what(?:\s+(?:is|are)|['’]s)\s+(?:an?\s+|the\s+)?(?P<term>[^?]{2,60}?)[\s?]*$",
    re.IGNORECASE,
)
# What may follow the term in a sentence that defines it: a closing quote, a parenthesis.
_DEFINES = r"[\"'”’)]*\s*(?:\([^)]*\)\s*)?,?\s*(?:is|are|refers?\s+to|means?|denotes?)\b"
_QUOTES = "\"'“”‘’«»"
_ASKS_PERSON = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)


def answer_type_pattern(question: str) -> re.Pattern | None:
    """What an answering sentence must contain: a number, a date, a definition of the term
    a short "What is X?" asks about ("X is", "X refers to"), for "who" a capitalised name the
    question does not already hold, or None (no cue)."""
    if _ASKS_NUMBER.search(question):
        return _NUMBER
    if _ASKS_DATE.search(question):
        return _DATE
    definition = _ASKS_DEFINITION.match(question)
    words = [w.strip(_QUOTES) for w in definition["term"].split()] if definition else []
    if 0 < len(words) <= 4 and all(words):
        term = r"\s+".join(map(re.escape, words))
        return re.compile(rf"\b{term}{_DEFINES}", re.IGNORECASE)
    if _ASKS_PERSON.search(question):
        named = "|".join(sorted(set(re.findall(r"\w+", question.lower()))))
        return re.compile(rf"(?<=\s)(?!(?i:{named})\b)[A-Z][a-z]+")
    return None


@dataclass(frozen=True)
class Signals:
    """One question's evidence for the candidate sentences and the passages holding them.

    Arrays span the whole snapshot; rows that are not candidates keep a dense score of -1.
    """

    candidates: np.ndarray  # sentence rows worth scoring, from FAISS and BM25
    dense_sentence: np.ndarray  # cosine of each sentence to the question
    dense_passage: np.ndarray  # cosine of each passage (embedded with its title)
    lexical_sentence: np.ndarray  # BM25 of each sentence / the best sentence's BM25
    lexical_passage: np.ndarray  # BM25 of each passage (with title) / the best passage's


def question_signals(
    snapshot: Snapshot, query_vector: np.ndarray, query: str, depth: int
) -> Signals:
    """Candidates: the `depth` nearest sentences and `depth` // 4 nearest passages in FAISS,
    the same numbers by BM25, and every sentence of those passages."""
    vector = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(1, -1))
    lexical_sentence = snapshot.sentence_lexical.scores(query)
    lexical_passage = snapshot.chunk_lexical.scores(query)
    dense_sentence = _nearest(snapshot.sentence_index, vector, depth)
    dense_passage = _nearest(snapshot.chunk_index, vector, max(1, depth // 4))
    passages = np.union1d(
        np.flatnonzero(dense_passage > -1), _top(lexical_passage, max(1, depth // 4))
    )
    candidates = np.union1d(
        np.union1d(np.flatnonzero(dense_sentence > -1), _top(lexical_sentence, depth)),
        np.flatnonzero(np.isin(snapshot.sentence_chunk, passages)),
    )
    # Exact cosines for every candidate and its passage, whether or not FAISS listed it.
    dense_sentence[candidates] = snapshot.sentence_vectors[candidates] @ vector[0]
    chunk_rows = np.unique(snapshot.sentence_chunk[candidates])
    dense_passage[chunk_rows] = snapshot.chunk_vectors[chunk_rows] @ vector[0]
    return Signals(
        candidates=candidates,
        dense_sentence=dense_sentence,
        dense_passage=dense_passage,
        lexical_sentence=_scaled(lexical_sentence),
        lexical_passage=_scaled(lexical_passage),
    )


def _nearest(index, vector: np.ndarray, k: int) -> np.ndarray:
    """Inner products of the k nearest rows of a FAISS index; -1 for the rest."""
    scores = np.full(index.ntotal, -1.0, dtype=np.float32)
    found, rows = index.search(vector, min(k, index.ntotal))
    kept = rows[0] >= 0
    scores[rows[0][kept]] = found[0][kept]
    return scores


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k highest positive scores."""
    if not len(scores):
        return np.zeros(0, dtype=np.int64)
    k = min(k, len(scores))
    rows = np.argpartition(-scores, k - 1)[:k]
    return rows[scores[rows] > 0]


def ranking_features(snapshot: Snapshot, signals: Signals, rows: np.ndarray) -> np.ndarray:
    """Per sentence in `rows`: [dense sentence, dense passage, lexical sentence, lexical passage]."""
    chunk_of = snapshot.sentence_chunk[rows]
    return np.stack(
        [
            signals.dense_sentence[rows],
            signals.dense_passage[chunk_of],
            signals.lexical_sentence[rows],
            signals.lexical_passage[chunk_of],
        ],
        axis=1,
    )


def sentence_features(snapshot: Snapshot, query: str, rows: np.ndarray) -> np.ndarray:
    """Per sentence in `rows`: [answer-type cue, its share of the question's idf weight, the
    share only the sentence before it adds, its passage's share (title included)]."""
    coverage, _ = term_evidence(snapshot.sentence_lexical, query, rows)
    passage, _ = term_evidence(snapshot.chunk_lexical, query, snapshot.sentence_chunk[rows])
    return np.column_stack(
        [
            answer_type_cue(snapshot, query, rows),
            coverage,
            context_coverage(snapshot, query, rows, coverage),
            passage,
        ]
    )


def answer_type_cue(snapshot: Snapshot, query: str, rows: np.ndarray) -> np.ndarray:
    """1.0 for each sentence in `rows` holding what the question asks for, else 0.0."""
    pattern = answer_type_pattern(query)
    if pattern is None:
        return np.zeros(len(rows))
    return np.array([float(bool(pattern.search(snapshot.sentences[r].text))) for r in rows])


def relevance_features(
    snapshot: Snapshot, signals: Signals, query: str, rows: np.ndarray
) -> np.ndarray:
    """Per sentence in `rows`: [its cosine, its passage's cosine, the passage's share of the
    question's idf weight, the share of that weight unknown to the collection]."""
    chunk_rows = snapshot.sentence_chunk[rows]
    coverage, unknown = term_evidence(snapshot.chunk_lexical, query, chunk_rows)
    return np.stack(
        [
            signals.dense_sentence[rows],
            signals.dense_passage[chunk_rows],
            coverage,
            np.full(len(rows), unknown),
        ],
        axis=1,
    )


def rank_sentences(
    snapshot: Snapshot, query_vector: np.ndarray, query: str, settings: RetrievalSettings
) -> list[RankedSentence]:
    """The `settings.candidates` best sentences for a question, best first."""
    if not snapshot.sentences:
        return []
    pool = POOL_FACTOR * settings.candidates
    signals = question_signals(snapshot, query_vector, query, pool)
    weights = np.array(
        [
            settings.dense_sentence_weight,
            settings.dense_passage_weight,
            settings.lexical_sentence_weight,
            settings.lexical_passage_weight,
        ],
        dtype=np.float32,
    )
    fused = ranking_features(snapshot, signals, signals.candidates) @ weights
    # The cue and term coverage are per-sentence work: score a wider pool, keep `candidates`.
    pool = min(pool, len(fused))
    best = np.argpartition(-fused, pool - 1)[:pool]
    rows, fused = signals.candidates[best], fused[best]
    per_sentence = np.array(
        [
            settings.answer_type_weight,
            settings.term_coverage_weight,
            settings.context_coverage_weight,
            settings.passage_coverage_weight,
        ]
    )
    scores = fused + sentence_features(snapshot, query, rows) @ per_sentence
    kept = np.argsort(-scores, kind="stable")[: settings.candidates]
    rows, scores = rows[kept], scores[kept]
    coefficients = np.array(
        [
            settings.relevance_sentence_weight,
            settings.relevance_passage_weight,
            settings.relevance_coverage_weight,
            settings.relevance_unknown_weight,
        ]
    )
    evidence = relevance_features(snapshot, signals, query, rows)
    logit = settings.relevance_bias + evidence @ coefficients
    relevance = 1.0 / (1.0 + np.exp(-logit))
    order = np.argsort(-scores, kind="stable")
    return [
        RankedSentence(int(rows[i]), float(scores[i]), float(relevance[i])) for i in order
    ]


def term_evidence(
    lexical: LexicalIndex, query: str, rows: np.ndarray
) -> tuple[np.ndarray, float]:
    """Per row of `lexical`: the share of the question's idf weight it contains; and the share
    of that weight in terms no text in the collection contains (question words left out)."""
    weighted = question_terms(lexical, query)
    if not weighted:
        return np.zeros(len(rows)), 0.0
    mass = sum(weight for weight, _ in weighted)
    present = np.zeros(len(rows))
    for weight, posting in weighted:
        if len(posting):
            present += weight * np.isin(rows, posting)
    unknown = sum(weight for weight, posting in weighted if not len(posting)) / mass
    return present / mass, unknown


def context_coverage(
    snapshot: Snapshot, query: str, rows: np.ndarray, coverage: np.ndarray
) -> np.ndarray:
    """Per sentence in `rows`: the share of the question's idf weight found in the sentence
    before it (same passage) but not in the sentence itself, whose own share is `coverage`
    (from `term_evidence`). An answer often says "it" or "he" for what the question names."""
    rows = np.asarray(rows)
    before = np.maximum(rows - 1, 0)
    chunk = snapshot.sentence_chunk
    before = np.where((rows > 0) & (chunk[before] == chunk[rows]), before, rows)
    weighted = question_terms(snapshot.sentence_lexical, query)
    if not weighted:
        return np.zeros(len(rows))
    either = np.zeros(len(rows))
    for weight, posting in weighted:
        if len(posting):
            either += weight * (np.isin(rows, posting) | np.isin(before, posting))
    return either / sum(weight for weight, _ in weighted) - coverage


def question_terms(lexical: LexicalIndex, query: str) -> list[tuple[float, np.ndarray]]:
    """(idf weight, rows holding it) of each content term of the question; a term no text
    holds gets the idf of a term seen nowhere."""
    terms, postings = lexical.postings(query)
    content = set(content_terms(lexical, query))
    total = max(lexical.size, 1)
    return [(_idf(len(p), total), p) for t, p in zip(terms, postings) if t in content]


def content_terms(lexical: LexicalIndex, query: str) -> list[str]:
    """The question's stemmed terms that say what it is about (not "how", "did", "many")."""
    function_words = set(lexical.terms(" ".join(FUNCTION_WORDS)))
    return [t for t in dict.fromkeys(lexical.terms(query)) if t not in function_words]


def _idf(document_frequency: int, total: int) -> float:
    return math.log(1.0 + (total - document_frequency + 0.5) / (document_frequency + 0.5))


def _scaled(scores: np.ndarray) -> np.ndarray:
    """BM25 scores divided by the best one, so they mix with cosines on a 0-1 scale."""
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else scores
