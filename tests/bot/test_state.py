"""The bot's SQLite state: remembered questions, votes, export, and the refresh audit log."""

from __future__ import annotations

import io
import json
import sqlite3
import threading

import pytest

from bot.state import StateDB
from retrieval.models import RefreshReport


@pytest.fixture
def state(tmp_path) -> StateDB:
    return StateDB(tmp_path / "nested" / "dir" / "state.sqlite3")


def report(**changes) -> RefreshReport:
    fields = dict(documents=("a.md",), added=("a.md",), changed=(), removed=(), unchanged=(),
                  skipped=(), chunks=3, embedded=3, seconds=0.5, full_rebuild=True,
                  reason="no index yet", requested_by="cli", started_at="2025-03-03T10:00:00+00:00")
    return RefreshReport(**{**fields, **changes})


def exported(state: StateDB) -> list[dict]:
    out = io.StringIO()
    count = state.export_feedback(out)
    lines = out.getvalue().splitlines()
    assert count == len(lines)
    return [json.loads(line) for line in lines]


def test_creates_its_directory_and_uses_wal(state, tmp_path):
    assert (tmp_path / "nested" / "dir" / "state.sqlite3").is_file()
    with sqlite3.connect(state.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_votes_are_recorded_with_question_and_passages_and_exported(state):
    question_id = state.remember_question("What did Macron suggest?", ["doc.md#1", "doc.md#2"])
    assert len(question_id) <= 20 and state.question(question_id) == "What did Macron suggest?"
    assert state.record_vote(question_id, vote=1, guild_id=7, user_id=1001)
    assert state.record_vote(question_id, vote=-1, guild_id=7, user_id=1002)
    records = exported(state)
    assert [r["vote"] for r in records] == [1, -1]
    assert records[0]["question"] == "What did Macron suggest?"
    assert records[0]["passage_ids"] == ["doc.md#1", "doc.md#2"]
    assert records[0]["guild_id"] == 7
    assert "1001" not in json.dumps(records)  # no user ids, not even hashed, in the export


def test_a_second_vote_by_the_same_user_replaces_the_first(state):
    question_id = state.remember_question("q", [])
    state.record_vote(question_id, vote=1, guild_id=None, user_id=5)
    state.record_vote(question_id, vote=-1, guild_id=None, user_id=5)
    assert [r["vote"] for r in exported(state)] == [-1]


def test_unknown_question_ids_and_bad_votes(state):
    assert state.record_vote("feedbeef", vote=1, guild_id=1, user_id=1) is False
    assert state.question("feedbeef") is None
    with pytest.raises(ValueError, match="vote must be"):
        state.record_vote(state.remember_question("q", []), vote=2, guild_id=1, user_id=1)


def test_user_hash_is_salted_per_database(tmp_path):
    first, second = StateDB(tmp_path / "a.db"), StateDB(tmp_path / "b.db")
    for db in (first, second):
        db.record_vote(db.remember_question("q", []), vote=1, guild_id=1, user_id=99)
    hashes = [sqlite3.connect(db.path).execute("SELECT user_hash FROM feedback").fetchone()[0]
              for db in (first, second)]
    assert hashes[0] != hashes[1]
    assert StateDB(tmp_path / "a.db")._salt == first._salt  # stable across restarts


def test_refresh_audit_newest_first_with_reports(state):
    assert state.last_refresh() is None
    state.record_refresh(report(), requested_by="startup", started_at="2025-03-03T10:00:00+00:00",
                         outcome="ok")
    state.record_refresh(None, requested_by="mod (42)", started_at="2025-03-03T11:00:00+00:00",
                         outcome="error: disk full")
    rows = state.recent_refreshes(10)
    assert [r["requested_by"] for r in rows] == ["mod (42)", "startup"]
    assert rows[0]["report"] is None and rows[0]["outcome"] == "error: disk full"
    assert rows[1]["report"]["added"] == ["a.md"] and rows[1]["finished_at"]
    assert state.last_refresh() == rows[0]
    assert len(state.recent_refreshes(1)) == 1


def test_safe_to_use_from_many_threads(state):
    question_id = state.remember_question("q", ["p"])
    errors = []

    def vote(user_id: int) -> None:
        try:
            for _ in range(10):
                state.record_vote(question_id, vote=1, guild_id=1, user_id=user_id)
                state.recent_refreshes(5)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(exported(state)) == 8
