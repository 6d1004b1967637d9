"""IVF against exact search on real MiniLM vectors: how many of exact search's k nearest the
approximate index (as `retrieval.nearest` builds it past `[index] approximate_above`) finds.

Reads the sentence vectors of built snapshots (any format) and asks real questions:
    python benchmarks/ivf_recall.py --snapshots INDEX_DIR [INDEX_DIR ...]
It then asks the same questions of the first snapshot through the engine twice, with exact
search and with IVF search (sentences and passages, as the configured share of lists probed),
and counts the answers whose first quote, and whose first three quotes, are the same.
`--build N` first writes about N sentences of real text (the SQuAD development articles, then
CNN/DailyMail training articles) into INDEX_DIR/../docs and embeds them with the real model
(about 130 texts/s on 2 idle cores: 50k sentences and their passages take 10 to 15 minutes):
    nice python benchmarks/ivf_recall.py --build 55000 --snapshots /tmp/citebot-real-50k/index
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval import nearest  # noqa: E402
from retrieval.embedder import Embedder  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.settings import load_settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
SQUAD = EVAL / "squad-dev" / "questions.jsonl"
DEBIAN = REPO / "benchmarks" / "debian-reference-questions.tsv"
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def build(index_dir: Path, sentences: int) -> None:
    """A real-model index of about `sentences` sentences in `index_dir` (kept if built): every
    SQuAD development article (so its questions have answers here), then CNN/DailyMail
    training articles in name order until the count is reached."""
    if (index_dir / "CURRENT").is_file():
        return
    docs = index_dir.parent / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    written = 0
    sources = sorted((EVAL / "squad-dev" / "corpus").glob("*.md"))
    sources += sorted((EVAL / "cnndm-train" / "articles").glob("*.txt"))
    for path in sources:
        if written >= sentences:
            break
        text = path.read_text(encoding="utf-8").strip()
        if path.suffix == ".txt":  # a news article: its first words as its title
            text = f"# {text[:60].split('.')[0]}\n\n{text}"
        (docs / f"{path.parent.parent.name}-{path.stem}.md").write_text(text + "\n", "utf-8")
        written += len(_SENTENCE_END.findall(text)) or 1
    settings = load_settings(REPO / "config" / "citebot.toml").replace(
        documents={"dir": docs, "max_documents": 1_000_000},
        index={"dir": index_dir, "state_db": index_dir.parent / "state.sqlite3"},
    )
    began = time.perf_counter()
    report = Engine(settings).refresh(requested_by="ivf_recall")
    print(
        f"built {index_dir}: {report.embedded:,} texts embedded in "
        f"{time.perf_counter() - began:.0f} s",
        file=sys.stderr,
    )


def sentence_vectors(index_dir: Path) -> np.ndarray:
    """The live snapshot's sentence vectors: format 2's .npy, or format 1's flat FAISS index."""
    snapshot = index_dir / (index_dir / "CURRENT").read_text().strip()
    if (snapshot / "sentence-vectors.npy").exists():
        return np.load(snapshot / "sentence-vectors.npy")
    flat = faiss.read_index(str(snapshot / "sentences.faiss"))
    return flat.reconstruct_n(0, flat.ntotal)


def questions() -> list[str]:
    with open(DEBIAN, encoding="utf-8") as handle:
        asked = [row[0] for row in csv.reader(handle, delimiter="\t") if row and row[0][0] != "#"]
    with open(SQUAD, encoding="utf-8") as handle:
        asked += [json.loads(line)["question"] for line in list(handle)[::20]]
    return asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=Path, nargs="+", required=True, help="index dirs")
    parser.add_argument("--k", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--build", type=int, metavar="N", help="first build N real sentences")
    args = parser.parse_args(argv)
    if args.build:
        build(args.snapshots[0], args.build)

    vectors = np.ascontiguousarray(
        np.vstack([sentence_vectors(d) for d in args.snapshots]), dtype=np.float32
    )
    settings = load_settings(REPO / "config" / "citebot.toml")
    embedder = Embedder.configured(settings.model)
    asked = questions()
    queries = np.vstack([embedder.encode_query(q) for q in asked]).astype(np.float32)
    exact = nearest.NearestIndex(vectors)
    print(f"{len(vectors):,} real sentence vectors, {len(asked)} questions\n")
    print(
        "| share of lists probed | lists / probed | k | recall of exact's k nearest | same nearest "
        "| codes scanned per question / even lists' |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    probed = nearest.PROBED_SHARE
    for share in (1 / 32, 1 / 16, 1 / 8):
        nearest.PROBED_SHARE = share
        ivf = nearest.NearestIndex.build(vectors, approximate_above=0)
        for k in args.k:
            _, exact_rows = exact.search(queries, k)
            faiss.cvar.indexIVF_stats.reset()
            _, found_rows = ivf.search(queries, k)
            # The mean over questions; past nearest.MAX_SCANNED the cap cuts a search short.
            scanned = faiss.cvar.indexIVF_stats.ndis / len(queries)
            even = ivf.ivf.nprobe * len(vectors) / ivf.ivf.nlist
            recall = np.mean([len(set(e) & set(f)) / k for e, f in zip(exact_rows, found_rows)])
            same = np.mean(exact_rows[:, 0] == found_rows[:, 0])
            print(
                f"| 1/{round(1 / share)} | {ivf.ivf.nlist} / {ivf.ivf.nprobe} | {k} | "
                f"{recall:.3f} | {same:.3f} | {scanned / even:.2f} |"
            )
    nearest.PROBED_SHARE = probed
    same_answers(args.snapshots[0], embedder, asked)
    return 0


def same_answers(index_dir: Path, embedder: Embedder, asked: list[str]) -> None:
    """How many answers IVF search leaves as exact search gives them: the first quote, the
    first three quotes in order, and whether the engine answers at all."""
    settings = load_settings(REPO / "config" / "citebot.toml").replace(
        index={"dir": index_dir, "state_db": index_dir.parent / "state.sqlite3"},
        documents={"dir": index_dir.parent / "docs", "max_documents": 1_000_000},
    )
    engine = Engine(settings, embedder=embedder)
    engine.load(rebuild=False)
    snapshot = engine.snapshot

    def answers() -> list[tuple]:
        return [tuple(q.text for q in engine.ask(question).quotes) for question in asked]

    snapshot.sentence_index = nearest.NearestIndex(snapshot.sentence_vectors)
    snapshot.chunk_index = nearest.NearestIndex(snapshot.chunk_vectors)
    exact = answers()
    snapshot.sentence_index = nearest.NearestIndex.build(snapshot.sentence_vectors, 0)
    snapshot.chunk_index = nearest.NearestIndex.build(snapshot.chunk_vectors, 0)
    approximate = answers()
    pairs = list(zip(exact, approximate))
    answered = sum(1 for e, a in pairs if bool(e) == bool(a))
    first = sum(1 for e, a in pairs if e[:1] == a[:1])
    top3 = sum(1 for e, a in pairs if e[:3] == a[:3])
    print(
        f"\nAnswers through the engine, exact against IVF search ({len(snapshot.sentences):,} "
        f"sentences: {snapshot.sentence_index.ivf.nlist} lists, "
        f"{snapshot.sentence_index.ivf.nprobe} probed; {len(snapshot.chunks):,} passages: "
        f"{snapshot.chunk_index.ivf.nlist} lists, {snapshot.chunk_index.ivf.nprobe} probed), "
        f"{len(asked)} questions:\n"
    )
    print("| same with IVF as with exact search | questions | share |")
    print("| --- | ---: | ---: |")
    for label, count in (
        ("answered or abstained alike", answered),
        ("first quote", first),
        ("first three quotes, in order", top3),
    ):
        print(f"| {label} | {count} | {count / len(asked):.3f} |")


if __name__ == "__main__":
    raise SystemExit(main())
