"""The bot's SQLite state: remembered questions, votes, export, and the refresh audit log."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import threading

import pytest

from bot.state import StateDB, StateUnavailable
from retrieval.clock import Clock
from retrieval.models import RefreshReport


@pytest.fixture
def state(tmp_path) -> StateDB:
    return StateDB(tmp_path / "nested" / "dir" / "state.sqlite3")


def report(**changes) -> RefreshReport:
    fields = dict(
        documents=("a.md",),
        added=("a.md",),
        changed=(),
        removed=(),
        unchanged=(),
        skipped=(),
        chunks=3,
        embedded=3,
        seconds=0.5,
        full_rebuild=True,
        reason="no index yet",
        requested_by="cli",
        started_at="2025-03-03T10:00:00+00:00",
    )
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


def test_a_question_is_remembered_with_the_document_its_answer_quoted_first(state):
    quoted = state.remember_question("was turkey there", ["guides/a#b.md#1f2e", "faq.md#9a0b"])
    assert state.asked(quoted) == ("was turkey there", "guides/a#b.md")
    assert state.asked(state.remember_question("refused", [])) == ("refused", None)
    assert state.asked("feedbeef") is None


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
    question_ids = [db.remember_question("q", []) for db in (first, second)]
    for db, question_id in zip((first, second), question_ids):
        db.record_vote(question_id, vote=1, guild_id=1, user_id=99)
    hashes = [
        sqlite3.connect(db.path).execute("SELECT user_hash FROM feedback").fetchone()[0]
        for db in (first, second)
    ]
    assert hashes[0] != hashes[1]
    # Stable across restarts: the same user's changed vote replaces the first one.
    StateDB(tmp_path / "a.db").record_vote(question_ids[0], vote=-1, guild_id=1, user_id=99)
    assert [v["vote"] for v in exported(first)] == [-1]


def test_refresh_audit_newest_first_with_reports(state):
    assert state.last_refresh() is None
    state.record_refresh(
        report(), requested_by="startup", started_at="2025-03-03T10:00:00+00:00", outcome="ok"
    )
    state.record_refresh(
        None,
        requested_by="mod (42)",
        started_at="2025-03-03T11:00:00+00:00",
        outcome="error: disk full",
    )
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


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_unwritable_database_degrades_with_a_warning_once_a_minute(tmp_path, caplog):
    folder = tmp_path / "state"
    clock = Ticker()
    state = StateDB(folder / "state.sqlite3", clock=Clock(monotonic=clock))
    question_id = state.remember_question("kept?", ["a.md#0001"])
    # Writes really fail (even as root): the database's folder is now a file.
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    assert state.remember_question("q", []) is None
    assert state.record_refresh(report(), requested_by="cli", started_at="x", outcome="ok") is None
    assert state.last_refresh() is None
    with pytest.raises(StateUnavailable, match="votes can't be recorded right now"):
        state.record_vote(question_id, vote=1, guild_id=1, user_id=1)
    assert caplog.text.count("cannot be written") == 1
    clock.now += 61
    assert state.remember_question("q", []) is None
    assert caplog.text.count("cannot be written") == 2


def test_a_database_that_cannot_be_opened_at_start_up_is_a_warning(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    state = StateDB(tmp_path / "file" / "state.sqlite3")
    assert "cannot be written" in caplog.text
    assert state.remember_question("q", []) is None


def test_upkeep_prunes_old_questions_keeps_votes_and_reports_the_size(state):
    old = state.remember_question("an old question", ["a.md#0001"])
    state.record_vote(old, vote=1, guild_id=1, user_id=7)
    new = state.remember_question("a new question", [])
    with sqlite3.connect(state.path) as db:
        db.execute(
            "UPDATE questions SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", (old,)
        )
    upkeep = state.upkeep(keep_days=30)
    assert (upkeep.pruned, upkeep.questions, upkeep.votes) == (1, 1, 1)
    assert upkeep.size_bytes == state.path.stat().st_size > 0
    assert state.question(old) is None and state.question(new) == "a new question"
    assert [v["question"] for v in exported(state)] == ["an old question"]
