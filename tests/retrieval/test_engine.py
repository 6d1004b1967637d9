"""The engine with a fake embedder: index lifecycle, incremental refresh, safety."""

import fcntl
import threading
import time

import pytest

from retrieval import indexer
from retrieval.engine import Engine
from retrieval.errors import (
    CorruptIndex,
    DocumentLimit,
    EmptyCorpus,
    IndexError_,
    IndexMismatch,
    QuestionError,
    RefreshCancelled,
)
from retrieval.snapshot import current_snapshot_path
from tests.conftest import SEED_ID, FakeEmbedder, make_settings


@pytest.fixture
def docs(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.md").write_text("# Cats\n\nCats purr when happy. Cats sleep all day.\n")
    (docs / "dogs.md").write_text("# Dogs\n\nDogs bark at strangers. Dogs love long walks.\n")
    return docs


def engine_for(tmp_path, docs, embedder=None, **sections):
    return Engine(make_settings(tmp_path, docs, **sections), embedder=embedder or FakeEmbedder())


def test_first_load_builds_and_second_load_reuses_without_embedding(tmp_path, docs):
    report = engine_for(tmp_path, docs).load()
    assert report.full_rebuild and set(report.added) == {"cats.md", "dogs.md"}
    embedder = FakeEmbedder()
    assert engine_for(tmp_path, docs, embedder).load() is None
    assert embedder.encoded == []


def test_sentences_are_embedded_under_their_document_title_when_it_has_one(tmp_path, docs):
    (docs / "chat.txt").write_text("hey all\nthe meetup moved to friday\n")
    embedder = FakeEmbedder()
    engine_for(tmp_path, docs, embedder).load()
    assert "Cats\nCats sleep all day." in embedder.encoded
    assert "the meetup moved to friday" in embedder.encoded  # no title: embedded as it is


def test_refresh_embeds_only_changed_and_new_documents(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    (docs / "dogs.md").write_text("# Dogs\n\nDogs bark at the postman.\n")
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    (docs / "cats.md").unlink()
    embedder = FakeEmbedder()
    engine = engine_for(tmp_path, docs, embedder)
    report = engine.refresh()
    assert (report.added, report.changed, report.removed) == (("birds.md",), ("dogs.md",), ("cats.md",))
    assert not report.full_rebuild
    assert not any("Cats" in text for text in embedder.encoded)
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."


def test_a_refresh_with_nothing_changed_embeds_nothing_and_keeps_the_snapshot(tmp_path, docs):
    engine = engine_for(tmp_path, docs)
    engine.load()
    before = current_snapshot_path(tmp_path / "index")
    report = engine.refresh()
    assert report.embedded == 0 and report.unchanged == ("cats.md", "dogs.md")
    assert current_snapshot_path(tmp_path / "index") == before


def test_another_model_forces_a_full_rebuild_said_in_the_report(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    report = engine_for(tmp_path, docs, FakeEmbedder("another-model")).load()
    assert report.full_rebuild and "embedding model changed" in report.reason


def test_changed_chunking_forces_a_full_rebuild(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    report = engine_for(tmp_path, docs, chunking={"max_chars": 300}).load()
    assert report.full_rebuild and "chunking" in report.reason


def test_an_index_embedded_the_old_way_is_rebuilt_said_in_the_report(tmp_path, docs, monkeypatch):
    monkeypatch.setattr(indexer, "EMBEDDING_TEXT_VERSION", 1)
    engine_for(tmp_path, docs).load()
    monkeypatch.undo()
    report = engine_for(tmp_path, docs).load()
    assert report.full_rebuild and "embeds passages and sentences differently" in report.reason


def test_no_rebuild_reports_a_stale_index_clearly(tmp_path, docs):
    with pytest.raises(IndexMismatch, match="no index .* run `citebot index`"):
        engine_for(tmp_path, docs).load(rebuild=False)
    engine_for(tmp_path, docs).load()
    (docs / "cats.md").write_text("# Cats\n\nCats are different now.\n")
    with pytest.raises(IndexMismatch, match="documents changed .*1 changed"):
        engine_for(tmp_path, docs).load(rebuild=False)


def test_a_corrupted_snapshot_is_refused_and_rebuilt(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    snapshot = current_snapshot_path(tmp_path / "index")
    (snapshot / "sentence-vectors.npy").write_bytes(b"garbage")
    with pytest.raises(CorruptIndex, match="fail their checksums: sentence-vectors.npy"):
        engine_for(tmp_path, docs).load(rebuild=False)
    engine = engine_for(tmp_path, docs)
    report = engine.load()
    assert report is not None and report.embedded > 0
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def test_leftovers_of_an_interrupted_build_are_cleaned_at_start(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    leftover = tmp_path / "index" / ".build-deadbeef0000"
    leftover.mkdir()
    (leftover / "chunks.json").write_text("[")
    engine_for(tmp_path, docs).load()
    assert not leftover.exists()


def test_an_empty_documents_dir_does_not_replace_a_good_index(tmp_path, docs):
    engine = engine_for(tmp_path, docs)
    engine.load()
    for path in docs.iterdir():
        path.unlink()
    with pytest.raises(EmptyCorpus, match="refusing to replace an index of 2 documents"):
        engine.refresh()
    assert engine.ask("do dogs bark?").quotes  # the last good index keeps serving
    assert engine.refresh(allow_empty=True).documents == ()


def test_unreadable_documents_are_skipped_and_reported(tmp_path, docs):
    (docs / "broken.txt").write_bytes(b"\xff\xfe\xfa not utf-8")
    report = engine_for(tmp_path, docs).load()
    assert set(report.documents) == {"cats.md", "dogs.md"}
    assert report.skipped and report.skipped[0].startswith("broken.txt: not UTF-8")


def test_questions_are_validated_with_friendly_messages(tmp_path, docs):
    engine = engine_for(tmp_path, docs)
    engine.load()
    with pytest.raises(QuestionError, match="empty"):
        engine.ask("   \n ")
    # Zero-width space and joiner, word joiner, a right-to-left override, a Hangul filler.
    with pytest.raises(QuestionError, match="empty"):
        engine.ask("\u200b \u200d\u2060\u202e\u3164")
    assert engine.ask("\u200bdo dogs bark?").quotes  # one visible word is a question
    with pytest.raises(QuestionError, match="1,001 characters long; the limit is 1,000"):
        engine.ask("x" * 1001)


def test_single_flight_a_second_refresh_shares_the_running_one(tmp_path, docs):
    class SlowEmbedder(FakeEmbedder):
        def encode(self, texts, *, progress=None):
            time.sleep(0.3)
            return super().encode(texts, progress=progress)

    embedder = SlowEmbedder()
    engine = engine_for(tmp_path, docs, embedder)
    results = {}

    def refresh(who):
        results[who] = engine.refresh(requested_by=who)

    first = threading.Thread(target=refresh, args=("alice",))
    first.start()
    time.sleep(0.1)
    assert engine.running_refresh()[0] == "alice"
    refresh("bob")
    first.join()
    assert results["bob"] is results["alice"]
    assert results["bob"].requested_by == "alice"
    assert engine.running_refresh() is None


def test_questions_are_answered_from_the_old_snapshot_during_a_refresh(tmp_path, docs):
    gate = threading.Event()

    class GatedEmbedder(FakeEmbedder):
        def encode(self, texts, *, progress=None):
            if any("Birds" in t for t in texts):
                gate.wait(5)
            return super().encode(texts, progress=progress)

    engine = engine_for(tmp_path, docs, GatedEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    worker = threading.Thread(target=engine.refresh)
    worker.start()
    time.sleep(0.1)
    assert engine.ask("do dogs bark?").quotes[0].document == "dogs.md"
    gate.set()
    worker.join()
    assert engine.ask("who sings at dawn?").quotes[0].document == "birds.md"


def test_documents_lists_what_is_indexed(tmp_path, seed_docs):
    engine = engine_for(tmp_path, seed_docs)
    engine.load()
    (info,) = engine.documents()
    assert info.id == SEED_ID and info.passages == 7 and info.indexed_at
    assert info.source_url.startswith("https://www.aljazeera.com/")


def test_an_index_dir_that_cannot_be_created_is_a_clear_error(tmp_path, docs):
    (tmp_path / "file").write_text("not a directory")
    engine = Engine(
        make_settings(tmp_path, docs).replace(index={"dir": tmp_path / "file" / "index"}),
        embedder=FakeEmbedder(),
    )
    with pytest.raises(IndexError_, match="cannot use the index dir .*file/index"):
        engine.load()


def test_a_failed_write_keeps_the_live_snapshot_serving(tmp_path, docs, monkeypatch):
    engine = engine_for(tmp_path, docs)
    engine.load()
    live = current_snapshot_path(tmp_path / "index")
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("retrieval.snapshot.np.save", disk_full)
    with pytest.raises(IndexError_, match="cannot write the new index .*No space left"):
        engine.refresh()
    assert current_snapshot_path(tmp_path / "index") == live
    assert not [p for p in (tmp_path / "index").iterdir() if p.name.startswith(".build-")]
    assert engine.ask("do dogs bark?").quotes[0].document == "dogs.md"


def test_a_refresh_also_cleans_up_an_interrupted_build(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    leftover = tmp_path / "index" / ".build-0123456789ab"
    leftover.mkdir()
    report = engine_for(tmp_path, docs).refresh()  # as `citebot index` runs it: no load() first
    assert report.embedded == 0 and not leftover.exists()


def test_a_document_over_the_texts_limit_is_left_out_before_embedding(tmp_path, docs):
    engine_for(tmp_path, docs).load()
    (docs / "dogs.md").write_text("# Dogs\n\n" + "Dogs bark. " * 30 + "\n")
    embedder = FakeEmbedder()
    engine = engine_for(tmp_path, docs, embedder, documents={"max_texts_per_document": 10})
    report = engine.refresh()
    assert report.documents == ("cats.md",) and report.removed == ("dogs.md",)
    assert report.skipped == ((
        "dogs.md: it makes 31 passages and sentences to embed, over "
        "documents.max_texts_per_document = 10"
    ),)
    assert not any("Dogs bark" in text for text in embedder.encoded)
    assert engine.ask("do cats purr?").quotes[0].document == "cats.md"


def test_more_documents_than_the_limit_keeps_the_live_index(tmp_path, docs):
    engine = engine_for(tmp_path, docs, documents={"max_documents": 2})
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    with pytest.raises(DocumentLimit, match="holds 3 documents, more than documents.max_documents = 2"):
        engine.refresh()
    assert engine.ask("do dogs bark?").quotes[0].document == "dogs.md"


def test_a_cancelled_refresh_stops_between_batches_and_keeps_the_live_snapshot(tmp_path, docs):
    engine = engine_for(tmp_path, docs)
    engine.load()
    live = current_snapshot_path(tmp_path / "index")
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    batches = []

    def stop_after_first_batch(done, total):
        batches.append(done)
        engine.cancel_refreshes()  # what SIGTERM does, from the progress of the first batch

    with pytest.raises(RefreshCancelled, match="Citebot is stopping"):
        engine.refresh(progress=stop_after_first_batch)
    assert len(batches) == 1
    assert current_snapshot_path(tmp_path / "index") == live
    assert engine.ask("do dogs bark?").quotes[0].document == "dogs.md"
    with pytest.raises(RefreshCancelled):  # a stopping engine starts no other refresh
        engine.refresh()


def test_a_refresh_waiting_for_another_process_lock_is_cancelled_too(tmp_path, docs):
    engine = engine_for(tmp_path, docs)
    engine.load()
    with open(tmp_path / "index" / ".lock", "a") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)  # a `citebot index` running elsewhere
        worker = threading.Thread(target=lambda: pytest.raises(RefreshCancelled, engine.refresh))
        worker.start()
        engine.cancel_refreshes()
        worker.join(5)
        assert not worker.is_alive()
