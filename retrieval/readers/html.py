"""HTML reader (selectolax): the page's main content, its headings and their anchors."""

from __future__ import annotations

import re

from retrieval.charsets import decode_html
from retrieval.readers import Extracted, Limits, UnreadableFile
from retrieval.readers.builder import TextBuilder

_SKIPPED_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "iframe",
    "svg",
    "canvas",
    "head",
    "title",
}
# class/id words of navigation and page furniture in generated documentation and CMS themes.
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:nav\w*|docnav|navheader|navfooter|banner|header|footer|"
    r"menu|breadcrumbs?|sidebar-nav|toc|skip|cookie\w*|related|share)(?:$|[\s_-])",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "p",
    "div",
    "li",
    "dd",
    "dt",
    "blockquote",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "dl",
    "figure",
    "figcaption",
    "caption",
    "address",
    "details",
    "summary",
    "br",
    "hr",
    "td",
    "th",
    "tr",
    "body",
}
_MAIN = ("main", "[role=main]", "article", "#content", "#main", ".body", ".content", "body")


def read(raw: bytes, limits: Limits) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(decode_html(raw))
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node else ""
    root = next((node for node in map(tree.css_first, _MAIN) if node is not None), None)
    if root is None:
        raise UnreadableFile("no main content (the page has no body)")
    builder = TextBuilder(title=title or None)
    _Walker(builder).walk(root)
    if builder.prose_chars == 0:
        raise UnreadableFile("no main content (only navigation, scripts or an empty page)")
    return builder.build("html", _published_url(tree))


class _Walker:
    """Depth-first over the DOM with an explicit stack (deep pages would overflow recursion),
    gathering inline text into the current paragraph and flushing it at block boundaries."""

    def __init__(self, builder: TextBuilder):
        self.builder = builder
        self.inline: list[str] = []
        self.pending_anchor: str | None = None

    def walk(self, root) -> None:
        stack = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.flush()
                continue
            tag = node.tag
            if tag == "-text":
                self.inline.append(node.text(deep=False))
                continue
            if not tag or tag.startswith("-") or _is_furniture(node, tag):
                continue
            if tag == "a" and not node.text(strip=True):
                self.pending_anchor = node.attributes.get("id") or node.attributes.get("name")
            if tag in _HEADINGS:
                self.flush()
                self.builder.heading(
                    _HEADINGS[tag], node.text(), _anchor(node) or self.pending_anchor
                )
                self.pending_anchor = None
            elif tag == "pre":
                self.flush()
                self.builder.literal(node.text(deep=True), "code")
            elif tag == "table" and not _is_layout(node):
                self.flush()
                self.builder.literal(_table_text(node), "table")
            else:
                if tag in _BLOCKS:
                    self.flush()
                    stack.append((node, True))
                stack.extend(
                    (child, False) for child in reversed(list(node.iter(include_text=True)))
                )

    def flush(self) -> None:
        text = "".join(self.inline)
        self.inline = []
        if text.strip():
            self.builder.paragraph(text)
            self.pending_anchor = (
                None  # an empty <a id> names what follows it, not what's after that
            )


def _published_url(tree) -> str | None:
    """The page's own address, when it declares one (a saved page keeps its canonical link)."""
    for selector, attribute in (
        ("link[rel=canonical]", "href"),
        ("meta[property='og:url']", "content"),
    ):
        node = tree.css_first(selector)
        url = (node.attributes.get(attribute) or "").strip() if node else ""
        if url.startswith(("http://", "https://")):
            return url
    return None


def _is_furniture(node, tag: str) -> bool:
    if tag in _SKIPPED_TAGS:
        return True
    attributes = node.attributes
    if attributes.get("hidden") is not None or attributes.get("aria-hidden") == "true":
        return True
    if attributes.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    words = f"{attributes.get('class') or ''} {attributes.get('id') or ''}"
    return bool(_FURNITURE.search(words))


def _anchor(heading) -> str | None:
    """The heading's id, else that of an anchor inside it, else of its section element."""
    if heading.attributes.get("id"):
        return heading.attributes["id"]
    # `<a id="x"/>` is not self-closing in HTML: the parser may carry an earlier one into the
    # heading, so the anchor wrapping the heading's text wins over an empty one.
    links = sorted(heading.css("a[id], a[name]"), key=lambda link: bool(link.text(strip=True)))
    if links:
        return links[-1].attributes.get("id") or links[-1].attributes.get("name")
    parent = heading.parent
    for _ in range(4):
        if parent is None:
            break
        if parent.tag == "section" and parent.attributes.get("id"):
            return parent.attributes["id"]
        parent = parent.parent
    return None


def _is_layout(table) -> bool:
    """A table used for layout (an admonition box, a figure frame): no row has two cells with
    text, so it is read as prose."""
    return all(
        sum(bool(cell.text(strip=True)) for cell in row.css("th, td")) < 2
        for row in table.css("tr")
    )


def _table_text(table) -> str:
    rows = []
    for row in table.css("tr"):
        cells = [" ".join(cell.text().split()) for cell in row.css("th, td")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
