"""The bot's Discord-free rules: what counts as a question, who may moderate, how often a user
may ask, what a member's conversation is about."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from discord import app_commands

from retrieval.models import Answer, LastAnswer
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


class Conversations:
    """What each member's conversation in a channel is about: the document their last answer
    there quoted first, its question and how many of its quotes were shown, for `minutes` after
    it. Their next question in that channel is read as a follow-up about that document ("was
    turkey there" after a question about the summit), which lowers the evidence its sentences
    need; other documents are judged as for a first question (see Engine.ask). "Tell me more"
    gets the question's next quotes."""

    def __init__(self, *, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = minutes * 60
        self._clock = clock
        self._last: dict[tuple[int, int], _Turn] = {}

    def about(self, channel_id: int, user_id: int) -> str | None:
        """The document the member's conversation in the channel is about, if it is recent."""
        turn = self._recent(channel_id, user_id)
        return turn.document if turn else None

    def last(self, channel_id: int, user_id: int) -> LastAnswer | None:
        """The member's last question in the channel and how many of its quotes were shown."""
        turn = self._recent(channel_id, user_id)
        return LastAnswer(turn.question, turn.shown) if turn else None

    def answered(self, channel_id: int, user_id: int, answer: Answer, *, shown: int) -> None:
        """Note an answer of which `shown` quotes were shown to the member; a refusal leaves
        the conversation as it was."""
        if self.seconds <= 0 or not answer.quotes or not shown:
            return
        now = self._clock()
        if len(self._last) >= 10_000:  # forget conversations that have ended
            self._last = {k: v for k, v in self._last.items() if now - v.at <= self.seconds}
        turn = _Turn(answer.quotes[0].document, answer.question, shown, now)
        self._last[(channel_id, user_id)] = turn

    def went_on(self, channel_id: int, user_id: int, question: str, shown: int) -> None:
        """Note that the quotes of `question` up to number `shown` have been shown to the
        member (by "tell me more" or More quotes), when it is their last question there."""
        turn = self._recent(channel_id, user_id)
        if turn is not None and turn.question == question and shown > turn.shown:
            self._last[(channel_id, user_id)] = replace(turn, shown=shown, at=self._clock())

    def _recent(self, channel_id: int, user_id: int) -> _Turn | None:
        turn = self._last.get((channel_id, user_id))
        if turn is None or self._clock() - turn.at > self.seconds:
            return None
        return turn


@dataclass(frozen=True)
class _Turn:
    document: str  # the one the answer quoted first
    question: str
    shown: int  # quotes of it shown so far
    at: float  # when, on the Conversations clock
