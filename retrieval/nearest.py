"""Nearest vectors by inner product: exact over the array up to a size, FAISS IVF past it."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import faiss
import numpy as np

# Past this many vectors a search scans inverted lists instead of every vector (config:
# [index] approximate_above). Measured with benchmarks/scale.py: exact search costs about
# 0.1 ms per 1,000 sentences on 2 cores, so 100k keeps it near 10 ms.
APPROXIMATE_ABOVE = 100_000
PROBED_SHARE = 1 / 8  # lists probed: 128 of 1,024 at a million (benchmarks/ivf_recall.py)
MIN_PROBED = 8
# A search scans at most this many times the codes of `nprobe` lists of average size: lists
# nearest a question are often the largest ones (uneven lists at a million fake vectors: a
# median 275k codes scanned against 134k for even lists), and the cap bounds what they cost.
# Measured (README "Scale"): at 1.5 it cut 100 of 2,599 searches short on real MiniLM vectors
# (SQuAD dev) with the same recall and answers as uncapped, and at a million fake vectors it
# cut IVF search 11.2 -> 8.4 ms with the same answers to 300 questions.
MAX_SCANNED = 1.5
_TRAINING_PER_LIST = 64  # sampled vectors per list to train the coarse quantizer
_SEED = 16  # the same vectors always make the same index
_MAPPED = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY


class NearestIndex:
    """`search` answers like a FAISS index's: the k best inner products and their rows. The
    vectors are the snapshot's own (memory-mapped once loaded); an IVF index, when there is
    one, holds only 8-bit codes of them, and callers recompute exact cosines for what it finds.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        ivf: faiss.Index | None = None,
        source: Path | None = None,
        mapped: bool = False,
    ):
        self.vectors = vectors
        self.ivf = ivf
        if ivf is not None:  # a search setting, not written with the index: set on each load
            ivf.max_codes = max(1, round(MAX_SCANNED * ivf.nprobe * ivf.ntotal / ivf.nlist))
        self.source = source  # the file the IVF index was read from, if it was
        self.mapped = mapped  # whether its lists are that file mapped, not in memory

    @classmethod
    def read(cls, vectors: np.ndarray, path: Path, *, mapped: bool = False) -> NearestIndex:
        """Over `vectors`, with the IVF index written at `path` read into memory, or `mapped`
        read-only (what a refresh holds until the new snapshot is written: nothing of it is
        in memory until searched). Served from memory: searching faiss's mapped lists
        measured 1.7 times slower at a million sentences (12.6 ms against 7.5)."""
        return cls(vectors, faiss.read_index(str(path), _MAPPED if mapped else 0), path, mapped)

    @classmethod
    def build(cls, vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> NearestIndex:
        count, dimension = vectors.shape
        if count <= approximate_above:
            return cls(vectors)
        lists = _lists_for(count)
        quantizer = faiss.IndexFlatIP(dimension)
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        sample = np.random.default_rng(_SEED).choice(
            count, min(count, lists * _TRAINING_PER_LIST), replace=False
        )
        ivf.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
        for start in range(0, count, 65_536):  # in slices: no second full copy of the vectors
            ivf.add(np.ascontiguousarray(vectors[start : start + 65_536], dtype=np.float32))
        ivf.nprobe = max(MIN_PROBED, round(lists * PROBED_SHARE))
        return cls(vectors, ivf)

    def updated(
        self,
        vectors: np.ndarray,
        moves: np.ndarray,
        approximate_above: int = APPROXIMATE_ABOVE,
        path: Path | None = None,
    ) -> NearestIndex:
        """The index over the next snapshot's `vectors`, where this one's row r is now row
        `moves[r]` (-1: gone). An IVF index of the right size for them is re-used: no training,
        its codes copied under their new rows, only the rows nothing moved to encoded; else
        (a collection that grew or shrank past the list count, or exact search) built anew.
        With `path` the re-used index is written there list by list as its codes are copied,
        and mapped back: never whole in this process's memory beside the live one before the
        new snapshot is written (and read, by `snapshot.mapped_from`)."""
        count = len(vectors)
        old = self.ivf
        if count <= approximate_above or old is None or _lists_for(count) != old.nlist:
            return NearestIndex.build(vectors, approximate_above)
        ivf = self._trained()
        fresh = np.ones(count, dtype=bool)
        fresh[moves[moves >= 0]] = False
        if path is not None:
            added = faiss.clone_index(ivf)  # no entries yet: the new rows' codes alone
            _add_rows(added, vectors, np.flatnonzero(fresh))
            ivf.nprobe = old.nprobe
            _write_ivf(path, ivf, old.invlists, moves, added.invlists)
            return NearestIndex.read(vectors, path, mapped=True)
        lists = ivf.invlists
        kept = 0
        for number in range(old.nlist):
            ids, codes = _list(old.invlists, number)
            rows = moves[ids]
            stays = rows >= 0
            if stays.any():
                new_ids = np.ascontiguousarray(rows[stays], dtype=np.int64)
                new_codes = np.ascontiguousarray(codes[stays])
                lists.add_entries(
                    number, len(new_ids), faiss.swig_ptr(new_ids), faiss.swig_ptr(new_codes)
                )
                kept += len(new_ids)
        ivf.ntotal = kept
        _add_rows(ivf, vectors, np.flatnonzero(fresh))
        ivf.nprobe = old.nprobe
        return NearestIndex(vectors, ivf)

    def _trained(self) -> faiss.Index:
        """A copy of this IVF index's training (coarse centroids, 8-bit ranges), no entries."""
        if self.source is not None:  # as written: its lists mapped, then replaced below
            ivf = faiss.read_index(str(self.source), _MAPPED)
        else:
            ivf = faiss.clone_index(self.ivf)
        lists = faiss.ArrayInvertedLists(ivf.nlist, ivf.code_size)
        ivf.replace_invlists(lists, True)
        lists.this.disown()  # the index owns (and frees) its lists now
        ivf.ntotal = 0
        return ivf

    @property
    def ntotal(self) -> int:
        return len(self.vectors)

    @property
    def approximate(self) -> bool:
        return self.ivf is not None

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the `k` best rows for each query, best first; rows -1 past the end."""
        if self.ivf is not None:
            return self.ivf.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        # einsum, not BLAS: one query is a matrix-vector product, and BLAS threads waiting on a
        # busy 2-core machine cost more than the product (0.1 ms vs 6 ms at 2,000 vectors).
        scores = np.einsum("qd,nd->qn", np.asarray(queries, dtype=np.float32), self.vectors)
        k = min(k, self.ntotal)
        if k == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        rows = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(scores, rows, axis=1)
        order = np.argsort(-best, axis=1, kind="stable")
        return np.take_along_axis(best, order, axis=1), np.take_along_axis(rows, order, axis=1)


def _add_rows(ivf: faiss.Index, vectors: np.ndarray, rows: np.ndarray) -> None:
    for start in range(0, len(rows), 65_536):
        batch = rows[start : start + 65_536]
        ivf.add_with_ids(np.ascontiguousarray(vectors[batch], dtype=np.float32), batch)


def _list(lists, number: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, codes) of one inverted list, read where they are (not copied)."""
    size = lists.list_size(number)
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros((0, lists.code_size), dtype=np.uint8)
    ids = faiss.rev_swig_ptr(lists.get_ids(number), size)
    codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size)
    return ids, codes.reshape(size, -1)


def _write_ivf(path: Path, trained: faiss.Index, old, moves: np.ndarray, added) -> None:
    """Write the IVF index file faiss.write_index would write for `trained` holding, in each
    list, the entries of `old` that stay (under their new rows, `moves`) and then those of
    `added`: one list at a time, so the new index is never whole in memory. The layout
    (faiss's "ilar" lists: sizes, then each list's codes and ids) is checked against faiss's
    own in the tests, byte for byte."""
    nlist, code_size = trained.nlist, trained.code_size
    sizes = np.zeros(nlist, dtype=np.int64)
    for number in range(nlist):
        ids, _ = _list(old, number)
        sizes[number] = np.count_nonzero(moves[ids] >= 0) + added.list_size(number)
    trained.ntotal = int(sizes.sum())
    header = faiss.serialize_index(trained)  # its empty lists last: replaced below
    empty = b"ilar" + struct.pack("<QQ", nlist, code_size) + b"sprs" + struct.pack("<Q", 0)
    if bytes(header[-len(empty) :]) != empty:
        raise RuntimeError("this faiss version writes IVF indexes in an unknown layout")
    filled = np.flatnonzero(sizes)
    with open(path, "wb") as out:
        out.write(header[: -len(empty)].tobytes())
        out.write(b"ilar" + struct.pack("<QQ", nlist, code_size))
        if len(filled) > nlist // 2:  # as faiss chooses: every size, or (list, size) pairs
            out.write(b"full" + struct.pack("<Q", nlist) + sizes.astype("<u8").tobytes())
        else:
            pairs = np.column_stack([filled, sizes[filled]]).astype("<u8")
            out.write(b"sprs" + struct.pack("<Q", pairs.size) + pairs.tobytes())
        for number in filled.tolist():
            ids, codes = _list(old, number)
            rows = moves[ids]
            stays = rows >= 0
            new_ids, new_codes = _list(added, number)
            out.write(codes[stays].tobytes())
            out.write(new_codes.tobytes())
            out.write(rows[stays].astype("<i8").tobytes())
            out.write(new_ids.astype("<i8").tobytes())


def _lists_for(count: int) -> int:
    """About √n inverted lists, a power of two: 1,024 at a million vectors."""
    return 2 ** max(4, round(math.log2(math.sqrt(count))))
