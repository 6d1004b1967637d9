"""A question read once: what the model reads, its topic terms, their weights and postings."""

from __future__ import annotations

from retrieval.query import informativeness, read_query
from tests.retrieval.test_scoring import document, fake_snapshot, snapshot  # noqa: F401  (the volcano + match fixture)


def test_the_model_reads_contractions_spelled_out_and_typos_respelled(snapshot):
    query = read_query("whats the magma resevoir", snapshot)
    assert query.typed == "whats the magma resevoir"
    assert query.text == "what is the magma reservoir"


def test_words_that_only_shape_the_question_are_not_its_topic(snapshot):
    query = read_query("what does the magma reservoir mean, explain what happened", snapshot)
    assert [t.stem for t in query.terms] == ["magma", "reservoir"]
    assert all(not t.unknown for t in query.terms)
    # The frame of a factoid question is no topic either: these ask about the park.
    for question in (
        "where was the park held",
        "how much is the park worth",
        "where is it located",
    ):
        assert {t.stem for t in read_query(question, snapshot).terms} <= {"park"}


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
    small = fake_snapshot(document("sources.md", text))
    query = read_query("how do i add a repo for a pkg", small)
    assert query.text == "how do i add a repository for a package"
    assert query.typed == "how do i add a repo for a pkg"
    assert all(not t.unknown for t in query.terms)


def test_a_compound_typed_apart_finds_the_word_the_documents_use():
    text = "# Q&A\n\nOne unidentified schoolgirl asks about the threat to Russia.\n"
    small = fake_snapshot(document("qa.md", text))
    query = read_query("wht did the school girl ask", small)
    assert query.text == "what did the schoolgirl ask"
    assert [(t.stem, t.unknown) for t in query.terms] == [("schoolgirl", False), ("ask", False)]


def test_words_no_document_contains_are_named_unless_among_the_commonest(snapshot):
    # "zanzibar" and "coach" are in no text; "old" is in none either, but is too common a
    # word to be worth telling; "vs" asks for a comparison and is no topic.
    query = read_query("how old is the brentford coach vs the one in zanzibar", snapshot)
    assert query.missing == ("coach", "zanzibar")
    assert next(t for t in query.terms if t.stem == "old").unknown
    assert "vs" not in {t.stem for t in query.terms}
    # A typo respelled as a word the texts use is not missing.
    assert read_query("whats the magma resevoir", snapshot).missing == ()


def test_a_name_typed_a_letter_off_is_read_as_the_texts_spell_it():
    # Stemmed, "zelensky" is "zelenski", two edits from the texts' "zelenskyy"; as typed it is
    # one. A known word is never "respelled" as typed: "packages" is not "package2".
    text = "# Talks\n\nZelenskyy met Starmer. Upload package2 with the other packages.\n"
    small = fake_snapshot(document("t.md", text))
    query = read_query("what did zelensky say about packages", small)
    assert query.text == "what did Zelenskyy say about packages"
    assert query.missing == ()
