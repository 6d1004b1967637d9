"""The bot's own small SQLite database: answered questions, feedback votes, the audit log.

Each method opens its own short-lived connection, so a StateDB may be shared between the event
loop and worker threads (asyncio.to_thread) without locks of its own; SQLite serialises writers
and WAL lets readers run beside a writer.

The database is never in the way of an answer: when it cannot be opened or written (a read-only
file or disk, a full disk, a broken path), questions are not remembered (the answer goes out
without buttons), refreshes are not recorded, and a warning is logged at most once a minute.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from retrieval.clock import SYSTEM_CLOCK, Clock
from retrieval.errors import CitebotError
from retrieval.models import RefreshReport
from retrieval.passages import passage_document
from retrieval.uploads import Change

log = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_by_age ON questions (created_at);
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
CREATE TABLE IF NOT EXISTS document_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    action TEXT NOT NULL,
    document TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    url TEXT,
    outcome TEXT NOT NULL
);
"""


class StateUnavailable(CitebotError):
    """The state database cannot be written; str() is what a user who clicked a button sees."""


@dataclass(frozen=True)
class Upkeep:
    pruned: int  # questions older than keep_days removed
    questions: int
    votes: int
    size_bytes: int


class StateDB:
    """Feedback and audit records in one SQLite file; the parent directory is created.

    A database that cannot be set up is not an error: the bot runs read-only (see the module
    docstring), and one warning says why. `clock` dates the records and times the warnings
    (once a minute).
    """

    def __init__(self, path: Path | str, *, clock: Clock = SYSTEM_CLOCK):
        self.path = Path(path)
        self._clock = clock
        self._warned_at = float("-inf")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            self._cannot_write(error)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for `citebot audit` and `feedback export`, which need the database."""
        try:
            with self._connect() as db:
                yield db
        except sqlite3.Error as error:
            raise StateUnavailable(
                f"the state database {self.path} cannot be read: {error}"
            ) from None

    def _cannot_write(self, error: Exception) -> None:
        now = self._clock.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "the state database %s cannot be written (%s): answers go out without "
                "buttons, votes and refreshes are not recorded",
                self.path,
                error,
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            with db:  # one transaction, committed on success
                yield db

    # Questions behind the buttons: the custom_id carries only this short id.

    def remember_question(
        self, question: str, passage_ids: list[str] | tuple[str, ...]
    ) -> str | None:
        """Store a shown answer's question and passages; returns a short id for button ids, or
        None when the database cannot be written (the answer then goes out without buttons)."""
        question_id = secrets.token_hex(6)
        try:
            with self._connect() as db:
                db.execute(
                    "INSERT INTO questions (id, question, passage_ids, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (question_id, question, json.dumps(list(passage_ids)), self._clock.iso()),
                )
        except sqlite3.Error as error:
            self._cannot_write(error)
            return None
        return question_id

    def question(self, question_id: str) -> str | None:
        """The question behind a button; None when it is unknown or was pruned."""
        asked = self.asked(question_id)
        return asked[0] if asked else None

    def asked(self, question_id: str) -> tuple[str, str | None] | None:
        """The question behind a button and the document its answer quoted first (None when it
        quoted nothing); None when the question is unknown or was pruned."""
        try:
            with self._connect() as db:
                row = db.execute(
                    "SELECT question, passage_ids FROM questions WHERE id = ?", (question_id,)
                ).fetchone()
        except sqlite3.Error as error:
            self._cannot_write(error)
            raise StateUnavailable(
                "Sorry, that button can't be used right now: please ask the question again."
            ) from None
        if row is None:
            return None
        passages = json.loads(row["passage_ids"] or "[]")
        return row["question"], passage_document(passages[0]) if passages else None

    def upkeep(self, *, keep_days: int) -> Upkeep:
        """Forget questions older than `keep_days` (votes keep their own copy), then VACUUM so
        the file shrinks; returns what is left and the file's size."""
        cutoff = (self._clock.now() - timedelta(days=keep_days)).isoformat(timespec="seconds")
        with self._connect() as db:
            pruned = db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,)).rowcount
            questions = db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
            votes = db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        size = sum(file.stat().st_size for file in files if file.exists())
        return Upkeep(pruned, questions, votes, size)

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
        try:
            with self._connect() as db:
                return self._record_vote(db, question_id, vote, guild_id, user_id)
        except sqlite3.Error as error:
            self._cannot_write(error)
            raise StateUnavailable(
                "Sorry, votes can't be recorded right now; answers still work."
            ) from None

    def _record_vote(
        self,
        db: sqlite3.Connection,
        question_id: str,
        vote: int,
        guild_id: int | None,
        user_id: int,
    ) -> bool:
        row = db.execute(
            "SELECT question, passage_ids FROM questions WHERE id = ?", (question_id,)
        ).fetchone()
        if row is None:
            return False
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('user_salt', ?)",
            (secrets.token_hex(16),),
        )
        salt = db.execute("SELECT value FROM meta WHERE key = 'user_salt'").fetchone()[0]
        user_hash = hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:16]
        db.execute(
            "INSERT INTO feedback (question_id, question, passage_ids, vote, guild_id,"
            " user_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (question_id, user_hash) DO UPDATE SET"
            " vote = excluded.vote, created_at = excluded.created_at",
            (
                question_id,
                row["question"],
                row["passage_ids"],
                vote,
                guild_id,
                user_hash,
                self._clock.iso(),
            ),
        )
        return True

    def export_feedback(self, stream: IO[str]) -> int:
        """Write every vote as one JSON object per line; returns the number written."""
        with self._reading() as db:
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
    ) -> int | None:
        """Append one refresh to the audit log ('ok' or 'error: ...'); returns its row id, or
        None when the database cannot be written (the refresh itself stands)."""
        try:
            with self._connect() as db:
                cursor = db.execute(
                    "INSERT INTO audit (requested_by, started_at, finished_at, outcome, report)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        requested_by,
                        started_at,
                        self._clock.iso(),
                        outcome,
                        json.dumps(report.as_json()) if report is not None else None,
                    ),
                )
        except sqlite3.Error as error:
            self._cannot_write(error)
            return None
        return int(cursor.lastrowid)

    def record_change(self, change: Change, *, requested_by: str) -> int | None:
        """Append one add, update or remove to the audit log; None when the database cannot
        be written (the change itself stands)."""
        return self._record_document(
            requested_by,
            change.action,
            change.document,
            "ok",
            change.sha256,
            change.size,
            change.url,
        )

    def record_refusal(
        self, action: str, document: str, error: Exception, *, requested_by: str
    ) -> int | None:
        """Append an add or remove that was refused, with the reason the moderator was given."""
        return self._record_document(requested_by, action, document, f"refused: {error}")

    def _record_document(
        self,
        requested_by: str,
        action: str,
        document: str,
        outcome: str,
        sha256: str | None = None,
        size: int | None = None,
        url: str | None = None,
    ) -> int | None:
        try:
            with self._connect() as db:
                cursor = db.execute(
                    "INSERT INTO document_audit (at, requested_by, action, document, sha256,"
                    " size, url, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (self._clock.iso(), requested_by, action, document, sha256, size, url, outcome),
                )
        except sqlite3.Error as error:
            self._cannot_write(error)
            return None
        return int(cursor.lastrowid)

    def recent_document_changes(self, limit: int = 20) -> list[dict]:
        """The latest document adds, updates and removes, newest first."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM document_audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [dict(row) for row in rows]

    def last_additions(self) -> dict[str, dict]:
        """For each document, its latest successful add or update (who, when, SHA-256, size);
        empty when the database cannot be read."""
        try:
            with self._reading() as db:
                rows = db.execute(
                    "SELECT * FROM document_audit WHERE outcome = 'ok' AND action != 'removed'"
                    " ORDER BY id"
                ).fetchall()
        except StateUnavailable:
            return {}
        return {row["document"]: dict(row) for row in rows}

    def recent_refreshes(self, limit: int = 20) -> list[dict]:
        """The latest refreshes, newest first, each with its report decoded (or None)."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [
            {**dict(row), "report": json.loads(row["report"]) if row["report"] else None}
            for row in rows
        ]

    def last_refresh(self) -> dict | None:
        """The latest refresh; None when there is none or the database cannot be read."""
        try:
            latest = self.recent_refreshes(1)
        except StateUnavailable:
            return None
        return latest[0] if latest else None
