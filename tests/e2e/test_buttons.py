"""The buttons under an answer: More quotes, 👍 / 👎 into SQLite, and both after a restart."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3

from fake_discord import EPHEMERAL
from helpers import quotes_in

from bot import cli
from bot.context import BotContext
from bot.discord_bot import CitebotBot

QUESTION = "What is the coalition of the willing?"


async def ask(fake, question: str, **options) -> dict:
    """The message the bot sent in answer to /ask, as the fake stored it."""
    interaction = fake.slash("ask", question=question, **options)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    await fake.reply_to(interaction)
    return fake.original_message(interaction)


def button(message: dict, label: str) -> str:
    for row in message["components"]:
        for component in row["components"]:
            if component.get("label") == label or component.get("emoji", {}).get("name") == label:
                return component["custom_id"]
    raise AssertionError(f"no {label!r} button in {message['components']}")


async def test_more_quotes_continues_the_numbering(bot, fake, engine):
    message = await ask(fake, QUESTION)
    first = quotes_in(message["embeds"][0])
    click = fake.click(message, button(message, "More quotes"))
    await fake.dispatch("INTERACTION_CREATE", click)
    reply = await fake.reply_to(click)
    [embed] = reply.body["embeds"]
    # Asked again as a follow-up about the document the answer quoted first, as it was shown.
    seed = engine.ask(QUESTION).quotes[0].document
    expected = engine.ask(QUESTION, skip=len(first), follow_up_of=seed)
    assert expected.quotes, "the seed article has more than one answer's worth of quotes"
    more = quotes_in(embed)
    assert min(more) == len(first) + 1
    assert list(more.values()) == [q.text for q in expected.quotes]
    assert not set(more.values()) & set(first.values())
    assert reply.body["allowed_mentions"]["parse"] == []


async def test_more_quotes_on_a_private_answer_stays_private(bot, fake):
    message = await ask(fake, QUESTION, private=True)
    assert message["flags"] & EPHEMERAL
    click = fake.click(message, button(message, "More quotes"))
    await fake.dispatch("INTERACTION_CREATE", click)
    await fake.reply_to(click)
    defer = fake.for_token(click["token"])[0]
    assert defer.body["type"] == 5 and defer.body["data"]["flags"] == EPHEMERAL


async def test_votes_land_in_sqlite_and_export_as_json_lines(bot, fake, state, tmp_path):
    message = await ask(fake, "What did Macron suggest?")
    voter = fake.member()
    for label in ("👍", "👎"):  # a changed vote replaces the first
        click = fake.click(message, button(message, label), member=voter)
        await fake.dispatch("INTERACTION_CREATE", click)
        reply = await fake.reply_to(click)
        assert reply.body["type"] == 4 and reply.body["data"]["flags"] == EPHEMERAL
        assert reply.body["data"]["content"] == f"Thanks, your {label} is recorded."

    # `citebot feedback export` writes what the buttons recorded as JSON lines.
    config = tmp_path / "citebot.toml"
    config.write_text(f'[index]\nstate_db = "{state.path}"\n', encoding="utf-8")
    exported = tmp_path / "votes.jsonl"
    assert cli.main(["--config", str(config), "feedback", "export", "-o", str(exported)]) == 0
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if r["question"] == "What did Macron suggest?"]
    assert len(mine) == 1
    assert mine[0]["vote"] == -1
    assert mine[0]["guild_id"] == fake.guild_id
    assert mine[0]["passage_ids"] and all("#" in p for p in mine[0]["passage_ids"])
    assert set(mine[0]) == {"id", "question", "passage_ids", "vote", "guild_id", "created_at"}


async def test_buttons_work_after_a_restart(bot, fake, engine, settings, state):
    message = await ask(fake, QUESTION)
    # A new bot process knows nothing of the message; the custom_id and SQLite are enough.
    context = BotContext.create(engine=engine, settings=settings, state=state)
    restarted = CitebotBot(context=context, guild_ready_timeout=0.01)
    task = asyncio.create_task(restarted.start("fake-token"))
    try:
        await asyncio.wait_for(restarted.wait_until_ready(), 15)
        click = fake.click(message, button(message, "👍"))
        await fake.dispatch("INTERACTION_CREATE", click)
        reply = await fake.reply_to(click)
        assert reply.body["data"]["content"] == "Thanks, your 👍 is recorded."
        click = fake.click(message, button(message, "More quotes"))
        await fake.dispatch("INTERACTION_CREATE", click)
        assert (await fake.reply_to(click)).body["embeds"]
    finally:
        await restarted.close()
        await task


async def test_buttons_of_a_pruned_answer_say_so_politely_and_votes_are_kept(bot, fake, state):
    message = await ask(fake, QUESTION)
    click = fake.click(message, button(message, "👍"))
    await fake.dispatch("INTERACTION_CREATE", click)
    await fake.reply_to(click)
    question_id = button(message, "👍").split(":")[2]
    with sqlite3.connect(state.path) as db:  # the answer is years old
        db.execute(
            "UPDATE questions SET created_at = '2000-01-01T00:00:00+00:00' WHERE id = ?",
            (question_id,),
        )
    assert (await asyncio.to_thread(state.upkeep, keep_days=60)).pruned == 1
    polite = (
        "Sorry, this answer is too old for its buttons: questions are kept for 60 days. "
        "Please ask it again."
    )
    for label in ("More quotes", "👎"):
        click = fake.click(message, button(message, label))
        await fake.dispatch("INTERACTION_CREATE", click)
        reply = await fake.reply_to(click)
        assert reply.body["type"] == 4 and reply.body["data"]["flags"] == EPHEMERAL
        assert reply.body["data"]["content"] == polite
    votes = io.StringIO()
    state.export_feedback(votes)
    assert f'"question": "{QUESTION}"' in votes.getvalue()  # the vote outlives its question


async def test_tell_me_more_after_more_quotes_goes_on_from_the_buttons_quotes(bot, fake):
    member = fake.member()
    message = await ask(fake, QUESTION, member=member)
    click = fake.click(message, button(message, "More quotes"), member=member)
    await fake.dispatch("INTERACTION_CREATE", click)
    shown = quotes_in((await fake.reply_to(click)).body["embeds"][0])
    after = await ask(fake, "tell me more", member=member)
    more = quotes_in(after["embeds"][0])
    assert after["embeds"][0]["title"] == f"{QUESTION} (continued)"
    assert min(more) == max(shown) + 1  # not the button's quotes again
