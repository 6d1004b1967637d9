"""What each member's conversation in a channel is about, for follow-up questions and "tell me
more": kept by the bot per member and channel, and by `citebot ask --conversation` for stdin.
Free of Discord, so the command line does not load it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from retrieval.models import Answer, LastAnswer


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

    def shown(
        self, channel_id: int, user_id: int, answer: Answer, *, first: int, count: int
    ) -> None:
        """Note that `count` quotes of `answer` were shown to the member, numbered from `first`:
        a new answer (`first` 1) starts the conversation afresh, further quotes ("tell me more",
        More quotes) go on with it. A refusal leaves it about the same document, but is the
        last question: "tell me more" after it is about it, not about the one before."""
        if first > 1:
            self._went_on(channel_id, user_id, answer.question, first - 1 + count)
        elif not (answer.quotes and count):
            turn = self._recent(channel_id, user_id)
            if turn is not None:
                self._last[(channel_id, user_id)] = replace(turn, question=answer.question, shown=0)
        elif self.seconds > 0:
            now = self._clock()
            if len(self._last) >= 10_000:  # forget conversations that have ended
                self._last = {k: v for k, v in self._last.items() if now - v.at <= self.seconds}
            turn = _Turn(answer.quotes[0].document, answer.question, count, now)
            self._last[(channel_id, user_id)] = turn

    def _went_on(self, channel_id: int, user_id: int, question: str, shown: int) -> None:
        """Quotes of `question` up to number `shown` were shown: noted when it is the member's
        last question there."""
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
