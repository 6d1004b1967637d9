"""Nearest vectors by inner product: exact over the array up to a size, FAISS IVF past it."""

from __future__ import annotations

import math

import faiss
import numpy as np

# Past this many vectors a search scans inverted lists instead of every vector (config:
# [index] approximate_above). Measured with benchmarks/scale.py: exact search costs about
# 0.1 ms per 1,000 sentences on 2 cores, so 100k keeps it near 10 ms.
APPROXIMATE_ABOVE = 100_000
PROBED_SHARE = 1 / 8  # lists probed: 128 of 1,024 at a million (benchmarks/ivf_recall.py)
MIN_PROBED = 8
_TRAINING_PER_LIST = 64  # sampled vectors per list to train the coarse quantizer
_SEED = 16  # the same vectors always make the same index


class NearestIndex:
    """`search` answers like a FAISS index's: the k best inner products and their rows. The
    vectors are the snapshot's own (memory-mapped once loaded); an IVF index, when there is
    one, holds only 8-bit codes of them, and callers recompute exact cosines for what it finds.
    """

    def __init__(self, vectors: np.ndarray, ivf: faiss.Index | None = None):
        self.vectors = vectors
        self.ivf = ivf

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


def _lists_for(count: int) -> int:
    """About √n inverted lists, a power of two: 1,024 at a million vectors."""
    return 2 ** max(4, round(math.log2(math.sqrt(count))))
