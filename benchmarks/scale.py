"""Growth benchmark: how answering, loading, refreshing and memory grow with the collection.

Collections of about 10k / 100k / 1M sentences are made from ../shared/eval text (the
CNN/DailyMail training articles and the SQuAD development articles, copied under new names as
often as the size needs). Vectors come from a FAKE embedder by default: a hashed bag of words
(deterministic, no model), so that a million sentences build in minutes and every timing
leaves out query encoding. `--real` uses the bundled MiniLM instead (about 130 texts/s on 2
cores: use it for one size of 50k or so, under `nice`).

Each size runs in its own process (so its memory is its own). Prints a Markdown table and the
growth exponents (log of the time ratio over log of the size ratio: 1 is linear).

    make bench-scale                                  # 10k and 100k, fake embedder
    python benchmarks/scale.py --sizes 1000000        # 1M, fake embedder (~1 h on 2 cores)
    nice python benchmarks/scale.py --sizes 50000 --real
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.embedder import Embedder, ModelIdentity  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.nearest import NearestIndex  # noqa: E402
from retrieval.scoring import POOL_FACTOR  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

EVAL = Path(os.environ.get("CITEBOT_EVAL_DIR", REPO.parent / "shared" / "eval"))
WORK = Path(os.environ.get("CITEBOT_SCALE_DIR", "/tmp/citebot-scale"))  # collections, indexes
TYPO_QUESTION = "What did the prosecuter say about the vidoe footage?"
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_WORD = re.compile(r"\w+")


class HashedWordsEmbedder:
    """FAKE embedder for scale runs: each word hashed (crc32) into one of 384 slots, unit
    length. Texts sharing words get similar vectors; nothing here measures answer quality."""

    dimension = 384

    def __init__(self) -> None:
        self.identity = ModelIdentity("fake-hashed-words-384", "fake")

    def encode(self, texts, *, progress=None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            slots = [zlib.crc32(w.encode()) % self.dimension for w in _WORD.findall(text.lower())]
            np.add.at(out[row], slots, 1.0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1.0, norms)
        if progress:
            progress(len(texts), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def warm_up(self) -> None:
        pass


def source_texts() -> list[tuple[str, str, str]]:
    """(name, title, text) of every source article, CNN/DailyMail first."""
    texts = []
    for path in sorted((EVAL / "cnndm-train" / "articles").glob("*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        texts.append((f"cnn-{path.stem}", text[:60].split(".")[0], text))
    for path in sorted((EVAL / "squad-dev" / "corpus").glob("*.md")):
        title, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        texts.append((f"squad-{path.stem}", title.lstrip("# ").strip(), text.strip()))
    return texts


def make_collection(size: int, docs: Path) -> int:
    """Write Markdown files until about `size` sentences; returns the number of files."""
    if docs.is_dir() and (docs / ".complete").is_file():
        return sum(1 for _ in docs.glob("*.md"))
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    sources, written, files, copy = source_texts(), 0, 0, 0
    if not sources:
        sys.exit(f"no articles under {EVAL} (set CITEBOT_EVAL_DIR)")
    while written < size:
        for name, title, text in sources:
            if written >= size:
                break
            suffix = f"-copy{copy}" if copy else ""
            (docs / f"{name}{suffix}.md").write_text(
                f"# {title}{suffix}\n\n{text}\n", encoding="utf-8"
            )
            written += len(_SENTENCE_END.findall(text)) or 1
            files += 1
        copy += 1
    (docs / ".complete").write_text("", encoding="utf-8")
    return files


def rss_gb() -> tuple[float, float]:
    """(current, peak since the last reset) resident memory of this process, GB."""
    status = Path("/proc/self/status").read_text()
    value = {
        k: int(v.split()[0])
        for k, v in (line.split(":", 1) for line in status.splitlines())
        if k in ("VmRSS", "VmHWM")
    }
    return value["VmRSS"] / 2**20, value["VmHWM"] / 2**20


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from VmRSS
    except OSError:
        pass


def questions(limit: int) -> list[str]:
    with open(EVAL / "squad-dev" / "questions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line)["question"] for _, line in zip(range(limit), handle)]


class PhaseLog(logging.Handler):
    """Collects the phase timings retrieval.phases logs (name -> seconds, summed)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        name, _, value = record.getMessage().rpartition(" ")
        self.seconds[name] = self.seconds.get(name, 0.0) + float(value)

    @contextmanager
    def collecting(self):
        logger = logging.getLogger("retrieval.phases")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        try:
            yield self.seconds
        finally:
            logger.removeHandler(self)


def rss_parts_gb() -> dict[str, float]:
    """Resident memory by kind: anonymous (Python objects, arrays built in RAM) and file-backed
    (memory-mapped snapshot files, shared between processes), GB."""
    status = Path("/proc/self/status").read_text()
    value = {
        k: int(v.split()[0])
        for k, v in (line.split(":", 1) for line in status.splitlines())
        if k in ("RssAnon", "RssFile")
    }
    return {"rss_anon_gb": value["RssAnon"] / 2**20, "rss_file_gb": value["RssFile"] / 2**20}


def memory_breakdown(snapshot) -> dict[str, float]:
    """What the live snapshot holds, estimated from sizes, in MB (in RAM or mapped)."""
    mb = 2**20

    def strings(values) -> int:
        return sum(sys.getsizeof(v) for v in values)

    def objects(rows) -> int:
        total = 0
        for row in rows:
            total += sys.getsizeof(row) + sum(
                sys.getsizeof(getattr(row, name)) for name in row.__dataclass_fields__
            )
        return total

    parts = {
        "vectors (sentences + passages)": sum(
            np.asarray(v).nbytes for v in (snapshot.sentence_vectors, snapshot.chunk_vectors)
        ),
        "document texts": strings(d.text for d in snapshot.documents),
    }
    for name, index in (("sentences", snapshot.sentence_index), ("passages", snapshot.chunk_index)):
        if index.ivf is not None:
            parts[f"IVF codes ({name})"] = index.ivf.ntotal * (index.ivf.code_size + 8)
    parts["sentence rows (objects or arrays)"] = _table_bytes(snapshot.sentences, objects)
    parts["passage rows (objects or arrays)"] = _table_bytes(snapshot.chunks, objects)
    for name in ("sentence_lexical", "chunk_lexical"):
        lexical = getattr(snapshot, name)
        bm25 = lexical._bm25
        arrays = sum(np.asarray(a).nbytes for a in getattr(bm25, "scores", {}).values())
        vocab = getattr(bm25, "vocab_dict", {}) or {}
        parts[f"BM25 arrays ({name})"] = arrays
        parts[f"BM25 vocabulary ({name})"] = strings(vocab) + sys.getsizeof(vocab)
        spellings = lexical._spellings or {}
        parts[f"spellings map ({name})"] = strings(spellings) * 2 + sys.getsizeof(spellings)
        typos = lexical._typos
        parts[f"typo map ({name}; mapped when saved)"] = (
            typos.hashes.nbytes + typos.terms.nbytes if typos is not None else 0
        )
    return {name: round(size / mb, 1) for name, size in parts.items()}


def _table_bytes(table, objects) -> int:
    arrays = getattr(table, "arrays", None)
    if arrays is not None:  # a column table: its arrays, whether in RAM or mapped
        return sum(np.asarray(a).nbytes for a in arrays())
    return sys.getsizeof(table) + objects(table)


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def settings_for(work: Path) -> Settings:
    """The settings of the collection in `work`: its docs/, index/ and state database."""
    return Settings().replace(
        documents={"dir": work / "docs", "max_documents": 10_000_000},
        index={"dir": work / "index", "state_db": work / "state.sqlite3"},
    )


def measure(size: int, real: bool, asked: int, build_only: bool = False) -> dict:
    """Everything for one size, from a built index (`build_only` builds it)."""
    work = WORK / f"{size}{'-real' if real else ''}"
    docs = work / "docs"
    files = make_collection(size, docs)
    settings = settings_for(work)
    embedder = Embedder() if real else HashedWordsEmbedder()
    embedder.warm_up()
    if build_only:
        return {"build_s": timed(lambda: Engine(settings, embedder=embedder).refresh())}
    reset_peak()
    engine = Engine(settings, embedder=embedder)
    serves = timed(lambda: engine.load(rebuild=False))
    engine.ask("Who won the election in the capital?")  # warms what any question loads once
    first_typo = timed(lambda: engine.ask(TYPO_QUESTION))
    asking = questions(asked)
    if real:  # the embedder caches query vectors: a first pass leaves encoding out of the timings
        for question in asking:
            engine.ask(question)
    times = [timed(lambda q=question: engine.ask(q)) * 1000 for question in asking]
    serving_rss, _ = rss_gb()
    parts = rss_parts_gb()
    held = memory_breakdown(engine.snapshot)
    unchanged = timed(lambda: engine.refresh(requested_by="bench"))
    changed_files = sorted(docs.glob("*.md"))[: max(1, files // 100)]
    for path in changed_files:
        path.write_text(
            path.read_text(encoding="utf-8") + f"\nEdited at {time.time()}.\n", encoding="utf-8"
        )
    _, peak = rss_gb()
    reset_peak()  # from here: the 1% refresh alone
    with PhaseLog().collecting() as phases:
        report = engine.refresh(requested_by="bench")
    _, refresh_peak = rss_gb()
    peak = max(peak, refresh_peak)
    # Last: exact search over every vector pages them all in, which the bot never does.
    recall = search_recall(engine, embedder, asking, settings.retrieval.candidates * POOL_FACTOR)
    return {
        "size": size,
        "sentences": engine.stats().sentences,
        "files": files,
        "answer_p50_ms": float(np.median(times)),
        "serves_s": serves,
        "unchanged_s": unchanged,
        "changed_s": report.seconds,
        "changed_embedded": report.embedded,
        "first_typo_s": first_typo,
        "rss_serving_gb": serving_rss,
        "rss_peak_gb": peak,
        "rss_refresh_peak_gb": refresh_peak,
        "embedder": "real MiniLM" if real else "FAKE hashed words",
        **recall,
        **parts,
        "refresh_phases_s": {k: round(v, 2) for k, v in phases.items()},
        "memory_mb": held,
    }


def search_recall(engine: Engine, embedder, asked: list[str], depth: int) -> dict:
    """IVF against exact search over the snapshot's sentence vectors, for the same questions:
    the share of exact search's `depth` nearest that IVF finds, and each one's time per search."""
    vectors = engine.snapshot.sentence_vectors
    exact = NearestIndex(vectors)
    approximate = engine.snapshot.sentence_index
    if not approximate.approximate:
        approximate = NearestIndex.build(vectors, approximate_above=0)
    found, times = [], {"exact": [], "ivf": []}
    for question in asked:
        vector = np.asarray(embedder.encode_query(question), dtype=np.float32).reshape(1, -1)
        began = time.perf_counter()
        _, truth = exact.search(vector, depth)
        times["exact"].append(time.perf_counter() - began)
        began = time.perf_counter()
        _, rows = approximate.search(vector, depth)
        times["ivf"].append(time.perf_counter() - began)
        found.append(len(set(truth[0]) & set(rows[0])) / max(1, len(truth[0])))
    return {
        "ivf_recall": float(np.mean(found)),
        "depth": depth,
        "exact_search_ms": float(np.median(times["exact"])) * 1000,
        "ivf_search_ms": float(np.median(times["ivf"])) * 1000,
        "serving_approximate": engine.snapshot.sentence_index.approximate,
    }


ROWS = (
    ("answer p50 without encoding, ms", "answer_p50_ms", "{:.0f}"),
    ("time until a snapshot serves (load + BM25), s", "serves_s", "{:.1f}"),
    ("refresh with nothing changed, s", "unchanged_s", "{:.2f}"),
    ("refresh, 1% of files changed (fake encoding included), s", "changed_s", "{:.1f}"),
    ("first question with a typo after a start, s", "first_typo_s", "{:.2f}"),
    ("RSS serving, GB", "rss_serving_gb", "{:.2f}"),
    ("RSS peak during load, questions and refreshes, GB", "rss_peak_gb", "{:.2f}"),
    ("RSS peak during the 1% refresh alone, GB", "rss_refresh_peak_gb", "{:.2f}"),
    ("full build (not a target; fake encoding included), s", "build_s", "{:.0f}"),
    ("search over sentence vectors, exact, ms", "exact_search_ms", "{:.1f}"),
    ("search over sentence vectors, IVF, ms", "ivf_search_ms", "{:.1f}"),
    ("IVF recall of exact search's nearest (pool depth)", "ivf_recall", "{:.3f}"),
)


def print_table(results: list[dict]) -> None:
    results = sorted(results, key=lambda r: r["sentences"])
    heads = [f"{r['sentences']:,} sentences" for r in results]
    print(
        f"\nEmbedder: {results[0]['embedder']}; collection growth exponent = "
        "log(value ratio) / log(size ratio) between the smallest and largest size\n"
    )
    print("| | " + " | ".join(heads) + " | growth |")
    print("| --- |" + " ---: |" * len(results) + " --- |")
    for label, key, form in ROWS:
        values = [r.get(key) for r in results]
        cells = [form.format(v) if v is not None else "(cached)" for v in values]
        print(f"| {label} | " + " | ".join(cells) + f" | {_exponent(results, key)} |")


def _exponent(results: list[dict], key: str) -> str:
    pairs = [(r["sentences"], r[key]) for r in results if r.get(key)]
    if len(pairs) < 2 or pairs[0][1] <= 0:
        return ""
    (n0, v0), (n1, v1) = pairs[0], pairs[-1]
    return f"{math.log(v1 / v0) / math.log(n1 / n0):.2f}"


def _child(command: list[str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--real", action="store_true", help="embed with the real MiniLM")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rebuild", action="store_true", help="drop cached indexes first")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child run: one size
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.real, args.questions, args.build_only)))
        return
    results = []
    for size in args.sizes:
        index = WORK / f"{size}{'-real' if args.real else ''}" / "index"
        if args.rebuild:
            shutil.rmtree(index, ignore_errors=True)
        command = [sys.executable, __file__, "--one", str(size), "--questions", str(args.questions)]
        command += ["--real"] * args.real
        built = _child(command + ["--build-only"]) if not (index / "CURRENT").is_file() else {}
        results.append({"build_s": None, **built, **_child(command)})
        print(json.dumps(results[-1]), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print_table(results)
    for result in results:
        print(f"\n{result['sentences']:,} sentences: where the 1% refresh's time goes, s")
        for name, seconds in result.get("refresh_phases_s", {}).items():
            print(f"- {name}: {seconds:.2f}")
        print(
            f"resident memory serving: {result['rss_anon_gb']:.2f} GB anonymous, "
            f"{result['rss_file_gb']:.2f} GB mapped files; what the snapshot holds, MB:"
        )
        for name, size in result.get("memory_mb", {}).items():
            print(f"- {name}: {size:,.1f}")


if __name__ == "__main__":
    main()
