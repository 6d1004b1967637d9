"""Vector files: rows gathered from mapped and fresh arrays, copied by the kernel or not."""

from __future__ import annotations

import os

import numpy as np

from retrieval.vector_files import write_vectors


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
