"""Hybrid ranking with a deterministic fake embedder: what ranks first, and what is relevant."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from retrieval.cues import answer_cue
from retrieval.evidence import (
    question_signals,
    relevance_features,
    sentence_features,
    term_share,
)
from retrieval.indexer import build_snapshot
from retrieval.models import Document
from retrieval.query import read_query
from retrieval.scoring import POOL_FACTOR, rank_sentences, relevance_of
from retrieval.settings import ChunkSettings, RetrievalSettings
from tests.conftest import FakeEmbedder

VOLCANO = """# Yellowstone

Scientists have found a second magma reservoir beneath Yellowstone National Park.
The reservoir holds enough hot rock to fill the Grand Canyon eleven times.
Researchers mapped it with seismic waves from small earthquakes.

The park was founded in 1872 as the first national park in the world.
Visitors come every summer to see the geysers and the hot springs.
"""

MATCH = """# Brentford beat Fulham

Brentford beat Fulham on Saturday to move up to fifth place in the league table.
Stuart Dallas scored two superb goals in the second half for Brentford.
Manager Mark Warburton said he was delighted with the performance.
"""


def document(doc_id: str, text: str) -> Document:
    title = text.splitlines()[0].lstrip("# ")
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Document(doc_id, title, None, None, text, sha)


def fake_snapshot(*documents: Document):
    """The snapshot of `documents`, embedded by the fake embedder."""
    return build_snapshot(
        list(documents), embedder=FakeEmbedder(), chunking=ChunkSettings(), previous=None
    ).snapshot


@pytest.fixture(scope="module")
def snapshot():
    return fake_snapshot(document("volcano.md", VOLCANO), document("match.md", MATCH))


def ask(snapshot, question: str, **changes):
    settings = RetrievalSettings(**changes)
    query = read_query(question, snapshot)
    return rank_sentences(snapshot, FakeEmbedder().encode_query(query.text), query, settings)


def top_text(snapshot, question: str, **changes) -> str:
    return snapshot.sentences[ask(snapshot, question, **changes)[0].row].text


def test_the_answering_sentence_ranks_first(snapshot):
    assert top_text(snapshot, "Who scored two goals for Brentford?").startswith("Stuart Dallas")
    assert "magma reservoir" in top_text(snapshot, "What did scientists find beneath Yellowstone?")


def test_results_are_ordered_best_first_and_capped_at_candidates(snapshot):
    ranked = ask(snapshot, "What did Warburton say about the performance?", candidates=5)
    assert len(ranked) == 5
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert len({r.row for r in ranked}) == 5


def test_a_when_question_prefers_the_sentence_with_a_date(snapshot):
    question = "When was the park first founded?"
    assert answer_cue(question) is not None
    assert "1872" in top_text(snapshot, question)


def test_relevance_is_high_on_topic_and_low_for_a_question_the_documents_do_not_cover(snapshot):
    on_topic = ask(snapshot, "Who scored two goals for Brentford in the second half?")[0]
    off_topic = ask(snapshot, "What is the capital of Peru?")[0]
    assert 0.0 <= off_topic.relevance < on_topic.relevance <= 1.0


def test_relevance_falls_when_the_question_names_things_no_document_mentions(snapshot):
    known = ask(snapshot, "Where is the magma reservoir?")[0]
    unknown = ask(snapshot, "Where is the Zanzibar Quokka reservoir?")[0]
    assert unknown.relevance < known.relevance


def test_term_share_weighs_the_terms_a_row_holds():
    weighted = [(3.0, np.array([0, 2])), (1.0, np.array([1])), (4.0, np.array([], dtype=int))]
    assert term_share(weighted, np.array([0, 1, 5])).tolist() == [0.375, 0.125, 0.0]
    assert term_share([], np.array([0])).tolist() == [0.0]


def test_relevance_holds_on_a_one_document_collection_for_short_chat_questions():
    # On one page every topic word is "common" to the collection; weighing words by general
    # English keeps a short question about the page relevant and a question about something
    # else not.
    single = fake_snapshot(document("volcano.md", VOLCANO))
    on_topic = ask(single, "whats the magma reservoir")[0]
    off_topic = ask(single, "how do i install python on windows")[0]
    assert off_topic.relevance < on_topic.relevance


def test_the_same_evidence_counts_for_more_in_a_smaller_collection(snapshot):
    # The best of 5,000 sentences matches an off-topic question better by chance than the
    # best of 20: relevance reads the collection's size (log10 of its sentence count).
    query = read_query("Where is the magma reservoir?", snapshot)
    vector = FakeEmbedder().encode_query(query.text)
    settings = RetrievalSettings()
    signals = question_signals(snapshot, vector, query, POOL_FACTOR * settings.candidates)
    row = np.array([ask(snapshot, query.text)[0].row])
    evidence = relevance_features(snapshot, signals, query, row)
    assert evidence[0, -1] == pytest.approx(np.log10(len(snapshot.sentences)))
    wiki = evidence.copy()
    wiki[0, -1] = np.log10(5000)
    assert relevance_of(wiki, settings)[0] < relevance_of(evidence, settings)[0]


def test_context_coverage_counts_what_only_the_sentence_before_adds(snapshot):
    # "Researchers mapped it ..." follows the sentence naming the reservoir; the park's
    # founding opens a new passage or follows unrelated text.
    question = "How did researchers map the magma reservoir?"
    texts = [s.text for s in snapshot.sentences]
    mapped = next(i for i, t in enumerate(texts) if t.startswith("Researchers mapped"))
    opening = next(i for i, t in enumerate(texts) if t.startswith("Scientists have found"))
    rows = np.array([mapped, opening])
    _, coverage, added, _ = sentence_features(snapshot, read_query(question, snapshot), rows).T
    assert added[0] > 0  # "reservoir" sits in the sentence before
    assert added[1] == 0  # the first sentence has no sentence before it in its passage
    assert np.all(coverage + added <= 1 + 1e-9)


def test_an_empty_snapshot_ranks_nothing():
    empty = fake_snapshot()
    assert ask(empty, "anything at all?") == []


def test_a_rare_word_the_model_misses_still_reaches_full_scoring():
    # Hundreds of sentences share the question's common words, so their cosines beat the one
    # sentence naming "chatham", which only BM25 sees; it must still be scored in full (its
    # term coverage), not cut with the cosine-ranked pool.
    filler = "".join(f"What it is, is what it was in round {n}. " for n in range(400))
    text = f"# Notes\n\n{filler}\n\nAsh is a fellow at Chatham, a London think tank.\n"
    collection = build_snapshot(
        [document("notes.md", text)],
        embedder=FakeEmbedder(),
        chunking=ChunkSettings(),
        previous=None,
    ).snapshot
    assert len(collection.sentences) > POOL_FACTOR * RetrievalSettings().candidates
    best = ask(collection, "what is chatham")[0]
    assert "Chatham" in collection.sentences[best.row].text
