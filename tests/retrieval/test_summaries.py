"""Engine.summarize with the real model: the three scopes, verbatim citations, abstention."""

from __future__ import annotations

import shutil

import pytest

from retrieval.engine import Engine
from retrieval.errors import UnknownDocument
from tests.conftest import SEED_ID, SEEDS, make_settings

VOLCANO = """# Yellowstone's hidden magma

Scientists have found a second, far larger magma reservoir beneath Yellowstone National Park.
The newly found reservoir holds enough hot rock to fill the Grand Canyon eleven times.
Researchers mapped it with seismic waves from thousands of small earthquakes.
Scroll down for video.
The team stressed that the risk of an eruption has not changed.
A supervolcano eruption at Yellowstone would still be extremely unlikely in any given year.
Yellowstone sits above a hotspot that has fed eruptions for millions of years.
The park attracts millions of visitors every year, who come to see its geysers.
"""

MATCH = """# Brentford beat Fulham

Brentford beat Fulham 4-1 on Saturday to move up to fifth place in the Championship.
Stuart Dallas scored two superb goals in the second half.
Fulham had taken the lead through an early header from a corner.
The win keeps Brentford in the race for the play-off places with six games left.
Manager Mark Warburton said he was delighted with the performance.
Fulham remain in danger of relegation after another heavy defeat.
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory, real_embedder) -> Engine:
    root = tmp_path_factory.mktemp("summaries")
    docs = root / "docs"
    shutil.copytree(SEEDS, docs)
    (docs / "volcano.md").write_text(VOLCANO, encoding="utf-8")
    (docs / "match.md").write_text(MATCH, encoding="utf-8")
    engine = Engine(make_settings(root, docs), embedder=real_embedder)
    engine.load()
    return engine


def assert_verbatim_and_cited(engine: Engine, summary) -> None:
    for quote in summary.sentences:
        document = engine.snapshot.document(quote.document)
        assert quote.text == document.text[quote.start : quote.end]
        assert quote.title == document.title and quote.source_url == document.source_url


def test_document_summary_is_its_best_sentences_in_order(engine):
    summary = engine.summarize(document="volcano.md", sentences=3)
    assert summary.scope == "document" and summary.document == "volcano.md"
    assert not summary.abstained and len(summary.sentences) == 3
    assert all(q.document == "volcano.md" for q in summary.sentences)
    starts = [q.start for q in summary.sentences]
    assert starts == sorted(starts)
    assert_verbatim_and_cited(engine, summary)
    texts = " ".join(q.text for q in summary.sentences)
    assert "Scroll down for video." not in texts
    assert "magma reservoir" in texts


def test_document_summary_does_not_encode_anything(engine, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("summarising an indexed document must not run the model")

    monkeypatch.setattr(engine.embedder, "encode", refuse)
    monkeypatch.setattr(engine.embedder, "encode_query", refuse)
    summary = engine.summarize(document=SEED_ID, sentences=2)
    assert len(summary.sentences) == 2
    assert summary.sentences[0].title.startswith("Russia-Ukraine war")


def test_document_by_part_of_its_title_and_unknown_document(engine):
    assert engine.summarize(document="brentford", sentences=1).document == "match.md"
    with pytest.raises(UnknownDocument, match="no document called"):
        engine.summarize(document="no-such-document")


def test_topic_summary_is_about_the_topic_grouped_by_document(engine):
    summary = engine.summarize(topic="magma under Yellowstone volcano", sentences=3)
    assert summary.scope == "topic" and not summary.abstained
    assert summary.sentences[0].document == "volcano.md"
    assert_verbatim_and_cited(engine, summary)
    order = [(q.document, q.start) for q in summary.sentences]
    documents = [d for d, _ in order]
    # Grouped: each document's sentences are together, and in document order within it.
    assert order == sorted(order, key=lambda item: (documents.index(item[0]), item[1]))
    assert len({q.text for q in summary.sentences}) == len(summary.sentences)


def test_topic_summary_quotes_only_sentences_about_the_topic(engine):
    # The seed's one sentence on peacekeeping sits in a passage with two that are not about it.
    summary = engine.summarize(topic="peacekeeping", sentences=3)
    assert not summary.abstained
    assert [q.document for q in summary.sentences] == [SEED_ID]
    assert "peacekeeping" in summary.sentences[0].text
    assert_verbatim_and_cited(engine, summary)


def test_topic_summary_leaves_out_sentences_naming_only_part_of_the_topic(engine):
    summary = engine.summarize(topic="coalition of the willing", sentences=5)
    assert 1 <= len(summary.sentences) < 5
    assert all("coalition of the willing" in q.text for q in summary.sentences)


def test_topic_summary_abstains_when_nothing_is_about_it(engine):
    summary = engine.summarize(topic="a recipe for chocolate chip cookies", sentences=3)
    assert summary.abstained and summary.sentences == ()


def test_collection_digest_is_balanced_across_documents(engine):
    summary = engine.summarize(sentences=3)
    assert summary.scope == "collection" and len(summary.sentences) == 3
    assert {q.document for q in summary.sentences} == {SEED_ID, "volcano.md", "match.md"}
    assert_verbatim_and_cited(engine, summary)
    order = [(q.document, q.start) for q in summary.sentences]
    assert order == sorted(order)


def test_collection_digest_within_a_larger_budget(engine):
    summary = engine.summarize(sentences=7)
    assert len(summary.sentences) == 7
    per_document = {}
    for quote in summary.sentences:
        per_document[quote.document] = per_document.get(quote.document, 0) + 1
    assert max(per_document.values()) - min(per_document.values()) <= 1
