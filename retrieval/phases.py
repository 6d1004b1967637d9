"""Time spent in each phase of a build or a load, logged at DEBUG for benchmarks to read."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def phase(name: str):
    """Log how long the block took as `name` (benchmarks/scale.py collects these lines)."""
    began = time.perf_counter()
    try:
        yield
    finally:
        log.debug("%s %.3f", name, time.perf_counter() - began)
