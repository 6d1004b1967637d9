"""Sentence and passage tables as integer columns over the documents' texts.

A million sentences as Python objects cost about 400 MB; as four int64 columns (memory-mapped
from the snapshot's sentences.npy once loaded) they cost 32 MB, shared by every process serving
the snapshot. A `Sentence` or `Chunk` is made only when a row is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from retrieval.models import Chunk, Document, Sentence

SENTENCE_COLUMNS = 4  # document row, ordinal of its first passage, start, end
CHUNK_COLUMNS = 5  # document row, ordinal, paragraph, start, end


class SentenceTable(Sequence[Sentence]):
    """The snapshot's sentences, in order: `rows` holds one (document row, passage ordinal,
    start, end) per sentence; the text is the document's text between start and end."""

    def __init__(self, documents: Sequence[Document], rows: np.ndarray):
        rows = np.asanyarray(rows).reshape(-1, SENTENCE_COLUMNS)
        _check_rows(rows, documents, "sentence")
        self.documents = documents
        self.rows = rows
        self._rows = np.asarray(rows)  # a plain view: np.memmap indexing runs Python code

    @classmethod
    def of(
        cls, documents: Sequence[Document], sentences: Iterable[Sentence], doc_rows: dict[str, int]
    ) -> SentenceTable:
        if isinstance(sentences, SentenceTable) and sentences.documents is documents:
            return sentences
        rows = np.array(
            [(doc_rows[s.doc_id], s.chunk, s.start, s.end) for s in sentences], dtype=np.int64
        )
        return cls(documents, rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Sentence: ...

    @overload
    def __getitem__(self, index: slice) -> list[Sentence]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._make(row) for row in self._rows[index].tolist()]
        if not -len(self) <= index < len(self):
            raise IndexError(f"sentence row {index} out of range")
        return self._make(self._rows[index].tolist())

    def __iter__(self) -> Iterator[Sentence]:
        for start in range(0, len(self), 65_536):  # in slices: never every row as a list at once
            yield from (self._make(row) for row in self._rows[start : start + 65_536].tolist())

    def texts(self) -> Iterator[str]:
        """Each sentence's text, in order, without making a Sentence for it."""
        documents = self.documents
        for start in range(0, len(self), 65_536):
            for doc, _, begin, end in self._rows[start : start + 65_536].tolist():
                yield documents[doc].text[begin:end]

    def _make(self, row: list[int]) -> Sentence:
        doc, chunk, start, end = row
        document = self.documents[doc]
        return Sentence(document.id, chunk, start, end, document.text[start:end])

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.rows,)


class ChunkTable(Sequence[Chunk]):
    """The snapshot's passages, in order: their ids, and one (document row, ordinal,
    paragraph, start, end) per passage in `rows`."""

    def __init__(self, documents: Sequence[Document], ids: Sequence[str], rows: np.ndarray):
        rows = np.asanyarray(rows).reshape(-1, CHUNK_COLUMNS)
        if len(ids) != len(rows):
            raise ValueError("the passage ids do not match the passage rows")
        _check_rows(rows, documents, "passage", start_column=3)
        self.documents = documents
        self.ids = ids
        self.rows = rows
        self._rows = np.asarray(rows)

    @classmethod
    def of(
        cls, documents: Sequence[Document], chunks: Iterable[Chunk], doc_rows: dict[str, int]
    ) -> ChunkTable:
        if isinstance(chunks, ChunkTable) and chunks.documents is documents:
            return chunks
        chunks = list(chunks)
        rows = np.array(
            [(doc_rows[c.doc_id], c.ordinal, c.paragraph, c.start, c.end) for c in chunks],
            dtype=np.int64,
        )
        return cls(documents, [c.id for c in chunks], rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[row] for row in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"passage row {index} out of range")
        doc, ordinal, paragraph, start, end = self._rows[index].tolist()
        document = self.documents[doc]
        return Chunk(
            self.ids[index], document.id, ordinal, paragraph, start, end, document.text[start:end]
        )

    def __iter__(self) -> Iterator[Chunk]:
        return (self[row] for row in range(len(self)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.rows,)


def _check_rows(
    rows: np.ndarray, documents: Sequence[Document], what: str, start_column: int = 2
) -> None:
    """Every row names a document there is and a span inside its text (a damaged table
    raises ValueError here, at load, not at the first question that reads it)."""
    if not len(rows):
        return
    if rows.dtype.kind not in "iu":
        raise ValueError(f"the {what} table is not integers")
    doc = rows[:, 0]
    if doc.min() < 0 or doc.max() >= len(documents):
        raise ValueError(f"a {what} row names a document that is not in the index")
    starts, ends = rows[:, start_column], rows[:, start_column + 1]
    lengths = np.fromiter((len(d.text) for d in documents), dtype=np.int64, count=len(documents))
    if (starts < 0).any() or (ends < starts).any() or (ends > lengths[doc]).any():
        raise ValueError(f"a {what} row spans text its document does not have")
