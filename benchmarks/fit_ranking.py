"""Fit the [retrieval] weights on the SQuAD development set and print them as config lines.

    .venv/bin/python benchmarks/fit_ranking.py [--data ../shared/eval/squad-dev]

Two small models, both through retrieval/ranking.py's own feature functions:
- ordering: a softmax over each question's candidate sentences (listwise logistic regression)
  on the four fused signals plus `sentence_features` (the answer-type cue, the sentence's idf
  coverage of the question, what the sentence before it adds to that coverage, its passage's
  coverage); target: sentences holding a gold answer. The four signal weights are scaled to
  sum to 1 (the other four keep their ratio to them).
- relevance: logistic regression over the top sentence's absolute evidence, in-corpus questions
  against off-corpus ones (classes balanced); its probability is what min_score thresholds.
Paste the printed lines into config/citebot.toml (and settings.py's defaults).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qa import DEFAULT_DATA, DEFAULT_INDEX, REPO, normalise, read_half  # noqa: E402

from retrieval.engine import Engine  # noqa: E402
from retrieval.ranking import (  # noqa: E402
    POOL_FACTOR,
    question_signals,
    rank_sentences,
    ranking_features,
    relevance_features,
    sentence_features,
)
from retrieval.settings import load_settings  # noqa: E402

POOL = 150  # candidate sentences per question the ordering model is fitted on


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "citebot.toml")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--vectors", type=Path, help="cache the question vectors in this .npy")
    parser.add_argument("--half", choices=("even", "odd"),
                        help="fit on the questions of every other article only (a held-out check: "
                        "score the other half with qa.py --half)")
    args = parser.parse_args(argv)

    questions, offcorpus = read_half(args.data, args.half)
    settings = load_settings(args.config).replace(
        documents={"dir": str(args.data / "corpus")}, index={"dir": str(args.index_dir)}
    )
    engine = Engine(settings)
    engine.load()
    snapshot = engine.snapshot
    # As Engine.ask reads them: typos respelled the way the documents spell the word.
    texts = [snapshot.sentence_lexical.respelled(q["question"]) for q in questions + offcorpus]
    vectors = np.load(args.vectors) if args.vectors and args.vectors.is_file() else None
    if vectors is None or len(vectors) != len(texts):  # no cache, or one for other questions
        vectors = engine.embedder.encode(texts)
        if args.vectors:
            np.save(args.vectors, vectors)

    sentence_texts = [normalise(s.text) for s in snapshot.sentences]
    current = np.array([
        settings.retrieval.dense_sentence_weight, settings.retrieval.dense_passage_weight,
        settings.retrieval.lexical_sentence_weight, settings.retrieval.lexical_passage_weight,
    ])
    depth = POOL_FACTOR * settings.retrieval.candidates  # as many candidates as the engine sees
    pools, labels = [], []
    for question, text, vector in zip(questions, texts, vectors):
        signals = question_signals(snapshot, vector, text, depth)
        features = ranking_features(snapshot, signals, signals.candidates)
        picked = np.argpartition(-(features @ current), POOL)[:POOL]
        rows = signals.candidates[picked]
        golds = [normalise(g) for g in question["answers"]]
        per_sentence = sentence_features(snapshot, text, rows)
        pools.append(np.column_stack([features[picked], per_sentence]))
        labels.append([any(g in sentence_texts[r] for g in golds) for r in rows])
    pool_x, pool_y = np.stack(pools), np.array(labels, dtype=np.float64)
    weights = fit_listwise(pool_x, pool_y)
    scale = weights[:4].sum()
    weights = weights / scale
    names = ["dense_sentence_weight", "dense_passage_weight", "lexical_sentence_weight",
             "lexical_passage_weight", "answer_type_weight", "term_coverage_weight",
             "context_coverage_weight", "passage_coverage_weight"]
    fitted = dict(zip(names, (round(float(w), 3) for w in weights)))
    top1 = pool_y[np.arange(len(pool_y)), (pool_x @ weights).argmax(1)].mean()
    print(f"ordering: sentence hit@1 {top1:.3f} on the fitted pool")

    retrieval = settings.replace(retrieval=fitted).retrieval
    rows_x = []
    for text, vector in zip(texts, vectors):
        best = rank_sentences(snapshot, vector, text, retrieval)[0].row
        signals = question_signals(snapshot, vector, text, depth)
        rows_x.append(relevance_features(snapshot, signals, text, np.array([best]))[0])
    x = np.array(rows_x)
    y = np.r_[np.ones(len(questions)), np.zeros(len(offcorpus))]
    bias, coefficients = fit_logistic(x, y)
    relevance = {
        "relevance_bias": bias,
        "relevance_sentence_weight": coefficients[0],
        "relevance_passage_weight": coefficients[1],
        "relevance_coverage_weight": coefficients[2],
        "relevance_unknown_weight": coefficients[3],
    }
    probability = 1 / (1 + np.exp(-(bias + x @ coefficients)))
    threshold = float(np.quantile(probability[y == 1], 0.05))
    abstained = (probability[y == 0] < threshold).mean()
    print(f"relevance: answering 95% of in-corpus questions (min_score {threshold:.2f}) "
          f"abstains on {abstained:.3f} of off-corpus ones (in-sample)")
    print("\n[retrieval]")
    for name, value in {**fitted, **{k: round(float(v), 2) for k, v in relevance.items()}}.items():
        print(f"{name} = {value}")
    return 0


def fit_listwise(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights maximising the softmax probability of each question's gold sentences."""
    usable = y.sum(1) > 0
    x, y = x[usable], y[usable]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        gold = (p * y).sum(1)
        posterior = p * y / gold[:, None]
        gradient = -((posterior - p)[:, :, None] * x).sum((0, 1))
        return -np.log(gold + 1e-12).sum() + 1e-3 * w @ w, gradient + 2e-3 * w

    start = np.array([5.0, 10.0, 3.0, 4.0, 1.0, 1.0, 0.0, 0.0])
    return minimize(loss, start, jac=True, method="L-BFGS-B").x


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Balanced-class logistic regression with a little L2; returns (bias, coefficients)."""
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] + x @ params[1:]
        p = 1 / (1 + np.exp(-z))
        eps = 1e-12
        value = -(weight * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))).sum()
        residual = weight * (p - y)
        gradient = np.r_[residual.sum(), x.T @ residual]
        return value + 0.5 * params[1:] @ params[1:], gradient + np.r_[0, params[1:]]

    params = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B").x
    return float(params[0]), params[1:]


if __name__ == "__main__":
    raise SystemExit(main())
