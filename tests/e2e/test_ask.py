"""/ask, mentions and ask channels: the exact JSON the bot sends back."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from fake_discord import EPHEMERAL
from helpers import quotes_in, sources_in

MACRON = "What did Macron suggest?"


async def test_ask_answers_with_verbatim_cited_quotes(bot, fake, engine, corpus):
    interaction = fake.slash("ask", question=MACRON)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)

    defer = fake.for_token(interaction["token"])[0]
    assert defer.path.endswith("/callback") and defer.query == {"with_response": "1"}
    assert defer.body["type"] == 5 and not (defer.body.get("data") or {}).get("flags")
    assert reply.method == "POST"
    assert reply.path == f"/webhooks/{fake.app_id}/{interaction['token']}"
    assert reply.body["allowed_mentions"]["parse"] == []
    assert not reply.body.get("flags", 0) & EPHEMERAL

    [embed] = reply.body["embeds"]
    assert embed["title"] == MACRON
    assert embed["footer"]["text"].startswith("Answered in ")
    expected = engine.ask(MACRON)
    shown = quotes_in(embed)
    assert shown and len(shown) == len(expected.quotes)
    sources = sources_in(embed)
    assert set(sources) == set(shown)
    for number, text in shown.items():
        quote = expected.quotes[number - 1]
        document = (corpus / quote.document).read_text(encoding="utf-8")
        assert text == quote.text == document[quote.start : quote.end]
        title, paragraph, url = sources[number]
        assert (title, paragraph) == (quote.title, quote.paragraph)
        page, fragment = url.split("#:~:text=")
        assert page == quote.source_url
        start = unquote(fragment.split(",")[0])
        assert text.startswith(start)
    assert "Macron suggested a one-month ceasefire" in shown[1]

    buttons = reply.body["components"][0]["components"]
    assert [b.get("label") or b["emoji"]["name"] for b in buttons] == ["More quotes", "👍", "👎"]
    assert all(len(b["custom_id"]) <= 100 for b in buttons)


async def test_private_ask_is_ephemeral(bot, fake):
    interaction = fake.slash("ask", question=MACRON, private=True)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    defer = fake.for_token(interaction["token"])[0]
    assert defer.body["type"] == 5 and defer.body["data"]["flags"] == EPHEMERAL
    assert reply.body["flags"] == EPHEMERAL
    assert quotes_in(reply.body["embeds"][0])


async def test_abstains_plainly_and_names_closest_documents(bot, fake):
    interaction = fake.slash("ask", question="who is the president of brazil")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [embed] = (await fake.reply_to(interaction)).body["embeds"]
    assert "don't answer this" in embed["description"]
    assert "No document uses the word “brazil”." in embed["description"]
    assert "Closest documents:" in embed["description"]
    assert "coalition of the willing" in embed["description"]
    # A question nowhere near any document names none.
    interaction = fake.slash("ask", question="What is the recipe for banana bread?")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    [embed] = reply.body["embeds"]
    assert "don't answer this" in embed["description"]
    assert "Closest documents:" not in embed["description"]
    assert "No document uses the words “recipe”, “banana” or “bread”." in embed["description"]
    assert quotes_in(embed) == {}
    assert not embed.get("fields")
    labels = [b.get("label") for b in reply.body["components"][0]["components"]]
    assert "More quotes" not in labels  # nothing to continue, but it can still be rated


@pytest.mark.parametrize(
    "question", ["   ", "\u200b\u2060\u202e\u3164"], ids=["spaces", "invisible"]
)
async def test_empty_question_gets_a_friendly_private_message(bot, fake, question):
    interaction = fake.slash("ask", question=question)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.body["flags"] == EPHEMERAL
    assert reply.body["content"] == "Please type a question: the message was empty."
    # The public "thinking…" message was removed so the refusal could be private.
    assert any(r.method == "DELETE" for r in fake.for_token(interaction["token"]))


async def test_an_answer_says_which_question_words_no_document_contains(bot, fake):
    interaction = fake.slash("ask", question="what did china say about the plan")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [embed] = (await fake.reply_to(interaction)).body["embeds"]
    note = "*No document uses the word “china”. These quotes match only the rest of the question.*"
    assert embed["description"].startswith(note + "\n\n> **[1]**")
    assert "plan" in quotes_in(embed)[1]


async def test_mention_is_answered_as_a_reply(bot, fake):
    message = fake.user_message(f"<@{fake.app_id}> {MACRON}", mentions=(fake.bot_user,))
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    assert str(reply.body["message_reference"]["message_id"]) == message["id"]
    assert reply.body["allowed_mentions"] == {"parse": []}  # replied_user defaults to false
    [embed] = reply.body["embeds"]
    assert embed["title"] == MACRON
    assert "Macron suggested a one-month ceasefire" in quotes_in(embed)[1]
    assert reply.body["components"]


async def test_a_mention_of_the_bots_role_is_a_mention(bot, fake):
    # Discord's autocomplete often offers the bot's managed role for "@Citebot".
    message = fake.user_message(
        f"<@&{fake.bot_role_id}> {MACRON}", mention_roles=(fake.bot_role_id,)
    )
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    assert str(reply.body["message_reference"]["message_id"]) == message["id"]
    assert reply.body["embeds"][0]["title"] == MACRON  # the role mention is not in the question


async def test_a_direct_message_is_answered_without_a_mention(bot, fake):
    message = fake.user_message(MACRON, direct=True)
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    [embed] = reply.body["embeds"]
    assert "Macron suggested a one-month ceasefire" in quotes_in(embed)[1]


async def test_a_thread_under_an_ask_channel_is_an_ask_channel(bot, fake):
    question = fake.user_message(
        "how many air defence missiles can Kyiv buy?", channel_id=fake.ask_thread_id
    )
    await fake.dispatch("MESSAGE_CREATE", question)
    reply = await fake.reply_to_message(question)
    assert str(reply.body["message_reference"]["message_id"]) == question["id"]
    assert any(
        "5,000 air defence missiles" in q for q in quotes_in(reply.body["embeds"][0]).values()
    )


async def test_ask_channel_answers_questions_without_a_mention(bot, fake):
    mark = fake.mark()
    chatter = fake.user_message("good morning all", channel_id=fake.ask_channel_id)
    await fake.dispatch("MESSAGE_CREATE", chatter)
    question = fake.user_message(
        "how many air defence missiles can Kyiv buy?", channel_id=fake.ask_channel_id
    )
    await fake.dispatch("MESSAGE_CREATE", question)
    reply = await fake.reply_to_message(question)
    assert str(reply.body["message_reference"]["message_id"]) == question["id"]
    quotes = quotes_in(reply.body["embeds"][0]).values()
    assert any("5,000 air defence missiles" in q for q in quotes)
    replies = [r for r in fake.requests[mark:] if r.path.endswith("/messages")]
    assert len(replies) == 1  # "good morning all" is not a question: no reply


async def test_other_channels_ignore_unmentioned_messages(bot, fake):
    mark = fake.mark()
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("what did Macron suggest?"))
    probe = fake.slash("sources")  # a request we know comes, to know the message was handled
    await fake.dispatch("INTERACTION_CREATE", probe)
    await fake.reply_to(probe)
    assert not [r for r in fake.requests[mark:] if r.path.startswith("/channels/")]


async def test_everyone_in_a_document_never_pings(bot, fake):
    question = "Why should people stop writing @everyone in the help channel?"
    interaction = fake.slash("ask", question=question)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    description = reply.body["embeds"][0]["description"]
    assert "\\@everyone" in description  # shown as written, escaped so it is no mention
    assert reply.body["allowed_mentions"]["parse"] == []

    message = fake.user_message(
        f"<@{fake.app_id}> who do role pings like <@&123> reach?", mentions=(fake.bot_user,)
    )
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    assert "\\<@&123\\>" in reply.body["embeds"][0]["description"]  # text, not a role pill
    assert reply.body["allowed_mentions"] == {"parse": []}  # replied_user defaults to false


async def test_cooldown_limits_questions_per_user(bot, fake, settings):
    member = fake.member()
    for _ in range(settings.discord.cooldown_uses):
        interaction = fake.slash("ask", question=MACRON, member=member)
        await fake.dispatch("INTERACTION_CREATE", interaction)
        assert (await fake.reply_to(interaction)).body.get("embeds")
    interaction = fake.slash("ask", question=MACRON, member=member)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.path.endswith("/callback") and reply.body["type"] == 4
    assert reply.body["data"]["flags"] == EPHEMERAL
    assert reply.body["data"]["content"].startswith("You're asking quickly. Try again in")

    # Mentions share the allowance, and a burst of them gets one warning, not one each.
    mark = fake.mark()
    for _ in range(2):
        message = fake.user_message(
            f"<@{fake.app_id}> {MACRON}", mentions=(fake.bot_user,), member=member
        )
        await fake.dispatch("MESSAGE_CREATE", message)
    probe = fake.slash("sources")
    await fake.dispatch("INTERACTION_CREATE", probe)
    await fake.reply_to(probe)
    replies = [r for r in fake.requests[mark:] if r.path.endswith("/messages")]
    assert len(replies) == 1
    assert replies[0].body["content"].startswith("You're asking quickly. Try again in")


async def test_a_members_next_question_in_a_channel_follows_up_their_last_answer(
    bot, fake, engine, monkeypatch
):
    asked = []
    respond = engine.respond

    def recorded(question, **options):
        asked.append((question, options.get("follow_up_of")))
        return respond(question, **options)

    monkeypatch.setattr(engine, "respond", recorded)
    member = fake.member()
    for text in (MACRON, "was turkey there"):
        message = fake.user_message(text, channel_id=fake.ask_channel_id, member=member)
        await fake.dispatch("MESSAGE_CREATE", message)
        reply = await fake.reply_to_message(message)
    assert any("Turkey" in q for q in quotes_in(reply.body["embeds"][0]).values())
    seed = engine.ask(MACRON).quotes[0].document
    # Another member in the same channel, and the same member in another channel, start afresh.
    message = fake.user_message("was turkey there", channel_id=fake.ask_channel_id)
    await fake.dispatch("MESSAGE_CREATE", message)
    await fake.reply_to_message(message)
    interaction = fake.slash("ask", question="was turkey there", member=member)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    await fake.reply_to(interaction)
    assert asked == [
        (MACRON, None),
        ("was turkey there", seed),
        ("was turkey there", None),
        ("was turkey there", None),
    ]
