"""What a quote cites, as a reader sees it: "p. 37", "§ 2.3 Package management", or a paragraph."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from retrieval.models import Quote


def citation_label(quote: Quote) -> str:
    """ "p. 41 · § 1.2.7 Links" for a PDF, "§ Heading" for a section, else "paragraph N"."""
    parts = []
    if quote.page:
        parts.append(f"p. {quote.page}")
    if quote.section:
        parts.append(f"§ {quote.section[-1]}")
    return " · ".join(parts) or f"paragraph {quote.paragraph}"


def place_fragment(quote: Quote) -> str | None:
    """The URL fragment that opens the quote's place: `page=37` for a PDF page (the viewers'
    convention), the heading's anchor for a section; None when there is neither."""
    if quote.page:
        return f"page={quote.page}"
    return quote.anchor or None


def place_url(url: str, quote: Quote) -> str | None:
    """`url` pointed at the quote's page or section, or None when it has no such place."""
    fragment = place_fragment(quote)
    if fragment is None:
        return None
    return urlunsplit(urlsplit(url)._replace(fragment=fragment))


def file_reference(quote: Quote) -> str:
    """The document's path (relative to the documents dir) with the place's fragment."""
    fragment = place_fragment(quote)
    return f"{quote.document}#{fragment}" if fragment else quote.document
