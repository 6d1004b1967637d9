"""Sections of Markdown files, what is embedded under them, and where a quote is cited."""

from __future__ import annotations

import hashlib
import json

from retrieval.documents import load_documents, read_document
from retrieval.indexer import located_text
from retrieval.models import Document, Quote
from retrieval.passages import split_document
from retrieval.places import locate, markdown_places, slug
from tests.conftest import SEEDS

# What the seed's passages, sentences, paragraph numbers and embedding texts were before
# sections existed (computed with the code of commit de6f16f): the ranking is tuned on them.
SEED_ROWS = 25
SEED_DIGEST = "9f4bf842cbd698157a6c326e66429e4083d1b4898bb31341a6205febd1d33a66"


def test_a_markdown_file_whose_only_heading_is_its_title_is_indexed_exactly_as_before():
    documents, _ = load_documents(SEEDS)
    rows = []
    for document in documents:
        assert document.places == ()
        chunks, sentences = split_document(document, max_chars=1000)
        rows += [
            [c.id, c.start, c.end, c.paragraph, located_text(document, c.start, c.text)]
            for c in chunks
        ]
        rows += [
            [s.chunk, s.start, s.end, located_text(document, s.start, s.text)] for s in sentences
        ]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    assert (len(rows), digest) == (SEED_ROWS, SEED_DIGEST)


def test_markdown_sections_are_embedded_under_their_heading_path(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\nAn opening line.\n\n## Install\n\nRun the installer.\n\n"
        "### On Debian\n\nUse apt.\n"
    )
    document = read_document(path, "guide.md")
    at = document.text.index
    assert located_text(document, at("An opening"), "An opening line.") == "Guide\nAn opening line."
    assert (
        located_text(document, at("Use apt"), "Use apt.") == "Guide\nInstall > On Debian\nUse apt."
    )
    assert [p.anchor for p in document.places] == ["install", "on-debian"]


def test_a_second_level_heading_closes_the_third_level_section():
    text = "# T\n\n## A\n\n### A1\n\nx\n\n## B\n\ny\n"
    assert [p.section for p in markdown_places(text, "T")] == [("A",), ("A", "A1"), ("B",)]


def test_slugs_match_what_markdown_renderers_use():
    assert slug("2.3 Package management!") == "23-package-management"
    assert slug("Café & Co") == "café--co"


def club_quote(first: str, last: str) -> tuple[Quote, Document]:
    """A quote of the club page from the words `first` to the words `last`, and the page."""
    document = read_document(SEEDS.parent / "tests/fixtures/documents/club.html", "club.html")
    start = document.text.index(first)
    end = document.text.index(last) + len(last)
    quote = Quote(document.text[start:end], "club.html", "Club", None, start, end, 0.9, 4, "p")
    return quote, document


def test_a_quote_is_cited_to_its_page_section_and_code_block():
    quote, document = club_quote("$ register", "Registered.")
    located = locate(quote, document)
    assert located.code and located.anchor == "prizes"
    assert located.section == ("2.3 Tournaments", "2.3.1 Prizes")
    assert located.text == document.text[located.start : located.end]


def test_a_quote_of_prose_and_the_code_block_after_it_says_where_the_code_begins():
    located = locate(*club_quote("The winner receives", "Registered."))
    assert not located.code
    assert located.text[located.code_from :].startswith("$ register")
    prose, code = located.shown_parts()
    assert (
        prose.endswith("a book voucher.") and code == "$ register --tournament spring\nRegistered."
    )
