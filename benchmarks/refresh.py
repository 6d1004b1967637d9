"""Refresh benchmark: full build, no-change and 1%-change refreshes, and answers during a build.

Corpus: the SQuAD development articles split into one file per paragraph (1,023 documents),
from ../shared/eval/squad-dev (CC BY-SA 4.0; see its README). Prints a Markdown table.

    make bench-refresh                      # or: python benchmarks/refresh.py --articles 8
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.embedder import Embedder  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.settings import Settings  # noqa: E402


def split_corpus(data: Path, out: Path, articles: int | None) -> list[Path]:
    """One Markdown file per paragraph, titled after its article."""
    files = []
    for article in sorted((data / "corpus").glob("*.md"))[:articles]:
        title, *paragraphs = [p for p in article.read_text(encoding="utf-8").split("\n\n") if p]
        title = title.lstrip("# ").strip()
        for number, paragraph in enumerate(paragraphs, start=1):
            path = out / f"{article.stem}-p{number:03}.md"
            path.write_text(f"# {title} ({number})\n\n{paragraph.strip()}\n", encoding="utf-8")
            files.append(path)
    return files


def questions(data: Path, limit: int) -> list[str]:
    with open(data / "questions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line)["question"] for _, line in zip(range(limit), handle)]


def touch(files: list[Path], marker: str) -> None:
    for path in files:
        path.write_text(
            path.read_text(encoding="utf-8") + f"\nEdited: {marker}.\n", encoding="utf-8"
        )


def latencies(engine: Engine, asked: list[str], stop: threading.Event | None = None) -> list[float]:
    times = []
    for question in asked:
        if stop is not None and stop.is_set():
            break
        began = time.perf_counter()
        engine.ask(question)
        times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_cli_index(docs: Path, index: Path) -> float:
    began = time.perf_counter()
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "citebot"),
            "index",
            "--json",
            "--docs",
            str(docs),
            "--index",
            str(index),
        ],
        check=True,
        capture_output=True,
        cwd=index.parent,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "eval" / "squad-dev")
    parser.add_argument("--articles", type=int, help="use only the first N articles")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="citebot-refresh-"))
    docs, index = work / "docs", work / "index"
    docs.mkdir()
    files = split_corpus(args.data, docs, args.articles)
    settings = Settings().replace(
        documents={"dir": docs}, index={"dir": index, "state_db": work / "state.sqlite3"}
    )
    # No question cache: every timed answer pays for embedding its question.
    engine = Engine(settings, embedder=Embedder(cache_size=0))
    engine.embedder.warm_up()
    asked = questions(args.data, args.questions)
    one_percent = max(1, round(len(files) / 100))
    rows = []

    # Each row: (what, seconds, texts embedded, the full build it is a share of).
    full = engine.refresh(requested_by="benchmark")
    rows.append(
        ("full build (in process, model loaded)", full.seconds, full.embedded, full.seconds)
    )
    engine.ask("warm up")  # now serving, like the bot: its BM25 is built once, here, not timed
    same = engine.refresh(requested_by="benchmark")
    rows.append(
        ("refresh, nothing changed (in process)", same.seconds, same.embedded, full.seconds)
    )
    touch(files[:one_percent], "a")
    changed = engine.refresh(requested_by="benchmark")
    rows.append(
        (
            f"refresh, {one_percent} documents (1%) changed (in process)",
            changed.seconds,
            changed.embedded,
            full.seconds,
        )
    )
    process_full = run_cli_index(docs, work / "fresh-index")
    rows.append(
        ("`citebot index`, full build (whole process)", process_full, full.embedded, process_full)
    )
    rows.append(
        (
            "`citebot index`, nothing changed (whole process)",
            run_cli_index(docs, index),
            0,
            process_full,
        )
    )
    touch(files[one_percent : 2 * one_percent], "b")
    process_changed = run_cli_index(docs, index)
    rows.append(
        (
            f"`citebot index`, {one_percent} documents (1%) changed (whole process)",
            process_changed,
            changed.embedded,
            process_full,
        )
    )

    engine = Engine(settings, embedder=engine.embedder)
    engine.load(rebuild=False)
    latencies(engine, asked[:20])  # warm
    idle = latencies(engine, asked)
    touch(files, "c")  # every document changed: a full re-embedding runs in the background
    stop = threading.Event()
    during: list[float] = []
    worker = threading.Thread(target=lambda: (engine.refresh(requested_by="benchmark"), stop.set()))
    worker.start()
    while not stop.is_set():
        during.extend(latencies(engine, asked, stop))
    worker.join()

    print(f"\nCorpus: {len(files)} documents from {args.data} (one file per SQuAD paragraph)\n")
    print("| measurement | seconds | texts embedded | share of the full build, same mode |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds, embedded, whole in rows:
        print(f"| {name} | {seconds:.2f} | {embedded} | {100 * seconds / whole:.1f}% |")
    print(
        f"\n1% changed as a process, against the in-process full build: "
        f"{100 * process_changed / full.seconds:.1f}%"
    )
    print("\n| answers (one at a time) | questions | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| idle | {len(idle)} | {percentile(idle, 0.5):.1f} | {percentile(idle, 0.95):.1f} |")
    print(
        f"| during a full re-embedding | {len(during)} | {percentile(during, 0.5):.1f} | "
        f"{percentile(during, 0.95):.1f} |"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
