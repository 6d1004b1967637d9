"""A very long answer: ten quotes of up to 1,000 characters still fit every Discord limit."""

from __future__ import annotations

import pytest
from helpers import quotes_in, unescape, with_context

from bot.render import EMBED_TOTAL_LIMIT
from retrieval.engine import Engine

TOPICS = [
    "lamp",
    "lens",
    "fog horn",
    "logbook",
    "storm shutters",
    "oil store",
    "gallery rail",
    "clockwork",
    "signal flags",
    "tide tables",
    "keeper's cottage",
    "relief boat",
]


def long_sentence(topic: str) -> str:
    # About 900 characters, full of characters Markdown would otherwise swallow: * _ ~ | `
    clause = (
        f"the lighthouse keeper checked the {topic} at dusk, noted its *state* in the "
        f"log_book (under ~column~ three | row `{topic}`), and wrote that the {topic} "
        "needed care before the winter storms arrived on the rocky northern coast"
    )
    text = ("Every evening " + "; then ".join([clause] * 4)).capitalize()
    return text[:980].rsplit(" ", 1)[0] + "."


@pytest.fixture(scope="module")
def long_engine(tmp_path_factory, engine):
    docs = tmp_path_factory.mktemp("long-docs")
    body = "\n\n".join(long_sentence(topic) for topic in TOPICS)
    (docs / "keepers.md").write_text(
        f"# Lighthouse keepers' duties\n\nSource: https://example.org/keepers\n\n{body}\n",
        encoding="utf-8",
    )
    index = tmp_path_factory.mktemp("long-index")
    settings = engine.settings.replace(
        documents={"dir": str(docs)},
        index={"dir": str(index / "index"), "state_db": str(index / "state.sqlite3")},
        answer={"top_k": 10, "max_quote_chars": 1000, "min_score": 0.0},
    )
    long = Engine(settings, embedder=engine.embedder)  # the same model, loaded once
    long.load(rebuild=True)
    return long


def embed_size(embed: dict) -> int:
    fields = embed.get("fields", [])
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
        + len(embed.get("footer", {}).get("text", ""))
    )


def assert_within_limits(embed: dict) -> None:
    assert len(embed["title"]) <= 256
    assert len(embed["description"]) <= 4096
    assert len(embed.get("fields", [])) <= 25
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed.get("fields", []))
    assert len(embed["footer"]["text"]) <= 2048
    assert embed_size(embed) <= EMBED_TOTAL_LIMIT


async def test_long_answer_fits_whole_quotes_and_leaves_the_rest_to_more_quotes(
    bot, fake, long_engine, monkeypatch
):
    with_context(bot, monkeypatch, engine=long_engine)
    question = (
        "What did the lighthouse keeper check at dusk and write in the log book about "
        + " and ".join(TOPICS)
        + " before the winter storms on the northern coast?"
    )
    assert len(question) > 256
    interaction = fake.slash("ask", question=question)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    [embed] = reply.body["embeds"]
    assert_within_limits(embed)

    title = unescape(embed["title"])
    assert title.endswith("…") and question.startswith(title[:-1])
    assert question[len(title) - 1] == " "  # cut between words

    expected = long_engine.ask(question)
    assert len(expected.quotes) == 10 and all(len(q.text) > 800 for q in expected.quotes)
    shown = quotes_in(embed)
    assert 1 <= len(shown) < 10
    assert list(shown.values()) == [q.text for q in expected.quotes[: len(shown)]]

    buttons = reply.body["components"][0]["components"]
    assert len(buttons) <= 5
    more = next(b for b in buttons if b.get("label") == "More quotes")
    assert more["custom_id"].endswith(f":{len(shown)}")

    message = fake.original_message(interaction)
    click = fake.click(message, more["custom_id"])
    await fake.dispatch("INTERACTION_CREATE", click)
    [next_embed] = (await fake.reply_to(click)).body["embeds"]
    assert_within_limits(next_embed)
    continued = quotes_in(next_embed)
    assert min(continued) == len(shown) + 1
    assert continued[len(shown) + 1] == expected.quotes[len(shown)].text
