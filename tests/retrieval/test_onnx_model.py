"""The bundled model on ONNX Runtime: torch's vectors, exported once, torch when it cannot."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval import onnx_model
from retrieval.embedder import Embedder, default_cache_dir
from retrieval.onnx_model import OnnxUnavailable, _check_pipeline

REPO = Path(__file__).resolve().parents[2]

TEXTS = [
    "Who attended the summit in London?",
    "how many missiles",
    "Starmer also announced a new £1.6 billion deal with Ukraine, allowing Kyiv to purchase "
    "5,000 air defence missiles.",
    " ".join(["The coalition of the willing met again to discuss the peace plan."] * 40),  # > 256
]


@pytest.fixture(scope="module")
def torch_vectors():
    return Embedder(runtime="torch").encode(TEXTS)


def test_onnx_gives_torchs_vectors_one_by_one_and_in_padded_batches(tmp_path, torch_vectors):
    embedder = Embedder(cache_dir=tmp_path, batch_size=3)
    assert embedder.running_on == "onnx"
    batched = embedder.encode(TEXTS)
    alone = np.stack([embedder.encode_query(text) for text in TEXTS])
    assert np.abs(batched - torch_vectors).max() < 1e-5
    assert np.abs(alone - torch_vectors).max() < 1e-5
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert len(list(tmp_path.glob("*.onnx"))) == 1


def test_the_export_is_made_once_and_reused(tmp_path, monkeypatch, torch_vectors):
    Embedder(cache_dir=tmp_path).warm_up()

    def no_second_export(model, path):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "_export", no_second_export)
    again = Embedder(cache_dir=tmp_path)
    assert again.running_on == "onnx"
    assert np.abs(again.encode(TEXTS) - torch_vectors).max() < 1e-5


def test_a_second_start_runs_the_checked_export_without_loading_torch(tmp_path, torch_vectors):
    Embedder(cache_dir=tmp_path).warm_up()  # exports, checks against torch, records the check
    assert len(list(tmp_path.glob("*.checked.json"))) == 1
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
        "from retrieval.embedder import Embedder; "
        "embedder = Embedder(cache_dir=Path(sys.argv[2])); "
        "vectors = embedder.encode(json.loads(sys.argv[3])); "
        "print(json.dumps([embedder.running_on, 'torch' in sys.modules, vectors.tolist()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO), str(tmp_path), json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        check=True,
    )
    runtime, torch_loaded, vectors = json.loads(out.stdout.strip().splitlines()[-1])
    assert runtime == "onnx" and not torch_loaded
    assert np.abs(np.array(vectors) - torch_vectors).max() < 1e-5


def _other_runtime(text: str) -> str:
    return json.dumps({**json.loads(text), "onnxruntime": "0.0.1"})


@pytest.mark.parametrize("damage", [lambda text: "{", _other_runtime])
def test_a_damaged_or_outdated_record_of_the_check_has_torch_check_again(
    tmp_path, torch_vectors, damage
):
    Embedder(cache_dir=tmp_path).warm_up()
    (record,) = tmp_path.glob("*.checked.json")
    record.write_text(damage(record.read_text()))
    embedder = Embedder(cache_dir=tmp_path)
    assert embedder.running_on == "onnx" and embedder._model is not None  # torch loaded
    assert np.abs(embedder.encode(TEXTS) - torch_vectors).max() < 1e-5
    import onnxruntime

    assert json.loads(record.read_text())["onnxruntime"] == onnxruntime.__version__  # again


def test_a_damaged_cached_export_is_made_again(tmp_path, caplog, torch_vectors):
    Embedder(cache_dir=tmp_path).warm_up()
    (cached,) = tmp_path.glob("*.onnx")
    cached.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING):
        embedder = Embedder(cache_dir=tmp_path)
        assert embedder.running_on == "onnx"
    assert "exporting again" in caplog.text
    assert np.abs(embedder.encode(TEXTS) - torch_vectors).max() < 1e-5


def test_with_no_place_to_write_the_export_it_runs_on_torch_and_says_why(
    tmp_path, caplog, torch_vectors
):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be")
    with caplog.at_level(logging.WARNING):
        embedder = Embedder(cache_dir=blocked)
        assert embedder.running_on == "torch"
    assert "running the embedding model on torch" in caplog.text and "export failed" in caplog.text
    assert np.abs(embedder.encode(TEXTS) - torch_vectors).max() < 1e-6


def test_runtime_torch_exports_nothing(tmp_path):
    embedder = Embedder(cache_dir=tmp_path, runtime="torch")
    assert embedder.running_on == "torch" and not list(tmp_path.iterdir())


def test_only_a_mean_pooled_transformer_is_exported():
    class Module:
        pass

    class Transformer(Module):
        auto_model = object()

    class Pooling(Module):
        def __init__(self, mode):
            self.pooling_mode = mode

    class Normalize(Module):
        pass

    _check_pipeline([Transformer(), Pooling("mean"), Normalize()])
    _check_pipeline([Transformer(), Pooling("mean")])
    with pytest.raises(OnnxUnavailable, match="pools by cls"):
        _check_pipeline([Transformer(), Pooling("cls"), Normalize()])
    with pytest.raises(OnnxUnavailable, match="modules are"):
        _check_pipeline([Transformer(), Pooling("mean"), Module()])
    with pytest.raises(OnnxUnavailable, match="not a sentence-transformers pipeline"):
        _check_pipeline(object())


def test_the_cache_folder_follows_the_environment_and_survives_a_user_without_a_home(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CITEBOT_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CITEBOT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "citebot"
    monkeypatch.delenv("XDG_CACHE_HOME")

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert default_cache_dir().name.startswith("citebot-cache-")
