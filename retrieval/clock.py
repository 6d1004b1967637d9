"""The time as Citebot records it (UTC, ISO 8601 to the second), passed in so tests can set it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Wall time for what is recorded (index builds, the audit log, removed/<date>/) and a
    monotonic clock for what is timed (how often a warning repeats)."""

    wall: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic

    def now(self) -> datetime:
        return self.wall()

    def iso(self) -> str:
        """`2026-03-04T10:20:30+00:00`: how every time is written in the index and the logs."""
        return self.wall().isoformat(timespec="seconds")

    def today(self) -> date:
        return self.wall().date()


SYSTEM_CLOCK = Clock()
