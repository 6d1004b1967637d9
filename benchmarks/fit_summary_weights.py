"""Fit the learned sentence scorer on cnndm-train with 10-fold cross-validation; check on cnndm-dev.

    python benchmarks/fit_summary_weights.py [--train ../shared/eval/cnndm-train] [--folds 10] [--write]

Labels: a sentence is positive when the greedy ROUGE-1 + ROUGE-2 oracle picks it for the
3-sentence summary (the labelling of BertSumExt, Liu & Lapata 2019). Model: a logistic regression
over `summarizer.learned_features` and the sentence vector (all-MiniLM-L6-v2, as the index stores
it; embedded once and cached by summary_corpus.py). The redundancy of maximal marginal relevance
is chosen per fold on the training folds. Fold f holds the articles whose number is f modulo
--folds; each is scored with a scorer fitted on the others, against Lead-3 on the same articles.
Then the scorer is fitted on all of cnndm-train, scored once on cnndm-dev (never fitted on), and
with --write saved to retrieval/summary_scorer.py.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from summaries import DEFAULT_DATA, ROUGE_TYPES, load_articles  # noqa: E402
from summary_corpus import DEFAULT_CACHE, EmbeddedArticle, embedded_articles  # noqa: E402

from retrieval.embedder import Embedder  # noqa: E402
from retrieval.settings import load_settings  # noqa: E402
from retrieval.summarizer import LearnedScorer, learned_features, select_diverse  # noqa: E402

DEFAULT_TRAIN = DEFAULT_DATA.parent / "cnndm-train"
OUTPUT = REPO / "retrieval" / "summary_scorer.py"
REDUNDANCY = [0.0, 0.3, 0.6, 1.0]
REGULARISATION = 1.0  # sklearn's C: 0.1 and 1.0 were within 0.1 ROUGE-1 in cross-validation
COUNT = 3


class Rouge:
    """ROUGE-1/2 F1 from n-gram counts (rouge-score's tokenizer and stemmer, so the same numbers,
    fast enough to label every sentence), and rouge-score itself for ROUGE-Lsum."""

    def __init__(self):
        from rouge_score import rouge_scorer

        self.scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)

    def grams(self, text: str) -> tuple[Counter, Counter]:
        return _grams(self.scorer._tokenizer.tokenize(text))

    def pair(self, article: EmbeddedArticle) -> tuple[tuple[Counter, Counter], list]:
        tokenize = self.scorer._tokenizer.tokenize
        return self.grams(article.reference), [tokenize(t) for t in article.texts]

    @staticmethod
    def quick(pair, picked: list[int]) -> np.ndarray:
        """ROUGE-1 and ROUGE-2 F1 of the picked sentences joined in document order (a bigram
        may span two of them, as in rouge-score)."""
        reference, sentences = pair
        candidate = _grams([token for i in sorted(picked) for token in sentences[i]])
        scores = []
        for n in (0, 1):
            overlap = sum((candidate[n] & reference[n]).values())
            if not overlap:
                scores.append(0.0)
                continue
            precision = overlap / sum(candidate[n].values())
            recall = overlap / sum(reference[n].values())
            scores.append(2 * precision * recall / (precision + recall))
        return np.array(scores)

    def full(self, article: EmbeddedArticle, picked: list[int]) -> np.ndarray:
        result = self.scorer.score(article.reference, "\n".join(article.texts[i] for i in picked))
        return np.array([result[kind].fmeasure for kind in ROUGE_TYPES])


def _grams(tokens: list[str]) -> tuple[Counter, Counter]:
    return Counter(tokens), Counter(pairwise(tokens))


def oracle_labels(pair) -> np.ndarray:
    """1 for the sentences the greedy oracle picks, 0 for the rest."""
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < COUNT:
        gains = [
            (Rouge.quick(pair, [*chosen, i]).sum(), i)
            for i in range(len(pair[1]))
            if i not in chosen
        ]
        if not gains or max(gains)[0] <= best:
            break
        best, pick = max(gains)
        chosen.append(pick)
    labels = np.zeros(len(pair[1]), dtype=np.float32)
    labels[chosen] = 1.0
    return labels


def design(article: EmbeddedArticle) -> np.ndarray:
    return np.hstack([learned_features(article.vectors, article.texts), article.vectors])


def picks(scorer: LearnedScorer, article: EmbeddedArticle) -> list[int]:
    scores = scorer.scores(article.vectors, article.texts)
    return sorted(select_diverse(article.vectors, scores, COUNT, scorer.redundancy))


def fit(designs, articles, labels, pairs, digest: str) -> LearnedScorer:
    """The logistic regression, then the redundancy that scores best on the same articles."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=REGULARISATION, max_iter=3000).fit(
        np.vstack(designs), np.concatenate(labels)
    )
    weights = model.coef_[0]
    features = len(weights) - articles[0].vectors.shape[1]
    scorer = LearnedScorer(
        model_digest=digest,
        bias=round(float(model.intercept_[0]), 4),
        feature_weights=tuple(round(float(w), 4) for w in weights[:features]),
        vector_weights=tuple(round(float(w), 4) for w in weights[features:]),
        redundancy=0.0,
    )
    scores = [model.decision_function(design) for design in designs]
    quality = {
        redundancy: sum(
            Rouge.quick(p, select_diverse(a.vectors, s, COUNT, redundancy)[:COUNT]).sum()
            for a, p, s in zip(articles, pairs, scores)
        )
        for redundancy in REDUNDANCY
    }
    return _with(scorer, max(quality, key=quality.get))


def _with(scorer: LearnedScorer, redundancy: float) -> LearnedScorer:
    return LearnedScorer(
        scorer.model_digest, scorer.bias, scorer.feature_weights, scorer.vector_weights, redundancy
    )


def row(label: str, scores: np.ndarray, lead: np.ndarray | None = None) -> None:
    cells = " | ".join(f"{100 * s:.2f}" for s in scores)
    gain = "" if lead is None else " | " + " / ".join(f"{100 * g:+.2f}" for g in scores - lead)
    print(f"| {label} | {cells}{gain} |")


def write_scorer(scorer: LearnedScorer, path: Path) -> None:
    def floats(values: tuple[float, ...]) -> str:
        lines = [", ".join(f"{v}" for v in values[i : i + 8]) for i in range(0, len(values), 8)]
        return "(\n" + "".join(f"        {line},\n" for line in lines) + "    )"

    path.write_text(
        '"""The learned sentence scorer\'s values, written by benchmarks/fit_summary_weights.py '
        '--write."""\n\nfrom retrieval.summarizer import LearnedScorer\n\n'
        "SCORER = LearnedScorer(\n"
        f'    model_digest="{scorer.model_digest}",\n'
        f"    bias={scorer.bias},\n"
        f"    feature_weights={floats(scorer.feature_weights)},\n"
        f"    vector_weights={floats(scorer.vector_weights)},\n"
        f"    redundancy={scorer.redundancy},\n"
        ")\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="sentence vectors")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--write", action="store_true", help=f"save the scorer to {OUTPUT}")
    args = parser.parse_args(argv)

    settings = load_settings(REPO / "config" / "citebot.toml")
    embedder = Embedder.configured(settings.model)
    digest = embedder.identity.digest
    rouge = Rouge()
    train = [
        a
        for a in embedded_articles(
            load_articles(args.train), args.train, embedder, settings.chunking, args.cache
        )
        if a.texts
    ]
    dev = embedded_articles(
        load_articles(args.dev), args.dev, embedder, settings.chunking, args.cache
    )
    pairs = [rouge.pair(a) for a in train]
    labels = [oracle_labels(p) for p in pairs]
    designs = [design(a) for a in train]
    numbers = np.arange(len(train))

    print(f"{len(train)} training articles, {args.folds}-fold cross-validation; ROUGE F1 x 100\n")
    print("| scored on | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | gain over Lead-3 |")
    print("| --- | ---: | ---: | ---: | --- |")
    held_out, lead_total = np.zeros(3), np.zeros(3)
    for fold in range(args.folds):
        fit_on, score_on = (
            numbers[numbers % args.folds != fold],
            numbers[numbers % args.folds == fold],
        )
        scorer = fit(
            *([items[i] for i in fit_on] for items in (designs, train, labels, pairs)), digest
        )
        scores = sum(rouge.full(train[i], picks(scorer, train[i])) for i in score_on)
        lead = sum(
            rouge.full(train[i], list(range(min(COUNT, len(train[i].texts))))) for i in score_on
        )
        held_out, lead_total = held_out + scores, lead_total + lead
        row(
            f"fold {fold} (redundancy {scorer.redundancy})",
            scores / len(score_on),
            lead / len(score_on),
        )
    row("all folds, held out", held_out / len(train), lead_total / len(train))
    row("Lead-3, all folds", lead_total / len(train))

    final = fit(designs, train, labels, pairs, digest)
    dev_scores = sum(rouge.full(a, picks(final, a)) for a in dev) / len(dev)
    dev_lead = sum(rouge.full(a, list(range(min(COUNT, len(a.texts))))) for a in dev) / len(dev)
    row(
        f"{args.dev.name}, fitted on all of {args.train.name} (redundancy {final.redundancy})",
        dev_scores,
        dev_lead,
    )
    row(f"{args.dev.name}, Lead-3", dev_lead)
    if args.write:
        write_scorer(final, OUTPUT)
        print(f"\nwrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
