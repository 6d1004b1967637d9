"""BM25 as a fast typist meets it: accents and single typos in questions still match."""

import numpy as np
import pytest

from retrieval.lexical import LexicalIndex, _one_edit_apart

TEXTS = [
    "The Céloron expedition purchased supplies at Logstown.",
    "The multiplex cinema has three screens.",
    "Cats sleep all day.",
]


@pytest.fixture(scope="module")
def lexical():
    return LexicalIndex(TEXTS)


def best(lexical, query):
    scores = lexical.scores(lexical.terms(query))
    return TEXTS[int(np.argmax(scores))] if scores.max() > 0 else None


def test_accents_are_folded_on_both_sides(lexical):
    assert best(lexical, "Who led the Celoron expedition?") == TEXTS[0]
    plain = LexicalIndex(["Celoron left in 1749.", "Cats sleep all day."])
    scores = plain.scores(plain.terms("Céloron"))
    assert scores[0] > 0 and scores[1] == 0


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What was purhcased at Logstown?", 0),  # two letters swapped
        ("How many screens does the muliplex have?", 1),  # a letter dropped
        ("What did Celeron buy?", 0),  # a letter changed (and an accent)
    ],
)
def test_a_single_typo_is_read_as_the_word_the_texts_use(lexical, question, expected):
    assert best(lexical, question) == TEXTS[expected]
    assert all(len(lexical.rows_holding(t)) for t in lexical.terms(question) if len(t) >= 5)


def test_respelled_gives_the_model_the_words_as_the_texts_spell_them(lexical):
    assert lexical.respelled("Who purhcased it at the muliplex, Celeron?") == (
        "Who purchased it at the multiplex, Céloron?"
    )
    assert lexical.respelled("What do cats eat?") == "What do cats eat?"
    # A stop word is never "corrected": "there" is one swap from "three", which a text holds.
    assert LexicalIndex(["three cats"]).respelled("Are there cats?") == "Are there cats?"


def test_short_words_and_words_two_edits_away_are_left_alone(lexical):
    assert lexical.terms("dat") == ["dat"]  # "day" is one letter away, but the word is short
    assert lexical.terms("pruchsaed") == ["pruchsa"]  # too far from "purchas"
    assert LexicalIndex([]).terms("purhcased") == ["purhcas"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("purhcas", "purchas", True),
        ("celeron", "celoron", True),
        ("multiplex", "muliplex", True),
        ("cinema", "cinemas", True),
        ("abcd", "badc", False),
        ("abxd", "aybd", False),
        ("same", "same", False),
        ("short", "longer", False),
    ],
)
def test_one_edit_apart(a, b, expected):
    assert _one_edit_apart(a, b) is expected and _one_edit_apart(b, a) is expected
