"""The main sections of a document: the level that splits it, largest first, introduction last."""

from __future__ import annotations

from retrieval.models import Block, Document, Place, Sentence
from retrieval.outline import main_sections, prose_rows


def document(text: str, places=(), blocks=()) -> Document:
    return Document("guide.html", "Guide", None, None, text, "0" * 64, places=places, blocks=blocks)


def sentences_at(text: str, *starts: int) -> list[Sentence]:
    return [Sentence("guide.html", 0, s, s + 1, text[s : s + 1]) for s in starts]


TEXT = "x" * 100


def test_a_chapter_is_split_by_the_level_below_its_one_heading():
    places = (
        Place(0, 10, section=("Chapter 4",)),
        Place(10, 50, section=("Chapter 4", "4.1 Accounts")),
        Place(50, 100, section=("Chapter 4", "4.2 Passwords")),
    )
    sentences = sentences_at(TEXT, 5, 20, 60, 70, 80)
    groups = main_sections(document(TEXT, places), sentences, list(range(5)), 0)
    # 4.2 has three sentences, 4.1 one; the chapter's introduction comes last.
    assert groups == [[2, 3, 4], [1], [0]]


def test_a_document_without_sections_or_with_one_is_not_split():
    sentences = sentences_at(TEXT, 5, 20)
    assert main_sections(document(TEXT), sentences, [0, 1], 0) == []
    one = (Place(0, 100, section=("Only",)),)
    assert main_sections(document(TEXT, one), sentences, [0, 1], 0) == []


def test_lines_of_code_are_not_prose():
    sentences = sentences_at(TEXT, 5, 20, 60)
    blocks = (Block(15, 30, "code"), Block(55, 65, "heading"))
    assert prose_rows(document(TEXT, blocks=blocks), sentences, 10) == [10, 12]
