"""How long a question's encoding takes on a busy host, by OpenMP wait policy.

The model runs on torch's OpenMP threads (two on a 2-core machine). When they spin at each
barrier waiting for one another (libgomp's default) and another process holds a core, a
waiting thread burns its time slice while the one it waits for is not running, and a
question's encoding goes from milliseconds to most of a second. `retrieval/__init__.py` sets
OMP_WAIT_POLICY=PASSIVE (unless the environment sets it): waiting threads sleep instead.

    python benchmarks/busy_host.py [--busy 2] [--questions 50]

prints the encoding time per question (p50 / p95) idle and with `--busy` processes spinning,
for the default policy and for PASSIVE, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO.parent / "shared" / "eval" / "squad-dev" / "questions.jsonl"

# Run in a fresh process: OpenMP reads its wait policy once, when torch loads it.
PROBE = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from retrieval.embedder import Embedder
questions = json.loads(sys.argv[2])
embedder = Embedder(cache_size=0)
embedder.warm_up()
times = []
for question in questions:
    began = time.perf_counter()
    embedder.encode_query(question)
    times.append((time.perf_counter() - began) * 1000)
times.sort()
print(json.dumps([statistics.median(times), times[int(0.95 * (len(times) - 1))]]))
"""


def spin() -> None:
    while True:
        pass


def encoding_ms(policy: str, questions: list[str]) -> tuple[float, float]:
    # "" reaches OpenMP as an unknown value, which it ignores: its default policy.
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO), json.dumps(questions)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    p50, p95 = json.loads(out.stdout.strip().splitlines()[-1])
    return p50, p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2, help="spinning processes")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--data", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    with open(args.data, encoding="utf-8") as handle:
        questions = [json.loads(line)["question"] for line in handle][: args.questions]

    print(
        f"Encoding one question, ms (p50 / p95), {len(questions)} questions, "
        f"{os.cpu_count()} cores\n"
    )
    print("| host | libgomp default | OMP_WAIT_POLICY=PASSIVE |")
    print("| --- | ---: | ---: |")
    for busy in (0, args.busy):
        spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(busy)]
        for process in spinners:
            process.start()
        try:
            cells = [encoding_ms(policy, questions) for policy in ("", "PASSIVE")]
        finally:
            for process in spinners:
                process.terminate()
        label = "idle" if not busy else f"{busy} other processes busy"
        print(f"| {label} | " + " | ".join(f"{a:.1f} / {b:.1f}" for a, b in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
