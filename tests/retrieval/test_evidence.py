"""Term shares read postings by binary search: the same shares a set membership test gives."""

from __future__ import annotations

import numpy as np

from retrieval.evidence import term_share


def test_term_shares_match_a_membership_test_for_any_rows():
    rng = np.random.default_rng(16)
    postings = [
        (0.5, np.unique(rng.integers(0, 1_000, 300)).astype(np.int32)),
        (1.5, np.unique(rng.integers(0, 1_000, 20)).astype(np.int32)),
        (2.0, np.array([999], dtype=np.int32)),  # the last row only
        (0.7, np.zeros(0, dtype=np.int32)),  # a word no text holds
    ]
    rows = rng.integers(0, 1_000, 500)  # unsorted, with repeats, past the postings' ends
    also = rng.integers(0, 1_000, 500)
    mass = sum(weight for weight, _ in postings)
    expected = sum(weight * np.isin(rows, held) for weight, held in postings) / mass
    assert np.array_equal(term_share(postings, rows), expected)
    either = (
        sum(weight * (np.isin(rows, held) | np.isin(also, held)) for weight, held in postings)
        / mass
    )
    assert np.array_equal(term_share(postings, rows, also), either)
