"""Snapshot tables: each document's rows, found without scanning per document."""

from __future__ import annotations

from retrieval.documents import document_from_bytes
from retrieval.indexer import build_snapshot
from retrieval.settings import ChunkSettings
from retrieval.snapshot import read_snapshot, write_snapshot


def documents(*texts: str):
    return [
        document_from_bytes(text.encode(), ".md", f"{number}.md", stem=str(number))
        for number, text in enumerate(texts)
    ]


def built(fake_embedder, docs, previous=None):
    return build_snapshot(docs, embedder=fake_embedder, chunking=ChunkSettings(), previous=previous)


def test_each_documents_rows_are_its_own_and_contiguous(fake_embedder):
    snapshot = built(fake_embedder, documents(
        "# One\n\nAlpha is first. Beta is second.",
        "# Two\n\nGamma is third.\n\nDelta is in another paragraph. Epsilon too.",
        "# Three\n\nZeta is last.",
    )).snapshot
    for document in snapshot.documents:
        sentences, chunks = snapshot.sentences_of(document.id), snapshot.chunks_of(document.id)
        assert [snapshot.sentences[r].doc_id for r in sentences] == [document.id] * len(sentences)
        assert [snapshot.chunks[r].doc_id for r in chunks] == [document.id] * len(chunks)
        assert len(sentences) == sum(s.doc_id == document.id for s in snapshot.sentences)
    assert [snapshot.sentences[r].text for r in snapshot.sentences_of("1.md")] == [
        "Gamma is third.", "Delta is in another paragraph.", "Epsilon too."]


def test_a_rebuild_with_nothing_changed_returns_the_snapshot_on_disk_and_embeds_nothing(
    tmp_path, fake_embedder
):
    docs = documents("# One\n\nAlpha is first.", "# Two\n\nBeta is second.")
    first = built(fake_embedder, docs).snapshot
    write_snapshot(tmp_path, first)
    on_disk = read_snapshot(first.path)
    fake_embedder.encoded.clear()
    again = built(fake_embedder, docs, previous=on_disk)
    assert again.snapshot is on_disk and again.embedded == 0 and not fake_embedder.encoded
    assert again.unchanged == ("0.md", "1.md")
