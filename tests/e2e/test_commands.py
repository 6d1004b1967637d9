"""/summary, /sources, autocomplete, and what a user sees when a command fails."""

from __future__ import annotations

import logging
import re

from fake_discord import EPHEMERAL
from helpers import assert_verbatim, quotes_in, sources_in

from bot.wording import counted

SEED = "001-coalition-of-the-willing.md"


async def test_summary_of_one_document_is_quoted_and_cited(bot, fake, engine, corpus):
    interaction = fake.slash("summary", document=SEED, sentences=2)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    [embed] = reply.body["embeds"]
    title = next(d.title for d in engine.documents() if d.id == SEED)
    assert embed["title"] == f"Summary of {title}".replace("*", "\\*")
    quotes = quotes_in(embed)
    assert sorted(quotes) == [1, 2]
    sources = sources_in(embed)
    for number, text in quotes.items():
        assert assert_verbatim(text, corpus)[0] == SEED
        assert sources[number][0] == title
        assert sources[number][2].startswith("https://www.aljazeera.com/news/2025/3/3/")
    assert reply.body["allowed_mentions"]["parse"] == []
    assert embed["footer"]["text"].startswith("Summarised in ")


async def test_summary_of_a_topic(bot, fake, corpus):
    interaction = fake.slash("summary", topic="ceasefire")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [embed] = (await fake.reply_to(interaction)).body["embeds"]
    assert embed["title"] == "Summary: ceasefire"
    quotes = quotes_in(embed)
    assert any("ceasefire" in text for text in quotes.values())
    for text in quotes.values():
        assert_verbatim(text, corpus)


async def test_summary_of_an_unknown_document_explains_privately(bot, fake):
    interaction = fake.slash("summary", document="no-such-document.md")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.body["flags"] == EPHEMERAL
    assert "no-such-document.md" in reply.body["content"]
    assert "Something went wrong" not in reply.body["content"]


async def test_document_names_autocomplete_from_the_index(bot, fake):
    interaction = fake.slash("summary", document="coali", focused="document")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.wait_for(
        lambda r: r.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    )
    assert reply.body["type"] == 8
    choices = reply.body["data"]["choices"]
    assert [c["value"] for c in choices] == [SEED]
    assert choices[0]["name"].startswith("Russia-Ukraine war")


async def test_sources_lists_documents_with_links_and_passages(bot, fake, engine):
    interaction = fake.slash("sources")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.body["type"] == 4
    [embed] = reply.body["data"]["embeds"]
    assert reply.body["data"]["allowed_mentions"]["parse"] == []
    lines = embed["description"].split("\n")
    documents = engine.documents()
    assert len(lines) == len(documents)
    for doc, line in zip(documents, lines, strict=True):
        assert f"]({doc.source_url})" in line
        assert f"— {counted(doc.passages, 'passage')} · indexed {doc.indexed_at[:10]}" in line
    assert embed["footer"]["text"] == (
        f"{len(documents)} documents · {counted(sum(d.passages for d in documents), 'passage')}"
    )


async def test_an_error_inside_a_command_gets_an_error_id_and_the_bot_carries_on(
    bot, fake, engine, monkeypatch, caplog
):
    def broken_ask(question, **options):
        raise RuntimeError("the index fell over")

    monkeypatch.setattr(engine, "ask", broken_ask)
    interaction = fake.slash("ask", question="What did Macron suggest?")
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        await fake.dispatch("INTERACTION_CREATE", interaction)
        reply = await fake.reply_to(interaction)
    assert reply.body["flags"] == EPHEMERAL
    match = re.fullmatch(
        r"Something went wrong \(error id `([0-9a-f]{8})`\)\. .*", reply.body["content"]
    )
    assert match, reply.body["content"]
    logged = [r for r in caplog.records if match[1] in r.getMessage()]
    assert logged and logged[0].exc_info[1].args == ("the index fell over",)
    assert "the index fell over" not in reply.body["content"]

    monkeypatch.undo()
    again = fake.slash("ask", question="What did Macron suggest?")
    await fake.dispatch("INTERACTION_CREATE", again)
    assert quotes_in((await fake.reply_to(again)).body["embeds"][0])
