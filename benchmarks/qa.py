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
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bm25s.stopwords import STOPWORDS_EN as STOPWORDS
from ingest import HANDBOOK, fetch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.answers import SUPPORTING_SHARE  # noqa: E402
from retrieval.embedder import Embedder  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.indexer import embedding_text  # noqa: E402
from retrieval.models import Answer  # noqa: E402
from retrieval.phrasing import FORM_WORDS  # noqa: E402
from retrieval.query import informativeness  # noqa: E402
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
    missing: bool = False  # the answer names question words no document contains


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def ask(
    engine: Engine, question: str, golds: list[str], top_k: int, follow_up_of: str | None = None
) -> Outcome:
    began = time.perf_counter()
    answer = engine.ask(question, top_k=top_k, follow_up_of=follow_up_of)
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
        missing=bool(answer.missing),
    )


def shown(outcome: Outcome, threshold: float) -> int:
    """How many quotes the engine shows at `threshold` (its rule, applied after the fact)."""
    if not outcome.scores or outcome.scores[0] < threshold:
        return 0
    count = 1
    for score in outcome.scores[1:]:
        if score < SUPPORTING_SHARE * threshold:
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


def chat_style(question: str) -> str:
    """A SQuAD question as people type it in chat, deterministically: lower case; no final
    "?" or "."; "in what"/"in which" → "what"/"which"; "what is the name of" → "name of";
    "what is" / "who is" / "where is" / "how is" → "whats" / "who's" / "wheres" / "hows";
    "do not" / "does not" / "did not" / "is not" → "dont" / "doesnt" / "didnt" / "isnt"."""
    text = " ".join(question.lower().split()).rstrip("?. ")
    for typed, chat in CHAT_FORMS:
        text = re.sub(typed, chat, text)
    return text


CHAT_FORMS = [
    (r"^(?:in|on|at|during|for|from|to) (what|which)\b", r"\1"),
    (r"^what (?:is|was) the name of\b", "name of"),
    (r"\bwhat is\b", "whats"),
    (r"\bwho is\b", "who's"),
    (r"\bwhere is\b", "wheres"),
    (r"\bhow is\b", "hows"),
    (r"\bdo not\b", "dont"),
    (r"\bdoes not\b", "doesnt"),
    (r"\bdid not\b", "didnt"),
    (r"\bis not\b", "isnt"),
]


def terse(question: str) -> str:
    """A SQuAD question cut to what a hurried chat user types, deterministically: its question
    word(s) and its one to three rarest words in general English, in their order ("Which NFL
    team represented the AFC at Super Bowl 50?" → "which nfl afc")."""
    words = re.findall(r"[\w'’-]+", question.lower())
    lead = " ".join(words[:2]) if words[:2] in (["how", "many"], ["how", "much"]) else words[0]
    content = [w for w in words[len(lead.split()) :] if w not in FORM_WORDS and w not in STOPWORDS]
    keep = set(sorted(content, key=informativeness, reverse=True)[: 1 + len(question) % 3])
    return " ".join([lead] + [w for w in content if w in keep])


@dataclass
class Collection:
    """One row of the table: an engine (asked with min_score 0) and its questions."""

    name: str
    engine: Engine
    questions: list[dict]
    offcorpus: list[dict]
    inside: list[Outcome] = field(default_factory=list)
    outside: list[Outcome] = field(default_factory=list)


def probe_engine(settings, embedder: Embedder, snapshot=None) -> Engine:
    """An engine that never abstains, so each question's best relevance is seen; thresholds
    are applied afterwards, as compose_answer applies them."""
    probe = Engine(settings.replace(answer={"min_score": 0.0}), embedder=embedder)
    if snapshot is not None:
        probe._snapshot = snapshot  # share a loaded index: one build, two thresholds
    else:
        probe.load()
    return probe


def small_collections(
    settings, embedder, whole: Engine, questions: list[dict], workdir: Path
) -> list[Collection]:
    """(c): each article indexed alone (its vectors re-used from the whole index through an
    ordinary incremental refresh), asked its own questions and 50 questions of other
    articles, which it should refuse."""
    rows = []
    articles = sorted({q["article"] for q in questions})
    for number, article in enumerate(articles):
        folder = workdir / "docs" / article.removesuffix(".md")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(whole.settings.documents.dir / article, folder / article)
        engine = probe_engine(
            settings.replace(
                documents={"dir": str(folder)}, index={"dir": str(workdir / "index" / folder.name)}
            ),
            embedder,
            snapshot=whole.snapshot,
        )
        engine.refresh(requested_by="benchmark")  # keeps this article's vectors, drops the rest
        others = [q for q in questions if q["article"] != article]
        rows.append(
            Collection(
                f"(c) {article}",
                engine,
                [q for q in questions if q["article"] == article],
                random.Random(number).sample(others, min(50, len(others))),
            )
        )
    return rows


def seed_chat(settings, embedder, data: Path, workdir: Path) -> Collection | None:
    """(d), (e): chat-style questions about the bundled seed, and questions it cannot answer."""
    if not (data / "questions.jsonl").is_file():
        return None
    engine = probe_engine(
        settings.replace(
            documents={"dir": str(REPO / "seeds")}, index={"dir": str(workdir / "seed-index")}
        ),
        embedder,
    )
    return Collection(
        "", engine, read_jsonl(data / "questions.jsonl"), read_jsonl(data / "offcorpus.jsonl")
    )


def news_chat(settings, embedder, data: Path, articles: Path, workdir: Path) -> list[Collection]:
    """(k): chat-style questions about other news articles, each article indexed alone (a
    one-document server like the seed's), asked its own questions and the ones written as
    questions it does not answer."""
    questions, offcorpus = (
        read_jsonl(data / "questions.jsonl"),
        read_jsonl(data / "offcorpus.jsonl"),
    )
    rows = []
    for article in sorted({q["article"] for q in questions}):
        folder = workdir / "docs" / Path(article).stem
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(articles / article, folder / article)
        engine = probe_engine(
            settings.replace(
                documents={"dir": str(folder)}, index={"dir": str(workdir / "index" / folder.name)}
            ),
            embedder,
        )
        mine = [q for q in questions if q["article"] == article]
        rows.append(
            Collection(
                f"(k) {article}", engine, mine, [q for q in offcorpus if q["article"] == article]
            )
        )
    return rows


def manual_chat(settings, embedder, data: Path, debian: Path, workdir: Path) -> Collection | None:
    """(l): chat questions about ten pages of the Debian Administrator's Handbook indexed
    together (a help server's docs), and questions none of them answers. The package is
    fetched with `apt-get download` into `debian` (shared with ingest.py); None without it."""
    questions, offcorpus = (
        read_jsonl(data / "questions.jsonl"),
        read_jsonl(data / "offcorpus.jsonl"),
    )
    try:
        root = fetch(debian)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"(l) skipped: the debian-handbook package could not be fetched ({error})")
        return None
    docs = workdir / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for page in sorted({q["page"] for q in questions}):
        shutil.copyfile(root / HANDBOOK / page, docs / page)
    engine = probe_engine(
        settings.replace(documents={"dir": str(docs)}, index={"dir": str(workdir / "index")}),
        embedder,
    )
    return Collection("(l) manual-chat: ten pages of a handbook", engine, questions, offcorpus)


def seed_among_articles(settings, embedder, whole: Engine, workdir: Path) -> Engine:
    """(g): the seed indexed together with the SQuAD articles, a collection that mixes topics
    as many servers' do (the articles' vectors re-used from the whole index, the seed's
    embedded by an ordinary incremental refresh)."""
    docs = workdir / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    shutil.copytree(whole.settings.documents.dir, docs)
    for seed in sorted((REPO / "seeds").iterdir()):
        shutil.copyfile(seed, docs / seed.name)
    engine = probe_engine(
        settings.replace(documents={"dir": str(docs)}, index={"dir": str(workdir / "index")}),
        embedder,
        snapshot=whole.snapshot,
    )
    engine.refresh(requested_by="benchmark")
    return engine


def run(collection: Collection, top_k: int) -> Collection:
    """Ask every question; one with "follow_up_of" as a follow-up about that document."""
    engine = collection.engine
    collection.inside = [
        ask(engine, q["question"], q["answers"], top_k, q.get("follow_up_of"))
        for q in collection.questions
    ]
    collection.outside = [
        ask(engine, q["question"], [], top_k, q.get("follow_up_of")) for q in collection.offcorpus
    ]
    return collection


def follow_ups(questions: list[dict], offcorpus: list[dict], name: str, probe: Engine, same: bool):
    """(i), (j): (a)'s questions asked as follow-ups, after an answer from their own article
    (`same`) or from the next article in file-name order (a change of topic); off-corpus
    questions after an answer from each article in turn. Deterministic: no sampling."""
    articles = sorted({q["article"] for q in questions})

    def after(article: str) -> str:
        return article if same else articles[(articles.index(article) + 1) % len(articles)]

    return Collection(
        name,
        probe,
        [{**q, "follow_up_of": after(q["article"])} for q in questions],
        [{**q, "follow_up_of": articles[n % len(articles)]} for n, q in enumerate(offcorpus)],
    )


def pooled(name: str, parts: list[Collection]) -> Collection:
    merged = Collection(name, parts[0].engine, [], [])
    for part in parts:
        merged.questions += part.questions
        merged.offcorpus += part.offcorpus
        merged.inside += part.inside
        merged.outside += part.outside
    return merged


def build_collections(args, settings, embedder, whole: Engine, questions, offcorpus):
    """The table's rows: (a) the whole collection, (b) the same questions chat-style, (c) each
    article alone, (f) the same cut to keywords, (d) seed-chat, (e) more seed-chat questions
    written for this benchmark, (g) both asked of the seed among the SQuAD articles, (h) the
    same as follow-ups of an answer from the seed, (i) and (j) (a)'s questions after an answer
    from another article or from their own, (k) chat questions about other news articles, each
    indexed alone, (l) chat questions about ten pages of a handbook. A row of several
    collections is (name, [collections])."""
    wanted = set(args.sets)
    probe = probe_engine(settings, embedder, snapshot=whole.snapshot)
    rows = []
    if "a" in wanted:
        rows.append(Collection("(a) whole collection", probe, questions, offcorpus))
    if "b" in wanted:
        chat = [{**q, "question": chat_style(q["question"])} for q in questions]
        rows.append(
            Collection(
                "(b) chat-style",
                probe,
                chat,
                [{**q, "question": chat_style(q["question"])} for q in offcorpus],
            )
        )
    if wanted & {"c", "f"}:
        small = small_collections(
            settings, embedder, whole, questions, args.index_dir.parent / "citebot-bench-small"
        )
        if "c" in wanted:
            rows.append(("(c) each article alone", small))
        if "f" in wanted:
            rows.append(
                (
                    "(f) terse, each article alone",
                    [
                        Collection(
                            c.name,
                            c.engine,
                            [{**q, "question": terse(q["question"])} for q in c.questions],
                            [{**q, "question": terse(q["question"])} for q in c.offcorpus],
                        )
                        for c in small
                    ],
                )
            )
    for key, data in (("d", args.seed_chat), ("e", REPO / "benchmarks" / "seed-chat-extra")):
        seed = (
            seed_chat(settings, embedder, data, args.index_dir.parent / "citebot-bench-seed")
            if key in wanted
            else None
        )
        if seed is not None:
            seed.name = f"({key}) {data.name}"
            rows.append(seed)
    chats = [
        data
        for data in (args.seed_chat, REPO / "benchmarks" / "seed-chat-extra")
        if (data / "questions.jsonl").is_file()
    ]
    if wanted & {"g", "h"} and chats:
        mixed = seed_among_articles(
            settings, embedder, whole, args.index_dir.parent / "citebot-bench-mixed"
        )
        inside = [q for data in chats for q in read_jsonl(data / "questions.jsonl")]
        outside = [q for data in chats for q in read_jsonl(data / "offcorpus.jsonl")]
        if "g" in wanted:
            rows.append(
                Collection(
                    "(g) seed-chat questions, the seed among the SQuAD articles",
                    mixed,
                    inside,
                    outside,
                )
            )
        if "h" in wanted:  # a member's next question after an answer from the seed
            seed = min(p.name for p in (REPO / "seeds").iterdir() if p.is_file())
            rows.append(
                Collection(
                    "(h) the same, each asked after an answer from the seed (a follow-up)",
                    mixed,
                    [{**q, "follow_up_of": seed} for q in inside],
                    [{**q, "follow_up_of": seed} for q in outside],
                )
            )
    if "i" in wanted:
        name = "(i) (a) asked after an answer from another article (a change of topic)"
        rows.append(follow_ups(questions, offcorpus, name, probe, same=False))
    if "j" in wanted:
        name = "(j) (a) asked after an answer from their own article (a follow-up)"
        rows.append(follow_ups(questions, offcorpus, name, probe, same=True))
    news, articles = REPO / "benchmarks" / "news-chat", args.data.parent / "cnndm-dev" / "articles"
    if "k" in wanted and articles.is_dir():
        workdir = args.index_dir.parent / "citebot-bench-news"
        rows.append(
            (
                "(k) news-chat: other articles alone, chat-style",
                news_chat(settings, embedder, news, articles, workdir),
            )
        )
    manual = REPO / "benchmarks" / "manual-chat"
    if "l" in wanted and (manual / "questions.jsonl").is_file():
        workdir = args.index_dir.parent / "citebot-bench-manual"
        handbook = manual_chat(settings, embedder, manual, args.debian, workdir)
        if handbook is not None:
            rows.append(handbook)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eval set directory")
    parser.add_argument("--seed-chat", type=Path, default=DEFAULT_DATA.parent / "seed-chat")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "citebot.toml")
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX, help="cached index")
    parser.add_argument("--rebuild", action="store_true", help="build the index from scratch")
    parser.add_argument("--sample", type=int, default=0, help="ask only N in-corpus questions")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --sample")
    parser.add_argument("--check", type=int, default=100, help="questions re-asked as configured")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--half",
        choices=("even", "odd"),
        help="only the questions of every other article (see read_half)",
    )
    parser.add_argument(
        "--debian",
        type=Path,
        default=Path("/tmp/citebot-ingest"),
        help="where (l)'s Debian package is downloaded and unpacked (as ingest.py's --data)",
    )
    parser.add_argument("--sets", default="abcfdeghijkl", help="which rows to run (default: all)")
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
    # One model for every engine; questions asked twice (in (a) and (c)) are encoded once.
    embedder = Embedder.configured(settings.model, cache_size=100_000)
    engine = Engine(settings, embedder=embedder)
    embedder.warm_up()
    report = engine.load()
    built = report is not None and report.full_rebuild
    build_seconds = report.seconds if report else None
    raw_seconds = raw_encoding_seconds(engine) if built else None

    min_score = settings.answer.min_score
    top_k = max(3, settings.answer.top_k)
    rows = build_collections(args, settings, embedder, engine, questions, offcorpus)
    flat = [r for row in rows for r in (row[1] if isinstance(row, tuple) else [row])]
    flat[0].engine.ask("warm up question")
    for collection in flat:
        run(collection, top_k)
    table = [pooled(*row) if isinstance(row, tuple) else row for row in rows]
    first = table[0]
    mismatches = spot_check(engine, first.questions[: args.check], first.inside, min_score, top_k)
    mismatches += spot_check(engine, first.offcorpus[: args.check], first.outside, min_score, top_k)
    latencies = np.array([o.seconds for o in first.inside + first.outside]) * 1000

    snapshot = engine.snapshot
    print(
        f"Retrieval QA — SQuAD dev: {len(questions)} questions, {len(offcorpus)} off-corpus; "
        f"{len(snapshot.documents)} documents, {len(snapshot.chunks)} passages, "
        f"{len(snapshot.sentences)} sentences; min_score = {min_score}"
    )
    print()
    print(
        "| set | questions | hit@1 | hit@3 | answer rate | off-corpus | abstention | "
        "quote chars mean / max |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    figures = {}
    for row in table:
        point = summarise(row.inside, row.outside, min_score)
        figures[row.name] = point
        print(
            f"| {row.name} | {len(row.inside)} | {point['hit@1']:.3f} | {point['hit@3']:.3f} | "
            f"{point['answer_rate']:.3f} | {len(row.outside)} | "
            f"{point['offcorpus_abstention']:.3f} | "
            f"{point['mean_chars']:.0f} / {point['max_chars']} |"
        )
    print()
    rows_out = [
        (
            f"query latency p50 / p95 (ms), {first.name}",
            f"{np.percentile(latencies, 50):.1f} / {np.percentile(latencies, 95):.1f}",
        ),
        ("index build (s)", f"{build_seconds:.1f}" if built else "cached (use --rebuild)"),
        ("raw model.encode, same texts (s)", f"{raw_seconds:.1f}" if raw_seconds else "-"),
        ("peak memory (MB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"),
    ]
    print_missing_notes(table, min_score)
    print("| metric | value |\n| --- | --- |")
    for name, value in rows_out:
        print(f"| {name} | {value} |")
    print()
    print("Abstention trade-off: answer rate / off-corpus abstention / hit@3 per set")
    print("| min_score | " + " | ".join(row.name for row in table) + " |")
    print("| --- |" + " --- |" * len(table))
    curve = []
    for threshold in THRESHOLDS:
        points = {row.name: summarise(row.inside, row.outside, threshold) for row in table}
        curve.append({"min_score": threshold, "sets": points})
        mark = " ←" if abs(threshold - min_score) < 1e-9 else ""
        print(
            f"| {threshold:.2f}{mark} | "
            + " | ".join(
                f"{p['answer_rate']:.3f} / {p['offcorpus_abstention']:.3f} / {p['hit@3']:.3f}"
                for p in points.values()
            )
            + " |"
        )
    print()
    checked = len(first.questions[: args.check]) + len(first.offcorpus[: args.check])
    print(
        f"spot check: {checked} questions of {first.name} re-asked with min_score = "
        f"{min_score}: {mismatches} differ"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "figures": {
                        name: {k: float(v) for k, v in point.items()}
                        for name, point in figures.items()
                    },
                    "latency_ms": {
                        "p50": float(np.percentile(latencies, 50)),
                        "p95": float(np.percentile(latencies, 95)),
                    },
                    "build_seconds": build_seconds if built else None,
                    "raw_encode_seconds": raw_seconds,
                    "curve": [
                        {
                            "min_score": p["min_score"],
                            "sets": {
                                n: {k: float(v) for k, v in f.items()} for n, f in p["sets"].items()
                            },
                        }
                        for p in curve
                    ],
                },
                indent=1,
            )
        )
    return 1 if mismatches else 0


def print_missing_notes(table: list[Collection], threshold: float) -> None:
    """How often an answer is headed "No document uses the word …": over answers whose first
    three quotes hold the gold answer (where the note is noise), over the other answers to
    in-corpus questions, and over answers to off-corpus questions (where it warns)."""
    print('Answers headed "No document uses the word …": share of each kind of answer (count)')
    print("| set | gold in the first three | gold not in them | off-corpus, answered |")
    print("| --- | ---: | ---: | ---: |")
    for row in table:
        shown_inside = [(o, shown(o, threshold)) for o in row.inside]
        kinds = (
            [o for o, k in shown_inside if k and any(o.hits[: min(k, 3)])],
            [o for o, k in shown_inside if k and not any(o.hits[: min(k, 3)])],
            [o for o in row.outside if shown(o, threshold)],
        )
        cells = [
            f"{sum(o.missing for o in kind) / len(kind):.3f} ({len(kind)})" if kind else "- (0)"
            for kind in kinds
        ]
        print(f"| {row.name} | " + " | ".join(cells) + " |")
    print()


def spot_check(engine: Engine, questions: list[dict], inside: list[Outcome], min_score, top_k):
    """Ask as configured; the quotes shown must be the ones the after-the-fact rule predicts."""
    mismatches = 0
    for question, predicted in zip(questions, inside):
        answer = engine.ask(
            question["question"], top_k=top_k, follow_up_of=question.get("follow_up_of")
        )
        predicted_count = shown(predicted, min_score)
        if len(answer.quotes) != predicted_count or answer.abstained != (predicted_count == 0):
            mismatches += 1
    return mismatches


if __name__ == "__main__":
    raise SystemExit(main())
