"""The main sections of a document with headings, so its summary covers what it covers."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.models import Document, Sentence
from retrieval.places import block_at, is_literal, section_of

MAX_DEPTH = 4  # heading levels looked through for a level that splits the document


def prose_rows(document: Document, sentences: Sequence[Sentence], first_row: int) -> list[int]:
    """Rows of the sentences that are prose: a line of a code block or table summarises nothing."""
    return [
        first_row + i
        for i, sentence in enumerate(sentences)
        if not is_literal(block_at(document, sentence.start))
    ]


def main_sections(
    document: Document, sentences: Sequence[Sentence], rows: Sequence[int], first_row: int
) -> list[list[int]]:
    """`rows` grouped by section, largest section first (ties in document order), at the
    shallowest heading level that splits the document in two or more: a manual whose every
    section sits under its one chapter heading is split by the level below. Text before the
    first heading of that level (an introduction) comes after every section. Empty for a
    document without sections (or with one): its summary is scored as a whole."""
    if not document.places:
        return []
    paths = {row: section_of(document, sentences[row - first_row].start) for row in rows}
    for depth in range(1, MAX_DEPTH + 1):
        groups: dict[tuple[str, ...], list[int]] = {}
        for row in rows:
            groups.setdefault(paths[row][:depth], []).append(row)
        if len(groups) >= 2:
            return [
                group
                for path, group in sorted(
                    groups.items(),
                    key=lambda item: (len(item[0]) < depth, -len(item[1]), item[1][0]),
                )
            ]
        if all(len(path) <= depth for path in paths.values()):
            return []
    return []
