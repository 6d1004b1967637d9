"""BM25 over passages or sentences (bm25s), with English stemming and stop words.

Questions are typed fast: accents are folded on both sides ("Celoron" finds "Céloron"), and a
question word the texts never use is read as the one text word it is a single typo away from
("purhcased" as "purchased"; see `closest_term`).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from retrieval.tokens import (
    BLOCK_TOKENS,
    WORD,
    TokenStream,
    TokenStreams,
    Vocabulary,
    bm25_scores,
    check_ids,
    save_terms,
    save_words,
    term_holders,
    word_stream,
)
from retrieval.typos import FILES as TYPO_FILES
from retrieval.typos import TypoMap, link_typo_map
from retrieval.vector_files import maps_file

# bm25s sets its own logger to DEBUG on import and logs every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

MIN_TYPO_LENGTH = 5  # shorter stems are left alone: "cat" is one letter from too many words
# Combining marks (the Unicode blocks of diacritics): what NFKD splits off "é".
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


SPELLINGS = "spellings.json"


class LexicalIndex:
    """Scores every text against a query; built from the snapshot's text table, or loaded
    memory-mapped from where `save` wrote it."""

    def __init__(self, texts: Sequence[str], *, spellings: bool = True):
        self._stemmer = Stemmer.Stemmer("english")
        self._size = len(texts)
        self._bm25 = bm25s.BM25()
        self._typos: TypoMap | None = None
        self._term_list: list[str] | None = None  # the vocabulary by id, for the typo map
        self._spellings: dict[str, str] | None = None
        self._streams: TokenStreams | None = None
        self.source: Path | None = None  # the folder it was loaded from, if it was
        if texts:
            terms, term_ids = self._term_stream(texts)
            words = word_stream(texts) if spellings else None
            self._use(TokenStreams(terms, term_ids, words))

    @classmethod
    def merged(
        cls,
        parts: Sequence[tuple[LexicalIndex, int, int] | Sequence[str]],
        directory: Path | None = None,
    ) -> LexicalIndex:
        """The index over the texts of `parts` in order: rows start:stop of an index (its
        token streams re-used, nothing re-tokenised) or new texts (tokenised here). Scores,
        vocabulary and spellings are those a build over all the texts gives. With `directory`
        the word stream is written there first, its spellings counted, and not kept, and the
        term stream is written there and scored from the file: the index is then to be saved
        into that directory and loaded back from it (so neither stream, 90 and 60 MB at a
        million sentences, is in memory beside the score matrix)."""
        parts = [p for p in parts if not (isinstance(p, tuple) and p[1] == p[2])]
        sources = [part[0] for part in parts if isinstance(part, tuple)]
        if any(source._streams is None for source in sources):
            raise ValueError("an index without its token streams cannot be merged")
        spellings = all(source._streams.words is not None for source in sources)
        index = cls(())
        terms = Vocabulary(sources[0]._streams.term_vocabulary if sources else {})
        words = Vocabulary(sources[0]._streams.words[0] if sources and spellings else {})
        term_parts: list[TokenStream] = []
        fresh_terms: list[TokenStream] = []  # the new texts'
        word_parts: list[TokenStream] = []
        for part in parts:
            if isinstance(part, tuple):
                source, start, stop = part
                if source._streams.term_vocabulary is not terms.origin:
                    raise ValueError("merged parts must come from one index")
                term_parts.append(source._streams.terms.rows(start, stop))
                if spellings:
                    word_parts.append(source._streams.words[1].rows(start, stop))
            elif part:
                found, found_ids = index._term_stream(part)
                fresh_terms.append(found_ids.renumbered(terms.ids_of(found)))
                term_parts.append(fresh_terms[-1])
                if spellings:
                    found_words, found_word_ids = word_stream(part)
                    word_parts.append(found_word_ids.renumbered(words.ids_of(found_words)))
        if spellings and directory is not None:
            joined_words = TokenStream.joined(word_parts)
            check_ids(joined_words, words.ids, "word")
            directory.mkdir()
            if joined_words.count:
                compacted = words.compacted(joined_words)
                index._spellings = index._spellings_of(compacted)
                save_words(directory, compacted)
                del compacted
            del joined_words, word_parts  # out of memory before the terms are scored
            spellings = False  # saved: `load` reads them
        holding = _holders(parts, fresh_terms, len(terms.ids))
        term_stream = TokenStream.joined(term_parts)
        check_ids(term_stream, terms.ids, "term")
        index._size = term_stream.count
        if index._size:
            vocabulary, term_stream = terms.compacted(term_stream)
            if holding is not None:
                holding = holding[holding > 0]  # as the vocabulary is compacted
                if len(holding) != len(vocabulary):
                    raise ValueError("the merged index's term counts do not match its streams")
            if directory is not None:  # scored from the file: not in memory beside the scores
                directory.mkdir(exist_ok=True)
                term_stream = save_terms(directory, term_stream)
            index._use(TokenStreams(vocabulary, term_stream, None), holding)
        if spellings:
            # Joined after the score matrix is made, not beside its sorting: at a million
            # sentences the word stream is 90 MB.
            joined_words = TokenStream.joined(word_parts)
            check_ids(joined_words, words.ids, "word")
            if index._size:
                index._streams.words = words.compacted(joined_words)
        return index

    @property
    def mergeable(self) -> bool:
        """Whether `merged` can take rows of this index (it keeps its token streams)."""
        return self._streams is not None or not self._size

    def _use(self, streams: TokenStreams, holding: np.ndarray | None = None) -> None:
        """Score from token streams: BM25 arrays computed as bm25s computes them, at once
        (`holding`: how many texts hold each term, if known)."""
        self._streams = streams
        self._bm25.scores = bm25_scores(
            streams.terms, len(streams.term_vocabulary), self._bm25.k1, self._bm25.b, holding
        )
        self._bm25.vocab_dict = {
            **streams.term_vocabulary,
            "": len(streams.term_vocabulary),
        }
        self._bm25.unique_token_ids_set = set(self._bm25.vocab_dict.values())
        self._bm25.nonoccurrence_array = None

    def _term_stream(self, texts: Sequence[str]) -> tuple[dict[str, int], TokenStream]:
        tokenized = self._tokenize([fold(t) for t in texts])
        vocabulary = {term: i for term, i in tokenized.vocab.items() if term != ""}
        stream = TokenStream.of(tokenized.ids)
        if sorted(vocabulary.values()) != list(range(len(vocabulary))):  # ids 0..n-1 only
            renumbered = Vocabulary({})
            stream = stream.renumbered(renumbered.ids_of(vocabulary))
            vocabulary = renumbered.ids
        return vocabulary, stream

    def save(self, directory: Path, *, spellings: bool = True) -> None:
        """Write the BM25 arrays, the token streams and the spellings map (what `load` reads)
        into `directory`; without `spellings` a loaded copy keeps typos' stems as they are (for
        an index whose `respelled` is never asked: questions are respelled against sentences)."""
        directory.mkdir(exist_ok=True)  # `merged` may have written the words there
        if self._size:
            self._bm25.save(str(directory), show_progress=False)
            if self._streams is not None:
                self._streams.save(directory, words=spellings)
        saved = {"size": self._size, "spellings": self.spellings() if spellings else {}}
        (directory / SPELLINGS).write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """The index `save` wrote; its arrays stay on disk, paged in as questions need them."""
        saved = json.loads((directory / SPELLINGS).read_text(encoding="utf-8"))
        index = cls(())
        index.source = directory
        index._size, index._spellings = int(saved["size"]), saved["spellings"]
        if index._size:
            index._bm25 = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
            if index._bm25.scores["indptr"][-1] != len(index._bm25.scores["indices"]):
                raise ValueError(f"the BM25 arrays in {directory} do not match")
            vocabulary = {t: i for t, i in index._bm25.vocab_dict.items() if t != ""}
            index._streams = TokenStreams.load(directory, vocabulary, index._size)
            index._typos = TypoMap.load(directory)
        return index

    def _tokenize(self, texts: list[str]):
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)

    def terms(self, query: str) -> list[str]:
        """The query's stemmed terms, typos read as the text word they stand for (bm25s's
        tokenisation, without the per-call set-up that costs more than the work here)."""
        words = WORD.findall(fold(query).lower())
        return [self.closest_term(self._stem(w)) for w in words if w not in STOPWORDS_EN]

    def _stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def rows_holding(self, term: str) -> np.ndarray:
        """Rows of the texts that contain the stemmed `term`."""
        term_id = self._bm25.vocab_dict.get(term) if self._size else None
        if term_id is None:
            return np.zeros(0, dtype=np.int64)
        matrix = self._bm25.scores
        return matrix["indices"][matrix["indptr"][term_id] : matrix["indptr"][term_id + 1]]

    def holds(self, word: str) -> bool:
        """Whether some text holds `word` itself (a word one typo away does not count)."""
        return len(self.rows_holding(self._stem(fold(word).lower()))) > 0

    def closest_term(self, term: str) -> str:
        """`term` if some text holds it; else the text term one edit away (a letter added,
        dropped, changed, or two swapped) that most texts hold; else `term`."""
        vocabulary = self._vocabulary()
        if term in vocabulary or len(term) < MIN_TYPO_LENGTH or not vocabulary:
            return term
        typos, terms = self._typo_map()
        near = [t for t in (terms[i] for i in typos.candidates(term)) if _one_edit_apart(term, t)]
        if not near:
            return term
        return max(near, key=lambda t: (self._frequency(vocabulary[t]), t))

    def respelled(self, query: str) -> str:
        """`query` with each typo replaced by the word as the texts spell it most often: what
        the embedding model should read ("What did Macorn sugest?" → "What did Macron
        suggest?"). Everything else is kept as typed."""

        words = [w for w in WORD.findall(fold(query).lower()) if w not in STOPWORDS_EN]
        if all(self._closest_to_word(w) is None for w in words):
            return query  # the usual case: no typo, no word-by-word pass

        def respell(match: re.Match) -> str:
            word = fold(match.group()).lower()
            closest = None if word in STOPWORDS_EN else self._closest_to_word(word)
            return match.group() if closest is None else self._spelling(closest)

        return WORD.sub(respell, query)

    def _closest_to_word(self, word: str) -> str | None:
        """The text term `word` is a typo of (see `closest_term`), or None. A word whose stem
        has none is tried as typed too, for names the stemmer cuts: "zelensky" stems to
        "zelenski", two edits from the texts' "zelenskyy", but is one edit from it as typed."""
        stem = self._stem(word)
        if stem in self._vocabulary():
            return None
        closest = self.closest_term(stem)
        if closest == stem and word != stem:
            closest = self.closest_term(word)
            if closest == word:
                return None
        return None if closest == stem else closest

    def _spelling(self, term: str) -> str:
        return self.spellings().get(term, term)

    def spellings(self) -> dict[str, str]:
        """Each stem of the texts and the word the texts spell it with most often (the first
        seen among equals)."""
        if self._spellings is None:
            words = self._streams.words if self._streams is not None else None
            if words is None:
                return {}
            self._spellings = self._spellings_of(words)
        return self._spellings

    def _spellings_of(self, words: tuple[dict[str, int], TokenStream]) -> dict[str, str]:
        vocabulary, stream = words
        ids = np.asarray(stream.tokens)
        # How often each word is seen, a block at a time: an int64 copy of every token at once
        # (what bincount makes) was 160 MB at a million sentences.
        counts = np.zeros(len(vocabulary), dtype=np.int64)
        for start in range(0, len(ids), BLOCK_TOKENS):
            counts += np.bincount(ids[start : start + BLOCK_TOKENS], minlength=len(vocabulary))
        # Stemmed without a cache: each word once, where the cache's upkeep took 5 times the
        # stemming (0.17 s for 64,000 words).
        stemmer = Stemmer.Stemmer("english", 0)
        commonest: dict[str, list[int]] = {}  # each stem's commonest words, in vocabulary order
        for word, i in vocabulary.items():
            if counts[i]:
                stem = stemmer.stemWord(fold(word).lower())
                best = commonest.get(stem)
                if best is None or counts[i] > counts[best[0]]:
                    commonest[stem] = [i]
                elif counts[i] == counts[best[0]]:
                    best.append(i)
        # Among equals the first seen wins: only those words' first places are looked for (a
        # sort of every token to find every word's took 1.6 s at a million sentences).
        tied = [i for best in commonest.values() if len(best) > 1 for i in best]
        first = _first_places(ids, tied, len(vocabulary))
        words_by_id = [""] * len(vocabulary)
        for word, i in vocabulary.items():
            words_by_id[i] = word
        return {
            stem: words_by_id[min(best, key=first.__getitem__) if len(best) > 1 else best[0]]
            for stem, best in commonest.items()
        }

    def prepare_typos(self) -> None:
        """Ready the typo map now (built if it was not saved), so the first question with a
        typo does not wait for it."""
        self._typo_map()

    def save_typos(self, directory: Path, previous: LexicalIndex | None = None) -> None:
        """Write the typo map into `directory`, where `load` maps it from, and use it from
        there: the files of `previous` (a loaded index) linked when its vocabulary is this
        one's, else the map built. Called on an index loaded from `directory`, the map is
        built beside mapped BM25 arrays, not beside a score matrix being made."""
        if self._typos is not None and maps_file(self._typos.hashes, directory / TYPO_FILES[0]):
            return  # already there
        same = previous is not None and self._vocabulary() == previous._vocabulary()
        if not (same and previous.source and link_typo_map(previous.source, directory)):
            typos = self._typos or (previous._typos if same else None)
            (typos or TypoMap.build(self._terms_by_id())).save(directory)
        self._typos = TypoMap.load(directory)

    def _typo_map(self) -> tuple[TypoMap, list[str]]:
        # Each built whole, then published: threads may race here.
        if self._typos is None:
            self._typos = TypoMap.build(self._terms_by_id())
        return self._typos, self._terms_by_id()

    def _vocabulary(self) -> dict[str, int]:
        return self._bm25.vocab_dict if self._size else {}

    def _terms_by_id(self) -> list[str]:
        if self._term_list is None:
            terms = [""] * len(self._vocabulary())
            for term, i in self._vocabulary().items():
                terms[i] = term
            self._term_list = terms
        return self._term_list

    def _frequency(self, term_id: int) -> int:
        indptr = self._bm25.scores["indptr"]
        return int(indptr[term_id + 1] - indptr[term_id])

    @property
    def size(self) -> int:
        return self._size

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every text for stemmed `terms`, in index order (zeros if none match)."""
        if not terms or not self._size:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(terms)), dtype=np.float32)

    def scores_of_holders(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores): the texts holding any of the stemmed `terms`, in index order, and
        their BM25 scores, the same numbers as `scores` (every other text scores 0). The work
        and the arrays follow the terms' postings, not the collection's size."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if not terms or not self._size:
            return empty
        ids = self._bm25.get_tokens_ids(list(terms))
        matrix = self._bm25.scores
        spans = [(int(matrix["indptr"][t]), int(matrix["indptr"][t + 1])) for t in ids]
        spans = [(start, end) for start, end in spans if end > start]
        if not spans:
            return empty
        held = np.concatenate([np.asarray(matrix["indices"][start:end]) for start, end in spans])
        # Each term's postings are in row order: a stable sort merges those runs (np.unique's
        # sort does not, and took 9 ms of an answer at a million sentences).
        order = np.argsort(held, kind="stable")
        opens = np.ones(len(held), dtype=bool)
        opens[1:] = held[order[1:]] != held[order[:-1]]
        rows = held[order[opens]].astype(np.int64)
        at = np.empty(len(held), dtype=np.int64)
        at[order] = np.cumsum(opens) - 1
        scores = np.zeros(len(rows), dtype=np.float32)
        # Term by term in float32, as bm25s adds them up: the same sums to the last bit.
        done = 0
        for start, end in spans:
            np.add.at(scores, at[done : done + end - start], matrix["data"][start:end])
            done += end - start
        return rows, scores


def fold(text: str) -> str:
    """`text` without accents: "Céloron" → "Celoron"."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def _holders(parts: list, fresh: list[TokenStream], terms: int) -> np.ndarray | None:
    """How many texts of a merge of `parts` hold each of the `terms` term ids (`fresh`: the
    new texts' streams): the index merged from knows it for its rows, so only its dropped
    rows and the new texts are counted, not every text again (a second sort of the whole
    stream). None when that index cannot tell (a row kept twice, a matrix of another shape)."""
    holding = np.zeros(terms, dtype=np.int64)
    kept = [part for part in parts if isinstance(part, tuple)]
    if kept:
        source = kept[0][0]
        known = len(source._streams.term_vocabulary)
        indptr = np.asarray(source._bm25.scores["indptr"])
        times = np.zeros(source.size + 1, dtype=np.int64)  # how often each row is kept
        for _, start, stop in kept:
            times[start] += 1
            times[stop] -= 1
        times = np.cumsum(times[:-1])
        if len(indptr) != known + 1 or times.max() > 1:
            return None
        holding[:known] = np.diff(indptr)
        edges = np.flatnonzero(np.diff(times == 0, prepend=False, append=False))
        dropped = [source._streams.terms.rows(a, b) for a, b in edges.reshape(-1, 2).tolist()]
        if dropped:
            holding[:known] -= term_holders(TokenStream.joined(dropped), known)
    if fresh:
        holding += term_holders(TokenStream.joined(fresh), terms)
    return holding


def _first_places(ids: np.ndarray, wanted: list[int], size: int) -> dict[int, int]:
    """Where in `ids` (each below `size`) each of the `wanted` ids is first seen, a block at a
    time."""
    first: dict[int, int] = {}
    if not wanted:
        return first
    looked_for = np.zeros(size, dtype=bool)
    looked_for[wanted] = True
    for start in range(0, len(ids), BLOCK_TOKENS):
        block = ids[start : start + BLOCK_TOKENS]
        at = np.flatnonzero(looked_for[block])
        seen, where = np.unique(block[at], return_index=True)
        for i, place in zip(seen.tolist(), (at[where] + start).tolist(), strict=True):
            first[i] = place
        looked_for[seen] = False
        if len(first) == len(wanted):
            break
    return first


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one insertion, deletion, substitution or swap of neighbours turns a into b."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        a[i + 1 : i + 2] == b[i : i + 1]
        and a[i : i + 1] == b[i + 1 : i + 2]
        and a[i + 2 :] == b[i + 2 :]
    )
