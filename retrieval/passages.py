"""Split a document into paragraphs, sentences and passages (chunks), all as exact offsets."""

from __future__ import annotations

import hashlib
import re

from retrieval.documents import metadata_spans
from retrieval.models import Chunk, Document, Sentence
from retrieval.places import block_at, is_literal
from retrieval.sentences import split_sentences

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HEADING_LINE = re.compile(r"[ \t]*#{1,6}[ \t]")
_RULE_LINE = re.compile(r"[ \t]*(?:---+|\*\*\*+|___+)[ \t]*$")
_READER_SEPARATOR = re.compile(r"\n\n")
# A code block or table is cut at line ends into pieces a quote can show whole (a quote is at
# most answer.max_quote_chars, 300 by default), never into "sentences" at its full stops.
LITERAL_PIECE_CHARS = 300


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Prose paragraphs: blank-line separated blocks (or lines, in a file with no blank lines),
    without headings, rules and metadata."""
    masked = _mask(text, metadata_spans(text))
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else re.compile(r"\n")
    spans, left = [], 0
    for match in [*separator.finditer(masked), None]:
        right = match.start() if match else len(masked)
        spans.extend(_prose_lines(masked, left, right))
        left = match.end() if match else right
    return spans


def document_paragraphs(document: Document) -> list[tuple[int, int]]:
    """Paragraph spans of any document. A reader's text (PDF, HTML, …) separates paragraphs,
    headings and code blocks by one blank line each; its headings are not prose."""
    if document.reader == "markdown":
        return paragraph_spans(document.text)
    spans, left = [], 0
    for match in [*_READER_SEPARATOR.finditer(document.text), None]:
        right = match.start() if match else len(document.text)
        block = block_at(document, left)
        if right > left and not (block and block.kind == "heading"):
            spans.append((left, right))
        left = match.end() if match else right
    return spans


def split_document(
    document: Document, *, max_chars: int, overlap_sentences: int = 0
) -> tuple[list[Chunk], list[Sentence]]:
    """Passages of whole sentences that never cross a paragraph (so never a heading or a page),
    and every sentence once; a code block or table is cut at line ends instead."""
    text = document.text
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    seen_ids: dict[str, int] = {}
    for number, (p_start, p_end) in enumerate(document_paragraphs(document), start=1):
        block = block_at(document, p_start)
        if is_literal(block):
            pieces = _line_pieces(text, p_start, p_end, min(max_chars, LITERAL_PIECE_CHARS))
        else:
            pieces = split_sentences(text, p_start, p_end)
        spans = [piece for span in pieces for piece in _split_long(text, span, max_chars)]
        first = 0
        while first < len(spans):
            last = first
            while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= max_chars:
                last += 1
            start, end = spans[first][0], spans[last][1]
            chunk_id = _chunk_id(document.id, text[start:end], seen_ids)
            for s_start, s_end in spans[first : last + 1]:
                if not sentences or s_start >= sentences[-1].end:
                    sentences.append(
                        Sentence(document.id, len(chunks), s_start, s_end, text[s_start:s_end])
                    )
            chunks.append(
                Chunk(chunk_id, document.id, len(chunks), number, start, end, text[start:end])
            )
            if last + 1 >= len(spans):
                break
            first = max(first + 1, last + 1 - overlap_sentences)
    return chunks, sentences


def _prose_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The block text[start:end] minus heading and rule lines, as one or more spans."""
    spans, left = [], start
    for line in re.finditer(r"[^\n]*", text[start:end]):
        line_text = line.group()
        if _HEADING_LINE.match(line_text) or _RULE_LINE.match(line_text):
            spans.append((left, start + line.start()))
            left = start + line.end()
    spans.append((left, end))
    result = []
    for left, right in spans:
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if left < right:
            result.append((left, right))
    return result


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out metadata (keeping offsets and newlines) so it is neither prose nor a heading."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _line_pieces(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Runs of whole lines of text[start:end], each at most `size` characters when its lines are."""
    pieces: list[tuple[int, int]] = []
    left = start
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start, line_end = start + line.start(), start + line.end()
        if line_end - left > size and left < line_start:
            pieces.append((left, line_start - 1))  # up to the line break before this line
            left = line_start
    pieces.append((left, end))
    return pieces


def _split_long(text: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    """A run-on "sentence" longer than a passage is cut at spaces into passage-sized pieces."""
    start, end = span
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def passage_document(passage_id: str) -> str:
    """The id of the document a passage id (`_chunk_id`'s "<document id>#<digest>") is in."""
    return passage_id.rsplit("#", 1)[0]


def _chunk_id(doc_id: str, text: str, seen: dict[str, int]) -> str:
    """Content-based, so a passage keeps its id when other parts of its document change."""
    base = f"{doc_id}#{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"
