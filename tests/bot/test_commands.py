"""The pure parts of the bot's listener: what counts as a question, mentions, cooldowns."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.commands import UserCooldowns, looks_like_question, strip_mention


@pytest.mark.parametrize(("text", "expected"), [
    ("What did Macron suggest?", True),
    ("how many missiles can Kyiv buy", True),
    ("Kyiv buys missiles?", True),
    ("good morning all", False),
    ("lol", False),
    ("tl;dr", True),
    ("what docs do you have", True),
    ("", False),
])
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


def test_zero_seconds_turns_the_cooldown_off():
    cooldowns = UserCooldowns(uses=1, seconds=0)
    for _ in range(5):
        cooldowns.check(1)
