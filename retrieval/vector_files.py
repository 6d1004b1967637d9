"""Vector tables on disk: .npy files written row block by row block (or copied by the
kernel from a previous snapshot's file) and mapped back read-only."""

from __future__ import annotations

import mmap
import os
import shutil
import weakref
from pathlib import Path

import numpy as np


class MappedVectors(np.memmap):
    """A float32 .npy table mapped read-only whose rows picked by an array of row numbers
    (`vectors[rows]`, a question's candidates) are read from the file, not through the map.

    Why: the kernel maps up to 64 KB of already cached file around each page a read through
    a map touches (fault-around; madvise(MADV_RANDOM) stops readahead, not that), so a few
    hundred scattered rows per question left most of a million sentences' 1.6 GB of vectors
    resident in every process serving them. Read with one pread per run of consecutive rows,
    they leave nothing mapped. Slices and whole-array operations (exact search, which reads
    every row anyway) still go through the map.
    """

    _descriptor: int = -1

    def __getitem__(self, key):
        if self._descriptor >= 0 and _row_numbers(key):
            return self.read_rows(np.asarray(key))
        return super().__getitem__(key)

    def read_rows(self, rows: np.ndarray) -> np.ndarray:
        """A new array of these rows (any order, repeats allowed, negative from the end)."""
        count, dimension = self.shape
        rows = rows.astype(np.int64, copy=False)
        if len(rows) and (rows.min() < -count or rows.max() >= count):
            raise IndexError(f"row out of range for {count} vectors")
        rows = np.where(rows < 0, rows + count, rows)
        wanted = np.unique(rows)
        out = np.empty((len(wanted), dimension), dtype=self.dtype)
        if not len(wanted):
            return out
        # One read per run of consecutive rows; the loop is kept bare (a question reads a
        # few hundred runs, and Python's own overhead per read is most of their cost).
        row_bytes = dimension * self.itemsize
        breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
        firsts, ends = np.r_[0, breaks], np.r_[breaks, len(wanted)]
        into = memoryview(out).cast("B")
        descriptor, preadv = self._descriptor, os.preadv
        for at, stop, offset in zip(
            (firsts * row_bytes).tolist(),
            (ends * row_bytes).tolist(),
            (wanted[firsts] * row_bytes + self.offset).tolist(),
        ):
            if preadv(descriptor, [into[at:stop]], offset) != stop - at:
                _read_into(descriptor, into[at:stop], offset)  # a short read: the rest
        if len(wanted) == len(rows) and np.array_equal(wanted, rows):
            return out  # already sorted and distinct: candidates usually are
        return out[np.searchsorted(wanted, rows)]


def map_vectors(path: Path) -> np.ndarray:
    """The float32 vector table in the .npy file `path`, mapped read-only (MappedVectors)."""
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
        offset = handle.tell()
    if len(shape) != 2 or fortran_order or dtype != np.dtype("<f4"):
        raise ValueError(f"{path.name} is not a table of float32 vectors")
    if shape[0] == 0:
        return np.zeros(shape, dtype=np.float32)
    vectors = MappedVectors(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    # Kept open for the array's life: a replaced snapshot's files may be deleted while a
    # question still reads them, and an open file, like the map, keeps them readable.
    vectors._descriptor = os.open(path, os.O_RDONLY)
    weakref.finalize(vectors, os.close, vectors._descriptor)
    return vectors


def same_file(path: Path | str | None, target: Path) -> bool:
    """Whether `path` is the file `target` (resolved). Writing over a file an array maps would
    truncate it under the map (SIGBUS on the next read): writers check this first."""
    return path is not None and Path(path).resolve() == target.resolve()


def maps_file(array: np.ndarray, target: Path) -> bool:
    """Whether `array` is a memory map of the file `target`."""
    return isinstance(array, np.memmap) and same_file(getattr(array, "filename", None), target)


def link_or_copy(source: Path, target: Path) -> None:
    """Put the file `source` (a previous snapshot's: never written again) at `target` as a hard
    link, or as a copy where the file system cannot link it."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def copy_unmapped(array: np.ndarray, out: np.ndarray) -> None:
    """out[:] = array, read from the file when `array` is a contiguous slice of a mapped .npy
    file (a previous snapshot's), so copying it leaves none of its pages mapped here."""
    top = array
    while isinstance(top.base, np.ndarray):
        top = top.base
    mapped = (
        isinstance(top, np.memmap)
        and isinstance(top.base, mmap.mmap)
        and getattr(top, "filename", None) is not None
        and array.flags.c_contiguous
        and array.dtype == out.dtype
        and out.flags.c_contiguous
        and array.size == out.size
    )
    if not mapped or not array.size:
        out[...] = array
        return
    offset = top.offset + (array.ctypes.data - top.ctypes.data)
    try:
        with open(top.filename, "rb") as handle:
            _read_into(handle.fileno(), memoryview(out).cast("B"), offset)
    except OSError:  # the file is gone (its snapshot removed): the map still reads it
        out[...] = array


def _row_numbers(key) -> bool:
    """Whether `key` picks rows by number (a 1-D integer array or list), not a slice or mask."""
    key = np.asarray(key) if isinstance(key, list) else key
    return (
        isinstance(key, np.ndarray)
        and key.ndim == 1
        and (key.size == 0 or np.issubdtype(key.dtype, np.integer))
    )


def _read_into(descriptor: int, target: memoryview, offset: int) -> None:
    """Fill `target` from the file at `offset`, however many reads it takes."""
    while len(target):
        done = os.preadv(descriptor, [target], offset)
        if done <= 0:
            raise OSError(f"vector file ended early at byte {offset}")
        target, offset = target[done:], offset + done


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
    return map_vectors(path)


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
