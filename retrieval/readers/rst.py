"""reStructuredText reader (docutils): the parsed document's text, sections and their ids."""

from __future__ import annotations

from retrieval.charsets import decode_text
from retrieval.readers import Extracted, Limits, UnreadableFile
from retrieval.readers.builder import TextBuilder

# No file inclusion, no raw HTML, no messages: a document cannot read other files or abort.
_SAFE = {
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "report_level": 5,
    "halt_level": 5,
    "warning_stream": False,
    "input_encoding": "utf-8",
}


def read(raw: bytes, limits: Limits) -> Extracted:
    from docutils.core import publish_doctree

    try:
        source = decode_text(raw)
    except ValueError as error:
        raise UnreadableFile(str(error)) from None
    try:
        tree = publish_doctree(source, settings_overrides=_SAFE)
    except Exception as error:  # docutils raises its own errors and plain ones on odd input
        raise UnreadableFile(f"not readable reStructuredText ({type(error).__name__})") from None
    title = " ".join(tree.get("title", "").split()) or None
    builder = TextBuilder(title=title)
    if title:
        builder.heading(1, title, (tree.get("ids") or [None])[0])
    _walk(builder, tree, level=2)
    if builder.prose_chars == 0:
        raise UnreadableFile("the document has no text")
    return builder.build("rst")


def _walk(builder: TextBuilder, node, level: int) -> None:
    from docutils import nodes

    for child in node.children:
        if isinstance(child, nodes.section):
            title = child.next_node(nodes.title)
            builder.heading(level, title.astext() if title else "", (child["ids"] or [None])[0])
            _walk(builder, child, level + 1)
        elif isinstance(
            child,
            (
                nodes.title,
                nodes.comment,
                nodes.system_message,
                nodes.target,
                nodes.substitution_definition,
                nodes.docinfo,
                nodes.Invisible,
            ),
        ):
            continue
        elif isinstance(child, (nodes.literal_block, nodes.doctest_block)):
            builder.literal(child.astext(), "code")
        elif isinstance(child, nodes.table):
            rows = [
                " | ".join(" ".join(entry.astext().split()) for entry in row.children)
                for row in child.findall(nodes.row)
            ]
            builder.literal("\n".join(rows), "table")
        elif isinstance(child, nodes.TextElement):
            builder.paragraph(child.astext())
        else:
            _walk(builder, child, level)
