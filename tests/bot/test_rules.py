"""The bot's Discord-free rules: what counts as a question, mentions, moderators, cooldowns,
conversations."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.conversations import Conversations
from bot.rules import (
    UserCooldowns,
    looks_like_question,
    may_moderate,
    strip_mention,
)
from retrieval.models import Answer, LastAnswer, Quote


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did Macron suggest?", True),
        ("how many missiles can Kyiv buy", True),
        ("Kyiv buys missiles?", True),
        ("good morning all", False),
        ("lol", False),
        ("tl;dr", True),
        ("what docs do you have", True),
        ("", False),
    ],
)
def test_looks_like_question(text, expected):
    assert looks_like_question(text) is expected


def test_strip_mention_removes_both_mention_forms_of_the_bot_only():
    assert strip_mention("<@42>  what   about <@!42> <@7>?", 42) == "what about <@7>?"
    assert strip_mention("<@&9> what about <@&8>?", 42, role_id=9) == "what about <@&8>?"


def test_cooldown_allows_uses_per_window_then_refuses_with_a_wait():
    cooldowns = UserCooldowns(uses=2, seconds=60)
    cooldowns.check(1)
    cooldowns.check(1)
    cooldowns.check(2)  # another user has an allowance of their own
    with pytest.raises(app_commands.CommandOnCooldown) as refused:
        cooldowns.check(1)
    assert 0 < refused.value.retry_after <= 60


def allowed(cooldowns: UserCooldowns, user_id: int, tries: int) -> int:
    """How many of `tries` questions in a row the user may ask."""
    count = 0
    for _ in range(tries):
        try:
            cooldowns.check(user_id)
            count += 1
        except app_commands.CommandOnCooldown:
            pass
    return count


def test_zero_seconds_turns_the_cooldown_off():
    assert allowed(UserCooldowns(uses=1, seconds=60), 1, tries=5) == 1
    assert allowed(UserCooldowns(uses=1, seconds=0), 1, tries=5) == 5


@pytest.mark.parametrize(
    ("manages_server", "roles", "expected"),
    [
        (True, [], True),  # Manage Server is always enough
        (False, [5, 7], True),  # a moderator role
        (False, [5], False),
        (False, [], False),
    ],
)
def test_moderators_manage_the_server_or_have_a_moderator_role(manages_server, roles, expected):
    assert (
        may_moderate(manages_server=manages_server, role_ids=iter(roles), moderator_role_ids=(7, 9))
        is expected
    )


def _answer(*documents: str) -> Answer:
    quotes = tuple(
        Quote("x", d, d, None, 0, 1, 0.9, paragraph=1, passage_id=f"{d}#0") for d in documents
    )
    return Answer("q", quotes, not quotes)


def _older() -> Answer:
    return Answer("an older question", _answer("x.md").quotes, False)


def test_a_conversation_is_about_the_document_its_last_answer_quoted_first():
    now = [100.0]
    conversations = Conversations(minutes=10, clock=lambda: now[0])
    assert conversations.about(1, 7) is None
    conversations.shown(1, 7, _answer("seed.md", "faq.md"), first=1, count=2)
    assert conversations.about(1, 7) == "seed.md"
    assert conversations.about(1, 8) is None  # another member
    assert conversations.about(2, 7) is None  # another channel
    conversations.shown(1, 7, _answer(), first=1, count=0)  # a refusal: still about the seed
    now[0] += 9 * 60
    assert conversations.about(1, 7) == "seed.md"
    conversations.shown(1, 7, _answer("faq.md"), first=1, count=1)
    assert conversations.about(1, 7) == "faq.md"
    now[0] += 10 * 60 + 1
    assert conversations.about(1, 7) is None  # ten quiet minutes end it


def test_after_a_refusal_tell_me_more_is_about_the_refused_question():
    conversations = Conversations(minutes=10)
    conversations.shown(1, 7, _answer("seed.md"), first=1, count=1)
    conversations.shown(1, 7, Answer("what about italy", (), True), first=1, count=0)
    assert conversations.last(1, 7) == LastAnswer("what about italy", 0)
    assert conversations.about(1, 7) == "seed.md"  # follow-ups are still about the seed


def test_conversations_can_be_turned_off():
    conversations = Conversations(minutes=0)
    conversations.shown(1, 7, _answer("seed.md"), first=1, count=1)
    assert conversations.about(1, 7) is None and conversations.last(1, 7) is None


def test_tell_me_more_goes_on_from_the_quotes_already_shown():
    now = [100.0]
    conversations = Conversations(minutes=10, clock=lambda: now[0])
    assert conversations.last(1, 7) is None
    conversations.shown(1, 7, _answer("seed.md", "faq.md"), first=1, count=2)
    assert conversations.last(1, 7) == LastAnswer("q", 2)
    now[0] += 9 * 60
    conversations.shown(
        1, 7, _answer("x.md"), first=3, count=3
    )  # quotes 3-5 shown: the conversation goes on
    assert conversations.last(1, 7) == LastAnswer("q", 5)
    assert conversations.about(1, 7) == "seed.md"  # still the first answer's document
    now[0] += 9 * 60
    assert conversations.last(1, 7) == LastAnswer("q", 5)
    conversations.shown(1, 7, _older(), first=4, count=6)  # its More quotes: not the last one
    conversations.shown(
        1, 7, _answer("x.md"), first=3, count=2
    )  # an older More quotes button: nothing new shown
    assert conversations.last(1, 7) == LastAnswer("q", 5)
    conversations.shown(
        1, 8, _answer("x.md"), first=2, count=2
    )  # another member never asked: nothing to go on with
    assert conversations.last(1, 8) is None
    now[0] += 10 * 60 + 1
    assert conversations.last(1, 7) is None
