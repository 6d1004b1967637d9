"""The typo map: every term of a vocabulary under itself and each of its one-letter deletions,
as sorted 64-bit hashes beside term ids, saved with an index and mapped back read-only.

Two strings one edit apart (a letter added, dropped, changed, or two swapped) share the
shorter one or one of its deletions, so a term's candidates are the terms holding the hash of
one of its own variants. The hash is a polynomial over code points (modulo 2**64, computed
with whole-array operations for all of a vocabulary's terms of one length at once); two
variants sharing a hash only add a candidate, which the caller's own check of the edit drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.vector_files import link_or_copy

FILES = ("typo-hashes.npy", "typo-terms.npy")
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, its bits spread: no structure shared with text


class TypoMap:
    """Each variant's hash (`hashes`, sorted) and the id of a term it is a variant of (`terms`,
    the same order): in memory when built, mapped when loaded."""

    def __init__(self, hashes: np.ndarray, terms: np.ndarray):
        if len(hashes) != len(terms):
            raise ValueError("the typo map's hashes and terms differ in length")
        self.hashes = hashes
        self.terms = terms

    @classmethod
    def build(cls, vocabulary: Sequence[str]) -> TypoMap:
        """The map of `vocabulary` (term ids are positions in it)."""
        hashes, owners = variant_hashes(vocabulary)
        order = np.argsort(hashes, kind="stable")  # a term's own variants stay side by side
        hashes, owners = hashes[order], owners[order]
        del order
        # A variant a term reaches twice ("ab" from "aab") is kept once.
        kept = np.ones(len(hashes), dtype=bool)
        kept[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
        return cls(hashes[kept], owners[kept])

    def save(self, directory: Path) -> None:
        np.save(directory / FILES[0], np.asarray(self.hashes, dtype=np.uint64))
        np.save(directory / FILES[1], np.asarray(self.terms, dtype=np.int32))

    @classmethod
    def load(cls, directory: Path) -> TypoMap | None:
        """The map `save` wrote in `directory`, mapped; None when there is none (an index saved
        before typo maps were)."""
        if not any((directory / name).exists() for name in FILES):
            return None
        hashes = np.load(directory / FILES[0], mmap_mode="r")
        terms = np.load(directory / FILES[1], mmap_mode="r")
        if hashes.dtype != np.uint64 or terms.dtype != np.int32:
            raise ValueError(f"the typo map in {directory} is not hashes and term ids")
        return cls(hashes, terms)

    def candidates(self, term: str) -> np.ndarray:
        """Ids of the terms sharing a variant's hash with `term`: every term one edit from it,
        and perhaps a few that are not."""
        if not len(self.hashes):
            return np.zeros(0, dtype=np.int32)
        wanted = np.array(term_variant_hashes(term), dtype=np.uint64)
        starts = np.searchsorted(self.hashes, wanted, side="left").tolist()
        ends = np.searchsorted(self.hashes, wanted, side="right").tolist()
        return np.concatenate([self.terms[a:b] for a, b in zip(starts, ends)])


def link_typo_map(source: Path, target: Path) -> bool:
    """Whether the typo map saved in the folder `source` is now in `target` too (linked, or
    copied); on False `target` holds none of it."""
    try:
        for name in FILES:
            link_or_copy(source / name, target / name)
        return True
    except OSError:  # none saved there, or removed since
        for name in FILES:  # unlinked, never written through: `source` may be mapped
            (target / name).unlink(missing_ok=True)
        return False


def variant_hashes(terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owners): the hash of each term and of each of its one-letter deletions, and the
    position in `terms` of the term each comes from; the terms of one length at a time."""
    lengths = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
    powers = _powers(int(lengths.max(initial=0)))
    hash_parts: list[np.ndarray] = []
    owner_parts: list[np.ndarray] = []
    order = np.argsort(lengths, kind="stable")
    bounds = np.searchsorted(lengths[order], np.unique(lengths), side="left").tolist()
    for first, stop in zip(bounds, [*bounds[1:], len(terms)]):
        positions = order[first:stop]
        length = int(lengths[positions[0]])
        if length == 0:
            continue
        group = [terms[p] for p in positions]
        codes = np.array(group, dtype=f"<U{length}").view(np.uint32).reshape(-1, length)
        hash_parts.append(_hashes_of_one_length(codes.astype(np.uint64), powers).ravel())
        owner_parts.append(np.repeat(positions.astype(np.int32), length + 1))
    if not hash_parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int32)
    return np.concatenate(hash_parts), np.concatenate(owner_parts)


def term_variant_hashes(term: str) -> list[int]:
    """`variant_hashes` of the one term `term`, in plain integers: a question's word is hashed
    in microseconds, where the whole-array operations' set-up costs a fraction of a
    millisecond."""
    length, base, mask = len(term), int(_BASE), (1 << 64) - 1
    codes = [ord(letter) for letter in term]
    powers = [1] * (length + 1)
    for k in range(1, length + 1):
        powers[k] = powers[k - 1] * base & mask
    prefix = [0] * (length + 1)
    for i, code in enumerate(codes):
        prefix[i + 1] = (prefix[i] * base + code) & mask
    suffix = [0] * (length + 1)
    for i in range(length - 1, -1, -1):
        suffix[i] = (codes[i] * powers[length - 1 - i] + suffix[i + 1]) & mask
    deletions = [(prefix[i] * powers[length - 1 - i] + suffix[i + 1]) & mask for i in range(length)]
    return [prefix[length], *deletions]


def _powers(length: int) -> np.ndarray:
    """BASE ** k for k up to `length` (modulo 2**64, as uint64 arithmetic wraps)."""
    return np.cumprod(np.r_[np.uint64(1), np.full(length, _BASE, dtype=np.uint64)])


def _hashes_of_one_length(codes: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """For rows of `length` code points: column 0 the row's hash, column i + 1 the hash of the
    row without its letter i. A string's hash is the sum of its code points times BASE to the
    power of the letters after each; a deletion's is its prefix's shifted past the suffix,
    plus the suffix's."""
    count, length = codes.shape
    prefix = np.zeros((count, length + 1), dtype=np.uint64)  # prefix[:, i]: letters before i
    for i in range(length):
        prefix[:, i + 1] = prefix[:, i] * _BASE + codes[:, i]
    suffix = np.zeros((count, length + 1), dtype=np.uint64)  # suffix[:, i]: letters from i on
    for i in range(length - 1, -1, -1):
        suffix[:, i] = codes[:, i] * powers[length - 1 - i] + suffix[:, i + 1]
    out = np.empty((count, length + 1), dtype=np.uint64)
    out[:, 0] = prefix[:, length]
    for i in range(length):
        out[:, i + 1] = prefix[:, i] * powers[length - 1 - i] + suffix[:, i + 1]
    return out
