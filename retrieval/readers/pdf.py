"""PDF reader (pypdfium2): the text layer page by page, running headers and footers dropped."""

from __future__ import annotations

import re
from collections import Counter

from retrieval.readers import Extracted, Limits, UnreadableFile
from retrieval.readers.builder import TextBuilder

# pdfium marks a word hyphenated across a line break with U+FFFE and drops the break itself.
_SOFT_HYPHEN = "\ufffe"
_LIGATURES = str.maketrans(
    {
        "ﬀ": "ff",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
        "ﬅ": "st",
        "ﬆ": "st",
        "\u00ad": None,
        _SOFT_HYPHEN: None,
        "\x00": None,
    }
)
_DIGITS = re.compile(r"\d+")
_LEADER = re.compile(r"\s*(?:\.\s){3,}\.?\s*")  # a contents line's ". . . . 13": one space
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)]*$")
_ITEM = re.compile(r"^(?:[•◦▪‣∙·–—-]|\d{1,3}[.)]|[a-z][.)])\s")
SHORT_LINE = (
    0.75  # a line ending a sentence at under this share of the page's width ends a paragraph
)


def read(raw: bytes, limits: Limits) -> Extracted:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as error:
        raise UnreadableFile(_why_not(str(error))) from None
    try:
        pages = [_page_lines(pdf, index) for index in range(len(pdf))]
        outline = _outline(pdf)
        title = " ".join((pdf.get_metadata_value("Title") or "").split())[:200]
    except pdfium.PdfiumError as error:
        raise UnreadableFile(f"the PDF is damaged ({error})") from None
    finally:
        pdf.close()
    if not any(any(line.strip() for line in lines) for lines in pages):
        raise UnreadableFile("no text layer; OCR is not supported")
    pages = _without_running_lines(pages)
    builder = TextBuilder(title=title or None)
    for number, lines in enumerate(pages, start=1):
        builder.page(number)
        headings = outline.get(number, [])
        paragraph: list[str] = []
        for line in lines:
            heading = _heading_of(line, headings)
            if heading:
                builder.paragraph("\n".join(paragraph), wrap=True)
                paragraph = []
                builder.heading(heading[0], line)
                continue
            if _ITEM.match(line) and paragraph:
                builder.paragraph("\n".join(paragraph), wrap=True)
                paragraph = []
            paragraph.append(line)
            if _ends_paragraph(line, lines):
                builder.paragraph("\n".join(paragraph), wrap=True)
                paragraph = []
        builder.paragraph("\n".join(paragraph), wrap=True)
    return builder.build("pdf")


def _page_lines(pdf, index: int) -> list[str]:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LIGATURES)
    return [_LEADER.sub(" ", line).strip() for line in text.split("\n") if line.strip()]


def _outline(pdf) -> dict[int, list[tuple[int, str]]]:
    """Bookmarks by the page (from 1) they point to: (level from 1, title)."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    for item in pdf.get_toc(max_depth=6):
        dest = item.get_dest()
        index = dest.get_index() if dest is not None else None
        title = " ".join((item.get_title() or "").split())
        if index is not None and title:
            by_page.setdefault(index + 1, []).append((item.level + 1, title))
    return by_page


def _heading_of(line: str, headings: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The bookmark this line is the heading of: its text, or its text after a section number
    ("1.2.7 Links" for the bookmark "Links")."""
    plain = " ".join(line.split())
    for level, title in headings:
        if plain == title or (plain.endswith(" " + title) and _DIGITS.match(plain)):
            return level, title
    return None


def _ends_paragraph(line: str, lines: list[str]) -> bool:
    width = max(len(other) for other in lines)
    return bool(_SENTENCE_END.search(line)) and len(line) < SHORT_LINE * width


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop the first and last line of pages when, numbers aside, it recurs on a third of the
    pages or more (a running header, footer or page number)."""
    if len(pages) < 3:
        return pages
    shapes = Counter()
    for lines in pages:
        for line in {*lines[:1], *lines[-1:]}:
            shapes[_DIGITS.sub("#", line)] += 1
    running = {shape for shape, count in shapes.items() if count >= max(3, len(pages) / 3)}
    result = []
    for lines in pages:
        lines = list(lines)
        if lines and _DIGITS.sub("#", lines[0]) in running:
            lines.pop(0)
        if lines and _DIGITS.sub("#", lines[-1]) in running:
            lines.pop()
        result.append(lines)
    return result


def _why_not(message: str) -> str:
    lowered = message.lower()
    if "password" in lowered:
        return "the PDF is encrypted (password protected)"
    if "format" in lowered or "file" in lowered:
        return "not a readable PDF (truncated or damaged)"
    return f"not a readable PDF ({message})"
