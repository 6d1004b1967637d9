"""BM25 over passages or sentences (bm25s), with English stemming and stop words."""

from __future__ import annotations

from collections.abc import Sequence

import logging

import bm25s
import numpy as np
import Stemmer

# bm25s sets its own logger to DEBUG on import and logs every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """Scores every text against a query; built in memory from the snapshot's text table."""

    def __init__(self, texts: Sequence[str]):
        self._stemmer = Stemmer.Stemmer("english")
        self._size = len(texts)
        self._bm25 = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(
                list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False
            )
            self._bm25.index(tokens, show_progress=False)

    def terms(self, query: str) -> list[str]:
        return bm25s.tokenize(
            [query], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )[0]

    def postings(self, query: str) -> tuple[list[str], list[np.ndarray]]:
        """The query's distinct terms and, for each, the rows of the texts that contain it."""
        terms = list(dict.fromkeys(self.terms(query)))
        if not self._size:
            return terms, [np.zeros(0, dtype=np.int64) for _ in terms]
        vocabulary = self._bm25.vocab_dict
        matrix = self._bm25.scores
        rows = []
        for term in terms:
            tid = vocabulary.get(term)
            if tid is None:
                rows.append(np.zeros(0, dtype=np.int64))
            else:
                rows.append(matrix["indices"][matrix["indptr"][tid] : matrix["indptr"][tid + 1]])
        return terms, rows

    @property
    def size(self) -> int:
        return self._size

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text, in index order (all zeros when no term matches)."""
        terms = self.terms(query)
        if not terms or not self._size:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
