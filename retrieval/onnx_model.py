"""The embedding model run by ONNX Runtime instead of torch.

The sentence-transformers model is exported once to an ONNX file (cached, named after the
model's weights) and run by ONNX Runtime with its threads told not to spin. Its vectors are
sentence-transformers' own to about 1e-7 (checked on every load); one question encodes in
about 7 ms on 2 cores against 17 to 20 ms with torch, and stays near 8 ms beside a busy
process, where torch's p50 rose past 100 ms (`benchmarks/busy_host.py`).

Only a model torch runs as "transformer, mean pooling, optional normalisation" is exported
(its vectors are always normalised, as the Embedder asks of torch);
anything else, or any failure, leaves the Embedder on torch (`OnnxUnavailable` says why).
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_TEXTS = ("A check.", "A longer sentence to check the exported model against torch with.")
_TOLERANCE = 1e-4  # largest difference allowed from torch's vectors (seen: 1.4e-7)


class OnnxUnavailable(RuntimeError):
    """The model cannot run on ONNX Runtime here; the message says why."""


class OnnxEncoder:
    """Encodes texts to unit-length vectors as the sentence-transformers `model` does, through
    ONNX Runtime."""

    def __init__(self, model, session):
        self._model = model
        self._session = session
        self._inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def for_model(cls, model, cache_dir: Path, key: str, threads: int) -> OnnxEncoder:
        """The encoder for `model`, its ONNX file exported into `cache_dir` as `key`.onnx
        unless it is already there; raises OnnxUnavailable."""
        _check_pipeline(model)
        try:
            import onnxruntime
        except ImportError as error:
            raise OnnxUnavailable(f"onnxruntime is not installed ({error})") from None
        path = cache_dir.expanduser() / f"{key}.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that spin while they wait slow everything else on a busy 2-core host, this
        # process's own next question included.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        for attempt in ("cached", "exported"):
            if attempt == "exported" or not path.is_file():
                _export(model, path)
            try:
                session = onnxruntime.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
                encoder = cls(model, session)
                encoder._check()
                return encoder
            except Exception as error:  # a damaged or stale cached file: export it again
                if attempt == "exported":
                    raise OnnxUnavailable(f"the exported model does not run: {error}") from None
                log.warning(
                    "the cached ONNX model %s is unusable (%s); exporting again", path, error
                )
        raise AssertionError("unreachable")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors of `texts`, one batch."""
        features = _features(self._model, texts)
        hidden = self._session.run(None, {name: features[name] for name in self._inputs})[0]
        mask = features["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def _check(self) -> None:
        """Raise unless this encoder gives torch's vectors, padded batch and all."""
        theirs = self._model.encode(
            list(_CHECK_TEXTS), normalize_embeddings=True, show_progress_bar=False
        )
        ours = self.encode(_CHECK_TEXTS)
        if ours.shape != theirs.shape or float(np.abs(ours - theirs).max()) > _TOLERANCE:
            raise OnnxUnavailable("its vectors differ from torch's")


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
