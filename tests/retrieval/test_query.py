"""A question read once: what the model reads, its topic terms, their weights and postings."""

from __future__ import annotations

from retrieval.indexer import build_snapshot
from retrieval.query import informativeness, read_query
from retrieval.settings import ChunkSettings
from tests.conftest import FakeEmbedder
from tests.retrieval.test_scoring import document, snapshot  # noqa: F401  (the volcano + match fixture)


def test_the_model_reads_contractions_spelled_out_and_typos_respelled(snapshot):
    query = read_query("whats the magma resevoir", snapshot)
    assert query.typed == "whats the magma resevoir"
    assert query.text == "what is the magma reservoir"


def test_words_that_only_shape_the_question_are_not_its_topic(snapshot):
    query = read_query("what does the magma reservoir mean, explain what happened", snapshot)
    assert [t.stem for t in query.terms] == ["magma", "reservoir"]
    assert all(not t.unknown for t in query.terms)


def test_rarer_words_say_more_and_words_no_text_holds_are_unknown(snapshot):
    query = read_query("did brentford play in zanzibar", snapshot)
    weights = {t.stem: t for t in query.terms}
    assert weights["zanzibar"].unknown and not weights["brentford"].unknown
    assert weights["play"].informativeness < weights["brentford"].informativeness
    assert informativeness("the") == 1.0 and informativeness("qwxzvbnm") == 8.0


def test_postings_and_idf_come_from_the_collection(snapshot):
    [term] = read_query("geysers?", snapshot).terms
    rows = [snapshot.sentences[r].text for r in term.sentences]
    assert rows == ["Visitors come every summer to see the geysers and the hot springs."]
    assert len(term.passages) == 1 and term.sentence_idf > 0 and term.passage_idf > 0


def test_the_cue_is_read_from_the_question_as_spelled_out(snapshot):
    assert read_query("whats a magma reservoir", snapshot).cue.pattern.search(
        "A magma reservoir is hot"
    )
    assert read_query("where is the park", snapshot).cue is None


def test_chat_shorthand_finds_the_word_the_documents_spell_out():
    text = "# Sources\n\nAdd a repository to the sources list before you install a package.\n"
    documents = [document("sources.md", text)]
    small = build_snapshot(
        documents, embedder=FakeEmbedder(), chunking=ChunkSettings(), previous=None
    ).snapshot
    query = read_query("how do i add a repo for a pkg", small)
    assert query.text == "how do i add a repository for a package"
    assert query.typed == "how do i add a repo for a pkg"
    assert all(not t.unknown for t in query.terms)


def test_a_compound_typed_apart_finds_the_word_the_documents_use():
    text = "# Q&A\n\nOne unidentified schoolgirl asks about the threat to Russia.\n"
    small = build_snapshot(
        [document("qa.md", text)], embedder=FakeEmbedder(), chunking=ChunkSettings(), previous=None
    ).snapshot
    query = read_query("wht did the school girl ask", small)
    assert query.text == "what did the schoolgirl ask"
    assert [(t.stem, t.unknown) for t in query.terms] == [("schoolgirl", False), ("ask", False)]
