"""Snapshots on disk through their public functions: round trip, damage refused, the pointer."""

from __future__ import annotations

import pytest

from retrieval.documents import document_from_bytes
from retrieval.errors import CorruptIndex
from retrieval.indexer import build_snapshot
from retrieval.settings import ChunkSettings
from retrieval.snapshot import current_snapshot_path, read_snapshot, remove_stale, write_snapshot
from tests.conftest import FakeEmbedder


@pytest.fixture
def built():
    documents = [
        document_from_bytes(
            b"# Cats\n\nCats purr. Cats sleep all day.\n", ".md", "cats.md", stem="cats"
        ),
        document_from_bytes(
            b"# Dogs\n\nDogs bark at the postman.\n", ".md", "dogs.md", stem="dogs"
        ),
    ]
    return build_snapshot(
        documents, embedder=FakeEmbedder(), chunking=ChunkSettings(), previous=None
    ).snapshot


def test_a_written_snapshot_reads_back_the_same_and_becomes_current(tmp_path, built):
    assert current_snapshot_path(tmp_path) is None
    path = write_snapshot(tmp_path, built)
    assert current_snapshot_path(tmp_path) == path
    again = read_snapshot(path)
    assert [d.id for d in again.documents] == ["cats.md", "dogs.md"]
    assert [c.text for c in again.chunks] == [c.text for c in built.chunks]
    assert [s.text for s in again.sentences] == [s.text for s in built.sentences]
    assert again.document("dogs.md").text == built.document("dogs.md").text


def test_a_damaged_file_is_refused(tmp_path, built):
    path = write_snapshot(tmp_path, built)
    victim = max(
        (p for p in path.iterdir() if p.is_file() and p.name != "manifest.json"),
        key=lambda p: p.stat().st_size,
    )
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")
    with pytest.raises(CorruptIndex):
        read_snapshot(path)


def test_a_newer_snapshot_replaces_the_pointer_and_stale_ones_are_removed(tmp_path, built):
    old = write_snapshot(tmp_path, built)
    new = write_snapshot(tmp_path, built)
    assert new != old and current_snapshot_path(tmp_path) == new
    remove_stale(tmp_path, keep=new.name)
    assert not old.exists() and new.exists()
