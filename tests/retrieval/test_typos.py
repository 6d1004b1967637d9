"""The typo map: a typed word is read as the same text word it was before the map was saved."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from retrieval.lexical import MIN_TYPO_LENGTH, LexicalIndex, _one_edit_apart
from retrieval.typos import TypoMap, term_variant_hashes, variant_hashes
from tests.conftest import REPO

# Words a collection in another language or script holds: the hash reads code points, not bytes.
FOREIGN = [
    "Die Straße nach München führt über Gärten.",
    "Москва стоит на реке Москве; москвичи гуляют.",
    "Η θάλασσα είναι γαλάζια και ήρεμη.",
    "東京都の人口は多い。日本語テキスト。",
    "Smile 😀smile emojis, naïve façades, coöperation.",
    "Paris, Pariss and Parris: lines, liens and lens.",  # terms one edit from each other
]


def _deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


def variant_dictionary_lookup(index: LexicalIndex) -> Callable[[str], str]:
    """`closest_term` as it was before the typo map was saved: a dictionary from every
    deletion of every term to the terms, built in memory."""
    vocabulary = index._bm25.vocab_dict
    variants: dict[str, set[str]] = {}
    for known in vocabulary:
        for variant in _deletions(known) | {known}:
            variants.setdefault(variant, set()).add(known)

    def closest(term: str) -> str:
        if term in vocabulary or len(term) < MIN_TYPO_LENGTH:
            return term
        near = set()
        for variant in _deletions(term) | {term}:
            near.update(variants.get(variant, ()))
        near = [t for t in near if _one_edit_apart(term, t)]
        if not near:
            return term
        return max(near, key=lambda t: (index._frequency(vocabulary[t]), t))

    return closest


def typos_of(term: str, letters: str) -> set[str]:
    """Strings one edit from `term`: each letter dropped, each pair of neighbours swapped, and
    `letters` put in and over every other letter."""
    out = _deletions(term)
    out |= {term[:i] + term[i + 1] + term[i] + term[i + 2 :] for i in range(len(term) - 1)}
    for i in range(0, len(term) + 1, 2):
        for letter in letters:
            out.add(term[:i] + letter + term[i:])
            if i < len(term):
                out.add(term[:i] + letter + term[i + 1 :])
    return out


@pytest.fixture(scope="module")
def readme_index() -> LexicalIndex:
    paragraphs = (REPO / "README.md").read_text(encoding="utf-8").split("\n\n")
    return LexicalIndex([*paragraphs, *FOREIGN])


def test_every_typo_is_read_as_the_term_the_variant_dictionary_chose(readme_index):
    vocabulary = [t for t in readme_index._bm25.vocab_dict if t]
    assert len(vocabulary) > 1000 and any(not t.isascii() for t in vocabulary)
    assert any(len(t) == MIN_TYPO_LENGTH for t in vocabulary)
    probes = set(vocabulary)
    for term in vocabulary[::9] + [t for t in vocabulary if not t.isascii()]:
        probes |= typos_of(term, "eaxé")
    probes |= {"pariss", "parris", "liens", "lense", "moskva", "straß", "strasse"}
    reference = variant_dictionary_lookup(readme_index)
    corrected = 0
    for probe in sorted(probes):
        expected = reference(probe)
        assert readme_index.closest_term(probe) == expected, probe
        corrected += expected != probe
    assert corrected > 1000  # most probes are typos that the texts' words correct


def test_a_saved_typo_map_is_mapped_back_and_reads_typos_the_same(tmp_path, readme_index):
    readme_index.save(tmp_path)
    readme_index.save_typos(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert isinstance(loaded._typos.hashes, np.memmap)
    for probe in ("snapshto", "refrsh", "sentneces", "münchen", "москвe", "gärtn", "lense"):
        assert loaded.closest_term(probe) == readme_index.closest_term(probe)
    assert loaded.closest_term("snapshto") == "snapshot"


def test_a_word_is_hashed_alike_alone_and_with_a_vocabulary():
    # Saved maps are read by other processes: the hash is a fixed function of the code points
    # (Python's own hash() is salted per process).
    words = ["purchase", "ab", "a", "x" * 70, "日本語テキスト", "straße", "😀smile", "naïve"]
    hashes, owners = variant_hashes(words)
    for position, word in enumerate(words):
        assert list(hashes[owners == position]) == term_variant_hashes(word)
    assert term_variant_hashes("ab")[0] == (97 * 0x9E3779B97F4A7C15 + 98) % 2**64


def test_a_typo_map_keeps_a_variant_a_term_reaches_twice_once():
    typos = TypoMap.build(["aab", "abc"])  # "ab" is "aab" without either "a"
    assert len(typos.hashes) == 4 + 4 - 1
    assert sorted(typos.candidates("ab").tolist()) == [0, 1]
