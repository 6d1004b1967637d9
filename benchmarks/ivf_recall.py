"""IVF against exact search on real MiniLM vectors: how many of exact search's k nearest the
approximate index (as `retrieval.nearest` builds it past `[index] approximate_above`) finds.

Reads the sentence vectors of built snapshots (any format) and asks real questions:
    python benchmarks/ivf_recall.py --snapshots INDEX_DIR [INDEX_DIR ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval import nearest  # noqa: E402
from retrieval.embedder import Embedder  # noqa: E402
from retrieval.settings import load_settings  # noqa: E402

SQUAD = REPO.parent / "shared" / "eval" / "squad-dev" / "questions.jsonl"
DEBIAN = REPO / "benchmarks" / "debian-reference-questions.tsv"


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
    args = parser.parse_args(argv)

    vectors = np.ascontiguousarray(
        np.vstack([sentence_vectors(d) for d in args.snapshots]), dtype=np.float32
    )
    settings = load_settings(REPO / "config" / "citebot.toml")
    embedder = Embedder(settings.model.name, batch_size=settings.model.batch_size)
    asked = questions()
    queries = np.vstack([embedder.encode_query(q) for q in asked]).astype(np.float32)
    exact = nearest.NearestIndex(vectors)
    print(f"{len(vectors):,} real sentence vectors, {len(asked)} questions\n")
    print(
        "| share of lists probed | lists / probed | k | recall of exact's k nearest | same nearest |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    for share in (1 / 32, 1 / 8):
        nearest.PROBED_SHARE = share
        ivf = nearest.NearestIndex.build(vectors, approximate_above=0)
        for k in args.k:
            _, exact_rows = exact.search(queries, k)
            _, found_rows = ivf.search(queries, k)
            recall = np.mean([len(set(e) & set(f)) / k for e, f in zip(exact_rows, found_rows)])
            same = np.mean(exact_rows[:, 0] == found_rows[:, 0])
            print(
                f"| 1/{round(1 / share)} | {ivf.ivf.nlist} / {ivf.ivf.nprobe} | {k} | "
                f"{recall:.3f} | {same:.3f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
