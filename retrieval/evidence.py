"""What speaks for a candidate sentence: dense and BM25 signals, the question's terms it holds,
and the absolute evidence the relevance model reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.query import Query
from retrieval.snapshot import Snapshot


@dataclass(frozen=True)
class Signals:
    """One question's evidence for its candidate sentences and the passages holding them.

    Arrays follow `candidates` and `passages` (not the whole snapshot): what a question costs
    grows with its candidates, not with the collection.
    """

    candidates: np.ndarray  # sentence rows worth scoring, from FAISS and BM25, in order
    passages: np.ndarray  # the passage rows holding them, in order
    dense_sentence: np.ndarray  # per candidate: its cosine to the question
    dense_passage: np.ndarray  # per passage (embedded with its title): its cosine
    lexical_sentence: np.ndarray  # per candidate: its BM25 / the best sentence's BM25
    lexical_passage: np.ndarray  # per passage (with title): its BM25 / the best passage's

    def of_sentences(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) of sentence `rows`, each one of `candidates`."""
        at = np.searchsorted(self.candidates, rows)
        return self.dense_sentence[at], self.lexical_sentence[at]

    def of_passages(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) of passage `rows`, each one of `passages`."""
        at = np.searchsorted(self.passages, rows)
        return self.dense_passage[at], self.lexical_passage[at]


def question_signals(
    snapshot: Snapshot, query_vector: np.ndarray, query: Query, depth: int
) -> Signals:
    """Candidates: the `depth` nearest sentences and `depth` // 4 nearest passages in FAISS,
    the same numbers by BM25, and every sentence of those passages."""
    vector = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(1, -1))
    sentence_holders = snapshot.sentence_lexical.scores_of_holders(query.stems)
    passage_holders = snapshot.chunk_lexical.scores_of_holders(query.stems)
    passages = np.union1d(
        _nearest(snapshot.chunk_index, vector, max(1, depth // 4)),
        _top(*passage_holders, max(1, depth // 4)),
    )
    candidates = np.union1d(
        np.union1d(
            _nearest(snapshot.sentence_index, vector, depth), _top(*sentence_holders, depth)
        ),
        snapshot.sentences_in_chunks(passages),
    )
    # Exact cosines for every candidate and its passage, whether or not FAISS listed it.
    chunk_rows = np.unique(snapshot.sentence_chunk[candidates])
    return Signals(
        candidates=candidates,
        passages=chunk_rows,
        dense_sentence=snapshot.sentence_vectors[candidates] @ vector[0],
        dense_passage=snapshot.chunk_vectors[chunk_rows] @ vector[0],
        lexical_sentence=_scaled(*sentence_holders, candidates),
        lexical_passage=_scaled(*passage_holders, chunk_rows),
    )


def ranking_features(snapshot: Snapshot, signals: Signals, rows: np.ndarray) -> np.ndarray:
    """Per sentence in `rows`: [dense sentence, dense passage, lexical sentence, lexical passage]."""
    dense, lexical = signals.of_sentences(rows)
    dense_passage, lexical_passage = signals.of_passages(snapshot.sentence_chunk[rows])
    return np.stack([dense, dense_passage, lexical, lexical_passage], axis=1)


def sentence_features(snapshot: Snapshot, query: Query, rows: np.ndarray) -> np.ndarray:
    """Per sentence in `rows`: [answer-type cue, its share of the question's idf weight, the
    share only the sentence before it adds, its passage's share (title included)]."""
    chunk_rows = snapshot.sentence_chunk[rows]
    sentence_idf = [(t.sentence_idf, t.sentences) for t in query.terms]
    coverage = term_share(sentence_idf, rows)
    return np.column_stack(
        [
            answer_type_cue(snapshot, query, rows),
            coverage,
            term_share(sentence_idf, rows, _sentence_before(snapshot, rows)) - coverage,
            term_share([(t.passage_idf, t.passages) for t in query.terms], chunk_rows),
        ]
    )


def relevance_features(
    snapshot: Snapshot,
    signals: Signals,
    query: Query,
    rows: np.ndarray,
    follow_up_of: str | None = None,
) -> np.ndarray:
    """Per sentence in `rows`: its cosine and its passage's, then the evidence
    `relevance_columns` adds with the passage's share of the topic words.

    A follow-up question (`follow_up_of`: the document the conversation's last answer quoted)
    is most likely about that document again, so its sentences compete only with that
    document's: their size column is the document's own sentence count, not the collection's.
    Sentences of other documents keep the collection's, so a change of topic is judged as a
    first question is."""
    chunk_rows = snapshot.sentence_chunk[rows]
    competing = np.full(len(rows), len(snapshot.sentences))
    if follow_up_of is not None:
        inside = snapshot.sentence_doc[rows] == snapshot.doc_rows[follow_up_of]
        competing[inside] = len(snapshot.sentences_of(follow_up_of))
    return relevance_columns(
        snapshot,
        query,
        signals.of_sentences(rows)[0],
        signals.of_passages(chunk_rows)[0],
        [(t.informativeness, t.passages) for t in query.terms],
        chunk_rows,
        competing,
    )


def relevance_columns(
    snapshot: Snapshot,
    query: Query,
    cosine: np.ndarray,
    context_cosine: np.ndarray,
    postings: list[tuple[float, np.ndarray]],
    holders: np.ndarray,
    competing: np.ndarray | None = None,
) -> np.ndarray:
    """The relevance model's columns, in `scoring.RELEVANCE_WEIGHTS` order: a text's cosine to
    the question, its context's cosine, the share of the question's topic words the `holders`
    (rows of `postings`) hold, the share no text in the collection holds, and log10 of the
    number of sentences each text competes with (`competing`; by default the collection's).

    Topic words are weighed by how rare they are in general English, not in the collection, so
    the shares mean the same for one page as for a thousand. The size is there because the
    best of many texts matches an off-topic question better by chance than the best of a few:
    the same evidence is worth more in a one-page FAQ than in a wiki."""
    mass = sum(t.informativeness for t in query.terms) or 1.0
    unknown = sum(t.informativeness for t in query.terms if t.unknown) / mass
    if competing is None:
        competing = np.full(len(holders), len(snapshot.sentences))
    return np.stack(
        [
            cosine,
            context_cosine,
            term_share(postings, holders),
            np.full(len(holders), unknown),
            np.log10(np.maximum(competing, 1)),
        ],
        axis=1,
    )


def answer_type_cue(snapshot: Snapshot, query: Query, rows: np.ndarray) -> np.ndarray:
    """1.0 for each sentence in `rows` holding what the question asks for, else 0.0."""
    if query.cue is None:
        return np.zeros(len(rows))
    return np.array(
        [float(bool(query.cue.pattern.search(snapshot.sentences[r].text))) for r in rows]
    )


def term_share(
    weighted: list[tuple[float, np.ndarray]], rows: np.ndarray, also: np.ndarray | None = None
) -> np.ndarray:
    """Per row: the share of the terms' weight it holds (each term as (weight, rows holding
    it)); with `also`, a term counts when the row or its counterpart in `also` holds it."""
    mass = sum(weight for weight, _ in weighted)
    if not mass:
        return np.zeros(len(rows))
    present = np.zeros(len(rows))
    for weight, holding in weighted:
        if len(holding):
            found = _held(holding, rows)
            if also is not None:
                found |= _held(holding, also)
            present += weight * found
    return present / mass


def _held(holding: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """np.isin(rows, holding) for `holding` sorted without repeats, as a term's postings are
    (BM25 stores each term's rows in order): a binary search per row instead of a pass over
    every row holding the term (a common word's 100,000 rows at a million sentences)."""
    at = np.minimum(np.searchsorted(holding, rows), len(holding) - 1)
    return np.asarray(holding[at] == rows)


def _sentence_before(snapshot: Snapshot, rows: np.ndarray) -> np.ndarray:
    """Each row's previous sentence in the same passage (itself when it opens the passage): an
    answer often says "it" or "he" for what the question names just before."""
    before = np.maximum(rows - 1, 0)
    chunk = snapshot.sentence_chunk
    return np.where((rows > 0) & (chunk[before] == chunk[rows]), before, rows)


def _nearest(index, vector: np.ndarray, k: int) -> np.ndarray:
    """The rows of the k nearest vectors in a FAISS index (fewer when it holds fewer)."""
    _, rows = index.search(vector, min(k, index.ntotal))
    return rows[0][rows[0] >= 0]


def best_positions(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` largest `values` (all of them when there are fewer)."""
    if count >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values, count - 1)[:count]


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Of `rows`, those of the k highest positive `scores`."""
    best = best_positions(scores, k)
    return rows[best[scores[best] > 0]]


def _scaled(rows: np.ndarray, scores: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The BM25 scores of `wanted` (0 for a row not in `rows`) divided by the best of all, so
    they mix with cosines on a 0-1 scale."""
    out = np.zeros(len(wanted), dtype=np.float32)
    if not len(rows):
        return out
    held = _held(rows, wanted)
    out[held] = scores[np.searchsorted(rows, wanted[held])]
    top = float(scores.max())
    return out / top if top > 0 else out
