"""Requests about the collection itself ("tl;dr", "what docs do you have") through /ask,
mentions and ask channels: a labelled summary or the documents list, not quotes that
"answer" the words "tl;dr"."""

from __future__ import annotations

from helpers import assert_verbatim, quotes_in

from bot.wording import counted


async def test_tldr_through_ask_is_the_collection_summary(bot, fake, corpus):
    interaction = fake.slash("ask", question="tl;dr?")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Summary of the collection"
    assert embed["footer"]["text"].startswith("Summarised in ")
    shown = quotes_in(embed)
    assert len(shown) == 3
    for text in shown.values():
        assert_verbatim(text, corpus)
    assert not reply.body.get("components")  # no More quotes or votes on a summary


async def test_what_is_this_about_as_a_mention_is_the_collection_summary(bot, fake, corpus):
    message = fake.user_message(f"<@{fake.app_id}> what is this about", mentions=(fake.bot_user,))
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Summary of the collection" and quotes_in(embed)


async def test_summarize_a_topic_in_an_ask_channel_is_a_topic_summary(bot, fake):
    message = fake.user_message("summarize the ceasefire", channel_id=fake.ask_channel_id)
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Summary: the ceasefire"
    assert any("ceasefire" in text for text in quotes_in(embed).values())


async def test_what_docs_do_you_have_lists_the_documents(bot, fake, engine):
    message = fake.user_message("what docs do you have", direct=True)
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Documents in the index"
    for document in engine.documents():
        assert counted(document.passages, "passage") in embed["description"]
    assert "coalition of the willing" in embed["description"]


async def test_help_says_how_to_ask_in_a_mention_and_an_ask_channel(bot, fake):
    for message in (
        fake.user_message(f"<@{fake.app_id}> help", mentions=(fake.bot_user,)),
        fake.user_message("what can you do?", channel_id=fake.ask_channel_id),
    ):
        await fake.dispatch("MESSAGE_CREATE", message)
        reply = await fake.reply_to_message(message)
        [embed] = reply.body["embeds"]
        assert embed["title"] == "How to ask me"
        assert "/ask" in embed["description"] and "tell me more" in embed["description"]
        assert not reply.body.get("components")  # nothing to rate or continue


async def test_tell_me_more_in_an_ask_channel_gives_the_next_quotes(bot, fake, corpus):
    member = fake.member()
    texts = ("what is the peace plan?", "tell me more", "more")
    replies = []
    for text in texts:
        message = fake.user_message(text, channel_id=fake.ask_channel_id, member=member)
        await fake.dispatch("MESSAGE_CREATE", message)
        replies.append((await fake.reply_to_message(message)).body["embeds"][0])
    first, more, again = (quotes_in(embed) for embed in replies)
    assert replies[1]["title"] == "what is the peace plan? (continued)"
    # The next quotes, numbered on from the first answer's, none of them repeated.
    assert min(more) == max(first) + 1 and min(again) == max(more) + 1
    assert not set(first.values()) & set(more.values())
    for text in [*more.values(), *again.values()]:
        assert_verbatim(text, corpus)
    assert replies[1].get("footer") and replies[1]["footer"]["text"].startswith("Answered in")


async def test_tell_me_more_with_nothing_asked_says_to_ask_first(bot, fake):
    message = fake.user_message(f"<@{fake.app_id}> tell me more", mentions=(fake.bot_user,))
    await fake.dispatch("MESSAGE_CREATE", message)
    reply = await fake.reply_to_message(message)
    [embed] = reply.body["embeds"]
    assert embed["description"].startswith("Ask me a question first")
    assert not reply.body.get("components")


async def test_more_in_an_ask_channel_with_nothing_asked_is_chatter_not_a_request(bot, fake):
    # "more" said in an ask channel by a member who asked the bot nothing is said to someone
    # else: no reply. The next member question is answered as usual.
    mark = fake.mark()
    for text in ("more", "go on", "anything else?"):
        chatter = fake.user_message(text, channel_id=fake.ask_channel_id)
        await fake.dispatch("MESSAGE_CREATE", chatter)
    question = fake.user_message("what is the peace plan?", channel_id=fake.ask_channel_id)
    await fake.dispatch("MESSAGE_CREATE", question)
    await fake.reply_to_message(question)
    replies = [r for r in fake.requests[mark:] if r.path.endswith("/messages")]
    assert len(replies) == 1
