"""Charsets: the text in a text or HTML file's bytes, whatever encoding it was saved in.

Order, the same browsers use for a page: a byte-order mark; for HTML the page's own
`<meta charset>` or `http-equiv` content type; strict UTF-8; else Windows-1252 (what older
Windows editors and pages labelled Latin-1 really hold), bytes it does not define becoming
U+FFFD. The decoded text is what gets stored, so quotes stay exact slices of it.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Both `<meta charset="x">` and `<meta http-equiv="Content-Type" content="text/html; charset=x">`.
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_PRESCAN_BYTES = 1024  # browsers look for the declaration this far into the page only
# Control characters text never holds (tab, newlines, form feed and escape aside).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def decode_text(raw: bytes) -> str:
    """The text in a plain-text (or Markdown, RST) file; ValueError saying why when the bytes
    are not text."""
    return _checked(_decode(raw, declared=None))


def decode_html(raw: bytes) -> str:
    """The text of an HTML page, honouring the charset the page declares."""
    return _checked(_decode(raw, declared=declared_charset(raw)))


def declared_charset(raw: bytes) -> str | None:
    """The Python codec an HTML page declares near its top, or None when it declares none we
    can use (unknown labels, and UTF-16/32, which a byte-oriented declaration cannot mean)."""
    match = _META_CHARSET.search(raw[:_PRESCAN_BYTES])
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    # Pages labelled Latin-1 or ASCII are read as Windows-1252, its superset (as browsers do).
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _decode(raw: bytes, *, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(
                    f"not valid {encoding.upper()} text, although it starts with "
                    f"that encoding's byte-order mark"
                ) from None
    if declared:
        try:
            return raw.decode(declared)
        except UnicodeDecodeError:
            pass  # the declaration is wrong; what the bytes are decides
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _checked(text: str) -> str:
    if "\x00" in text:
        raise ValueError("binary data (it contains NUL bytes)")
    if len(_CONTROLS.findall(text[:10_000])) > 10:
        raise ValueError("binary data (it contains control characters)")
    return text
