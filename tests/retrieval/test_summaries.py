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


GUIDE = """# Home network guide

This guide explains how to set up a small home network.
It was written for people who have never configured a router before.
Read it from the start, or jump to the part you need.
Each part is short and can be read on its own.

## Choosing a router

A router connects the devices in your home to the internet.
Pick a router that supports the current Wi-Fi standard and has a gigabit wired port.
Cheap routers often stop receiving security updates after a year or two.

## Securing the wireless network

Change the router's default administrator password before anything else.
Use WPA3 encryption, or WPA2 when older devices cannot use WPA3.
Turn off WPS, because its PIN can be guessed in a few hours.

## Sharing a printer

A network printer can be used by every computer in the home.
Connect the printer to the router with a cable or join it to the wireless network.
Then add the printer on each computer from its system settings.

## Backing up files

Back up your files to a network drive every night.
Keep a second copy somewhere outside the home in case of fire or theft.
"""

GUIDE_HTML = """<html><head><title>Garden handbook</title></head><body><main>
<h1>Garden handbook</h1>
<p>This handbook collects what we learned in ten years of gardening.
It starts with soil and ends with harvest.</p>
<h2 id="soil">Preparing the soil</h2>
<p>Dig compost into the beds in autumn so that it breaks down over winter.
Test the soil's acidity before planting anything that needs lime.</p>
<h2 id="sowing">Sowing seeds</h2>
<p>Sow tomatoes indoors in March and move them outside after the last frost.
Sow carrots directly in the bed, thinly, in shallow rows.</p>
<h2 id="harvest">Harvesting</h2>
<p>Pick courgettes while they are small, every two or three days.
Lift potatoes when the leaves have died back.</p>
</main></body></html>
"""


@pytest.fixture(scope="module")
def manuals(tmp_path_factory, real_embedder) -> Engine:
    root = tmp_path_factory.mktemp("manuals")
    docs = root / "docs"
    docs.mkdir()
    (docs / "network.md").write_text(GUIDE, encoding="utf-8")
    (docs / "garden.html").write_text(GUIDE_HTML, encoding="utf-8")
    engine = Engine(make_settings(root, docs), embedder=real_embedder)
    engine.load()
    return engine


def test_a_guide_with_sections_is_summarised_by_what_it_covers(manuals):
    summary = manuals.summarize(document="network.md", sentences=3)
    sections = [q.section for q in summary.sentences]
    # Three different sections, not the guide's three opening sentences.
    assert len(summary.sentences) == 3 and len(set(sections)) == 3
    assert all(section for section in sections)
    assert "This guide explains" not in " ".join(q.text for q in summary.sentences)
    starts = [q.start for q in summary.sentences]
    assert starts == sorted(starts)
    assert_verbatim_and_cited(manuals, summary)


def test_a_web_page_with_headings_is_summarised_section_by_section(manuals):
    summary = manuals.summarize(document="garden.html", sentences=3)
    assert {q.section[-1] for q in summary.sentences} == {
        "Preparing the soil",
        "Sowing seeds",
        "Harvesting",
    }
    assert {q.anchor for q in summary.sentences} == {"soil", "sowing", "harvest"}
    assert_verbatim_and_cited(manuals, summary)


def test_more_sentences_than_sections_takes_the_next_best_of_each(manuals):
    summary = manuals.summarize(document="network.md", sentences=7)
    sections = [q.section for q in summary.sentences]
    assert len(summary.sentences) == 7 and len(set(sections)) == 5
