"""The one way text from documents (and users) reaches Discord: shown literally, within a limit."""

from __future__ import annotations

import re
import unicodedata

# Bare links stay clickable, as discord.utils.escape_markdown leaves them; a masked link needs
# "[" and "]", which are escaped.
_URL = re.compile(r"(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")
# Markdown, masked links and Discord's <@id>, <#id>, <t:…>, <:emoji:id> syntax.
_SPECIAL = re.compile(r"[\\*_~`|\[\]<>#]")
_LINE_MARKER = re.compile(r"(?m)^([ \t]*)([-+])(?=[ \t])")  # a list item; "#" is always escaped
_BROADCAST = re.compile(r"@(?=everyone|here)")
# Joiners are part of emoji sequences and of words in some scripts; every other control or
# format character (zero-width spaces, direction overrides, tag characters) is dropped.
_KEPT_FORMAT = frozenset("\u200c\u200d\n\t")


def discord_text(
    text: str, limit: int | None = None, *, markdown: bool = True, one_line: bool = True
) -> str:
    """`text` as Discord should show it, exactly as written.

    Invisible control and format characters are removed (a right-to-left override cannot turn
    the rest of a message around); with `one_line` all whitespace runs become one space; the
    text is cut to `limit` characters at a word with "…" *before* it is escaped, and the
    escaped result is within `limit` too. `markdown=False` is for places Discord shows as plain
    text (autocomplete choices, footers), where a backslash would show.
    """
    text = "".join(
        c for c in text if c in _KEPT_FORMAT or unicodedata.category(c) not in ("Cc", "Cf")
    )
    if one_line:
        text = " ".join(text.split())
    escape = _escape if markdown else str
    if limit is None:
        return escape(text)
    room = limit
    while len(shown := escape(shorten(text, room))) > limit:
        room = max(1, room - (len(shown) - limit))
    return shown


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > 0:  # a single word longer than the limit can only be cut inside it
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _escape(text: str) -> str:
    parts, last = [], 0
    for url in _URL.finditer(text):
        parts.extend((_escape_prose(text[last : url.start()]), url.group()))
        last = url.end()
    parts.append(_escape_prose(text[last:]))
    return "".join(parts)


def _escape_prose(text: str) -> str:
    text = _SPECIAL.sub(lambda m: "\\" + m.group(), text)
    text = _LINE_MARKER.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _BROADCAST.sub(r"\\@", text)  # shown as "@everyone", but not a mention
