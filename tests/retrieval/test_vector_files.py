"""Vector files: rows gathered from mapped and fresh arrays, copied by the kernel or not."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from retrieval.vector_files import map_vectors, write_vectors


def test_vectors_are_written_from_mapped_and_fresh_rows_in_order(tmp_path):
    old = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "old.npy", old)
    mapped = np.load(tmp_path / "old.npy", mmap_mode="r")
    fresh = -np.ones((3, 4), dtype=np.float32)
    written = write_vectors(
        tmp_path / "new.npy", [(mapped, 7, 10), (fresh, 0, 3), (mapped, 0, 2)], 4
    )
    assert isinstance(written, np.memmap) and not written.flags.writeable
    assert np.array_equal(written, np.concatenate([old[7:10], fresh, old[0:2]]))
    assert write_vectors(tmp_path / "none.npy", [], 4).shape == (0, 4)


def test_vectors_are_written_the_same_when_the_kernel_cannot_copy_them(tmp_path, monkeypatch):
    old = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "old.npy", old)
    mapped = np.load(tmp_path / "old.npy", mmap_mode="r")

    def unsupported(*args, **kwargs):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    written = write_vectors(tmp_path / "new.npy", [(mapped, 2, 5), (mapped, 8, 10)], 4)
    assert np.array_equal(written, np.concatenate([old[2:5], old[8:10]]))


def _mapped_table(tmp_path, rows=4096, dimension=256):
    table = np.random.default_rng(7).standard_normal((rows, dimension)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", table)
    return table, map_vectors(tmp_path / "vectors.npy")


def test_rows_picked_by_number_read_as_numpy_indexing_would(tmp_path):
    table, mapped = _mapped_table(tmp_path)
    for rows in ([5, 6, 7, 900, 4095], [4095, 3, 3, -1, 17], [], list(range(100, 300))):
        assert np.array_equal(mapped[np.array(rows, dtype=np.int64)], table[rows])
        assert np.array_equal(mapped[rows], table[rows])
    assert np.array_equal(mapped[10:20], table[10:20])
    assert np.array_equal(mapped[3], table[3])
    assert np.array_equal(mapped @ table[0], table @ table[0])
    with pytest.raises(IndexError):
        mapped[np.array([4096])]


def _mapped_kb(path) -> int:
    """Resident kB of this process's mappings of `path` (Linux /proc/self/smaps)."""
    total, inside = 0, False
    for line in open("/proc/self/smaps", encoding="utf-8"):
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's first line: range ... path
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="Linux memory map listing")
def test_reading_scattered_rows_maps_none_of_the_file_into_memory(tmp_path):
    table, mapped = _mapped_table(tmp_path)
    with open(tmp_path / "vectors.npy", "rb") as handle:
        handle.read()  # in the page cache, where the kernel maps pages around each one read
    rows = np.arange(0, 4096, 41)
    assert np.array_equal(mapped[rows], table[rows])
    assert _mapped_kb(tmp_path / "vectors.npy") == 0
    plain = np.load(tmp_path / "vectors.npy", mmap_mode="r")
    assert np.array_equal(plain[rows], table[rows])  # the map this replaces: pages stay resident
    assert _mapped_kb(tmp_path / "vectors.npy") > len(rows) * 4


def test_rows_stay_readable_after_a_replaced_snapshots_file_is_deleted(tmp_path):
    table, mapped = _mapped_table(tmp_path)
    (tmp_path / "vectors.npy").unlink()
    assert np.array_equal(mapped[np.array([1, 2, 4000])], table[[1, 2, 4000]])
