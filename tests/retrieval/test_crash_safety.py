"""`kill -9` or SIGTERM a real `citebot index` mid-build: the previous snapshot stays intact."""

import os
import queue
import random
import signal
import subprocess
import threading
import time

import pytest

from bot.state import StateDB
from retrieval.engine import Engine
from retrieval.errors import IndexMismatch
from retrieval.snapshot import current_snapshot_path, read_snapshot
from tests.conftest import REPO, make_settings

WORDS = (
    "river mountain engine harbour violin glacier orchard lantern compass meadow thunder "
    "copper falcon marble canyon saddle beacon willow granite harvest ember quarry tide"
).split()


def write_corpus(docs, count, seed):
    rng = random.Random(seed)
    for number in range(count):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(6)
        ]
        (docs / f"doc{number:04}.md").write_text(f"# Doc {number}\n\n" + " ".join(sentences))


def start_index(tmp_path, docs, *options):
    command = [
        str(REPO / ".venv" / "bin" / "citebot"),
        *options,
        "index",
        "--docs",
        str(docs),
        "--index",
        str(tmp_path / "index"),
    ]
    return subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stream_lines(stream) -> queue.Queue:
    """`stream`'s lines as they come ("" at its end), read by a thread so that a test can wait
    for one with a timeout."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.decode())
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue, text: str, timeout: float = 240) -> None:
    seen = []
    deadline = time.monotonic() + timeout
    while (line := lines.get(timeout=max(0.0, deadline - time.monotonic()))) and text not in line:
        seen.append(line)
    assert line, f"the process ended without printing {text!r}: {''.join(seen)[-2000:]}"


def wait_for_build_dir(index_dir, process, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.name.startswith(".build-") for p in os.scandir(index_dir)):
            return True
        time.sleep(0.0005)
    return False


def indexed(tmp_path, new_documents):
    """A small good index (built with the real model via the CLI), then more documents."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "keep.md").write_text("# Keep\n\nThe lighthouse keeper feeds the cats at noon.\n")
    assert start_index(tmp_path, docs).wait(timeout=300) == 0
    good = current_snapshot_path(tmp_path / "index")
    write_corpus(docs, new_documents, seed=1)
    return docs, good


def assert_previous_snapshot_intact(tmp_path, good):
    assert current_snapshot_path(tmp_path / "index") == good
    snapshot = read_snapshot(good)  # verifies every checksum
    assert [d.id for d in snapshot.documents] == ["keep.md"]


def test_kill_during_embedding_keeps_the_previous_snapshot(tmp_path):
    docs, good = indexed(tmp_path, 300)
    process = start_index(tmp_path, docs, "-v")
    # Killed once the build logs that it is embedding the new documents' texts.
    wait_for_line(stream_lines(process.stderr), "retrieval.indexer: embedding ")
    assert process.poll() is None, "the build finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert_previous_snapshot_intact(tmp_path, good)


def test_kill_while_writing_the_snapshot_keeps_the_previous_one_and_cleans_up(tmp_path):
    docs, good = indexed(tmp_path, 40)
    process = start_index(tmp_path, docs)
    caught = wait_for_build_dir(tmp_path / "index", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if not caught:
        pytest.fail(f"the write was not interrupted: {process.stderr.read().decode()[-2000:]}")
    assert_previous_snapshot_intact(tmp_path, good)
    leftovers = [p for p in (tmp_path / "index").iterdir() if p.name.startswith(".build-")]
    assert leftovers  # the interrupted build is really there ...
    settings = make_settings(tmp_path, docs)
    with pytest.raises(IndexMismatch, match="documents changed .*40 added"):
        Engine(settings).load(rebuild=False)  # checks the snapshot without loading the model
    assert not [p for p in (tmp_path / "index").iterdir() if p.name.startswith(".build-")]


def test_sigterm_during_embedding_stops_within_seconds_and_keeps_the_previous_snapshot(tmp_path):
    docs, good = indexed(tmp_path, 2000)  # 14,000 texts: minutes of embedding on 2 cores
    process = start_index(tmp_path, docs, "-v")
    stderr = stream_lines(process.stderr)
    wait_for_line(stderr, "embedding 14000 passages and sentences")
    process.send_signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    code = process.wait(timeout=30)
    assert time.monotonic() - stopped_at < 15
    errors = []
    while line := stderr.get(timeout=5):
        errors.append(line)
    assert code == 130
    assert errors[-1] == (
        "citebot: the refresh was cancelled: Citebot is stopping; the previous index is unchanged\n"
    )
    assert_previous_snapshot_intact(tmp_path, good)
    (refresh, *_) = StateDB(tmp_path / ".citebot" / "state.sqlite3").recent_refreshes(1)
    assert refresh["outcome"] == "error: the refresh was cancelled: Citebot is stopping"
