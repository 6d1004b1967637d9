"""Shared fixtures: a deterministic fake embedder for pure tests, the real model once a session."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedder import Embedder, ModelIdentity
from retrieval.settings import Settings

REPO = Path(__file__).resolve().parent.parent
# The ONNX export of the model goes to a folder of this test run, not the user's cache (a fresh
# machine's first run exports it, as CI's does); set CITEBOT_CACHE_DIR to keep one.
os.environ.setdefault("CITEBOT_CACHE_DIR", tempfile.mkdtemp(prefix="citebot-test-cache-"))
SEEDS = REPO / "seeds"
SEED_ID = "001-coalition-of-the-willing.md"


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get similar unit vectors. No model, no torch."""

    dimension = 64

    def __init__(self, name: str = "fake-words"):
        self.identity = ModelIdentity(name, "fake-digest")
        self.encoded: list[str] = []

    def encode(self, texts, *, progress=None) -> np.ndarray:
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension
                out[row, slot] += 1.0
            out[row] /= np.linalg.norm(out[row]) or 1.0
        if progress:
            progress(len(texts), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def warm_up(self) -> None:
        pass


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2, loaded once for the whole test session."""
    embedder = Embedder()
    embedder.warm_up()
    return embedder


def make_settings(tmp_path: Path, docs: Path, **sections) -> Settings:
    settings = Settings().replace(
        documents={"dir": docs},
        index={"dir": tmp_path / "index", "state_db": tmp_path / "state.sqlite3"},
    )
    return settings.replace(**sections) if sections else settings


@pytest.fixture
def seed_docs(tmp_path: Path) -> Path:
    """A private copy of seeds/, safe to edit."""
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    return docs
