"""The engine with a fake embedder: index lifecycle, incremental refresh, safety."""

import logging
import os
import threading
import time
from datetime import UTC, datetime

import pytest

from retrieval import documents, indexer
from retrieval.clock import Clock
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
from retrieval.file_lock import exclusive
from retrieval.snapshot import current_snapshot_path
from tests.conftest import SEED_ID, FakeEmbedder, make_settings


def wait_until(condition, timeout=30.0):
    """Poll `condition` (observable state another thread changes) until true or `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


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
    assert (report.added, report.changed, report.removed) == (
        ("birds.md",),
        ("dogs.md",),
        ("cats.md",),
    )
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


def test_a_refresh_reads_no_file_whose_size_and_time_are_as_indexed(tmp_path, docs, monkeypatch):
    engine = engine_for(tmp_path, docs)
    engine.load()
    read = []
    original = documents.read_document
    monkeypatch.setattr(
        documents,
        "read_document",
        lambda path, doc_id: read.append(doc_id) or original(path, doc_id),
    )
    assert engine.refresh().unchanged == ("cats.md", "dogs.md") and read == []

    # Touched (a checkout, a copy): read again, found unchanged, and its new time recorded.
    stat = (docs / "cats.md").stat()
    os.utime(docs / "cats.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    report = engine.refresh()
    assert report.unchanged == ("cats.md", "dogs.md") and report.embedded == 0
    assert read == ["cats.md"]  # the untouched file is not read even though another was
    read.clear()
    assert engine.refresh().embedded == 0 and read == []

    # The same size with other words is still a change: the time moved.
    (docs / "dogs.md").write_text("# Dogs\n\nDogs bark at strangers. Dogs love long naps.\n")
    report = engine.refresh()
    assert report.changed == ("dogs.md",) and report.embedded > 0
    assert "long naps" in engine.ask("What do dogs love?").quotes[0].text


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
    (docs / "broken.txt").write_bytes(b"not text\x00\x01\x02")
    report = engine_for(tmp_path, docs).load()
    assert set(report.documents) == {"cats.md", "dogs.md"}
    assert report.skipped and report.skipped[0].startswith("broken.txt: binary data")


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


def test_single_flight_a_second_refresh_shares_the_running_one(tmp_path, docs, caplog):
    embedding, release = threading.Event(), threading.Event()

    class HeldEmbedder(FakeEmbedder):
        def encode(self, texts, *, progress=None):
            embedding.set()
            assert release.wait(30)
            return super().encode(texts, progress=progress)

    engine = engine_for(tmp_path, docs, HeldEmbedder())
    results = {}

    def refresh(who):
        results[who] = engine.refresh(requested_by=who)

    first = threading.Thread(target=refresh, args=("alice",))
    first.start()
    assert embedding.wait(30)
    assert engine.running_refresh()[0] == "alice"
    second = threading.Thread(target=refresh, args=("bob",))
    with caplog.at_level(logging.INFO, logger="retrieval.engine"):
        second.start()
        wait_until(lambda: "asked by bob joins the one alice started" in caplog.text)
    release.set()
    first.join(30)
    second.join(30)
    assert results["bob"] is results["alice"]
    assert results["bob"].requested_by == "alice"
    assert engine.running_refresh() is None


def test_questions_are_answered_from_the_old_snapshot_during_a_refresh(tmp_path, docs):
    embedding_birds, gate = threading.Event(), threading.Event()

    class GatedEmbedder(FakeEmbedder):
        def encode(self, texts, *, progress=None):
            if any("Birds" in t for t in texts):
                embedding_birds.set()
                assert gate.wait(30)
            return super().encode(texts, progress=progress)

    engine = engine_for(tmp_path, docs, GatedEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    worker = threading.Thread(target=engine.refresh)
    worker.start()
    assert embedding_birds.wait(30)  # the refresh is under way
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
    assert report.skipped == (
        (
            "dogs.md: it makes 31 passages and sentences to embed, over "
            "documents.max_texts_per_document = 10"
        ),
    )
    assert not any("Dogs bark" in text for text in embedder.encoded)
    assert engine.ask("do cats purr?").quotes[0].document == "cats.md"


def test_more_documents_than_the_limit_keeps_the_live_index(tmp_path, docs):
    engine = engine_for(tmp_path, docs, documents={"max_documents": 2})
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    with pytest.raises(
        DocumentLimit, match="holds 3 documents, more than documents.max_documents = 2"
    ):
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
    with exclusive(tmp_path / "index" / ".lock"):  # a `citebot index` running elsewhere
        worker = threading.Thread(target=lambda: pytest.raises(RefreshCancelled, engine.refresh))
        worker.start()
        engine.cancel_refreshes()
        worker.join(5)
        assert not worker.is_alive()


def test_the_engine_dates_its_refreshes_and_index_by_the_clock_it_is_given(tmp_path, docs):
    clock = Clock(wall=lambda: datetime(2026, 3, 4, 10, 20, 30, tzinfo=UTC))
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder(), clock=clock)
    report = engine.load()
    assert report.started_at == "2026-03-04T10:20:30+00:00"
    assert engine.stats().built_at == "2026-03-04T10:20:30+00:00"
    assert {d.indexed_at for d in engine.documents()} == {"2026-03-04T10:20:30+00:00"}


def test_the_documents_list_is_made_once_per_snapshot_and_anew_after_a_refresh(
    tmp_path, docs, monkeypatch
):
    engine = engine_for(tmp_path, docs)
    engine.load()
    listed = engine.documents()
    assert [d.id for d in listed] == ["cats.md", "dogs.md"]

    def counted_again(doc_id):
        raise AssertionError("documents() listed the same snapshot again")

    monkeypatch.setattr(engine.snapshot, "chunks_of", counted_again)
    assert engine.documents() == listed  # served from the cache: no passage counting
    listed.clear()  # a caller changing its copy changes nothing for the next one
    assert len(engine.documents()) == 2
    monkeypatch.undo()  # the refresh re-uses the old snapshot's passages
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()
    assert [d.id for d in engine.documents()] == ["birds.md", "cats.md", "dogs.md"]


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_windows_line_ends_give_the_same_paragraphs_and_citations_as_unix_ones(tmp_path, line_end):
    text = (
        "# Harbour\n\nThe harbour opens at dawn.\nBoats leave at six.\n\n"
        "The lighthouse keeper has a cat.\nIt sleeps by the fog horn.\n"
    )
    answers = {}
    for name, ends in (("unix", "\n"), ("windows", line_end)):
        docs = tmp_path / name / "docs"
        docs.mkdir(parents=True)
        (docs / "harbour.md").write_bytes(text.replace("\n", ends).encode())
        engine = engine_for(tmp_path / name, docs)
        engine.load()
        answers[name] = engine.ask("Where does the lighthouse keeper's cat sleep?")
        assert engine.stats().chunks == 2  # two paragraphs, not one per line
    unix, windows = answers["unix"].quotes[0], answers["windows"].quotes[0]
    assert windows.paragraph == unix.paragraph == 2
    assert windows.text == unix.text and "\r" not in windows.text
