"""Rendering answers as embeds: verbatim quotes, citations, links, and Discord's limits."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import unquote

import pytest

from bot import render, wording
from retrieval.models import Answer, DocumentInfo, Quote, RefreshReport, Summary

URL = "https://www.example.org/news/2025/3/3/a-story?traffic_source=rss"


def quote(text: str, *, number: int = 1, url: str | None = URL, title: str = "A story") -> Quote:
    return Quote(
        text=text,
        document="story.md",
        title=title,
        source_url=url,
        start=10 * number,
        end=10 * number + len(text),
        score=0.9,
        paragraph=number,
        passage_id=f"story.md#{number:04d}",
    )


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def shown_quotes(embed) -> list[str]:
    lines = re.finditer(r"^> \*\*\[\d+\]\*\* (.*)$", embed.description, re.M)
    return [unescape(line[1]) for line in lines]


def assert_within_limits(embed) -> None:
    assert render.fits(embed)
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert all(len(f["value"]) <= 1024 for f in data.get("fields", []))
    assert len(embed) <= 6000


def test_answer_shows_quotes_literally_with_numbered_sources():
    answer = Answer(
        "What *is* it?",
        (quote("It is **bold** and _odd_ | `code` > x.", number=1), quote("Second one.", number=2)),
        False,
        seconds=0.5,
    )
    rendered = render.answer_embed(answer, seconds=0.25)
    embed = rendered.embed
    assert unescape(embed.title) == "What *is* it?"
    assert shown_quotes(embed) == [q.text for q in answer.quotes]
    assert "\\*\\*bold\\*\\*" in embed.description  # escaped, so Discord shows the asterisks
    assert embed.fields[0].name == "Sources"
    lines = embed.fields[0].value.split("\n")
    assert lines[0].startswith("[1] [A story — paragraph 1](https://www.example.org/news/")
    assert lines[1].startswith("[2] [A story — paragraph 2](")
    assert embed.footer.text == "Answered in 0.25 s"
    assert rendered.shown == answer.quotes


def test_a_quote_cut_from_a_long_sentence_is_marked_with_ellipses():
    cut = replace(
        quote("the league expanded to a 16-game schedule in 1978"), cut_start=True, cut_end=True
    )
    embed = render.answer_embed(Answer("When?", (cut, quote("Whole.", number=2)), False)).embed
    assert shown_quotes(embed) == ["…the league expanded to a 16-game schedule in 1978…", "Whole."]


def test_numbering_continues_for_more_quotes():
    answer = Answer("q", (quote("Fourth."), quote("Fifth.")), False)
    embed = render.answer_embed(answer, first=4).embed
    assert embed.description.startswith("> **[4]** Fourth.")
    assert "> **[5]** Fifth." in embed.description
    assert embed.fields[0].value.startswith("[4] ")


def test_abstention_says_so_and_names_the_closest_documents():
    answer = Answer("Banana bread?", (), True, closest_documents=("A story", "Another_one"))
    rendered = render.answer_embed(answer)
    assert rendered.shown == ()
    assert "don't answer this" in rendered.embed.description
    assert "Closest documents: **A story**, **Another\\_one**." in rendered.embed.description
    assert rendered.embed.fields == []


def test_no_more_quotes_is_said_plainly():
    rendered = render.answer_embed(Answer("q", (), True), first=4)
    assert rendered.embed.description == "No more quotes answer this question."


@pytest.mark.parametrize("length", [300, 1000])
def test_long_quotes_are_fitted_whole_and_the_rest_left_for_more_quotes(length):
    words = ("Markdown_*chars* | ~here~ " * 200)[:length].rsplit(" ", 1)[0] + "."
    quotes = tuple(quote(words, number=n) for n in range(1, 11))
    rendered = render.answer_embed(Answer("Q " * 300, quotes, False))
    assert_within_limits(rendered.embed)
    assert 1 <= len(rendered.shown) < 10
    assert rendered.shown == quotes[: len(rendered.shown)]
    assert shown_quotes(rendered.embed) == [q.text for q in rendered.shown]


def test_a_huge_source_url_still_fits_and_the_quote_is_kept():
    url = "https://example.org/" + "x" * 3000
    rendered = render.answer_embed(Answer("q", (quote("Short.", url=url),), False))
    assert_within_limits(rendered.embed)
    assert rendered.embed.fields[0].value == "[1] A story — paragraph 1"


def test_many_sources_spill_into_continuation_fields():
    quotes = tuple(quote(f"Quote {n}.", number=n, title="T" * 150) for n in range(1, 11))
    embed = render.answer_embed(Answer("q", quotes, False)).embed
    assert_within_limits(embed)
    assert [f.name for f in embed.fields][:2] == ["Sources", "Sources (continued)"]


def test_long_question_title_is_cut_at_a_word_with_an_ellipsis():
    question = " ".join(f"word{n}" for n in range(100))
    title = render.answer_embed(Answer(question, (quote("A."),), False)).embed.title
    assert len(title) <= 256 and title.endswith("…")
    assert question.startswith(title[:-1]) and question[len(title) - 1] == " "


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("unbreakable" * 3, 10, "unbreakab…"),
    ],
)
def test_shorten(text, limit, expected):
    assert render.shorten(text, limit) == expected
    assert len(render.shorten(text, limit)) <= limit


def test_text_fragment_jumps_to_the_quoted_words():
    short = render.text_fragment_url(URL, "Macron suggested a one-month ceasefire.")
    page, fragment = short.split("#:~:text=")
    assert page == URL
    assert fragment == "Macron%20suggested%20a%20one%2Dmonth%20ceasefire."
    long_text = "French President Emmanuel Macron suggested a one-month ceasefire, pausing attacks."
    start, end = render.text_fragment_url(URL, long_text).split("#:~:text=")[1].split(",")
    assert unquote(start) == "French President Emmanuel Macron"
    assert unquote(end) == "one-month ceasefire, pausing attacks."
    assert "," not in end and "-" not in end  # the directive's own delimiters are encoded


def test_text_fragment_replaces_an_existing_fragment_and_skips_non_pages():
    assert render.text_fragment_url(URL + "#top", "Hello there.").startswith(URL + "#:~:text=")
    assert render.text_fragment_url("https://e.org/report.pdf", "Hi.") == "https://e.org/report.pdf"
    assert render.text_fragment_url("file:///tmp/x.md", "Hi.") == "file:///tmp/x.md"
    assert render.text_fragment_url("https://e.org/a_(b)", "Hi.").startswith(
        "https://e.org/a_%28b%29#"
    )


def test_summary_embed_cites_like_an_answer():
    summary = Summary("topic", None, "ceasefire", (quote("One."), quote("Two.", number=2)), False)
    rendered = render.summary_embed(summary, title=wording.summary_heading(summary), seconds=0.1)
    assert rendered.embed.title == "Summary: ceasefire"
    assert shown_quotes(rendered.embed) == ["One.", "Two."]
    assert rendered.embed.footer.text == "Summarised in 0.10 s"
    empty = render.summary_embed(Summary("topic", None, "cake", (), True), title="Summary: cake")
    assert "say nothing about “cake”" in empty.embed.description


def test_sources_embed_lists_every_document_within_limits():
    indexed = "2025-03-03T10:20:30+00:00"
    docs = [
        DocumentInfo(f"d{n}.md", f"Document {n}", f"https://e.org/{n}", n, indexed)
        for n in range(1, 4)
    ]
    embed = render.sources_embed(docs)
    assert embed.description.split("\n")[0] == (
        "**[Document 1](https://e.org/1)** — 1 passage · indexed 2025-03-03 10:20 UTC"
    )
    assert embed.footer.text == "3 documents · 6 passages"
    many = [
        DocumentInfo(f"d{n}.md", "T" * 150, "https://e.org/" + "p" * 100, 2, "x")
        for n in range(200)
    ]
    embed = render.sources_embed(many)
    assert_within_limits(embed)
    assert embed.description.split("\n")[-1].startswith("…and ")


def test_refresh_embed_reports_changes_and_the_previous_refresh():
    report = RefreshReport(
        documents=("a.md", "b.md"),
        added=("b.md",),
        changed=(),
        removed=("c.md",),
        unchanged=("a.md",),
        skipped=(),
        chunks=12,
        embedded=5,
        seconds=1.25,
        full_rebuild=False,
        requested_by="mod (42)",
    )
    previous = {
        "started_at": "2025-03-03T10:20:30+00:00",
        "requested_by": "startup",
        "outcome": "ok",
    }
    embed = render.refresh_embed(report, previous=previous)
    assert embed.title == "Index refreshed"
    assert embed.description == "12 passages from 2 documents in 1.2 s (5 texts embedded)."
    fields = {f.name: f.value for f in embed.fields}
    assert fields == {
        "Added (1)": "b.md",
        "Removed (1)": "c.md",
        "Previous refresh": "2025-03-03 10:20 UTC by startup: ok",
    }
    assert embed.footer.text == "Requested by mod (42)"
    assert render.refresh_embed(report, previous=None).fields[-1].value == "none recorded"


def test_a_huge_refresh_report_stays_within_limits():
    ids = tuple(f"folder/document-{n:05d}.md" for n in range(2000))
    report = RefreshReport(
        documents=ids,
        added=ids,
        changed=ids,
        removed=ids,
        unchanged=(),
        skipped=ids,
        chunks=1,
        embedded=1,
        seconds=1,
        full_rebuild=True,
        reason="model changed",
    )
    embed = render.refresh_embed(report, previous=None)
    assert_within_limits(embed)
    assert embed.fields[0].value.endswith("more.")


def test_plain_text_respects_the_message_limit():
    assert len(render.plain_text("word " * 1000)) <= 2000
