"""Where an offset of a document's text sits: its page, section and anchor, and what a quote cites."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace

from retrieval.models import Block, Document, Place, Quote

_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_SLUG_DROP = re.compile(r"[^\w\- ]")


def place_at(document: Document, offset: int) -> Place | None:
    """The place holding `offset`, or None (text before the first section of a file)."""
    return _containing(document.places, offset)


def block_at(document: Document, offset: int) -> Block | None:
    return _containing(document.blocks, offset)


def section_of(document: Document, offset: int) -> tuple[str, ...]:
    place = place_at(document, offset)
    return place.section if place else ()


def locate(quote: Quote, document: Document) -> Quote:
    """The quote with the page, section and anchor of where it starts, and whether it is code
    (or, for a lead-in quoted with the block it introduces, where the code begins)."""
    place = place_at(document, quote.start)
    block = block_at(document, quote.start)
    tail = block_at(document, quote.end - 1)
    code_from = None
    if is_literal(tail) and not is_literal(block) and tail.start > quote.start:
        code_from = tail.start - quote.start
    if place is None and block is None and code_from is None:
        return quote
    return replace(
        quote,
        page=place.page if place else None,
        section=place.section if place else (),
        anchor=place.anchor if place else None,
        code=is_literal(block),
        code_from=code_from,
    )


def is_literal(block: Block | None) -> bool:
    """Whether `block` is a code block or table: cut at line ends, shown as code."""
    return block is not None and block.kind in ("code", "table")


def markdown_places(text: str, title: str | None) -> tuple[Place, ...]:
    """Sections of a Markdown file from its `#` headings. The title's own heading opens no
    section, so a file whose only heading is its title has no places (and is indexed as before
    sections existed)."""
    places: list[Place] = []
    open_headings: list[tuple[int, str]] = []
    headings = list(_MD_HEADING.finditer(text))
    for index, match in enumerate(headings):
        level, name = len(match.group(1)), match.group(2).strip()
        if index == 0 and name == title and not open_headings:
            continue
        while open_headings and open_headings[-1][0] >= level:
            open_headings.pop()
        open_headings.append((level, name))
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        section = tuple(heading for _, heading in open_headings)
        places.append(Place(match.start(), end, None, section, slug(name)))
    return tuple(places)


def slug(heading: str) -> str:
    """The anchor GitHub and most Markdown renderers give a heading: lower case, punctuation
    dropped, spaces as hyphens."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    return _SLUG_DROP.sub("", text).replace(" ", "-")


def _containing(spans, offset: int):
    index = bisect_right(spans, offset, key=lambda span: span.start) - 1
    if index >= 0 and spans[index].start <= offset < spans[index].end:
        return spans[index]
    return None


def located(quotes: tuple[Quote, ...], document_of: Callable[[str], Document]) -> tuple[Quote, ...]:
    """Every quote located in its document (`document_of` maps a document id to it)."""
    return tuple(locate(quote, document_of(quote.document)) for quote in quotes)
