"""The terminal and Discord say the same thing when there is nothing to quote."""

from bot import render, wording
from bot.text import answer_text, summary_text
from retrieval.models import Answer, Quote, Summary


def test_an_unanswered_question_reads_the_same_in_the_terminal_and_on_discord():
    answer = Answer("Who won the 1998 World Cup?", (), True, ("Kyiv air defence",))
    terminal = answer_text(answer)
    discord_description = render.answer_embed(answer).embed.description
    assert wording.NO_ANSWER in terminal
    assert discord_description.startswith(wording.NO_ANSWER)
    assert "Closest documents: Kyiv air defence" in terminal
    assert "Closest documents: **Kyiv air defence**." in discord_description


def test_words_no_document_contains_are_named_the_same_way_in_both():
    refused = Answer("who is the president of brazil", (), True, missing=("brazil",))
    assert "No document uses the word “brazil”." in answer_text(refused)
    assert "No document uses the word “brazil”." in render.answer_embed(refused).embed.description
    quote = Quote("The plan was agreed.", "d.md", "D", None, 0, 20, 0.6, 1, "d.md#0001")
    answered = Answer(
        "what did china_x or ps5 fans say", (quote,), False, missing=("china_x", "ps5")
    )
    note = "No document uses the words “china_x” or “ps5”. These quotes match only the rest of the question."
    lines = answer_text(answered).splitlines()
    assert lines[2] == note and "[1] “The plan was agreed.”" in lines[4]
    description = render.answer_embed(answered).embed.description
    assert description.startswith("*" + note.replace("_", "\\_") + "*\n\n> **[1]**")
    # "tell me more" goes on without repeating it.
    assert "No document" not in render.answer_embed(answered, first=2).embed.description
    assert "No document" not in answer_text(answered, first=2)
    assert wording.missing_words(["a", "b", "c"], answered=False) == (
        "No document uses the words “a”, “b” or “c”."
    )


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


def test_a_lead_in_and_its_command_read_the_same_way_in_the_terminal():
    text = "To enable the firewall, run:\n\n$ systemctl enable nftables"
    lead_in = Quote(text, "fw.md", "Firewall", None, 0, len(text), 0.9, 1, "p", code_from=30)
    lines = answer_text(Answer("how do i turn on the firewall", (lead_in,), False)).splitlines()
    assert lines[2:4] == [
        "  [1] “To enable the firewall, run:”",
        "      $ systemctl enable nftables",
    ]
    # Continued quotes are numbered on and say so; with none left, the terminal says that.
    more = answer_text(Answer("q", (lead_in,), False), first=4).splitlines()
    assert more[0] == "Q: q (continued)" and more[2].startswith("  [4] ")
    assert wording.NO_MORE_QUOTES in answer_text(Answer("q", (), False), first=4)
