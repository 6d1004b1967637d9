"""Pure sentence selection on hand-made vectors: order, diversity, position and brevity."""

from __future__ import annotations

import dataclasses

import numpy as np

from retrieval.summarizer import (
    LEARNED_FEATURES,
    LearnedScorer,
    SummaryWeights,
    learned_features,
    select_diverse,
    sentence_scores,
    summarize_rows,
)


def unit_rows(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


WEIGHTS = SummaryWeights(
    centrality=0.5,
    lead=0.5,
    lead_sentences=2,
    position=0.2,
    position_decay=1.0,
    brevity=0.5,
    min_words=6,
    echo=0.5,
    quote=0.2,
    numbers=0.2,
    redundancy=0.4,
)


def texts(count: int, words: int = 12) -> list[str]:
    return [" ".join(["word"] * words)] * count


def rows(picks: list[tuple[int, float]]) -> list[int]:
    return [row for row, _ in picks]


def test_picks_come_in_document_order_or_best_first():
    vectors = unit_rows([1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.8, 0.2, 0.1], [0, 0, 1])
    in_order = summarize_rows(vectors, texts(5), 3, WEIGHTS)
    best_first = summarize_rows(vectors, texts(5), 3, WEIGHTS, by_score=True)
    assert sorted(best_first) == in_order and len(in_order) == 3
    assert rows(in_order) == sorted(rows(in_order))
    # The first pick of a best-first list has the highest score; MMR may order the rest
    # by novelty, so only the first is certain.
    assert best_first[0][1] == max(score for _, score in in_order)


def test_never_picks_a_near_duplicate():
    # Sentence 3 repeats sentence 0 (a photo caption): the summary takes only one of them.
    vectors = unit_rows([1, 0, 0], [0, 1, 0], [0.1, 0, 1], [1, 0.001, 0])
    picked = rows(summarize_rows(vectors, texts(4), 3, WEIGHTS))
    assert not {0, 3} <= set(picked)
    assert len(picked) == 3


def test_short_fragments_are_penalised():
    vectors = unit_rows([1, 0.1, 0], [1, 0, 0.1], [1, 0.05, 0.05])
    sentences = [*texts(1), "Scroll down.", *texts(1)]
    scores = sentence_scores(vectors, sentences, WEIGHTS)
    assert scores[1] < scores[2]


def test_earlier_sentences_win_a_tie():
    vectors = unit_rows([1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0])
    scores = sentence_scores(vectors, texts(4), WEIGHTS)
    assert list(np.argsort(-scores)) == [0, 1, 2, 3]


def test_asking_for_more_sentences_than_there_are():
    vectors = unit_rows([1, 0], [0, 1])
    assert rows(summarize_rows(vectors, texts(2), 5, WEIGHTS)) == [0, 1]
    assert summarize_rows(np.zeros((0, 2), dtype=np.float32), [], 3, WEIGHTS) == []
    assert summarize_rows(vectors, texts(2), 0, WEIGHTS) == []


def test_mmr_trades_relevance_for_novelty():
    vectors = unit_rows([1, 0], [0.9, 0.44], [0, 1])
    relevance = np.array([1.0, 0.95, 0.6], dtype=np.float32)
    assert select_diverse(vectors, relevance, 2, redundancy=0.0) == [0, 1]
    assert select_diverse(vectors, relevance, 2, redundancy=1.0) == [0, 2]


def test_a_sentence_opening_with_a_quote_is_passed_over():
    vectors = unit_rows([1, 0, 0], [0, 1, 0], [0, 0, 1])
    sentences = texts(3)
    quoted = [sentences[0], '"' + sentences[1], sentences[2]]
    plain, voice = (
        sentence_scores(vectors, sentences, WEIGHTS),
        sentence_scores(vectors, quoted, WEIGHTS),
    )
    assert voice[1] < plain[1] and voice[0] == plain[0]


def test_a_sentence_pointing_back_is_picked_only_when_nothing_else_is_left():
    # Sentence 1 would be picked, but opens with "It": quoted alone, what "it" is is lost.
    # Sentence 0 opens with "This" too, but has nothing before it to point back to.
    vectors = unit_rows([1, 0.1], [1, 0], [0.6, 0.8], [0, 1])
    sentences = texts(4)
    sentences[0] = "This tool " + sentences[0]
    sentences[1] = "It can also " + sentences[1]
    assert 1 not in rows(summarize_rows(vectors, sentences, 3, WEIGHTS))
    assert rows(summarize_rows(vectors, sentences, 4, WEIGHTS)) == [0, 1, 2, 3]
    assert 1 in rows(summarize_rows(vectors, ["It is " + t for t in texts(4)], 3, WEIGHTS))


def test_a_restated_sentence_gains_over_one_said_once():
    # Sentences 1 and 3 are close restatements (cosine 0.8), sentence 2 is said once.
    vectors = unit_rows([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0.8, 0, 0.6])
    features_scores = sentence_scores(vectors, texts(4), WEIGHTS)
    no_echo = sentence_scores(vectors, texts(4), dataclasses.replace(WEIGHTS, echo=0.0))
    assert features_scores[1] - no_echo[1] > 0 and features_scores[2] == no_echo[2]


def test_a_sentence_with_a_number_gains_over_one_without():
    vectors = unit_rows([1, 0, 0], [0, 1, 0], [0, 0, 1])
    sentences = texts(3)
    counted = [sentences[0], sentences[1] + " 12", sentences[2]]
    plain, numbers = (
        sentence_scores(vectors, sentences, WEIGHTS),
        sentence_scores(vectors, counted, WEIGHTS),
    )
    assert numbers[1] > plain[1] and numbers[0] == plain[0]


def test_learned_features_mark_each_sentence_position_once():
    vectors = unit_rows(*[[1, i, 0] for i in range(12)])
    features = learned_features(vectors, texts(12))
    assert features.shape == (12, len(LEARNED_FEATURES))
    positions = features[:, LEARNED_FEATURES.index("first") : LEARNED_FEATURES.index("later") + 1]
    assert (positions.sum(axis=1) == 1).all()
    assert positions[0, 0] == 1 and positions[7, 5] == 1 and positions[11, 6] == 1


def test_a_learned_scorer_reads_its_features_and_the_vectors():
    vectors = unit_rows([1, 0, 0], [0, 1, 0], [0, 0, 1])
    first = LEARNED_FEATURES.index("first")
    lead_only = LearnedScorer(
        "digest", 0.0, tuple(float(i == first) for i in range(16)), (0.0, 0.0, 0.0), redundancy=0.0
    )
    assert rows(summarize_rows(vectors, texts(3), 1, lead_only)) == [0]
    # A direction of the vector space the scorer learned to value outweighs the opening.
    topical = LearnedScorer("digest", 0.0, lead_only.feature_weights, (0.0, 0.0, 2.0), 0.0)
    assert rows(summarize_rows(vectors, texts(3), 1, topical)) == [2]
