"""Fit the [summary] weights on CNN/DailyMail, checked by 5-fold cross-validation.

    python benchmarks/fit_summary_weights.py [--data ../shared/eval/cnndm-dev] [--index DIR] [--folds K]

Reads the index benchmarks/summaries.py built (run it first), so nothing is re-encoded. The
linear weights come from a ridge regression of each sentence's own ROUGE (mean of ROUGE-1 and
ROUGE-2 F1 against the highlights) on its features; the few non-linear settings (lead sentences,
position decay, minimum words, redundancy) are chosen on a small grid by the ROUGE of the
3-sentence summaries. Fold f holds the articles whose number is f modulo --folds (default 5):
each fold is scored with weights fitted on the others, and the cross-validated figure is the mean
over all articles of those held-out scores (Lead-3 is printed alongside). Then everything is
fitted on all articles and the values printed for config/citebot.toml.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from summaries import DEFAULT_DATA, DEFAULT_INDEX, ROUGE_TYPES, load_articles  # noqa: E402

from retrieval.snapshot import current_snapshot_path, read_snapshot  # noqa: E402
from retrieval.summarizer import (  # noqa: E402
    SummaryWeights,
    sentence_features,
    summarize_rows,
)
from retrieval.settings import load_settings  # noqa: E402
from retrieval.summaries import summary_weights  # noqa: E402

GRID = {
    "lead_sentences": [1, 3],
    "position_decay": [0.3, 0.5],
    "min_words": [6, 10],
}
REDUNDANCY = [0.0, 0.1, 0.3, 0.5, 0.7, 1.0]
RIDGE = 1.0
SETTING_NAMES = {
    "centrality": "centrality_weight", "lead": "lead_weight", "lead_sentences": "lead_sentences",
    "position": "position_weight", "position_decay": "position_decay",
    "brevity": "brevity_weight", "min_words": "min_words", "echo": "echo_weight",
    "quote": "quote_weight", "numbers": "numbers_weight", "redundancy": "redundancy",
}


class Corpus:
    """Each article's stored sentence vectors and texts, and a cache of ROUGE by selection."""

    def __init__(self, data: Path, index: Path, count: int):
        from rouge_score import rouge_scorer

        path = current_snapshot_path(index)
        if path is None:
            raise SystemExit(f"no index in {index}: run benchmarks/summaries.py first")
        snapshot = read_snapshot(path)
        self.articles = load_articles(data)
        self.count = count
        self.scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
        self.docs = []
        for article in self.articles:
            rows = snapshot.sentences_of(article.id)
            texts = [snapshot.sentences[r].text for r in rows]
            vectors = snapshot.sentence_vectors[rows.start : rows.stop]
            self.docs.append((vectors, texts))
        self.targets = [self._sentence_rouge(i) for i in range(len(self.articles))]
        self.cache: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def rouge(self, weights: SummaryWeights, articles: list[int]) -> np.ndarray:
        """Mean ROUGE-1, ROUGE-2, ROUGE-Lsum F1 (x100) over the given articles."""
        total = np.zeros(3)
        for i in articles:
            vectors, texts = self.docs[i]
            picked = tuple(summarize_rows(vectors, texts, self.count, weights))
            key = (i, picked)
            if key not in self.cache:
                result = self.scorer.score(
                    self.articles[i].reference, "\n".join(texts[j] for j in picked)
                )
                self.cache[key] = np.array([result[k].fmeasure for k in ROUGE_TYPES])
            total += self.cache[key]
        return 100 * total / max(1, len(articles))

    def lead(self, articles: list[int]) -> np.ndarray:
        """The same figures for the first `count` sentences (Lead-3)."""
        total = np.zeros(3)
        for i in articles:
            texts = self.docs[i][1]
            result = self.scorer.score(self.articles[i].reference, "\n".join(texts[: self.count]))
            total += np.array([result[k].fmeasure for k in ROUGE_TYPES])
        return 100 * total / max(1, len(articles))

    def _sentence_rouge(self, i: int) -> np.ndarray:
        reference = self.articles[i].reference
        scores = [self.scorer.score(reference, text) for text in self.docs[i][1]]
        return np.array([(s["rouge1"].fmeasure + s["rouge2"].fmeasure) / 2 for s in scores])


def objective(scores: np.ndarray) -> float:
    return float(scores.sum())  # R-1 + R-2 + R-Lsum: all three must beat the baseline


def regress(corpus: Corpus, articles: list[int], shape: SummaryWeights) -> SummaryWeights:
    """Ridge regression of sentence ROUGE on the features; weights scaled to a largest of 1."""
    features = np.vstack([sentence_features(*corpus.docs[i], shape) for i in articles])
    targets = np.concatenate([corpus.targets[i] for i in articles])
    design = np.hstack([features, np.ones((len(features), 1), dtype=np.float32)])
    penalty = RIDGE * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0  # the intercept is not shrunk
    solution = np.linalg.solve(design.T @ design + penalty, design.T @ targets)[:-1]
    solution = solution / np.abs(solution).max()
    centrality, lead, position, short, echo, quote, numbers = (round(float(w), 3) for w in solution)
    return dataclasses.replace(
        shape, centrality=centrality, lead=lead, position=position,
        brevity=max(0.0, -short), echo=max(0.0, echo), quote=max(0.0, -quote),
        numbers=max(0.0, numbers),
    )


def fit(corpus: Corpus, articles: list[int], start: SummaryWeights) -> SummaryWeights:
    best, best_value = start, -1.0
    for values in itertools.product(*GRID.values()):
        shape = dataclasses.replace(start, **dict(zip(GRID, values)))
        weighted = regress(corpus, articles, shape)
        for redundancy in REDUNDANCY:
            candidate = dataclasses.replace(weighted, redundancy=redundancy)
            value = objective(corpus.rouge(candidate, articles))
            if value > best_value:
                best, best_value = candidate, value
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (2 or more)")
    args = parser.parse_args(argv)

    corpus = Corpus(args.data, args.index, args.sentences)
    start = summary_weights(load_settings(REPO / "config" / "citebot.toml").summary)
    everything = list(range(len(corpus.articles)))
    print("| weights | scored on | ROUGE-1 | ROUGE-2 | ROUGE-Lsum |")
    print("| --- | --- | ---: | ---: | ---: |")

    def row(label: str, part: str, scores: np.ndarray) -> None:
        print(f"| {label} | {part} | " + " | ".join(f"{s:.2f}" for s in scores) + " |")

    row("Lead-3 (baseline)", "all", corpus.lead(everything))
    row("config now", "all", corpus.rouge(start, everything))
    held_out = np.zeros(3)
    for fold in range(args.folds):
        score_on = everything[fold :: args.folds]
        fit_on = [i for i in everything if i % args.folds != fold]
        weights = fit(corpus, fit_on, start)
        scores = corpus.rouge(weights, score_on)
        held_out += scores * len(score_on)
        row(f"fitted on the other folds: {weights}", f"fold {fold}", scores)
        row("Lead-3", f"fold {fold}", corpus.lead(score_on))
    row(f"{args.folds}-fold cross-validated", "all", held_out / len(everything))
    final = fit(corpus, everything, start)
    row("fitted on all (in-sample)", "all", corpus.rouge(final, everything))
    print("\n[summary] values fitted on all articles:")
    for name, setting in SETTING_NAMES.items():
        print(f"{setting} = {getattr(final, name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
