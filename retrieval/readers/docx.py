"""Word reader (python-docx): paragraphs and tables in order, headings with their bookmarks."""

from __future__ import annotations

import io
import re
import zipfile

from retrieval.readers import Extracted, Limits, UnreadableFile
from retrieval.readers.builder import TextBuilder

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.I)
_CODE_STYLE = re.compile(r"code|preformatted|source|verbatim|macro", re.I)


def read(raw: bytes, limits: Limits) -> Extracted:
    check_package(raw, limits)
    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as error:  # python-docx raises KeyError, ValueError, lxml errors, …
        raise UnreadableFile(f"not a readable Word document ({type(error).__name__})") from None
    builder = TextBuilder(title=" ".join((document.core_properties.title or "").split()) or None)
    code: list[str] = []
    for item in document.iter_inner_content():
        if not hasattr(item, "style") or not hasattr(item, "text"):  # a table
            builder.literal("\n".join(code), "code")
            code = []
            _table(builder, item)
            continue
        style = (item.style.name if item.style is not None else "") or ""
        if _CODE_STYLE.search(style):
            code.append(item.text)
            continue
        builder.literal("\n".join(code), "code")
        code = []
        level = _heading_level(style)
        if level:
            builder.heading(level, item.text, _bookmark(item))
        else:
            builder.paragraph(item.text)
    builder.literal("\n".join(code), "code")
    if builder.prose_chars == 0:
        raise UnreadableFile("the document has no text")
    return builder.build("docx")


def check_package(raw: bytes, limits: Limits) -> None:
    """Refuse what is not a zip, or would unpack past the limit, before anything unpacks it.
    (zipfile never returns more than a member's declared size, so declared sizes bound it.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("not a .docx (not a zip file, or a truncated one)") from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            f"the .docx would unpack to {unpacked / 1_000_000:,.0f} MB, over the "
            f"{limits.max_unpacked_bytes / 1_000_000:,.0f} MB allowed (a zip bomb?)"
        )
    if "word/document.xml" not in {member.filename for member in members}:
        raise UnreadableFile("not a Word document (no word/document.xml inside)")


def _heading_level(style: str) -> int:
    if style.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else 0


def _bookmark(paragraph) -> str | None:
    names = paragraph._p.xpath("./w:bookmarkStart/@w:name")
    return str(names[0]) if names else None


def _table(builder: TextBuilder, table) -> None:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or text != cells[-1]:  # a merged cell repeats in each column it spans
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    builder.literal("\n".join(rows), "table")
