"""How long a question's encoding takes on a busy host, by runtime and OpenMP wait policy.

Citebot runs the model on ONNX Runtime with its threads told not to spin ([model] runtime =
"onnx", the default; `retrieval/onnx_model.py`). On torch ([model] runtime = "torch") the
model runs on torch's OpenMP threads (two on a 2-core machine). When they spin long at
each barrier waiting for one another (libgomp's default: 300,000 turns, about 3 ms) while
another process holds a core, a waiting thread burns its time slice while the one it waits
for is not running, and a question's encoding can go from milliseconds to half a second.
`retrieval/__init__.py` sets GOMP_SPINCOUNT=10000 (unless the environment sets a policy or a
count): a short spin, then sleep; FAISS runs on OpenMP too.

    python benchmarks/busy_host.py [--questions 50]

prints the encoding time per question (p50 / p95) with the host idle, beside another process
embedding documents (with the same policy, as a second Citebot process would have), and beside
two processes spinning in plain Python; on torch with the default policy, with PASSIVE and
with a short spin before sleeping (GOMP_SPINCOUNT), and on ONNX Runtime, each in fresh
processes (the process embedding documents runs as the column's). Runs vary: the default's
figures under load swing by ten times between runs, the others' much less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO.parent / "shared" / "eval" / "squad-dev" / "questions.jsonl"

# Run in a fresh process: OpenMP reads its wait policy once, when torch loads it.
PROBE = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from retrieval.embedder import Embedder
questions = json.loads(sys.argv[2])
embedder = Embedder(cache_size=0, runtime=sys.argv[3])
embedder.warm_up()
times = []
for question in questions:
    began = time.perf_counter()
    embedder.encode_query(question)
    times.append((time.perf_counter() - began) * 1000)
times.sort()
print(json.dumps([statistics.median(times), times[int(0.95 * (len(times) - 1))]]))
"""


# Another process embedding documents without end, as `citebot index` does.
EMBEDDER = """
import sys
sys.path.insert(0, sys.argv[1])
from retrieval.embedder import Embedder
texts = [f"Passage {i} of a long document, with enough words to make a batch." for i in range(64)]
embedder = Embedder(runtime=sys.argv[2])
while True:
    embedder.encode(texts)
"""
SPINNER = "while True: pass"


# "" reaches OpenMP as an unknown value, which it ignores: its default policy. Each column:
# the runtime, and the environment its processes run in.
POLICIES = {
    "torch, libgomp default": ("torch", {"OMP_WAIT_POLICY": ""}),
    "torch, OMP_WAIT_POLICY=PASSIVE": ("torch", {"OMP_WAIT_POLICY": "PASSIVE"}),
    "torch, GOMP_SPINCOUNT=10000": ("torch", {"OMP_WAIT_POLICY": "", "GOMP_SPINCOUNT": "10000"}),
    "ONNX Runtime, no spin": ("onnx", {}),
}


def start_load(kind: str, runtime: str, policy: dict[str, str]) -> list[subprocess.Popen]:
    env = {**os.environ, **policy}
    code, count = {"idle": ("", 0), "embedding": (EMBEDDER, 1), "spinning": (SPINNER, 2)}[kind]
    started = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(REPO), runtime], env=env, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    time.sleep(8 if kind == "embedding" else 1)  # its model loaded, its loop running
    return started


def encoding_ms(runtime: str, policy: dict[str, str], questions: list[str]) -> tuple[float, float]:
    env = {**os.environ, **policy}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO), json.dumps(questions), runtime],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    p50, p95 = json.loads(out.stdout.strip().splitlines()[-1])
    return p50, p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--data", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    with open(args.data, encoding="utf-8") as handle:
        questions = [json.loads(line)["question"] for line in handle][: args.questions]

    print(
        f"Encoding one question, ms (p50 / p95), {len(questions)} questions, "
        f"{os.cpu_count()} cores\n"
    )
    print("| host | " + " | ".join(POLICIES) + " |")
    print("| --- |" + " ---: |" * len(POLICIES))
    labels = {
        "idle": "idle",
        "embedding": "another process embedding documents",
        "spinning": "2 processes spinning in Python",
    }
    for kind, label in labels.items():
        cells = []
        for runtime, policy in POLICIES.values():
            load = start_load(kind, runtime, policy)
            try:
                cells.append(encoding_ms(runtime, policy, questions))
            finally:
                for process in load:
                    process.kill()
                    process.wait()
        print(f"| {label} | " + " | ".join(f"{a:.1f} / {b:.1f}" for a, b in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
