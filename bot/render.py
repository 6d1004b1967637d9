"""Answers, summaries, document lists and refresh reports as Discord embeds, within the limits.

Pure functions of the engine's dataclasses: no network, no bot. Quotes are shown whole or not
at all (the rest goes to "More quotes"), with Markdown escaped so they render exactly as written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit, urlunsplit

import discord

from bot import wording
from bot.citations import citation_label, place_url
from bot.discord_text import discord_text, shorten
from retrieval.models import Answer, DocumentInfo, Quote, RefreshReport, Summary
from retrieval.uploads import Change
from retrieval.webpages import PageCheck

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
FIELD_COUNT_LIMIT = 25

ANSWER_COLOUR = discord.Colour.blurple()
ABSTAIN_COLOUR = discord.Colour.light_grey()
REFRESH_COLOUR = discord.Colour.green()

# Browsers apply text fragments to HTML (and plain text) pages, not to these downloads.
_NO_FRAGMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".odt", ".ppt", ".pptx", ".xls", ".xlsx", ".zip")
_FRAGMENT_EDGE_WORDS = 4  # words at each end of a long quote in textStart,textEnd
# A title in a Sources line: a whole line (with its link) stays within one field value.
SOURCE_TITLE_LIMIT = 300
CLOSEST_TITLE_LIMIT = 200
MISSING_LIMIT = 1000  # the note naming a question's words no document contains


@dataclass(frozen=True)
class RenderedQuotes:
    """An embed and the quotes that fitted in it (a prefix of those given)."""

    embed: discord.Embed
    shown: tuple[Quote, ...]


def plain_text(text: str) -> str:
    """A message's content, within the 2,000-character limit."""
    return shorten(text, CONTENT_LIMIT)


def text_fragment_url(url: str, quoted: str) -> str:
    """`url` with a `#:~:text=` fragment that scrolls a web page to `quoted` and highlights it."""
    parts = urlsplit(url)
    words = quoted.split()
    if (
        parts.scheme not in ("http", "https")
        or parts.path.lower().endswith(_NO_FRAGMENT_SUFFIXES)
        or not words
    ):
        return _safe_url(url)
    if len(words) <= 2 * _FRAGMENT_EDGE_WORDS:
        directive = _fragment_part(" ".join(words))
    else:
        start = " ".join(words[:_FRAGMENT_EDGE_WORDS])
        end = " ".join(words[-_FRAGMENT_EDGE_WORDS:])
        directive = f"{_fragment_part(start)},{_fragment_part(end)}"
    page = urlunsplit(parts._replace(fragment=""))
    return f"{_safe_url(page)}#:~:text={directive}"


def _fragment_part(text: str) -> str:
    # The directive's own delimiters (',', '-', '&') must be percent-encoded inside its terms.
    return percent_encode(text, safe="").replace("-", "%2D")


def _safe_url(url: str) -> str:
    # Parentheses and spaces would end a Markdown link early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def quote_block(number: int, quote: Quote) -> str:
    """A numbered block quote showing the quote's text literally, with "…" where it cuts a
    sentence. A code block or table is shown as code, in a fenced block inside the quote (after
    the lead-in that introduces it, when the quote holds both)."""
    prose, code = quote.shown_parts()
    lines = discord_text(prose, one_line=False).splitlines() if prose or not code else []
    if code:
        # Literal, not escaped (a backslash would show); a fence inside would close ours.
        code = discord_text(code, markdown=False, one_line=False).replace("```", "`\u200b``")
        lines += ["```", *code.splitlines(), "```"]
    if not prose:  # a code block opens on the line after the number
        lines.insert(0, "")
    head, *rest = lines or [""]
    return "\n".join([f"> **[{number}]** {head}".rstrip(), *(f"> {line}" for line in rest)])


def source_line(number: int, quote: Quote) -> str:
    """`[n] Title — p. 37 · § Section` (or `— paragraph N`), linked to the page or the
    section's anchor when the source has a URL, else to the quoted words."""
    place = discord_text(citation_label(quote), SOURCE_TITLE_LIMIT)
    label = f"{discord_text(quote.title, SOURCE_TITLE_LIMIT)} — {place}"
    candidates = []
    if quote.source_url:
        link = f"[{number}] [{label}]"
        at_place = place_url(quote.source_url, quote)
        target = (
            _safe_url(at_place) if at_place else text_fragment_url(quote.source_url, quote.text)
        )
        candidates.append(f"{link}({target})")
        candidates.append(f"{link}({_safe_url(quote.source_url)})")
    candidates.append(f"[{number}] {label}")
    return next(line for line in candidates if len(line) <= FIELD_VALUE_LIMIT)


def fits(embed: discord.Embed) -> bool:
    """Whether Discord would accept `embed` (every per-part limit and the 6,000 total)."""
    return (
        len(embed.title or "") <= TITLE_LIMIT
        and len(embed.description or "") <= DESCRIPTION_LIMIT
        and len(embed.fields) <= FIELD_COUNT_LIMIT
        and all(len(f.name or "") <= FIELD_NAME_LIMIT for f in embed.fields)
        and all(len(f.value or "") <= FIELD_VALUE_LIMIT for f in embed.fields)
        and len(embed.footer.text or "") <= FOOTER_LIMIT
        and len(embed) <= EMBED_TOTAL_LIMIT
    )


def _pack_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into as few blocks of at most `limit` characters as possible."""
    blocks: list[str] = []
    for line in lines:
        if blocks and len(blocks[-1]) + 1 + len(line) <= limit:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


def _quotes_embed(
    title: str, quotes: Sequence[Quote], first: int, footer: str, note: str = ""
) -> discord.Embed:
    blocks = [quote_block(first + i, q) for i, q in enumerate(quotes)]
    embed = discord.Embed(
        title=title,
        colour=ANSWER_COLOUR,
        description="\n\n".join([f"*{note}*", *blocks] if note else blocks),
    )
    lines = [source_line(first + i, q) for i, q in enumerate(quotes)]
    for index, block in enumerate(_pack_lines(lines, FIELD_VALUE_LIMIT)):
        embed.add_field(
            name="Sources" if index == 0 else "Sources (continued)", value=block, inline=False
        )
    return embed.set_footer(text=footer)


def fit_quotes(
    title: str, quotes: Sequence[Quote], *, first: int, footer: str, note: str = ""
) -> RenderedQuotes:
    """The embed with as many whole quotes as fit, always at least the first one; `note`
    (already escaped) in italics above them."""
    for count in range(len(quotes), 1, -1):
        embed = _quotes_embed(title, quotes[:count], first, footer, note)
        if fits(embed):
            return RenderedQuotes(embed, tuple(quotes[:count]))
    return RenderedQuotes(_quotes_embed(title, quotes[:1], first, footer, note), tuple(quotes[:1]))


def answer_embed(answer: Answer, *, first: int = 1, seconds: float | None = None) -> RenderedQuotes:
    """The answer as numbered quotes and sources; an abstention names the closest documents.
    Quotes after the first `first` - 1 (More quotes, "tell me more") are headed as continued."""
    title = discord_text(answer.question + " (continued)" * (first > 1), TITLE_LIMIT)
    footer = f"Answered in {answer.seconds if seconds is None else seconds:.2f} s"
    if answer.abstained or not answer.quotes:
        embed = discord.Embed(
            title=title, colour=ABSTAIN_COLOUR, description=_abstention_text(answer, first)
        )
        return RenderedQuotes(embed.set_footer(text=footer), ())
    note = ""
    if answer.missing and first == 1:
        note = discord_text(wording.missing_words(answer.missing, answered=True), MISSING_LIMIT)
    return fit_quotes(title, answer.quotes, first=first, footer=footer, note=note)


def _abstention_text(answer: Answer, first: int) -> str:
    if first > 1:
        return wording.NO_MORE_QUOTES
    text = wording.NO_ANSWER
    if answer.missing:
        missing = wording.missing_words(answer.missing, answered=False)
        text += f"\n{discord_text(missing, MISSING_LIMIT)}"
    if answer.closest_documents:
        names = ", ".join(
            f"**{discord_text(title, CLOSEST_TITLE_LIMIT)}**" for title in answer.closest_documents
        )
        text += f"\n{wording.CLOSEST_DOCUMENTS} {names}."  # at most 3, each within its limit
    return text


def summary_embed(summary: Summary, *, title: str, seconds: float | None = None) -> RenderedQuotes:
    """A summary as numbered quotes in document order, cited like an answer."""
    footer = f"Summarised in {summary.seconds if seconds is None else seconds:.2f} s"
    title = discord_text(title, TITLE_LIMIT)
    if summary.abstained or not summary.sentences:
        topic = discord_text(summary.topic, 1000) if summary.topic else None
        embed = discord.Embed(
            title=title, colour=ABSTAIN_COLOUR, description=wording.no_summary(topic)
        )
        return RenderedQuotes(embed.set_footer(text=footer), ())
    rendered = fit_quotes(title, summary.sentences, first=1, footer=footer)
    left_out = len(summary.sentences) - len(rendered.shown)
    if left_out:
        more = wording.counted(left_out, "more sentence")
        rendered.embed.set_footer(text=f"{footer} · {more} did not fit")
    return rendered


def notice_embed(text: str) -> discord.Embed:
    """A short message where an answer would be (no quotes, no buttons)."""
    return discord.Embed(description=discord_text(text, DESCRIPTION_LIMIT), colour=ABSTAIN_COLOUR)


def help_embed() -> discord.Embed:
    """How to ask the bot, for "help" or "what can you do"."""
    return discord.Embed(title="How to ask me", description=wording.HELP, colour=ANSWER_COLOUR)


def sources_embed(documents: Sequence[DocumentInfo]) -> discord.Embed:
    """Every document with its link, passage count and indexing time (as many as fit)."""
    embed = discord.Embed(title="Documents in the index", colour=ANSWER_COLOUR)
    lines = [_document_line(doc) for doc in documents]
    description = "\n".join(_lines_within(lines, DESCRIPTION_LIMIT))
    embed.description = description or "The index holds no documents."
    passages = sum(doc.passages for doc in documents)
    return embed.set_footer(
        text=f"{wording.counted(len(documents), 'document')} · "
        f"{wording.counted(passages, 'passage')}"
    )


def _document_line(doc: DocumentInfo) -> str:
    name = discord_text(doc.title, 200)
    if doc.source_url and len(doc.source_url) <= 600:
        name = f"[{name}]({_safe_url(doc.source_url)})"
    passages = wording.counted(doc.passages, "passage")
    return f"**{name}** — {passages} · indexed {_short_time(doc.indexed_at)}"


def document_choices(documents: Sequence[DocumentInfo], typed: str) -> list[tuple[str, str]]:
    """(label, document id) of up to 25 documents whose title or id holds `typed`, for
    autocomplete: labels are shown as plain text, at most 100 characters."""
    typed = typed.casefold()
    return [
        (discord_text(doc.title, 100, markdown=False), doc.id)
        for doc in documents
        if len(doc.id) <= 100 and (typed in doc.title.casefold() or typed in doc.id.casefold())
    ][:25]


def _short_time(iso: str) -> str:
    # "2025-03-03T10:20:30+00:00" -> "2025-03-03 10:20 UTC"; anything else shown as given.
    if len(iso) >= 16 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso


def refresh_embed(
    report: RefreshReport, *, previous: dict | None, pages: Sequence[PageCheck] = ()
) -> discord.Embed:
    """What a refresh changed, how big the index is now, and the refresh before it; with
    `pages`, what re-fetching the web pages found."""
    title = "Index refreshed" if report.changed_anything else "Index already up to date"
    # Passages and sentences are both embedded: "texts", not "passages".
    description = (
        f"{wording.counted(report.chunks, 'passage')} from "
        f"{wording.counted(len(report.documents), 'document')} in "
        f"{report.seconds:.1f} s ({wording.counted(report.embedded, 'text')} embedded)."
    )
    if report.full_rebuild and report.reason:
        description += f"\nFull rebuild: {discord_text(report.reason, 800)}"
    # Short description, footer and "previous" keep 4 full lists of ids under the 6,000 total.
    embed = discord.Embed(title=title, colour=REFRESH_COLOUR, description=description)
    for name, ids in (
        ("Added", report.added),
        ("Changed", report.changed),
        ("Removed", report.removed),
        ("Skipped", report.skipped),
    ):
        if ids:
            embed.add_field(name=f"{name} ({len(ids)})", value=_id_list(ids), inline=False)
    if pages:
        embed.add_field(name=f"Web pages ({len(pages)})", value=_pages_text(pages), inline=False)
    embed.add_field(name="Previous refresh", value=previous_refresh_text(previous), inline=False)
    return embed.set_footer(
        text=discord_text(f"Requested by {report.requested_by}", 200, markdown=False)
    )


def _pages_text(pages: Sequence[PageCheck]) -> str:
    """How many pages were unchanged (a 304) or changed, then each failure; within 400
    characters, so the five lists of a refresh report stay within an embed's 6,000."""
    counts = Counter(p.outcome for p in pages if not p.outcome.startswith("failed"))
    lines = [", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))] if counts else []
    lines += [
        discord_text(f"{p.document}: {p.outcome} (the last copy is kept)", 200)
        for p in pages
        if p.outcome.startswith("failed")
    ]
    return "\n".join(_lines_within(lines, 400))


def change_embed(change: Change, report: RefreshReport, *, previous: dict | None) -> discord.Embed:
    """What a moderator's add, update or removal did, then the refresh that followed it."""
    embed = refresh_embed(report, previous=previous)
    embed.title = f"Document {change.action}"
    where = (
        f"\nMoved to {discord_text(change.moved_to, 300)} on the host (not deleted)."
        if change.moved_to
        else ""
    )
    embed.description = (
        f"**{discord_text(change.title, 200)}** · {discord_text(change.document, 200)}"
        f" · {file_size(change.size)} · SHA-256 {change.sha256[:16]}…{where}\n"
        f"{embed.description}"
    )
    return embed


def docs_list_embed(documents: Sequence[DocumentInfo], additions: dict[str, dict]) -> discord.Embed:
    """Every document with who added it from Discord or the command line, when, its size and
    SHA-256; the others are files put on the host."""
    lines = []
    for doc in documents:
        added = additions.get(doc.id)
        how = "on the host"
        if added is not None:
            verb = "added" if added["action"] == "added" else "updated"
            how = (
                f"{verb} by {added['requested_by']} {_short_time(added['at'])} · "
                f"{file_size(added['size'] or 0)} · SHA-256 {(added['sha256'] or '')[:12]}…"
            )
        lines.append(
            f"**{discord_text(doc.title, 150)}** · {discord_text(doc.id, 150)} — "
            f"{discord_text(how, 300)}"
        )
    embed = discord.Embed(
        title="Documents",
        colour=ANSWER_COLOUR,
        description="\n".join(_lines_within(lines, DESCRIPTION_LIMIT))
        or "The index holds no documents.",
    )
    added = sum(doc.id in additions for doc in documents)
    return embed.set_footer(
        text=f"{wording.counted(len(documents), 'document')} · {added} "
        "added from Discord or citebot add"
    )


def file_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.1f} kB"


def _id_list(ids: Sequence[str]) -> str:
    return "\n".join(_lines_within([discord_text(i, 200) for i in ids], FIELD_VALUE_LIMIT))


def _lines_within(lines: Sequence[str], limit: int) -> list[str]:
    """As many lines as fit in `limit` characters joined, then "…and N more." for the rest."""
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        if size + len(line) + 1 > limit - 20:
            return [*kept, f"…and {len(lines) - index} more."]
        kept.append(line)
        size += len(line) + 1
    return kept


def previous_refresh_text(previous: dict | None) -> str:
    """One line about an audit-log row, or a note that there is none."""
    if previous is None:
        return "none recorded"
    text = (
        f"{_short_time(previous['started_at'])} by {previous['requested_by']}: "
        f"{previous['outcome']}"
    )
    return discord_text(text, 300)


def progress_text(done: int, total: int) -> str:
    percent = f" ({100 * done // total}%)" if total else ""
    return f"Reindexing… {done}/{wording.counted(total, 'text')} embedded{percent}"
