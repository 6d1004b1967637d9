"""The bot's Discord-free rules: what counts as a question, who may moderate, how often a user
may ask (what a member's conversation is about: bot/conversations.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from discord import app_commands

from retrieval.phrasing import meta_request

QUESTION_WORDS = frozenset(
    {
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "which",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "has",
        "have",
        "had",
        "tell",
        "explain",
        "describe",
        "list",
        "summarise",
        "summarize",
    }
)


def looks_like_question(text: str) -> bool:
    """Whether a message in an ask channel is a question (ends in '?' or starts like one) or a
    request about the documents ("tl;dr", "what docs do you have")."""
    words = text.split()
    if not words:
        return False
    return (
        text.rstrip().endswith("?")
        or words[0].lower().strip(",:;") in QUESTION_WORDS
        or meta_request(text) is not None
    )


def asks_for_more(text: str) -> bool:
    """Whether `text` is "tell me more", "more", "go on": the next quotes of a last question."""
    request = meta_request(text)
    return request is not None and request.kind == "more"


def strip_mention(text: str, user_id: int, role_id: int | None = None) -> str:
    """The message without mentions of the bot (or of its role), whitespace collapsed."""
    role = f"|<@&{role_id}>" if role_id else ""
    return " ".join(re.sub(rf"<@!?{user_id}>{role}", " ", text).split())


def may_moderate(
    *, manages_server: bool, role_ids: Iterable[int], moderator_role_ids: Iterable[int]
) -> bool:
    """Manage Server, or any role in discord.moderator_role_ids."""
    return manages_server or not set(moderator_role_ids).isdisjoint(role_ids)


class UserCooldowns:
    """A per-user rate limit shared by /ask, mentions and ask channels."""

    def __init__(self, *, uses: int, seconds: float) -> None:
        self.uses = uses
        self.seconds = seconds
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def check(self, user_id: int) -> None:
        """Use one question of the user's allowance; raises CommandOnCooldown if none is left."""
        if self.seconds <= 0:
            return
        if len(self._buckets) > 10_000:  # forget users whose window has passed
            self._buckets = {k: v for k, v in self._buckets.items() if v.get_tokens() < v.rate}
        bucket = self._buckets.setdefault(user_id, app_commands.Cooldown(self.uses, self.seconds))
        retry_after = bucket.update_rate_limit()
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)
