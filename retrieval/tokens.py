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
        if not parts:
            return cls(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))
        tokens = np.concatenate([np.asarray(p.tokens, dtype=np.int32) for p in parts])
        lengths = np.concatenate([np.diff(p.starts) for p in parts])
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return cls(tokens, starts)

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    def rows(self, start: int, stop: int) -> TokenStream:
        first, end = int(self.starts[start]), int(self.starts[stop])
        return TokenStream(
            self.tokens[first:end], np.asarray(self.starts[start : stop + 1]) - first
        )

    def renumbered(self, mapping: np.ndarray) -> TokenStream:
        return TokenStream(mapping[self.tokens].astype(np.int32), self.starts)


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
        """The vocabulary without terms no text holds any more, and the stream renumbered."""
        used = np.zeros(len(self.ids), dtype=bool)
        used[stream.tokens] = True
        if used.all():
            return self.ids, stream
        new_ids = np.cumsum(used) - 1
        vocabulary = {t: int(new_ids[i]) for t, i in self.ids.items() if used[i]}
        return vocabulary, stream.renumbered(new_ids)


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
        np.save(directory / "terms.npy", np.asarray(self.terms.tokens, dtype=np.int32))
        np.save(directory / "term-starts.npy", np.asarray(self.terms.starts, dtype=np.int64))
        if words and self.words is not None:
            vocabulary, stream = self.words
            np.save(directory / "words.npy", np.asarray(stream.tokens, dtype=np.int32))
            np.save(directory / "word-starts.npy", np.asarray(stream.starts, dtype=np.int64))
            ordered = sorted(vocabulary, key=vocabulary.__getitem__)
            (directory / "words.json").write_text(
                json.dumps(ordered, ensure_ascii=False), encoding="utf-8"
            )

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


def bm25_scores(stream: TokenStream, terms: int, k1: float, b: float) -> dict:
    """bm25s's score matrix (Lucene BM25, CSC by term) from token ids, computed with whole-array
    operations instead of a Python pass per text; the same numbers bit for bit."""
    documents = stream.count
    lengths = np.diff(stream.starts)
    average = lengths.mean()
    document = np.repeat(np.arange(documents, dtype=np.int64), lengths)
    pairs, frequency = np.unique(
        np.asarray(stream.tokens, dtype=np.int64) * documents + document,
        return_counts=True,
    )
    term, document = np.divmod(pairs, documents)
    del pairs  # the largest of these arrays: gone before the next are made
    holding = np.bincount(term, minlength=terms)
    idf = np.zeros(terms, dtype=np.float32)
    for row in np.flatnonzero(holding):  # math.log, as bm25s computes it
        held = int(holding[row])
        idf[row] = math.log(1 + (documents - held + 0.5) / (held + 0.5))
    frequency = frequency.astype(np.float32)
    saturation = frequency / (k1 * ((1 - b) + b * lengths[document] / average) + frequency)
    indptr = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(holding, out=indptr[1:])
    return {
        "data": (idf[term] * saturation).astype(np.float32),
        "indices": document.astype(np.int32),
        "indptr": indptr,
        "num_docs": documents,
    }
