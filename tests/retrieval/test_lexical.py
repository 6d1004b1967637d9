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


STORY = [
    "Celoron left Montreal in 1749 with soldiers.",
    "The soldiers buried lead plates along the river.",
    "Running water carried the plates away.",
    "",
    "Runs of the river froze in winter; running stopped.",
    "The Ohio Company traded furs with the tribes.",
    "Furs were Running low by spring.",
]


def same_index(merged: LexicalIndex, built: LexicalIndex, probes: list[str]) -> None:
    assert merged.size == built.size
    assert merged._bm25.vocab_dict.keys() == built._bm25.vocab_dict.keys()
    assert merged.spellings() == built.spellings()
    for probe in probes:
        terms = merged.terms(probe)
        assert terms == built.terms(probe)
        assert np.array_equal(merged.scores(terms), built.scores(terms))
        for term in terms:
            assert list(merged.rows_holding(term)) == list(built.rows_holding(term))


def test_an_index_merged_from_kept_rows_and_new_texts_is_the_one_a_full_build_gives(tmp_path):
    old = LexicalIndex(STORY)
    changed = ["Céloron sailed down the river.", "Nobody mentions furs here."]
    merged = LexicalIndex.merged([(old, 0, 2), changed, (old, 4, 7)])
    texts = [*STORY[:2], *changed, *STORY[4:]]
    built = LexicalIndex(texts)
    probes = ["celoron river", "running furs", "water plates", "montreal winter", "sailed"]
    same_index(merged, built, probes)
    assert not merged.holds("water")  # its only text was dropped: gone from the vocabulary
    # Saved and loaded, the merged index can be merged again (its streams are saved too).
    merged.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    again = LexicalIndex.merged([(loaded, 1, 6), ["Fresh water again."]])
    same_index(again, LexicalIndex([*texts[1:6], "Fresh water again."]), probes)


def test_a_merge_keeping_rows_twice_scores_as_a_full_build_does():
    old = LexicalIndex(STORY)
    merged = LexicalIndex.merged([(old, 0, 3), ["Running furs."], (old, 1, 5)])
    built = LexicalIndex([*STORY[:3], "Running furs.", *STORY[1:5]])
    same_index(merged, built, ["celoron river", "running furs", "water plates"])


def test_an_index_whose_matrix_does_not_match_its_streams_is_not_merged():
    old = LexicalIndex(STORY)
    river, lead = old._bm25.vocab_dict["river"], old._bm25.vocab_dict["lead"]
    tokens = old._streams.terms.tokens
    tokens[tokens == lead] = river  # the streams say "river" where the matrix says "lead"
    with pytest.raises(ValueError, match="do not match"):
        LexicalIndex.merged([(old, 0, 6), ["Fresh water."]])


@pytest.mark.parametrize("block_tokens", [1 << 20, 1], ids=["one block", "a token each"])
def test_a_typo_is_respelled_as_the_commonest_spelling_then_the_first_seen(
    monkeypatch, block_tokens
):
    from retrieval import lexical

    monkeypatch.setattr(lexical, "BLOCK_TOKENS", block_tokens)
    commonest = LexicalIndex(["Purchased late.", "purchased early.", "Then purchased again."])
    assert commonest.respelled("Who purhcased it?") == "Who purchased it?"
    tied = LexicalIndex(["Purchased late.", "Purchases early.", "purchased again."])
    assert tied.respelled("Who purhcased it?") == "Who Purchased it?"
    # Merged, the first seen is the first in the texts' order, not in the vocabulary's.
    merged = LexicalIndex.merged([["Purchases first."], (tied, 0, 1)])
    assert merged.respelled("Who purhcased it?") == "Who Purchases it?"


@pytest.mark.parametrize(
    "block_tokens", [1 << 20, 7, 1], ids=["one block", "blocks", "a text each"]
)
def test_the_score_matrix_is_bm25s_own_to_the_bit(monkeypatch, block_tokens):
    import bm25s
    import Stemmer

    from retrieval import tokens
    from retrieval.lexical import fold

    monkeypatch.setattr(tokens, "BLOCK_TOKENS", block_tokens)  # a big collection's blocks

    texts = [*STORY, *TEXTS, "Running runs ran; running again and again."]
    reference = bm25s.BM25()
    reference.index(
        bm25s.tokenize(
            [fold(t) for t in texts],
            stopwords="en",
            stemmer=Stemmer.Stemmer("english"),
            show_progress=False,
        ),
        show_progress=False,
    )
    ours = LexicalIndex(texts)
    assert ours._bm25.vocab_dict.keys() == reference.vocab_dict.keys()
    for name in ("data", "indices", "indptr"):  # the matrix itself, as bm25s lays it out
        assert np.array_equal(ours._bm25.scores[name], reference.scores[name])
    for term in reference.vocab_dict:
        if term:
            assert np.array_equal(ours.scores([term]), reference.get_scores([term]))


@pytest.mark.parametrize(
    "question",
    [
        "Who led the Céloron expedition to Logstown?",
        "running running cats",  # a term twice counts twice, as in bm25s
        "cinema screens cats supplies",
        "nothing here matches",
    ],
)
def test_scores_of_holders_are_bm25s_scores_without_the_zeros(question):
    # A question reads only the texts holding its terms; their scores must be the very numbers
    # a pass over every text gives, or answers would change with the collection's size.
    index = LexicalIndex([*STORY, *TEXTS, "Running runs ran; running again and again."])
    terms = index.terms(question)
    full = index.scores(terms)
    rows, scores = index.scores_of_holders(terms)
    assert np.array_equal(rows, np.flatnonzero(full))
    assert np.array_equal(scores, full[rows])
