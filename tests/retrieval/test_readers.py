"""Readers for PDF, HTML, DOCX and RST: the text a user can quote, where it sits, bad files."""

from __future__ import annotations

import shutil

import pypdfium2 as pdfium
import pytest

from retrieval.documents import load_documents, read_document
from retrieval.passages import split_document
from retrieval.places import block_at, place_at
from retrieval.readers import Limits, reader_for
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
DOCS = FIXTURES / "documents"
BAD = FIXTURES / "bad"


def read(name: str):
    return read_document(DOCS / name, name)


def place_of(document, words: str):
    return place_at(document, document.text.index(words))


def test_pdf_text_is_cited_to_the_page_it_is_printed_on():
    document = read("handbook.pdf")
    assert document.reader == "pdf" and document.title == "Club Handbook"
    pdf = pdfium.PdfDocument(DOCS / "handbook.pdf")
    for words in ("Welcome to the chess club", "20 euros a year", "room B12 of the town library"):
        page = place_of(document, words).page
        assert words in pdf[page - 1].get_textpage().get_text_range()
    assert place_of(document, "20 euros a year").section == ("Membership fees",)


def test_pdf_running_header_is_not_text():
    assert "page 2" not in read("handbook.pdf").text


def test_html_keeps_the_main_content_and_drops_navigation_scripts_and_footer():
    text = read("club.html").text
    assert "The club was founded in 1952 by three teachers." in text
    for furniture in ("Next page", "never quoted", "privacy policy"):
        assert furniture not in text


def test_html_sections_carry_their_heading_path_and_anchor():
    document = read("club.html")
    prizes = place_of(document, "wooden trophy")
    assert prizes.section == ("2.3 Tournaments", "2.3.1 Prizes") and prizes.anchor == "prizes"
    assert place_of(document, "seven rounds").anchor == "tournaments"


def test_html_code_and_tables_are_blocks_not_prose():
    document = read("club.html")
    assert block_at(document, document.text.index("$ register")).kind == "code"
    assert block_at(document, document.text.index("4 April")).kind == "table"
    assert "$ register --tournament spring\nRegistered." in document.text  # lines kept


def test_a_section_without_an_id_links_to_its_parents_anchor_not_its_siblings():
    from retrieval.readers.html import read as read_html

    page = (
        b"<html><body><h1>Guide</h1><h2 id='a'>A</h2><p>one.</p><h3>A1</h3><p>two.</p>"
        b"<h2>B</h2><p>three.</p></body></html>"
    )
    extracted = read_html(page, Limits())
    anchors = {p.section: p.anchor for p in extracted.places}
    assert anchors == {("A",): "a", ("A", "A1"): "a", ("B",): None}


def test_docx_headings_paragraphs_and_tables():
    document = read("rules.docx")
    assert document.title == "Club Rules"
    assert place_of(document, "one guest").section == ("Guests",)
    assert place_of(document, "one guest").anchor == "guests"  # the heading's Word bookmark
    assert place_of(document, "keep silent").anchor is None  # a heading without one
    assert block_at(document, document.text.index("student guest fee")).kind == "table"


def test_rst_sections_use_docutils_ids_and_include_reads_no_file():
    document = read("equipment.rst")
    assert document.title == "Club Equipment"
    place = place_of(document, "cupboard")
    assert (
        place.section == ("Borrowing sets", "Returning sets") and place.anchor == "returning-sets"
    )
    assert block_at(document, document.text.index("borrow --set 7")).kind == "code"
    assert "root:" not in document.text


@pytest.mark.parametrize("name", ["handbook.pdf", "club.html", "rules.docx", "equipment.rst"])
def test_passages_are_verbatim_never_hold_a_heading_and_never_cross_a_section(name):
    document = read(name)
    chunks, sentences = split_document(document, max_chars=1000)
    assert chunks and sentences
    headings = [b for b in document.blocks if b.kind == "heading"]
    for piece in (*chunks, *sentences):
        assert document.text[piece.start : piece.end] == piece.text
        assert not any(h.start < piece.end and piece.start < h.end for h in headings)
        assert place_at(document, piece.start) == place_at(document, piece.end - 1)


def test_a_code_block_is_its_own_passage():
    document = read("club.html")
    chunks, _ = split_document(document, max_chars=1000)
    assert "$ register --tournament spring\nRegistered." in [c.text for c in chunks]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "the PDF is encrypted"),
        ("scan.pdf", "no text layer; OCR is not supported"),
        ("truncated.pdf", "not a readable PDF (truncated or damaged)"),
        ("empty-page.html", "no main content"),
        ("not-a-zip.docx", "not a zip file"),
        ("bomb.docx", "would unpack to 210 MB, over the 200 MB allowed"),
    ],
)
def test_bad_files_are_skipped_with_a_reason_and_the_rest_still_load(tmp_path, name, reason):
    shutil.copy(BAD / name, tmp_path / name)
    shutil.copy(DOCS / "club.html", tmp_path / "club.html")
    documents, skipped = load_documents(tmp_path)
    assert [d.id for d in documents] == ["club.html"]
    assert [s.path for s in skipped] == [name] and reason in skipped[0].reason


def test_a_file_over_max_file_mb_is_skipped(tmp_path):
    shutil.copy(DOCS / "rules.docx", tmp_path / "rules.docx")
    documents, skipped = load_documents(tmp_path, max_file_mb=0.01)
    assert not documents and "over documents.max_file_mb" in skipped[0].reason


def test_a_library_failure_on_a_damaged_file_is_a_skip_not_a_crash(tmp_path):
    raw = (DOCS / "rules.docx").read_bytes()
    (tmp_path / "broken.docx").write_bytes(raw.replace(b"word/document.xml", b"word/documenX.xml"))
    documents, skipped = load_documents(tmp_path)
    assert not documents and skipped[0].path == "broken.docx"


def test_zip_bomb_guard_uses_the_limit_it_is_given():
    with pytest.raises(ValueError, match="would unpack"):
        reader_for(".docx")((DOCS / "rules.docx").read_bytes(), Limits(max_unpacked_bytes=1000))


def test_readers_load_every_fixture_format(tmp_path):
    documents, skipped = load_documents(DOCS)
    assert not skipped
    assert {d.id: d.reader for d in documents} == {
        "club.html": "html",
        "equipment.rst": "rst",
        "handbook.pdf": "pdf",
        "rules.docx": "docx",
    }
