"""The terminal and Discord say the same thing when there is nothing to quote."""

from bot import render, wording
from bot.text import answer_text, summary_text
from retrieval.models import Answer, Summary


def test_an_unanswered_question_reads_the_same_in_the_terminal_and_on_discord():
    answer = Answer("Who won the 1998 World Cup?", (), True, ("Kyiv air defence",))
    terminal = answer_text(answer)
    discord_description = render.answer_embed(answer).embed.description
    assert wording.NO_ANSWER in terminal
    assert discord_description.startswith(wording.NO_ANSWER)
    assert "Closest documents: Kyiv air defence" in terminal
    assert "Closest documents: **Kyiv air defence**." in discord_description


def test_an_empty_topic_summary_reads_the_same_in_the_terminal_and_on_discord():
    summary = Summary("topic", None, "cake", (), True)
    heading = wording.summary_heading(summary)
    rendered = render.summary_embed(summary, title=heading)
    assert summary_text(summary).splitlines() == [
        "Summary: cake",
        "",
        "The documents say nothing about “cake” that I could quote.",
    ]
    assert rendered.embed.title == "Summary: cake"
    assert (
        rendered.embed.description == "The documents say nothing about “cake” that I could quote."
    )


def test_summary_headings_name_what_was_summarised():
    assert wording.summary_heading(Summary("collection", None, None, (), False)) == (
        "Summary of the collection"
    )
    document = Summary("document", "kyiv.md", None, (), False)
    assert wording.summary_heading(document) == "Summary of kyiv.md"
    assert (
        wording.summary_heading(document, "Kyiv buys missiles") == "Summary of Kyiv buys missiles"
    )
