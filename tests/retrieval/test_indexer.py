"""build_snapshot with the fake embedder: what is embedded, what is re-used, what is left out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retrieval.clock import Clock
from retrieval.documents import Skipped, document_from_bytes
from retrieval.indexer import build_snapshot, settings_fingerprint
from retrieval.settings import ChunkSettings
from tests.conftest import FakeEmbedder

CHUNKING = ChunkSettings()


def document(doc_id: str, text: str):
    return document_from_bytes(text.encode(), ".md", doc_id, stem=doc_id.removesuffix(".md"))


CATS = document("cats.md", "# Cats\n\nCats purr when happy. Cats sleep all day.\n")
DOGS = document("dogs.md", "# Dogs\n\nDogs bark at the postman.\n")


def build(documents, previous=None, embedder=None, **options):
    return build_snapshot(
        documents,
        embedder=embedder or FakeEmbedder(),
        chunking=CHUNKING,
        previous=previous,
        **options,
    )


def test_a_first_build_embeds_every_passage_and_sentence():
    embedder = FakeEmbedder()
    result = build([CATS, DOGS], embedder=embedder)
    assert result.full_rebuild and result.reason == "no index yet"
    assert result.added == ("cats.md", "dogs.md")
    snapshot = result.snapshot
    assert (
        result.embedded == len(snapshot.chunks) + len(snapshot.sentences) == len(embedder.encoded)
    )
    assert [d.id for d in snapshot.documents] == ["cats.md", "dogs.md"]


def test_a_rebuild_embeds_only_the_changed_document():
    first = build([CATS, DOGS]).snapshot
    birds = document("dogs.md", "# Dogs\n\nDogs bark at the postman. They also dig.\n")
    embedder = FakeEmbedder()
    result = build([CATS, birds], previous=first, embedder=embedder)
    assert not result.full_rebuild
    assert (result.changed, result.unchanged) == (("dogs.md",), ("cats.md",))
    assert all("Cats" not in text for text in embedder.encoded)
    assert result.embedded == len(embedder.encoded) > 0


def test_another_model_forces_a_full_rebuild_and_says_why():
    first = build([CATS]).snapshot
    result = build([CATS], previous=first, embedder=FakeEmbedder("another-model"))
    assert result.full_rebuild and "model" in result.reason


def test_a_document_with_too_many_texts_is_left_out_before_embedding():
    long = document("long.md", "# Long\n\n" + " ".join(f"Sentence {i} is here." for i in range(50)))
    embedder = FakeEmbedder()
    result = build([CATS, long], embedder=embedder, max_texts_per_document=10)
    assert [d.id for d in result.snapshot.documents] == ["cats.md"]
    assert [s.path for s in result.skipped] == ["long.md"]
    assert all("Sentence 7" not in text for text in embedder.encoded)


def test_the_build_is_dated_by_the_clock():
    clock = Clock(wall=lambda: datetime(2026, 3, 4, 10, 20, 30, tzinfo=UTC))
    snapshot = build([CATS], clock=clock).snapshot
    assert snapshot.manifest["built_at"] == "2026-03-04T10:20:30+00:00"


def test_a_build_result_becomes_the_report_users_see():
    result = build([CATS, DOGS])
    report = result.report(
        chunks=len(result.snapshot.chunks),
        unread=[Skipped("broken.pdf", "no text layer")],
        seconds=1.5,
        requested_by="cli",
        started_at="2026-03-04T10:20:30+00:00",
    )
    assert report.documents == ("cats.md", "dogs.md")
    assert report.added == ("cats.md", "dogs.md") and report.full_rebuild
    assert report.skipped == ("broken.pdf: no text layer",)
    assert report.embedded == result.embedded and report.chunks == len(result.snapshot.chunks)
    assert report.as_json()["started_at"] == "2026-03-04T10:20:30+00:00"


@pytest.mark.parametrize("field", ["max_chars", "overlap_sentences"])
def test_the_fingerprint_changes_with_the_chunking(field):
    embedder = FakeEmbedder()
    other = ChunkSettings(**{field: getattr(CHUNKING, field) + 1})
    assert settings_fingerprint(embedder, other) != settings_fingerprint(embedder, CHUNKING)
