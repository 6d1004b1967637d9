"""The bot's own small SQLite database: answered questions, feedback votes, the refresh audit log.

Each method opens its own short-lived connection, so a StateDB may be shared between the event
loop and worker threads (asyncio.to_thread) without locks of its own; SQLite serialises writers
and WAL lets readers run beside a writer.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from retrieval.models import RefreshReport

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    question_id TEXT NOT NULL,
    question TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    guild_id INTEGER,
    user_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (question_id, user_hash)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    requested_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    report TEXT
);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateDB:
    """Feedback and audit records in one SQLite file; the parent directory is created."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('user_salt', ?)",
                (secrets.token_hex(16),),
            )
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'user_salt'").fetchone()[0]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            with db:  # one transaction, committed on success
                yield db

    # Questions behind the buttons: the custom_id carries only this short id.

    def remember_question(self, question: str, passage_ids: list[str] | tuple[str, ...]) -> str:
        """Store a shown answer's question and passages; returns a short id for button ids."""
        question_id = secrets.token_hex(6)
        with self._connect() as db:
            db.execute(
                "INSERT INTO questions (id, question, passage_ids, created_at) VALUES (?, ?, ?, ?)",
                (question_id, question, json.dumps(list(passage_ids)), now_iso()),
            )
        return question_id

    def question(self, question_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT question FROM questions WHERE id = ?", (question_id,)
            ).fetchone()
        return row["question"] if row else None

    # Feedback

    def record_vote(
        self, question_id: str, *, vote: int, guild_id: int | None, user_id: int
    ) -> bool:
        """Record +1/-1 for a shown answer; a user's second vote on it replaces the first.

        The user is kept only as a salted hash (to replace a changed vote), never as an id.
        Returns False when the question id is unknown (e.g. the database was reset).
        """
        if vote not in (-1, 1):
            raise ValueError(f"vote must be +1 or -1, got {vote!r}")
        user_hash = hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:16]
        with self._connect() as db:
            row = db.execute(
                "SELECT question, passage_ids FROM questions WHERE id = ?", (question_id,)
            ).fetchone()
            if row is None:
                return False
            db.execute(
                "INSERT INTO feedback (question_id, question, passage_ids, vote, guild_id,"
                " user_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_hash) DO UPDATE SET"
                " vote = excluded.vote, created_at = excluded.created_at",
                (question_id, row["question"], row["passage_ids"], vote, guild_id, user_hash,
                 now_iso()),
            )
        return True

    def export_feedback(self, stream: IO[str]) -> int:
        """Write every vote as one JSON object per line; returns the number written."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, question, passage_ids, vote, guild_id, created_at FROM feedback"
                " ORDER BY id"
            ).fetchall()
        for row in rows:
            record = dict(row)
            record["passage_ids"] = json.loads(record["passage_ids"])
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(rows)

    # Refresh audit

    def record_refresh(
        self,
        report: RefreshReport | None,
        *,
        requested_by: str,
        started_at: str,
        outcome: str,
    ) -> int:
        """Append one refresh to the audit log ('ok' or 'error: ...'); returns its row id."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO audit (requested_by, started_at, finished_at, outcome, report)"
                " VALUES (?, ?, ?, ?, ?)",
                (requested_by, started_at, now_iso(), outcome,
                 json.dumps(report.as_json()) if report is not None else None),
            )
        return int(cursor.lastrowid)

    def recent_refreshes(self, limit: int = 20) -> list[dict]:
        """The latest refreshes, newest first, each with its report decoded (or None)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [{**dict(row), "report": json.loads(row["report"]) if row["report"] else None}
                for row in rows]

    def last_refresh(self) -> dict | None:
        latest = self.recent_refreshes(1)
        return latest[0] if latest else None
