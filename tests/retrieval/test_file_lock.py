import subprocess
import sys
import threading

import pytest

from retrieval.file_lock import Stopped, Unlockable, exclusive

HOLDER = """
import sys
from pathlib import Path
from retrieval.file_lock import exclusive
with exclusive(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()  # holds the lock until the test closes our stdin
"""


@pytest.fixture
def other_process(tmp_path):
    """Another process (a `citebot index` elsewhere) holding the lock until closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / ".lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    yield holder
    holder.stdin.close()
    holder.wait(30)


def test_a_second_process_does_not_get_a_held_lock(tmp_path, other_process):
    with exclusive(tmp_path / ".lock", blocking=False) as got:
        assert got is False


def test_a_blocked_waiter_gets_the_lock_once_the_other_process_lets_go(tmp_path, other_process):
    got = threading.Event()

    def wait_for_lock():
        with exclusive(tmp_path / ".lock"):
            got.set()

    waiter = threading.Thread(target=wait_for_lock)
    waiter.start()
    assert not got.wait(0.5)  # still held by the other process
    other_process.stdin.close()
    assert got.wait(30)
    waiter.join(30)


def test_two_threads_of_one_process_exclude_each_other(tmp_path):
    inside, overlaps = [], []

    def work():
        for _ in range(20):
            with exclusive(tmp_path / ".lock"):
                inside.append(1)
                overlaps.append(len(inside))
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(overlaps) == 80
    assert max(overlaps) == 1


def test_a_lock_is_free_again_after_the_block(tmp_path):
    with exclusive(tmp_path / ".lock") as got:
        assert got is True
        with exclusive(tmp_path / ".lock", blocking=False) as again:
            assert again is False
    with exclusive(tmp_path / ".lock", blocking=False) as after:
        assert after is True


def test_a_waiter_gives_up_when_told_to_stop(tmp_path, other_process):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped, match="gave up waiting"):
        with exclusive(tmp_path / ".lock", stop=stop):
            pass


def test_a_lock_where_a_file_stands_for_its_dir_says_so(tmp_path):
    (tmp_path / "index").write_text("not a dir")
    with pytest.raises(Unlockable):
        with exclusive(tmp_path / "index" / ".lock"):
            pass
