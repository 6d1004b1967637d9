"""Token streams: each text's term or word ids end to end, and BM25 scores computed from them.

A refresh joins the kept texts' streams with those of the texts that changed instead of
tokenising the collection again; the score matrix is bm25s's own, computed at once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.vector_files import copy_unmapped, maps_file

WORD = re.compile(r"\w\w+")  # what bm25s counts as a word


class TokenStream:
    """Each text's tokens as ids, end to end: `tokens[starts[i]:starts[i + 1]]` is text i's."""

    def __init__(self, tokens: np.ndarray, starts: np.ndarray):
        self.tokens = tokens
        self.starts = starts

    @classmethod
    def of(cls, ids: Sequence[Sequence[int]]) -> TokenStream:
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        tokens = np.fromiter(
            (token for row in ids for token in row),
            dtype=np.int32,
            count=int(starts[-1]),
        )
        return cls(tokens, starts)

    @classmethod
    def joined(cls, parts: list[TokenStream]) -> TokenStream:
        """One stream of the parts' texts in order, in memory. A part that is a slice of a
        mapped stream file is read from the file: a refresh joining the previous snapshot's
        streams leaves none of their pages mapped (0.2 GB at a million sentences)."""
        tokens = np.empty(sum(len(p.tokens) for p in parts), dtype=np.int32)
        at = 0
        for part in parts:
            if part.tokens.dtype == np.int32:
                copy_unmapped(part.tokens, tokens[at : at + len(part.tokens)])
            else:
                tokens[at : at + len(part.tokens)] = part.tokens
            at += len(part.tokens)
        lengths = np.concatenate([np.zeros(0, dtype=np.int64), *(np.diff(p.starts) for p in parts)])
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return cls(tokens, starts)

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    def rows(self, start: int, stop: int) -> TokenStream:
        first, end = int(self.starts[start]), int(self.starts[stop])
        starts = np.empty(stop + 1 - start, dtype=self.starts.dtype)
        copy_unmapped(self.starts[start : stop + 1], starts)
        return TokenStream(self.tokens[first:end], starts - first)

    def renumbered(self, mapping: np.ndarray) -> TokenStream:
        # The mapping made int32 first: no int64 copy of the whole stream on the way.
        return TokenStream(mapping.astype(np.int32)[self.tokens], self.starts)


class Vocabulary:
    """A vocabulary being extended by merged parts (ids of the first part kept)."""

    def __init__(self, origin: dict[str, int]):
        self.origin = origin
        self.ids = dict(origin)

    def ids_of(self, local: dict[str, int]) -> np.ndarray:
        """For a part's own vocabulary: each of its ids' id here (new terms appended)."""
        mapping = np.zeros(max(local.values(), default=-1) + 1, dtype=np.int64)
        for term, i in local.items():
            mapping[i] = self.ids.setdefault(term, len(self.ids))
        return mapping

    def compacted(self, stream: TokenStream) -> tuple[dict[str, int], TokenStream]:
        """The vocabulary without terms no text holds any more, and the stream renumbered: in
        place, block by block, when it is a writable array of its own (as `joined` makes),
        so that a big stream is not held twice."""
        used = np.zeros(len(self.ids), dtype=bool)
        used[stream.tokens] = True
        if used.all():
            return self.ids, stream
        new_ids = np.cumsum(used) - 1
        vocabulary = {t: int(new_ids[i]) for t, i in self.ids.items() if used[i]}
        tokens = stream.tokens
        if not (isinstance(tokens, np.ndarray) and tokens.flags.writeable and tokens.base is None):
            return vocabulary, stream.renumbered(new_ids)
        mapping = new_ids.astype(np.int32)
        for first in range(0, len(tokens), BLOCK_TOKENS):
            block = tokens[first : first + BLOCK_TOKENS]
            block[...] = mapping[block]
        return vocabulary, stream


class TokenStreams:
    """What lets an index be merged without re-tokenising: its stemmed terms per text (ids of
    the BM25 vocabulary) and, for spellings, its words per text with their vocabulary."""

    FILES = ("terms.npy", "term-starts.npy")
    WORD_FILES = ("words.npy", "word-starts.npy", "words.json")

    def __init__(
        self,
        term_vocabulary: dict[str, int],
        terms: TokenStream,
        words: tuple[dict[str, int], TokenStream] | None,
    ):
        self.term_vocabulary = term_vocabulary
        self.terms = terms
        self.words = words

    def save(self, directory: Path, *, words: bool) -> None:
        if not maps_file(self.terms.tokens, directory / "terms.npy"):  # else saved there
            save_terms(directory, self.terms)
        if words and self.words is not None:
            save_words(directory, self.words)

    @classmethod
    def load(cls, directory: Path, vocabulary: dict[str, int], size: int) -> TokenStreams | None:
        """The streams saved with an index (None for one saved before they were: it can still
        answer, and the next refresh tokenises its texts anew)."""
        if not all((directory / name).is_file() for name in cls.FILES):
            return None
        terms = _mapped_stream(directory, "terms", size, len(vocabulary))
        words = None
        if all((directory / name).is_file() for name in cls.WORD_FILES):
            ordered = json.loads((directory / "words.json").read_text(encoding="utf-8"))
            words = (
                {word: i for i, word in enumerate(ordered)},
                _mapped_stream(directory, "words", size, len(ordered)),
            )
        return cls(vocabulary, terms, words)


def save_terms(directory: Path, stream: TokenStream) -> TokenStream:
    """Write a term stream where `TokenStreams.load` reads it; the stream as written, mapped."""
    np.save(directory / "terms.npy", np.asarray(stream.tokens, dtype=np.int32))
    np.save(directory / "term-starts.npy", np.asarray(stream.starts, dtype=np.int64))
    return TokenStream(
        np.load(directory / "terms.npy", mmap_mode="r"),
        np.load(directory / "term-starts.npy", mmap_mode="r"),
    )


def save_words(directory: Path, words: tuple[dict[str, int], TokenStream]) -> None:
    """Write a word stream and its vocabulary where `TokenStreams.load` reads them."""
    vocabulary, stream = words
    np.save(directory / "words.npy", np.asarray(stream.tokens, dtype=np.int32))
    np.save(directory / "word-starts.npy", np.asarray(stream.starts, dtype=np.int64))
    ordered = sorted(vocabulary, key=vocabulary.__getitem__)
    (directory / "words.json").write_text(json.dumps(ordered, ensure_ascii=False), encoding="utf-8")


def check_ids(stream: TokenStream, vocabulary: dict[str, int], what: str) -> None:
    tokens = stream.tokens
    if len(tokens) and (int(tokens.max()) >= len(vocabulary) or int(tokens.min()) < 0):
        raise ValueError(f"a saved {what} stream names ids outside its vocabulary")


def _mapped_stream(directory: Path, name: str, size: int, vocabulary: int) -> TokenStream:
    tokens = np.load(directory / f"{name}.npy", mmap_mode="r")
    starts = np.load(directory / f"{name[:-1]}-starts.npy", mmap_mode="r")
    if len(starts) != size + 1 or (len(starts) and starts[-1] != len(tokens)):
        raise ValueError(f"{name}.npy in {directory} does not hold one entry per text")
    # Its ids are checked when a refresh merges it, not here: a scan would page in the whole
    # stream, which answering never reads.
    return TokenStream(tokens, starts)


def word_stream(texts: Sequence[str]) -> tuple[dict[str, int], TokenStream]:
    """Each text's words as the spellings map counts them, as ids of a vocabulary."""
    vocabulary: dict[str, int] = {}
    ids = [
        [vocabulary.setdefault(word, len(vocabulary)) for word in WORD.findall(text)]
        for text in texts
    ]
    return vocabulary, TokenStream.of(ids)


def bm25_scores(
    stream: TokenStream, terms: int, k1: float, b: float, holding: np.ndarray | None = None
) -> dict:
    """bm25s's score matrix (Lucene BM25, CSC by term) from token ids, computed with whole-array
    operations instead of a Python pass per text; the same numbers bit for bit. `holding`, how
    many texts hold each term, is counted from the stream unless given (a merge knows it from
    the index it merges); a count that does not match the stream raises ValueError.

    Computed over blocks of texts (`BLOCK_TOKENS` tokens), so that the sorting a build needs
    never holds more than a block's worth of temporary arrays: at a million sentences (ten
    million terms) sorting the whole stream at once took about 0.5 GB beside the live index.
    """
    documents = stream.count
    lengths = np.diff(stream.starts)
    average = lengths.mean()
    if holding is None:
        holding = term_holders(stream, terms)
    idf = np.zeros(terms, dtype=np.float32)
    for row in np.flatnonzero(holding):  # math.log, as bm25s computes it
        held = int(holding[row])
        idf[row] = math.log(1 + (documents - held + 0.5) / (held + 0.5))
    indptr = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(holding, out=indptr[1:])
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    filled = indptr[:-1].copy()  # where each term's next pair goes: blocks follow text order
    for first, stop in _blocks(stream.starts):
        term, document, frequency = _pairs(stream, first, stop)
        frequency = frequency.astype(np.float32)
        saturation = frequency / (k1 * ((1 - b) + b * lengths[document] / average) + frequency)
        counts = np.bincount(term, minlength=terms)
        if np.any(filled + counts > indptr[1:]):
            raise ValueError("the texts holding each term do not match the token stream")
        first_of_term = np.cumsum(counts) - counts
        at = filled[term] + (np.arange(len(term)) - first_of_term[term])
        data[at] = (idf[term] * saturation).astype(np.float32)
        indices[at] = document
        filled += counts
    if not np.array_equal(filled, indptr[1:]):
        raise ValueError("the texts holding each term do not match the token stream")
    return {"data": data, "indices": indices, "indptr": indptr, "num_docs": documents}


def term_holders(stream: TokenStream, terms: int) -> np.ndarray:
    """How many texts of `stream` hold each of its `terms` term ids."""
    holding = np.zeros(terms, dtype=np.int64)
    # Two passes over the blocks (this, then the scores), the pairs found again in the second
    # rather than kept from the first: keeping them held 12 bytes per pair (170 MB for a
    # million sentences).
    for first, stop in _blocks(stream.starts):
        holding += np.bincount(_pairs(stream, first, stop)[0], minlength=terms)
    return holding


BLOCK_TOKENS = 1 << 19  # half a million tokens: about 40 MB of temporary arrays


def _blocks(starts: np.ndarray):
    """(first, stop) text ranges of about `BLOCK_TOKENS` tokens each (a longer text alone)."""
    first, count = 0, len(starts) - 1
    while first < count:
        limit = int(starts[first]) + BLOCK_TOKENS
        stop = max(first + 1, int(np.searchsorted(starts, limit, side="right")) - 1)
        yield first, min(stop, count)
        first = min(stop, count)


def _pairs(stream: TokenStream, first: int, stop: int) -> tuple[np.ndarray, ...]:
    """Texts first:stop's distinct (term, text) pairs ordered by term, then text, and how
    often each term occurs in each text."""
    count = stop - first
    lengths = np.diff(stream.starts[first : stop + 1])
    lo, hi = int(stream.starts[first]), int(stream.starts[stop])
    tokens = np.empty(hi - lo, dtype=stream.tokens.dtype)
    copy_unmapped(stream.tokens[lo:hi], tokens)  # a saved stream: read, not mapped in
    text = np.repeat(np.arange(count, dtype=np.int64), lengths)
    pairs, frequency = np.unique(tokens.astype(np.int64) * count + text, return_counts=True)
    term, text = np.divmod(pairs, count)
    return term.astype(np.int32), (text + first).astype(np.int32), frequency.astype(np.int32)
