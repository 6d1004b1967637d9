"""Assemble a reader's text: paragraphs split by blank lines, with headings, code and pages mapped."""

from __future__ import annotations

import re

from retrieval.models import Block, Place
from retrieval.readers import Extracted

_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


class TextBuilder:
    """Paragraphs, headings and literal blocks appended in reading order. Blank lines separate
    them and never occur inside one, so the passage splitter finds the same paragraphs; a new
    place starts at every heading and page, so a passage never crosses either."""

    def __init__(self, *, title: str | None = None):
        self.title = title
        self._parts: list[str] = []
        self._length = 0
        self._blocks: list[Block] = []
        self._places: list[Place] = []
        # (level, text, anchor) of the open sections, outermost first
        self._headings: list[tuple[int, str, str | None]] = []
        self._title_anchor: str | None = None
        self._page: int | None = None
        self._place_start = 0
        self.prose_chars = 0  # characters of paragraphs and literal blocks (headings aside)

    def paragraph(self, text: str, *, wrap: bool = False) -> None:
        """Running prose. HTML-like text has its whitespace collapsed; `wrap` keeps line breaks
        (a PDF's lines), only squeezing blank lines."""
        if wrap:
            text = _BLANK_LINES.sub(
                "\n", "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
            )
        else:
            text = " ".join(text.split())
        if self._append(text.strip()):
            self.prose_chars += len(text.strip())

    def literal(self, text: str, kind: str) -> None:
        """A code block or table: lines kept as they are, minus blank ones."""
        lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
        body = "\n".join(line for line in lines if line.strip())
        span = self._append(body)
        if span:
            self._blocks.append(Block(*span, kind))
            self.prose_chars += len(body)

    def heading(self, level: int, text: str, anchor: str | None = None) -> None:
        """A heading opens a section (closing those at its level and below) and a new place."""
        text = " ".join(text.split())
        if not text:
            return
        if self.title is None and not self._parts and level <= 1:
            self.title = text
        is_title = not self._headings and text == self.title
        self._close_place()
        if is_title:
            self._title_anchor = anchor
        else:
            while self._headings and self._headings[-1][0] >= level:
                self._headings.pop()
            self._headings.append((level, text, anchor))
        span = self._append(text)
        self._blocks.append(Block(*span, "heading"))

    def page(self, number: int) -> None:
        self._close_place()
        self._page = number

    def build(self, reader: str, source_url: str | None = None) -> Extracted:
        self._close_place()
        return Extracted(
            "".join(self._parts),
            self.title,
            tuple(self._places),
            tuple(self._blocks),
            reader,
            source_url,
        )

    def _append(self, text: str) -> tuple[int, int] | None:
        if not text:
            return None
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        if self._place_start < 0:
            self._place_start = self._length
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start, self._length

    def _close_place(self) -> None:
        start, end = self._place_start, self._length
        if start < 0:
            return
        section = tuple(text for _, text, _ in self._headings)
        # The nearest heading with an anchor: a section without an id links to its parent's.
        anchors = [self._title_anchor, *(anchor for _, _, anchor in self._headings)]
        anchor = next((a for a in reversed(anchors) if a), None)
        if end > start and (self._page or section or anchor):
            self._places.append(Place(start, end, self._page, section, anchor))
        self._place_start = -1  # the next text appended starts the next place
