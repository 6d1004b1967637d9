"""Two bot processes serving one snapshot: what of the second one's memory the first shares.

    CITEBOT_SCALE_DIR=/tmp/citebot-scale python benchmarks/shared_pages.py --size 1000000

Each process loads the index `scale.py` built for that size (fake embedder), asks it a question
with a typo and `--questions` SQuAD questions, and waits; once both have, their
/proc/PID/smaps_rollup is read: pages shared with another process (mapped snapshot files
both read: BM25 arrays, the sentence table, the typo map, vector pages) against pages only
this one holds (its own memory, and file pages no other process maps).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402

FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")


def serve(size: int, asked: int) -> None:
    """A child: load, ask, say so, and hold the snapshot until stdin closes."""
    settings = scale.settings_for(scale.WORK / str(size))
    engine = scale.Engine(settings, embedder=scale.HashedWordsEmbedder())
    engine.load(rebuild=False)
    for question in [scale.TYPO_QUESTION, *scale.questions(asked)]:
        engine.ask(question)
    print("ready", flush=True)
    sys.stdin.read()


def rollup_gb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in FIELDS:
            values[name] = int(rest.split()[0]) / 2**20
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # a child
    args = parser.parse_args()
    if args.serve:
        serve(args.size, args.questions)
        return
    command = [sys.executable, __file__, "--serve", "--size", str(args.size)]
    command += ["--questions", str(args.questions)]
    children = []
    for _ in range(2):  # one after the other, as a second bot started beside a running one
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if child.stdout.readline().strip() != "ready":
            sys.exit("a serving process failed")
        children.append(child)
    rollups = [rollup_gb(child.pid) for child in children]
    for child in children:
        child.stdin.close()
        child.wait()
    print("| GB | " + " | ".join(FIELDS) + " |")
    print("| --- |" + " ---: |" * len(FIELDS))
    for name, values in zip(("first", "second"), rollups):
        print(f"| {name} | " + " | ".join(f"{values[f]:.2f}" for f in FIELDS) + " |")


if __name__ == "__main__":
    main()
