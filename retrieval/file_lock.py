"""An exclusive lock on a file shared by processes on any platform (the bot, `citebot index`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

# How often a blocked waiter looks at its stop event: a stopping process is never stuck here.
POLL_SECONDS = 0.2


@contextmanager
def exclusive(
    path: Path, *, blocking: bool = True, stop: threading.Event | None = None
) -> Iterator[bool]:
    """Hold the lock on `path` for the block; yields whether it was got.

    Without `blocking`, yields False at once when another holder has it. A blocking waiter
    gives up with `Stopped` once `stop` is set. Each call opens its own handle, so two threads
    of one process exclude each other as two processes do.
    """
    # A new FileLock per call: nothing is shared between threads, or re-entered by one.
    lock = FileLock(path, thread_local=False)
    while True:
        try:
            lock.acquire(timeout=POLL_SECONDS if blocking else 0)
            break
        except Timeout:  # an OSError too, so caught first
            if not blocking:
                yield False
                return
            if stop is not None and stop.is_set():
                raise Stopped(f"gave up waiting for the lock {path}") from None
        except OSError as error:  # a dir that cannot hold the lock file
            raise Unlockable(error.errno, error.strerror or str(error)) from error
    try:
        yield True
    finally:
        lock.release()


class Unlockable(OSError):
    """The lock file cannot be created or opened (a read-only or missing dir)."""


class Stopped(Exception):
    """A blocking wait for the lock ended because the process is stopping."""
