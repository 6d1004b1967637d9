"""One question, read once: the text the model and BM25 read, its terms with their weights and
postings, and its answer-type cue. Everything that ranks or quotes takes this object."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import wordfreq
from bm25s.stopwords import STOPWORDS_EN

from retrieval.cues import Cue, answer_cue
from retrieval.lexical import LexicalIndex, fold
from retrieval.phrasing import FORM_WORDS, compounds_joined, shorthand_spelled_out, spelled_out
from retrieval.snapshot import Snapshot

_WORD = re.compile(r"\w\w+")  # what BM25 counts as a word
_NOT_TOPIC = FORM_WORDS | set(STOPWORDS_EN)


@dataclass(frozen=True)
class Term:
    """A content term of the question (stemmed) and where the collection holds it."""

    stem: str
    # How much the word says about a topic, from its frequency in general English ("work" 2,
    # "coalition" 3.8, a name no list holds 8): the same on a one-page FAQ as on a wiki.
    informativeness: float
    sentences: np.ndarray  # rows of the sentences holding it
    passages: np.ndarray  # rows of the passages (with their title) holding it
    sentence_idf: float  # its idf among sentences / passages: how it tells them apart
    passage_idf: float

    @property
    def unknown(self) -> bool:
        """No text of the collection holds it."""
        return not len(self.sentences) and not len(self.passages)


@dataclass(frozen=True)
class Query:
    typed: str  # as the user typed it: what answers show
    text: str  # contractions spelled out, typos respelled: what the model and BM25 read
    stems: tuple[str, ...]  # every BM25 term of `text`, question words included
    terms: tuple[Term, ...]  # the terms that say what it is about
    cue: Cue | None  # what an answering sentence holds (see cues.answer_cue)


def read_query(question: str, snapshot: Snapshot) -> Query:
    """Read `question` against the collection in `snapshot`."""
    sentences, passages = snapshot.sentence_lexical, snapshot.chunk_lexical
    text = spelled_out(question)
    text = compounds_joined(shorthand_spelled_out(text, sentences.holds), sentences.holds)
    text = sentences.respelled(text)
    stems = tuple(sentences.terms(text))
    # `terms` keeps one stem per word that is not a stop word, in order: pair them up rather
    # than tokenise each word again.
    words = [w for w in _WORD.findall(fold(text).lower()) if w not in STOPWORDS_EN]
    weights: dict[str, float] = {}
    for word, stem in zip(words, stems, strict=True):
        if word not in _NOT_TOPIC:
            weights[stem] = max(weights.get(stem, 0.0), informativeness(word))
    terms = tuple(_term(stem, weight, sentences, passages) for stem, weight in weights.items())
    return Query(question, text, stems, terms, answer_cue(text))


def informativeness(word: str) -> float:
    """1 for the commonest English words up to 8 for words general English never uses."""
    return 1.0 + max(0.0, 7.0 - _zipf(word))


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    return wordfreq.zipf_frequency(word, "en")


def _term(stem: str, weight: float, sentences: LexicalIndex, passages: LexicalIndex) -> Term:
    in_sentences, in_passages = sentences.rows_holding(stem), passages.rows_holding(stem)
    return Term(
        stem=stem,
        informativeness=weight,
        sentences=in_sentences,
        passages=in_passages,
        sentence_idf=_idf(len(in_sentences), sentences.size),
        passage_idf=_idf(len(in_passages), passages.size),
    )


def _idf(document_frequency: int, total: int) -> float:
    total = max(total, 1)
    return math.log(1.0 + (total - document_frequency + 0.5) / (document_frequency + 0.5))
