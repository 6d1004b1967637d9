"""The Embedder's own logic (batches, order, progress, the query cache) over a stand-in model;
the real all-MiniLM-L6-v2 is exercised by the integration and e2e tests; the last test checks
how its OpenMP threads wait."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from retrieval.embedder import Embedder

REPO = Path(__file__).resolve().parents[2]


class CountingModel:
    """What the Embedder asks of a SentenceTransformer: vectors whose first value is the
    text's length, so a test can see which text each row came from."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def get_embedding_dimension(self) -> int:
        return 4

    def encode(self, texts, **options):
        assert options["normalize_embeddings"] is True
        self.calls.append(list(texts))
        return np.array([[len(t), 0, 0, 0] for t in texts], dtype=np.float32)


def embedder_with(model: CountingModel, **options) -> Embedder:
    embedder = Embedder(**options)
    embedder._model = model  # no weights loaded: only the Embedder's logic is under test
    return embedder


def test_vectors_come_back_in_the_order_of_the_texts_whatever_the_batching():
    model = CountingModel()
    texts = ["a", "abcdef", "abc", "ab", "abcde"]
    vectors = embedder_with(model, batch_size=2).encode(texts)
    assert vectors[:, 0].tolist() == [len(t) for t in texts]
    assert [len(batch) for batch in model.calls] == [2, 2, 1]
    assert model.calls[0] == ["abcdef", "abcde"]  # longest first: less padding per batch


def test_progress_is_reported_after_every_batch():
    seen = []
    embedder_with(CountingModel(), batch_size=2).encode(
        ["a", "b", "c", "d", "e"], progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_no_texts_give_no_vectors_of_the_model_dimension():
    assert embedder_with(CountingModel()).encode([]).shape == (0, 4)


def test_a_repeated_question_is_not_embedded_again_and_the_cache_is_bounded():
    model = CountingModel()
    embedder = embedder_with(model, cache_size=2)
    first = embedder.encode_query("who won?")
    assert embedder.encode_query("who won?") is first
    assert len(model.calls) == 1
    embedder.encode_query("where?")
    embedder.encode_query("when?")  # evicts the oldest, "who won?"
    embedder.encode_query("who won?")
    assert len(model.calls) == 4


def test_the_model_is_not_loaded_until_first_needed():
    assert not Embedder().is_loaded


def test_the_models_threads_spin_briefly_so_a_busy_host_does_not_stall_questions():
    # With libgomp's default spin (300,000 turns) a question's encoding took up to 490 ms beside
    # another busy process on 2 cores (benchmarks/busy_host.py). Both OpenMP runtimes (torch's
    # and FAISS's) must load with the short spin, as a process that uses the engine starts them.
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import retrieval.engine, torch; torch.ones(2) @ torch.ones(2)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "OMP_DISPLAY_ENV": "VERBOSE"},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    spin_counts = re.findall(r"GOMP_SPINCOUNT = '(\d+)'", run.stderr)
    assert spin_counts == ["10000", "10000"], run.stderr[-2000:]
