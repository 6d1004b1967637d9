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
# A word no document holds is named to the reader only when it is rarer than general English's
# 300 or so commonest words (zipf 5.5: "yes", "old", "get" are commoner; "china", "fight" rarer).
MISSING_INFORMATIVENESS = 2.5  # = informativeness at zipf 5.5


@dataclass(frozen=True)
class Term:
    """A content term of the question (stemmed) and where the collection holds it."""

    stem: str
    word: str  # the question's word, as the model reads it (its first, for a stem seen twice)
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

    @property
    def missing(self) -> bool:
        """No text holds it and it is not one of general English's commonest words: a word a
        reader would want told the documents never use ("china", "lebron", "printer"), where
        "old" or "get" would be noise."""
        return self.unknown and self.informativeness > MISSING_INFORMATIVENESS


@dataclass(frozen=True)
class Query:
    typed: str  # as the user typed it: what answers show
    text: str  # contractions spelled out, typos respelled: what the model and BM25 read
    stems: tuple[str, ...]  # every BM25 term of `text`, question words included
    terms: tuple[Term, ...]  # the terms that say what it is about
    cue: Cue | None  # what an answering sentence holds (see cues.answer_cue)

    @property
    def missing(self) -> tuple[str, ...]:
        """The question's words no document contains (see `Term.missing`), as read."""
        return tuple(term.word for term in self.terms if term.missing)

    @property
    def missing_share(self) -> float:
        """How much of what the question is about those words are: their share of its topic
        terms' informativeness (0 when none is missing)."""
        mass = sum(term.informativeness for term in self.terms)
        return sum(t.informativeness for t in self.terms if t.missing) / mass if mass else 0.0


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
    spelled: dict[str, str] = {}
    for word, stem in zip(words, stems, strict=True):
        if word not in _NOT_TOPIC:
            weights[stem] = max(weights.get(stem, 0.0), informativeness(word))
            spelled.setdefault(stem, word)
    terms = tuple(
        _term(stem, spelled[stem], weight, sentences, passages) for stem, weight in weights.items()
    )
    return Query(question, text, stems, terms, answer_cue(text))


def informativeness(word: str) -> float:
    """1 for the commonest English words up to 8 for words general English never uses."""
    return 1.0 + max(0.0, 7.0 - _zipf(word))


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    return wordfreq.zipf_frequency(word, "en")


def _term(
    stem: str, word: str, weight: float, sentences: LexicalIndex, passages: LexicalIndex
) -> Term:
    in_sentences, in_passages = sentences.rows_holding(stem), passages.rows_holding(stem)
    return Term(
        stem=stem,
        word=word,
        informativeness=weight,
        sentences=in_sentences,
        passages=in_passages,
        sentence_idf=_idf(len(in_sentences), sentences.size),
        passage_idf=_idf(len(in_passages), passages.size),
    )


def _idf(document_frequency: int, total: int) -> float:
    total = max(total, 1)
    return math.log(1.0 + (total - document_frequency + 0.5) / (document_frequency + 0.5))
