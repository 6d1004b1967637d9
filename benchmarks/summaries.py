"""Summary quality and speed on CNN/DailyMail: Lead-3, LexRank, TextRank and Citebot, by ROUGE.

    python benchmarks/summaries.py [--data ../shared/eval/cnndm-dev] [--index DIR] [--limit N]

Citebot runs through the real engine: the articles are indexed with the real model (cached in
--index; unchanged articles are not re-embedded) and each is summarised by
Engine.summarize(document=...). The baselines get the same sentences from the same splitter.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.sentences import split_sentences  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "cnndm-dev"
DEFAULT_INDEX = Path("/tmp/citebot-summ-index")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")


@dataclass(frozen=True)
class Article:
    id: str  # the document id in the index: the file name under articles/
    text: str
    reference: str  # highlight sentences joined by "\n"


@dataclass
class Scores:
    name: str
    rouge: dict[str, list[float]]
    seconds: list[float]

    def mean(self, kind: str) -> float:
        values = self.rouge[kind]
        return 100 * sum(values) / len(values) if values else 0.0


def load_articles(data: Path, limit: int | None = None, part: str = "all") -> list[Article]:
    articles = []
    with open(data / "references.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if part == "even" and number % 2 or part == "odd" and not number % 2:
                continue
            row = json.loads(line)
            text = (data / "articles" / row["article"]).read_text(encoding="utf-8")
            articles.append(Article(row["article"], text, row["reference"]))
    return articles[:limit] if limit else articles


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def lead(article: Article, count: int) -> list[str]:
    return sentences_of(article.text)[:count]


def sumy_summarizer(kind: str) -> Callable[[Article, int], list[str]]:
    """LexRank or TextRank from sumy, fed our sentences (NLTK's punkt data is not installed)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    class WordTokenizer:
        language = "english"

        def to_words(self, text: str) -> list[str]:
            return re.findall(r"\w+(?:['’]\w+)*", text)

    tokenizer = WordTokenizer()
    summarizer = (LexRankSummarizer if kind == "lexrank" else TextRankSummarizer)(
        Stemmer("english")
    )
    summarizer.stop_words = get_stop_words("english")

    def summarize(article: Article, count: int) -> list[str]:
        texts = sentences_of(article.text)
        sentences = [Sentence(t, tokenizer) for t in texts]
        document = ObjectDocumentModel([Paragraph(sentences)])
        picked = {str(s) for s in summarizer(document, count)}
        return [t for t in texts if t.strip() in picked][:count]

    return summarize


def oracle(scorer) -> Callable[[Article, int], list[str]]:
    """Greedy ROUGE-1 + ROUGE-2 oracle: an upper bound for picking whole sentences."""

    def summarize(article: Article, count: int) -> list[str]:
        texts = sentences_of(article.text)
        chosen: list[int] = []
        best = 0.0
        while len(chosen) < count:
            gains = []
            for i in range(len(texts)):
                if i in chosen:
                    continue
                candidate = "\n".join(texts[j] for j in sorted([*chosen, i]))
                score = scorer.score(article.reference, candidate)
                gains.append((score["rouge1"].fmeasure + score["rouge2"].fmeasure, i))
            if not gains or max(gains)[0] <= best:
                break
            best, pick = max(gains)
            chosen.append(pick)
        return [texts[i] for i in sorted(chosen)]

    return summarize


def citebot(engine) -> Callable[[Article, int], list[str]]:
    def summarize(article: Article, count: int) -> list[str]:
        summary = engine.summarize(document=article.id, sentences=count)
        return [quote.text for quote in summary.sentences]

    return summarize


def evaluate(name: str, method, articles: list[Article], count: int, scorer) -> Scores:
    scores = Scores(name, {kind: [] for kind in ROUGE_TYPES}, [])
    for article in articles:
        began = time.perf_counter()
        picked = method(article, count)
        scores.seconds.append(time.perf_counter() - began)
        result = scorer.score(article.reference, "\n".join(picked))
        for kind in ROUGE_TYPES:
            scores.rouge[kind].append(result[kind].fmeasure)
    return scores


def build_engine(data: Path, index: Path, config: Path | None):
    from retrieval.engine import Engine
    from retrieval.settings import load_settings

    settings = load_settings(config or REPO / "config" / "citebot.toml").replace(
        documents={"dir": data / "articles"}, index={"dir": index}
    )
    engine = Engine(settings)
    began = time.perf_counter()
    report = engine.load(rebuild=True)
    if report is not None:
        print(
            f"indexed {len(report.documents)} articles in {report.seconds:.0f} s "
            f"({report.embedded} texts embedded; {report.reason or 'incremental'})",
            file=sys.stderr,
        )
    else:
        print(f"loaded the index in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return engine


def topic_latency(engine, articles: list[Article], count: int) -> tuple[float, float, int]:
    """p50 seconds of encoding a topic, and of the topic summary given its vector (the embedder
    caches query vectors, so the second call measures retrieval and selection alone); topics are
    the openings of the highlights."""
    topics = [" ".join(a.reference.split("\n")[0].split()[:6]) for a in articles[:60]]
    engine.summarize(topic="warm up the query encoder", sentences=count)
    encoding, summarizing, abstained = [], [], 0
    for topic in topics:
        began = time.perf_counter()
        engine.embedder.encode_query(topic)
        encoding.append(time.perf_counter() - began)
        summary = engine.summarize(topic=topic, sentences=count)
        summarizing.append(summary.seconds)
        abstained += summary.abstained
    return statistics.median(encoding), statistics.median(summarizing), abstained


def print_table(results: list[Scores], count: int, articles: int) -> None:
    print(f"\n{articles} articles, {count}-sentence summaries, rouge-score F1 (stemmed)\n")
    print("| method | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | ms / article (p50) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for result in results:
        p50 = 1000 * statistics.median(result.seconds) if result.seconds else 0.0
        print(
            f"| {result.name} | {result.mean('rouge1'):.1f} | {result.mean('rouge2'):.1f} | "
            f"{result.mean('rougeLsum'):.1f} | {p50:.1f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dir with references.jsonl")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index dir (a cache)")
    parser.add_argument("--config", type=Path, help="citebot.toml to take the settings from")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument(
        "--part",
        choices=("all", "even", "odd"),
        default="all",
        help="score only even- or odd-numbered articles (cross-validation)",
    )
    parser.add_argument(
        "--methods",
        default="lead,lexrank,textrank,citebot",
        help="comma-separated: lead, lexrank, textrank, citebot, oracle",
    )
    args = parser.parse_args(argv)

    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    articles = load_articles(args.data, args.limit, args.part)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    results = []
    engine = None
    for method in methods:
        if method == "lead":
            results.append(evaluate("Lead-3", lead, articles, args.sentences, scorer))
        elif method in ("lexrank", "textrank"):
            label = "LexRank (sumy)" if method == "lexrank" else "TextRank (sumy)"
            results.append(
                evaluate(label, sumy_summarizer(method), articles, args.sentences, scorer)
            )
        elif method == "oracle":
            results.append(
                evaluate("greedy oracle", oracle(scorer), articles, args.sentences, scorer)
            )
        elif method == "citebot":
            engine = build_engine(args.data, args.index, args.config)
            results.append(evaluate("Citebot", citebot(engine), articles, args.sentences, scorer))
        else:
            parser.error(f"unknown method {method!r}")
    print_table(results, args.sentences, len(articles))
    if engine is not None:
        encode_p50, topic_p50, abstained = topic_latency(engine, articles, args.sentences)
        document_p50 = 1000 * statistics.median(results[methods.index("citebot")].seconds)
        print(
            f"\nCitebot latency p50: one document {document_p50:.1f} ms; a topic across all "
            f"{len(engine.snapshot.documents)} articles {1000 * topic_p50:.1f} ms after encoding "
            f"the topic ({1000 * encode_p50:.1f} ms); {abstained} of "
            f"{min(60, len(articles))} topics abstained"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
