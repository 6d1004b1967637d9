"""Vector tables on disk: .npy files written row block by row block (or copied by the
kernel from a previous snapshot's file) and mapped back read-only."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np


def write_vectors(
    path: Path, parts: list[tuple[np.ndarray, int, int]], dimension: int
) -> np.ndarray:
    """Rows start:stop of each array in `parts`, one after another, written to the .npy file
    `path` by plain writes and mapped back read-only. A previous snapshot's mapped vectors are
    read from their file, not through the mapping: neither the old nor the new vectors pass
    through this process's memory whole."""
    count = sum(stop - start for _, start, stop in parts)
    header = {"descr": "<f4", "fortran_order": False, "shape": (count, dimension)}
    with open(path, "wb") as out:
        np.lib.format.write_array_header_1_0(out, header)
        for source, start, stop in parts:
            if _copied(source, start, stop, dimension, out):
                continue
            for first in range(start, stop, _BLOCK_ROWS):
                block = _rows(source, first, min(stop, first + _BLOCK_ROWS), dimension)
                out.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
    if not count:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.load(path, mmap_mode="r")


_BLOCK_ROWS = 16_384  # 24 MB of 384-dimension vectors at a time


def _copied(source: np.ndarray, start: int, stop: int, dimension: int, out) -> bool:
    """Copy rows start:stop of a whole mapped float32 .npy array file to `out` inside the
    kernel (os.copy_file_range: no pass through this process); False where that cannot be."""
    if not (_whole_file(source) and source.dtype == np.dtype("<f4")) or stop <= start:
        return False
    if not hasattr(os, "copy_file_range"):
        return False
    row_bytes = dimension * source.itemsize
    offset, remaining = source.offset + start * row_bytes, (stop - start) * row_bytes
    out.flush()
    begin = out.tell()
    try:
        with open(source.filename, "rb") as handle:
            while remaining:
                done = os.copy_file_range(handle.fileno(), out.fileno(), remaining, offset)
                if done <= 0:
                    raise OSError("copy_file_range copied nothing")
                offset, remaining = offset + done, remaining - done
    except OSError:
        # Not supported here (another file system, an old kernel): back to where the copy
        # began, and copy through this process instead.
        out.truncate(begin)
        out.seek(begin)
        return False
    out.seek(begin + (stop - start) * row_bytes)  # where the kernel's copy ended
    return True


def _whole_file(source: np.ndarray) -> bool:
    return (
        isinstance(source, np.memmap)
        and isinstance(source.base, mmap.mmap)
        and getattr(source, "filename", None) is not None
        and source.ndim == 2
    )


def _rows(source: np.ndarray, start: int, stop: int, dimension: int) -> np.ndarray:
    """source[start:stop]; from the file when `source` is a whole mapped .npy array."""
    if not _whole_file(source):
        return source[start:stop]
    with open(source.filename, "rb") as handle:
        handle.seek(source.offset + start * dimension * source.itemsize)
        block = np.fromfile(handle, dtype=source.dtype, count=(stop - start) * dimension)
    return block.reshape(-1, dimension)
