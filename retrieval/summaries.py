"""Summaries of the collection, one document, or a topic, as cited verbatim sentences."""

from __future__ import annotations

import numpy as np

from retrieval.answers import make_quote
from retrieval.errors import UnknownDocument
from retrieval.evidence import relevance_columns
from retrieval.models import Document, Summary
from retrieval.outline import main_sections, prose_rows
from retrieval.query import Query
from retrieval.scoring import rank_sentences, relevance_of
from retrieval.settings import Settings, SummarySettings
from retrieval.snapshot import Snapshot
from retrieval.summarizer import LearnedScorer, SummaryWeights, select_diverse, summarize_rows
from retrieval.summary_scorer import SCORER

# Topic summaries choose among this many times `count` of the best-ranked sentences.
TOPIC_POOL = 4
# Redundancy for topic and collection summaries, whose scores are on other scales than the
# document sentence scores `[summary] redundancy` was fitted for (it keeps the collection digest
# balanced: a document's best sentence always comes before any document's second).
DIGEST_REDUNDANCY = 0.5


def summarize_snapshot(
    snapshot: Snapshot,
    *,
    document: str | None,
    topic: Query | None,
    topic_vector: np.ndarray | None,
    count: int,
    settings: Settings,
) -> Summary:
    """Topic if given, else one document if given, else the whole collection."""
    scorer = document_scorer(snapshot, settings.summary)
    if topic is not None:
        picked = _topic_rows(snapshot, topic, topic_vector, count, settings)
        scope = "topic"
    elif document is not None:
        document = find_document(snapshot, document).id
        picked = document_rows(snapshot, document, count, scorer)
        scope = "document"
    else:
        picked = _collection_rows(snapshot, count, scorer)
        scope = "collection"
    quotes = tuple(
        make_quote(snapshot, row, snapshot.sentences[row].start, snapshot.sentences[row].end, score)
        for row, score in picked
    )
    return Summary(scope, document, topic.typed if topic else None, quotes, abstained=not quotes)


def summary_weights(settings: SummarySettings) -> SummaryWeights:
    return SummaryWeights(
        centrality=settings.centrality_weight,
        lead=settings.lead_weight,
        lead_sentences=settings.lead_sentences,
        position=settings.position_weight,
        position_decay=settings.position_decay,
        brevity=settings.brevity_weight,
        min_words=settings.min_words,
        echo=settings.echo_weight,
        quote=settings.quote_weight,
        numbers=settings.numbers_weight,
        redundancy=settings.redundancy,
    )


def document_scorer(
    snapshot: Snapshot, settings: SummarySettings
) -> LearnedScorer | SummaryWeights:
    """The learned scorer when the index holds vectors of the model it was fitted for (its
    weights read those vectors), else the [summary] weights, which suit any model."""
    if snapshot.manifest.get("model", {}).get("digest") == SCORER.model_digest:
        return SCORER
    return summary_weights(settings)


def find_document(snapshot: Snapshot, name: str) -> Document:
    """A document by id, title, or a unique part of either (case-insensitive)."""
    wanted = name.strip().lower()
    for document in snapshot.documents:
        if wanted in (document.id.lower(), document.title.lower()):
            return document
    matches = [
        d
        for d in snapshot.documents
        if wanted and (wanted in d.id.lower() or wanted in d.title.lower())
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(d.id for d in matches[:5])
        raise UnknownDocument(f"{name!r} matches several documents: {names}")
    raise UnknownDocument(f"no document called {name!r}; /sources lists them")


def document_rows(
    snapshot: Snapshot, doc_id: str, count: int, scorer: LearnedScorer | SummaryWeights
) -> list[tuple[int, float]]:
    """(sentence row, score) of one document's best `count` sentences, in document order.

    A document with sections (a manual, a web page with headings) is summarised by what it
    covers: the best sentence of each of its `count` largest sections (then the second best of
    each, when it has fewer), each section scored as a document of its own, so the opening of
    each section counts as a lead. Other documents are scored whole."""
    span = snapshot.sentences_of(doc_id)
    if not span or count <= 0:
        return []
    document = snapshot.document(doc_id)
    sentences = snapshot.sentences[span.start : span.stop]
    rows = prose_rows(document, sentences, span.start) or list(span)
    sections = main_sections(document, sentences, rows, span.start)
    if not sections:
        return _best_rows(snapshot, rows, count, scorer)
    ranked = [_best_rows(snapshot, section, count, scorer, by_score=True) for section in sections]
    picked = [picks[rank] for rank in range(count) for picks in ranked if rank < len(picks)]
    return sorted(picked[:count])


def _best_rows(
    snapshot: Snapshot,
    rows: list[int],
    count: int,
    scorer: LearnedScorer | SummaryWeights,
    by_score: bool = False,
) -> list[tuple[int, float]]:
    """(row, score) of the best `count` of `rows` read as one document; in document order, or
    best first with `by_score`."""
    texts = [snapshot.sentences[r].text for r in rows]
    picks = summarize_rows(snapshot.sentence_vectors[rows], texts, count, scorer, by_score=by_score)
    return [(rows[i], score) for i, score in picks]


def _collection_rows(
    snapshot: Snapshot, count: int, scorer: LearnedScorer | SummaryWeights
) -> list[tuple[int, float]]:
    """A balanced digest: every document's best sentence before any document's second, the
    documents closest to the collection's theme first, repeats across documents removed."""
    per_document = [
        sorted(document_rows(snapshot, d.id, count, scorer), key=lambda pick: -pick[1])
        for d in snapshot.documents
    ]
    pool = [(rank, row) for picks in per_document for rank, (row, _) in enumerate(picks)]
    if not pool:
        return []
    rows = [row for _, row in pool]
    vectors = snapshot.sentence_vectors[rows]
    theme = vectors.mean(axis=0)
    theme /= np.linalg.norm(theme) or 1.0
    # Rank within its document dominates (balance); the theme only orders documents.
    relevance = -np.array([rank for rank, _ in pool], dtype=np.float32) + 0.5 * (vectors @ theme)
    chosen = select_diverse(vectors, relevance, count, DIGEST_REDUNDANCY)
    picked = sorted((rows[i], float(relevance[i])) for i in chosen)
    return sorted(picked, key=lambda pick: (snapshot.sentence_doc[pick[0]], pick[0]))


def _topic_rows(
    snapshot: Snapshot,
    topic: Query,
    topic_vector: np.ndarray | None,
    count: int,
    settings: Settings,
) -> list[tuple[int, float]]:
    """The sentences most about the topic, diverse, grouped by document in document order.

    Each must clear the answer threshold twice, as an answer (its passage's evidence counts)
    and on its own evidence, and name no less of the topic than the best sentence found does
    (see `on_topic`). Fewer than `count` when fewer qualify; none (an abstention) when none
    does."""
    if topic_vector is None:
        return []
    ranked = rank_sentences(snapshot, topic_vector, topic, settings.retrieval)
    relevant = [r for r in ranked if r.relevance >= settings.answer.min_score]
    if not relevant:
        return []
    keep = on_topic(snapshot, topic, topic_vector, np.array([r.row for r in relevant]), settings)
    relevant = [r for r, kept in zip(relevant, keep) if kept][: count * TOPIC_POOL]
    if not relevant:
        return []
    rows = [r.row for r in relevant]
    relevance = np.array([r.score for r in relevant], dtype=np.float32)
    chosen = select_diverse(snapshot.sentence_vectors[rows], relevance, count, DIGEST_REDUNDANCY)
    picked = [(rows[i], float(relevance[i])) for i in chosen]
    return sorted(picked, key=lambda pick: (snapshot.sentence_doc[pick[0]], pick[0]))


def on_topic(
    snapshot: Snapshot, topic: Query, topic_vector: np.ndarray, rows: np.ndarray, settings: Settings
) -> np.ndarray:
    """Which sentence `rows` are themselves about the topic, not just beside a sentence that is.

    The answer relevance model (`[retrieval] relevance_*`, threshold `answer.min_score`) is
    applied to each sentence as if it were a passage of its own: its cosine in place of its
    passage's, the share of the topic's words it holds in place of its passage's share. And it
    must hold as much of the topic's words as the best of them: when some sentence names "Bank
    of America Tower" in full, one that only says "tower" is not about it (on SQuAD topics a
    quoted sentence holding only part of the topic was about it 1 time in 7)."""
    cosine = snapshot.sentence_vectors[rows] @ np.asarray(topic_vector, dtype=np.float32)
    postings = [(t.informativeness, t.sentences) for t in topic.terms]
    evidence = relevance_columns(snapshot, topic, cosine, cosine, postings, rows)
    held = evidence[:, 2]  # the share of the topic's words the sentence holds
    relevant = relevance_of(evidence, settings.retrieval) >= settings.answer.min_score
    if not relevant.any():
        return relevant
    return relevant & (held >= held[relevant].max() - 1e-9)
