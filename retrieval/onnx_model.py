"""The embedding model run by ONNX Runtime instead of torch.

The sentence-transformers model is exported once to an ONNX file (cached, named after the
model's weights) and run by ONNX Runtime with its threads told not to spin. Its vectors are
sentence-transformers' own to about 1e-7; one question encodes in about 6 ms on 2 cores
against 12 to 20 ms with torch, and stays under 14 ms beside a busy process, where torch's
p50 rose past 50 ms (`benchmarks/busy_host.py`).

The first process checks the export against torch (vectors, and the fast tokenizer's ids
against the model's own) and records the check beside it; later processes then load the file
and the model's `tokenizer.json` without importing torch at all (a start takes about 2 s
instead of 8). Only a model torch runs as "transformer, mean pooling, optional normalisation"
is exported (its vectors are always normalised, as the Embedder asks of torch); anything else,
or any failure, leaves the Embedder on torch (`OnnxUnavailable` says why).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrieval.digests import file_sha256

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_TEXTS = (
    "A check.",
    "  A longer sentence, with spaces around it, to check the export against torch with.  ",
    " ".join(["Every word of a text longer than the model reads is cut at the same token."] * 30),
)
_TOLERANCE = 1e-4  # largest difference allowed from torch's vectors (seen: 1.4e-7)

Tokenize = Callable[[Sequence[str]], dict[str, np.ndarray]]


class OnnxUnavailable(RuntimeError):
    """The model cannot run on ONNX Runtime here; the message says why."""


class OnnxEncoder:
    """Encodes texts to unit-length vectors through ONNX Runtime, as the sentence-transformers
    model it was exported from does."""

    def __init__(self, session, tokenize: Tokenize):
        self._session = session
        self._tokenize = tokenize
        self._inputs = [i.name for i in session.get_inputs()]
        self.dimension = int(session.get_outputs()[0].shape[-1])

    @classmethod
    def cached(cls, cache_dir: Path, key: str, model_dir: Path) -> OnnxEncoder | None:
        """The encoder a previous process exported and checked against torch, loaded without
        torch; None when there is none, or when the export or the model's files changed since
        (the caller then loads the model and calls `for_model`)."""
        path, record = _paths(cache_dir, key)
        try:
            saved = json.loads(record.read_text(encoding="utf-8"))
            if (
                saved["onnx_sha256"] != file_sha256(path)
                or saved["files"] != _model_files(model_dir)
                or saved["onnxruntime"] != _runtime_version()  # checked again after an upgrade
            ):
                return None
            tokenize = _fast_tokenizer(model_dir / "tokenizer.json", saved["tokenizer"])
            return cls(_session(path), tokenize)
        except Exception as error:  # no record, a damaged one, no onnxruntime: the long way
            log.debug("no checked ONNX export to start from (%s)", error)
            return None

    @classmethod
    def for_model(cls, model, cache_dir: Path, key: str, model_dir: Path | None) -> OnnxEncoder:
        """The encoder for the loaded `model`: its ONNX file exported into `cache_dir` unless
        it is there, checked against torch, and the check recorded so that the next process
        need not load torch (when the model's `tokenizer.json` in `model_dir` tokenises as the
        model does). Raises OnnxUnavailable."""
        _check_pipeline(model)
        _onnxruntime()  # before anything is exported for it
        path, record = _paths(cache_dir, key)
        for attempt in ("cached", "exported"):
            if attempt == "exported" or not path.is_file():
                _export(model, path)
            try:
                encoder = cls(_session(path), lambda texts: _features(model, texts))
                encoder._check(model)
                break
            except Exception as error:  # a damaged or stale cached file: export it again
                if attempt == "exported":
                    raise OnnxUnavailable(f"the exported model does not run: {error}") from None
                log.warning(
                    "the cached ONNX model %s is unusable (%s); exporting again", path, error
                )
        fast = _fast_tokenizer_for(model, model_dir)
        if fast is not None:
            encoder._tokenize, settings = fast
            _write_record(record, path, model_dir, settings)
        return encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors of `texts`, one batch."""
        features = self._tokenize(texts)
        hidden = self._session.run(None, {name: features[name] for name in self._inputs})[0]
        mask = features["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def _check(self, model) -> None:
        """Raise unless this encoder gives torch's vectors, padded batch and all."""
        theirs = model.encode(
            list(_CHECK_TEXTS), normalize_embeddings=True, show_progress_bar=False
        )
        ours = self.encode(_CHECK_TEXTS)
        if ours.shape != theirs.shape or float(np.abs(ours - theirs).max()) > _TOLERANCE:
            raise OnnxUnavailable("its vectors differ from torch's")


def _onnxruntime():
    """The onnxruntime module; OnnxUnavailable when it is not installed."""
    try:
        import onnxruntime
    except ImportError as error:
        raise OnnxUnavailable(f"onnxruntime is not installed ({error})") from None
    return onnxruntime


def _session(path: Path):
    onnxruntime = _onnxruntime()
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    # Threads that spin while they wait slow everything else on a busy 2-core host, this
    # process's own next question included.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _check_pipeline(model) -> None:
    """Raise OnnxUnavailable unless `model` is a transformer, then mean pooling, then
    (optionally) normalisation."""
    try:
        kinds = [type(module).__name__ for module in model]
    except TypeError:
        raise OnnxUnavailable("it is not a sentence-transformers pipeline") from None
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise OnnxUnavailable(f"its modules are {' → '.join(kinds)}")
    pooling = getattr(model[1], "pooling_mode", None) or (
        "mean" if getattr(model[1], "pooling_mode_mean_tokens", False) else "other"
    )
    if pooling not in ("mean", "mean_tokens") or not hasattr(model[0], "auto_model"):
        raise OnnxUnavailable(f"it pools by {pooling}, not the mean")


def _features(model, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The model's own tokenisation (truncation, padding) of `texts`, as int64 arrays."""
    prepare = getattr(model, "preprocess", None) or model.tokenize
    return {
        name: value.numpy().astype(np.int64)
        for name, value in prepare(list(texts)).items()
        if name in _INPUTS
    }


def _fast_tokenizer(file: Path, settings: dict) -> Tokenize:
    """The model's tokenizer.json read by the `tokenizers` library (no torch), truncating and
    padding as `settings` (from the model's own tokenizer) say."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.enable_truncation(settings["max_length"])
    tokenizer.enable_padding(pad_id=settings["pad_id"], pad_token=settings["pad_token"])

    def tokenize(texts: Sequence[str]) -> dict[str, np.ndarray]:
        encodings = tokenizer.encode_batch([text.strip() for text in texts])
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    return tokenize


def _fast_tokenizer_for(model, model_dir: Path | None) -> tuple[Tokenize, dict] | None:
    """The fast tokenizer and its settings when it gives the model's own ids for the check
    texts (spaces, padding, truncation); else None (the model's tokenizer stays in use)."""
    file = model_dir / "tokenizer.json" if model_dir else None
    if file is None or not file.is_file():
        return None
    try:
        settings = {
            "max_length": int(model.max_seq_length),
            "pad_id": int(model.tokenizer.pad_token_id),
            "pad_token": str(model.tokenizer.pad_token),
        }
        tokenize = _fast_tokenizer(file, settings)
        theirs, ours = _features(model, _CHECK_TEXTS), tokenize(_CHECK_TEXTS)
        if all(name in ours and np.array_equal(ours[name], theirs[name]) for name in theirs):
            return tokenize, settings
        log.info("%s tokenises differently from the model: torch loads on every start", file)
    except Exception as error:
        log.info("the model's tokenizer.json cannot be used alone (%s)", error)
    return None


def _write_record(record: Path, path: Path, model_dir: Path, settings: dict) -> None:
    """Record that the export at `path` was checked, for these model files (written beside
    it, then renamed: a reader never sees half a record)."""
    partial = record.with_name(f".{record.name}.{uuid.uuid4().hex[:8]}")
    content = {
        "onnx_sha256": file_sha256(path),
        "files": _model_files(model_dir),
        "tokenizer": settings,
        "onnxruntime": _runtime_version(),
    }
    try:
        partial.write_text(json.dumps(content), encoding="utf-8")
        os.replace(partial, record)
    except OSError as error:  # the next start loads torch again: slower, no worse
        log.warning("cannot record the checked ONNX export in %s: %s", record, error)
        with contextlib.suppress(OSError):
            partial.unlink()


def _runtime_version() -> str:
    return _onnxruntime().__version__


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    """The export and the record of its check."""
    folder = cache_dir.expanduser()
    return folder / f"{key}.onnx", folder / f"{key}.checked.json"


def _model_files(model_dir: Path) -> dict[str, str]:
    """sha256 of the model's small files (configuration, tokenizer, vocabulary), by name; its
    weights are in the cache key already."""
    return {
        file.relative_to(model_dir).as_posix(): file_sha256(file)
        for file in sorted(model_dir.rglob("*"))
        if file.is_file() and file.suffix in (".json", ".txt")
    }


def _export(model, path: Path) -> None:
    """Write `model`'s transformer to `path` as ONNX (written beside it, then renamed)."""
    import torch

    log.info("exporting the embedding model to ONNX (once): %s", path)
    sample = _features(model, ["An example sentence."])
    names = [name for name in _INPUTS if name in sample]

    class Forward(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            return self.transformer(**dict(zip(names, inputs))).last_hidden_state

    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about shapes: expected here
            torch.onnx.export(
                Forward(model[0].auto_model).eval(),
                tuple(torch.from_numpy(sample[name]) for name in names),
                str(partial),
                input_names=names,
                output_names=["hidden"],
                dynamic_axes={name: {0: "texts", 1: "tokens"} for name in [*names, "hidden"]},
                opset_version=17,
                dynamo=False,
            )
        os.replace(partial, path)
    except Exception as error:
        with contextlib.suppress(OSError):  # nothing written, or nowhere to write it
            partial.unlink()
        raise OnnxUnavailable(f"the export failed: {error}") from None
