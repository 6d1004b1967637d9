"""Reading the bot's replies back: quotes out of an embed, checked against the documents."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

QUOTE_LINE = re.compile(r"^> \*\*\[(\d+)\]\*\* (.*)$")
SOURCE_LINE = re.compile(r"^\[(\d+)\] \[(.+) — paragraph (\d+)\]\((\S+)\)$")


def unescape(text: str) -> str:
    """Undo discord.utils.escape_markdown (which doubles backslashes, then escapes)."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def quotes_in(embed: dict) -> dict[int, str]:
    """{number: quote text as the reader sees it} from an answer embed's description."""
    quotes = {}
    for line in embed["description"].split("\n"):
        match = QUOTE_LINE.match(line)
        if match:
            quotes[int(match[1])] = unescape(match[2])
    return quotes


def sources_in(embed: dict) -> dict[int, tuple[str, int, str]]:
    """{number: (title, paragraph, url)} from the Sources field(s)."""
    sources = {}
    for field in embed.get("fields", []):
        if field["name"].startswith("Sources"):
            for line in field["value"].split("\n"):
                match = SOURCE_LINE.match(line)
                assert match, f"not a source line: {line!r}"
                sources[int(match[1])] = (unescape(match[2]), int(match[3]), match[4])
    return sources


def assert_verbatim(quote: str, corpus: Path) -> tuple[str, int]:
    """The quote occurs character for character in one document; returns (doc id, offset)."""
    for path in sorted(corpus.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            offset = text.find(quote)
            if offset >= 0:
                assert text[offset : offset + len(quote)] == quote
                return path.relative_to(corpus).as_posix(), offset
    raise AssertionError(f"quote not found verbatim in any document: {quote!r}")


def with_context(bot, monkeypatch, **changes) -> None:
    """The running bot with parts of its context replaced (engine=, state=, settings=) for one
    test: the bot and its cogs each hold the context."""
    context = dataclasses.replace(bot.context, **changes)
    monkeypatch.setattr(bot, "context", context)
    for cog in bot.cogs.values():
        monkeypatch.setattr(cog, "context", context)
