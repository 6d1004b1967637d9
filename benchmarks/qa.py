"""Answer-quality benchmark on SQuAD: hit@k of short quotes, abstention, latency, build cost.

    make bench-qa                         # the whole development set (slow: ~5,700 questions)
    make bench-qa ARGS="--sample 500"     # a quick run
    make bench-qa ARGS="--rebuild"        # also time a fresh index build against raw encoding
    make bench-qa ARGS="--half odd --config C"  # every other article: a held-out check

Every question goes through `Engine.ask`, the code the CLI and the bot call. The engine is
asked with min_score = 0, so each question's best relevance is seen even when the configured
engine would abstain; the configured threshold (and the trade-off curve) is then applied
exactly as `compose_answer` applies it: abstain when the first quote scores below it, and
stop listing quotes at the first one below it. A spot check asks some questions again with
the configured engine and confirms the same decisions.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.engine import Engine  # noqa: E402
from retrieval.indexer import embedding_text  # noqa: E402
from retrieval.models import Answer  # noqa: E402
from retrieval.settings import load_settings  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "squad-dev"
DEFAULT_INDEX = Path("/tmp/citebot-bench-index")
THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 1.0001, 0.05)]


@dataclass(frozen=True)
class Outcome:
    """One question asked: the scores and gold hits of its quotes, in order."""

    scores: tuple[float, ...]
    hits: tuple[bool, ...]
    lengths: tuple[int, ...]
    seconds: float


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def ask(engine: Engine, question: str, golds: list[str], top_k: int) -> Outcome:
    began = time.perf_counter()
    answer = engine.ask(question, top_k=top_k)
    seconds = time.perf_counter() - began
    return outcome_of(answer, [normalise(g) for g in golds], seconds)


def read_half(data: Path, half: str | None) -> tuple[list[dict], list[dict]]:
    """The in-corpus and off-corpus questions; with `half` ("even" or "odd") only those of
    every other article (in file-name order) and every other off-corpus question, so weights
    fitted on one half can be checked on the other."""
    questions = read_jsonl(data / "questions.jsonl")
    offcorpus = read_jsonl(data / "offcorpus.jsonl")
    if half is None:
        return questions, offcorpus
    parity = {"even": 0, "odd": 1}[half]
    articles = sorted({q["article"] for q in questions})
    return (
        [q for q in questions if articles.index(q["article"]) % 2 == parity],
        offcorpus[parity::2],
    )


def outcome_of(answer: Answer, golds: list[str], seconds: float) -> Outcome:
    quotes = answer.quotes
    return Outcome(
        scores=tuple(q.score for q in quotes),
        hits=tuple(any(g in normalise(q.text) for g in golds) for q in quotes),
        lengths=tuple(len(q.text) for q in quotes),
        seconds=seconds,
    )


def shown(outcome: Outcome, threshold: float) -> int:
    """How many quotes the engine shows at `threshold` (its rule, applied after the fact)."""
    count = 0
    for score in outcome.scores:
        if score < threshold:
            break
        count += 1
    return count


def summarise(inside: list[Outcome], outside: list[Outcome], threshold: float) -> dict:
    answered = [shown(o, threshold) for o in inside]
    lengths = [n for o, k in zip(inside, answered) for n in o.lengths[:k]]
    return {
        "hit@1": np.mean([k >= 1 and o.hits[0] for o, k in zip(inside, answered)]),
        "hit@3": np.mean([any(o.hits[: min(k, 3)]) for o, k in zip(inside, answered)]),
        "answer_rate": np.mean([k > 0 for k in answered]),
        "offcorpus_abstention": np.mean([shown(o, threshold) == 0 for o in outside]),
        "mean_chars": float(np.mean(lengths)) if lengths else 0.0,
        "max_chars": max(lengths) if lengths else 0,
    }


def raw_encoding_seconds(engine: Engine) -> float:
    """The model alone on the texts a build embeds: every passage (with title) and sentence."""
    snapshot = engine.snapshot
    texts = [embedding_text(snapshot.document(c.doc_id), c.text) for c in snapshot.chunks]
    texts += [embedding_text(snapshot.document(s.doc_id), s.text) for s in snapshot.sentences]
    model = engine.embedder.model
    began = time.perf_counter()
    model.encode(
        texts,
        batch_size=engine.settings.model.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eval set directory")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "citebot.toml")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX, help="cached index")
    parser.add_argument("--rebuild", action="store_true", help="build the index from scratch")
    parser.add_argument("--sample", type=int, default=0, help="ask only N in-corpus questions")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --sample")
    parser.add_argument("--check", type=int, default=100, help="questions re-asked as configured")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--half", choices=("even", "odd"),
                        help="only the questions of every other article (see read_half)")
    args = parser.parse_args(argv)

    questions, offcorpus = read_half(args.data, args.half)
    if args.sample and args.sample < len(questions):
        questions = random.Random(args.seed).sample(questions, args.sample)

    base = load_settings(args.config)
    settings = base.replace(
        documents={"dir": str(args.data / "corpus")}, index={"dir": str(args.index_dir)}
    )
    if args.rebuild and args.index_dir.exists():
        shutil.rmtree(args.index_dir)
    engine = Engine(settings)
    engine.embedder.warm_up()
    report = engine.load()
    built = report is not None and report.full_rebuild
    build_seconds = report.seconds if report else None
    raw_seconds = raw_encoding_seconds(engine) if built else None

    min_score = settings.answer.min_score
    top_k = max(3, settings.answer.top_k)
    probe = Engine(settings.replace(answer={"min_score": 0.0}), embedder=engine.embedder)
    probe._snapshot = engine.snapshot  # share the loaded index: one build, two thresholds
    probe.ask("warm up question")

    inside = [ask(probe, q["question"], q["answers"], top_k) for q in questions]
    outside = [ask(probe, q["question"], [], top_k) for q in offcorpus]
    mismatches = spot_check(engine, questions[: args.check], inside, min_score, top_k)
    mismatches += spot_check(engine, offcorpus[: args.check], outside, min_score, top_k)

    figures = summarise(inside, outside, min_score)
    latencies = np.array([o.seconds for o in inside + outside]) * 1000
    snapshot = engine.snapshot
    print(f"SQuAD dev retrieval QA — {len(questions)} questions, {len(offcorpus)} off-corpus; "
          f"{len(snapshot.documents)} documents, {len(snapshot.chunks)} passages, "
          f"{len(snapshot.sentences)} sentences; min_score = {min_score}")
    print()
    rows = [
        ("hit@1", f"{figures['hit@1']:.3f}"),
        ("hit@3", f"{figures['hit@3']:.3f}"),
        ("quote length mean / max (chars)",
         f"{figures['mean_chars']:.0f} / {figures['max_chars']}"),
        ("answer rate (in-corpus)", f"{figures['answer_rate']:.3f}"),
        ("off-corpus abstention", f"{figures['offcorpus_abstention']:.3f}"),
        ("query latency p50 / p95 (ms)",
         f"{np.percentile(latencies, 50):.1f} / {np.percentile(latencies, 95):.1f}"),
        ("index build (s)", f"{build_seconds:.1f}" if built else "cached (use --rebuild)"),
        ("raw model.encode, same texts (s)", f"{raw_seconds:.1f}" if raw_seconds else "-"),
        ("peak memory (MB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"),
    ]
    print("| metric | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print("Abstention trade-off (min_score: answer rate / off-corpus abstention / hit@1 / hit@3)")
    print("| min_score | answer rate | off-corpus abstention | hit@1 | hit@3 |")
    print("| --- | --- | --- | --- | --- |")
    curve = []
    for threshold in THRESHOLDS:
        point = summarise(inside, outside, threshold)
        curve.append({"min_score": threshold, **point})
        mark = " ←" if abs(threshold - min_score) < 1e-9 else ""
        print(f"| {threshold:.2f}{mark} | {point['answer_rate']:.3f} | "
              f"{point['offcorpus_abstention']:.3f} | {point['hit@1']:.3f} | "
              f"{point['hit@3']:.3f} |")
    print()
    print(f"spot check: {len(questions[: args.check]) + min(args.check, len(offcorpus))} questions "
          f"re-asked with min_score = {min_score}: {mismatches} differ")
    if args.json:
        args.json.write_text(json.dumps({
            "figures": {k: float(v) for k, v in figures.items()},
            "latency_ms": {"p50": float(np.percentile(latencies, 50)),
                           "p95": float(np.percentile(latencies, 95))},
            "build_seconds": build_seconds if built else None,
            "raw_encode_seconds": raw_seconds,
            "curve": [{k: float(v) for k, v in p.items()} for p in curve],
        }, indent=1))
    return 1 if mismatches else 0


def spot_check(engine: Engine, questions: list[dict], inside: list[Outcome], min_score, top_k):
    """Ask as configured; the quotes shown must be the ones the after-the-fact rule predicts."""
    mismatches = 0
    for question, predicted in zip(questions, inside):
        answer = engine.ask(question["question"], top_k=top_k)
        predicted_count = shown(predicted, min_score)
        if len(answer.quotes) != predicted_count or answer.abstained != (predicted_count == 0):
            mismatches += 1
    return mismatches


if __name__ == "__main__":
    raise SystemExit(main())
