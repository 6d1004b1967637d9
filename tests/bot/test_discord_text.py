"""Hostile document titles through every Discord render path: shown literally, never live."""

from __future__ import annotations

import re

import pytest

from bot import render, wording
from bot.discord_text import discord_text
from retrieval.models import Answer, DocumentInfo, Quote, RefreshReport, Summary

HOSTILE = (
    "[free nitro](https://evil.example/claim) <@123456789012345678> <@&987654321098765432> "
    "<#111111111111111111> @everyone @here ```py\nprint('pwned')\n``` **loud** __under__ "
    "||spoiler|| ~~gone~~ # heading\n- item\n> quoted \u200bzero\u2060width\ufeff "
    "\u202eright-to-left override\u202c \u2066isolate\u2069 \U000e0041tag "
) + "padding " * 600  # over 5,000 characters
assert len(HOSTILE) > 5000
URL = "https://news.example.org/story"
INVISIBLE = "\u200b\u2060\ufeff\u202e\u202c\u2066\u2069\U000e0041"
MARKDOWN = "*_~`|>#[]<"


def live(text: str) -> str:
    """`text` with every backslash-escaped character removed: what Discord would parse."""
    return re.sub(r"\\.", "", text, flags=re.S)


def assert_harmless(shown: str, *, source_url: str | None = None) -> None:
    parsed = live(shown)
    links = re.findall(r"\[[^\]]*\]\(([^)]*)\)", parsed)
    assert all(link.startswith(source_url or "-") for link in links), links  # only our own
    assert "evil.example" not in "".join(links)
    assert not re.search(r"<[@#]", parsed)  # no user, role or channel mention pill
    assert "@everyone" not in parsed and "@here" not in parsed
    assert "`" not in parsed and "||" not in parsed and "~~" not in parsed
    assert "__" not in parsed
    assert "\n#" not in parsed and not parsed.startswith("#")
    assert "\\\\" not in shown  # no double escaping (the title holds no backslash)
    assert not set(shown) & set(INVISIBLE)


def hostile_quote() -> Quote:
    return Quote(
        text="The plan has three parts.",
        document="evil.md",
        title=HOSTILE,
        source_url=URL,
        start=0,
        end=25,
        score=0.9,
        paragraph=2,
        passage_id="evil.md#0001",
    )


def test_an_answer_citing_a_hostile_title():
    answer = Answer(HOSTILE, (hostile_quote(),), False, seconds=0.1)
    embed = render.answer_embed(answer).embed
    assert render.fits(embed)
    assert_harmless(embed.title)
    (sources,) = [f.value for f in embed.fields]
    assert_harmless(sources, source_url=URL)
    assert "\\[free nitro\\](https://evil.example/claim)" in sources  # shown, not linked
    assert sources.endswith("… — paragraph 2](" + sources.split("](")[-1])


def test_closest_documents_with_hostile_titles():
    answer = Answer("what?", (), True, closest_documents=(HOSTILE, HOSTILE[:40]), seconds=0.1)
    embed = render.answer_embed(answer).embed
    assert render.fits(embed)
    assert_harmless(embed.description)
    assert "**\\[free nitro\\](https://evil.example/claim)**." in embed.description


def test_a_summary_of_a_hostile_document_and_a_hostile_topic():
    summary = Summary("document", "evil.md", None, (hostile_quote(),), False)
    rendered = render.summary_embed(summary, title=wording.summary_heading(summary, HOSTILE))
    assert render.fits(rendered.embed)
    assert_harmless(rendered.embed.title)
    assert_harmless(rendered.embed.fields[0].value, source_url=URL)
    nothing = render.summary_embed(
        Summary("topic", None, HOSTILE, (), True),
        title=wording.summary_heading(Summary("topic", None, HOSTILE, (), True)),
    )
    assert render.fits(nothing.embed)
    assert_harmless(nothing.embed.title)
    assert_harmless(nothing.embed.description)


def test_sources_with_hostile_titles_with_and_without_a_link():
    documents = [
        DocumentInfo("a.md", HOSTILE, URL, 3, "2025-03-03T10:20:30+00:00"),
        DocumentInfo("b.md", HOSTILE, None, 1, "2025-03-03T10:20:30+00:00"),
    ]
    embed = render.sources_embed(documents)
    assert render.fits(embed)
    assert_harmless(embed.description, source_url=URL)
    first, second = embed.description.split("\n")
    assert first.startswith("**[\\[free nitro\\](https://evil.example/claim) ")  # once escaped
    assert second.startswith("**\\[free nitro\\]")


def test_a_refresh_report_naming_hostile_files():
    name = HOSTILE[:300]
    report = RefreshReport(
        documents=(name,),
        added=(name,),
        changed=(),
        removed=(),
        unchanged=(),
        skipped=(f"{name}: hidden file",),
        chunks=1,
        embedded=1,
        seconds=1.0,
        full_rebuild=True,
        reason=HOSTILE,
        requested_by=HOSTILE,
    )
    previous = {
        "started_at": "2025-03-03T10:20:30+00:00",
        "requested_by": HOSTILE,
        "outcome": f"error: {HOSTILE}",
    }
    embed = render.refresh_embed(report, previous=previous)
    assert render.fits(embed)
    for shown in (embed.description, *(f.value for f in embed.fields)):
        assert_harmless(shown)
    assert not set(embed.footer.text) & set(INVISIBLE)  # a footer is plain text


def test_autocomplete_labels_are_plain_short_and_visible():
    documents = [DocumentInfo("evil.md", HOSTILE, URL, 3, "x")]
    ((label, value),) = render.document_choices(documents, "free nitro")
    assert value == "evil.md" and len(label) <= 100
    assert label.startswith("[free nitro](https://evil.example/claim) <@1")  # no backslashes
    assert not set(label) & set(INVISIBLE) and "\n" not in label


@pytest.mark.parametrize("limit", [1, 2, 10, 57, 100, 256, 1024])
def test_cutting_never_breaks_an_escape_and_stays_within_the_limit(limit):
    shown = discord_text("*" * 3000, limit)
    assert len(shown) <= limit
    assert not re.search(r"(?<!\\)(\\\\)*\*", shown.replace("\\*", ""))  # every * escaped
    assert discord_text(HOSTILE, limit).endswith("…")


def test_plain_text_is_unchanged_and_quotes_keep_their_lines():
    assert discord_text("Macron suggested a one-month ceasefire.") == (
        "Macron suggested a one-month ceasefire."
    )
    assert discord_text("see https://example.org/a_b_c now") == "see https://example.org/a_b_c now"
    assert discord_text("a\n- b", one_line=False) == "a\n\\- b"
    assert discord_text("family 👨\u200d👩\u200d👧") == "family 👨\u200d👩\u200d👧"
    assert all(f"\\{c}" in discord_text(MARKDOWN) for c in MARKDOWN)
