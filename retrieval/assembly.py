"""The next snapshot's rows, vectors and search indexes, assembled from the previous snapshot's
(for documents that did not change) and from the new and changed documents' split texts."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.lexical import LexicalIndex
from retrieval.models import Chunk, Sentence
from retrieval.nearest import NearestIndex
from retrieval.phases import phase
from retrieval.snapshot import LEXICAL_FOLDERS, Snapshot, passage_terms_text
from retrieval.tables import CHUNK_COLUMNS, SENTENCE_COLUMNS, ChunkTable, SentenceTable
from retrieval.vector_files import write_vectors

log = logging.getLogger(__name__)


@dataclass
class Piece:
    """A run of documents in the next snapshot: unchanged ones whose rows are copied from the
    previous snapshot (`doc_shift` added to their document rows), or one new or changed
    document split into `chunks` and `sentences` (`doc_shift` is then its document row)."""

    doc_shift: int
    chunk_rows: range | None = None
    sentence_rows: range | None = None
    chunks: list[Chunk] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def extend(self, other: Piece) -> bool:
        """Take `other` into this run when its rows follow on (one copy instead of two)."""
        if (
            self.chunk_rows is None
            or other.chunk_rows is None
            or self.doc_shift != other.doc_shift
            or self.chunk_rows.stop != other.chunk_rows.start
            or self.sentence_rows.stop != other.sentence_rows.start
        ):
            return False
        self.chunk_rows = range(self.chunk_rows.start, other.chunk_rows.stop)
        self.sentence_rows = range(self.sentence_rows.start, other.sentence_rows.stop)
        return True


def assemble_chunks(documents, doc_rows, pieces, previous, fresh_vectors, make_vectors):
    """The passage table, its vectors and where each previous row went (-1: dropped)."""
    ids: list[str] = []
    parts, vector_parts = [], []
    moves = np.full(len(previous.chunks) if previous else 0, -1, dtype=np.int64)
    used = 0
    for piece in pieces:
        if piece.chunk_rows is not None:
            rows = previous.chunks.rows[piece.chunk_rows.start : piece.chunk_rows.stop]
            ids.extend(previous.chunks.ids[piece.chunk_rows.start : piece.chunk_rows.stop])
            vector_parts.append(
                (previous.chunk_vectors, piece.chunk_rows.start, piece.chunk_rows.stop)
            )
            moves[piece.chunk_rows.start : piece.chunk_rows.stop] = np.arange(
                len(ids) - len(rows), len(ids)
            )
            rows = np.array(rows, dtype=np.int64)
            rows[:, 0] += piece.doc_shift
        else:
            rows = np.array(
                [
                    (doc_rows[c.doc_id], c.ordinal, c.paragraph, c.start, c.end)
                    for c in piece.chunks
                ],
                dtype=np.int64,
            ).reshape(-1, CHUNK_COLUMNS)
            ids.extend(c.id for c in piece.chunks)
            vector_parts.append((fresh_vectors, used, used + len(rows)))
            used += len(rows)
        parts.append(rows)
    table = ChunkTable(documents, ids, _joined(parts, _in_memory(CHUNK_COLUMNS, np.int64)))
    return table, make_vectors(vector_parts), moves


def assemble_sentences(documents, doc_rows, pieces, previous, fresh_vectors, make_vectors):
    """The sentence table, its vectors and where each previous row went (-1: dropped)."""
    parts, vector_parts = [], []
    moves = np.full(len(previous.sentences) if previous else 0, -1, dtype=np.int64)
    used = done = 0
    for piece in pieces:
        if piece.sentence_rows is not None:
            first, stop = piece.sentence_rows.start, piece.sentence_rows.stop
            rows = np.array(previous.sentences.rows[first:stop], dtype=np.int64)
            rows[:, 0] += piece.doc_shift
            vector_parts.append((previous.sentence_vectors, first, stop))
            moves[first:stop] = np.arange(done, done + len(rows))
        else:
            rows = np.array(
                [(doc_rows[s.doc_id], s.chunk, s.start, s.end) for s in piece.sentences],
                dtype=np.int64,
            ).reshape(-1, SENTENCE_COLUMNS)
            vector_parts.append((fresh_vectors, used, used + len(rows)))
            used += len(rows)
        parts.append(rows)
        done += len(rows)
    table = SentenceTable(documents, _joined(parts, _in_memory(SENTENCE_COLUMNS, np.int64)))
    return table, make_vectors(vector_parts), moves


def merge_lexical(
    snapshot: Snapshot, previous: Snapshot, pieces: list[Piece], scratch: Path | None = None
) -> None:
    """Both BM25 indexes of `snapshot` from the previous snapshot's token streams for the rows
    kept and the new texts tokenised: no text is tokenised twice. Left to be built from the
    texts when the previous snapshot's indexes have no streams (written before they were).
    With `scratch` each index is saved there as soon as it is merged and mapped back, so the
    second is merged after the first has left memory."""
    for attribute in ("sentence_lexical", "chunk_lexical"):
        old = previous.__dict__.get(attribute)
        if old is None or not old.mergeable:
            continue
        parts: list = []
        for piece in pieces:
            if piece.chunk_rows is not None:
                rows = piece.sentence_rows if attribute == "sentence_lexical" else piece.chunk_rows
                parts.append((old, rows.start, rows.stop))
            elif attribute == "sentence_lexical":
                parts.append([s.text for s in piece.sentences])
            else:
                document = snapshot.documents[piece.doc_shift]
                parts.append([passage_terms_text(document, c) for c in piece.chunks])
        folder = scratch / LEXICAL_FOLDERS[attribute] if scratch is not None else None
        try:
            merged = LexicalIndex.merged(parts, folder)
        except ValueError as error:  # left to be built from the texts, as with no streams
            log.warning("building BM25 from the texts: %s", error)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)  # words it may have written
            continue
        if folder is not None:
            merged.save(folder, spellings=attribute == "sentence_lexical")
            merged = LexicalIndex.load(folder)
            if attribute == "sentence_lexical":  # questions are respelled against sentences
                with phase("typo map: linked, or built from the merged vocabulary"):
                    merged.save_typos(folder, previous=old)
        setattr(snapshot, attribute, merged)


def _in_memory(width: int, dtype) -> Callable[[int], np.ndarray]:
    return lambda count: np.empty((count, width), dtype=dtype)


def vector_array(scratch: Path | None, name: str, dimension: int):
    """How the gathered vectors become one array: in memory, or (with `scratch`) written
    straight to the new snapshot's file and mapped from it."""
    if scratch is None:
        return lambda parts: _joined(
            [source[start:stop] for source, start, stop in parts],
            _in_memory(dimension, np.float32),
        )
    return lambda parts: write_vectors(scratch / f"{name}-vectors.npy", parts, dimension)


def _joined(parts: list[np.ndarray], make: Callable[[int], np.ndarray]) -> np.ndarray:
    """One array of the parts' rows, copied once (the previous snapshot's are mapped)."""
    out = make(sum(len(part) for part in parts))
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def search_index(
    previous, name, vectors, moves, approximate_above, scratch: Path | None = None
) -> NearestIndex:
    """The next snapshot's search index over `vectors`: the previous one's IVF re-used when
    there is one of the right size (its codes copied, only new rows encoded; with `scratch`,
    written straight to the new snapshot's file), else built."""
    old = getattr(previous, f"{name}_index", None) if previous is not None else None
    if old is not None and old.approximate:
        target = scratch / f"{name}s.ivf" if scratch is not None else None
        return old.updated(vectors, moves, approximate_above, target)
    return NearestIndex.build(vectors, approximate_above)
