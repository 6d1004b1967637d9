"""Snapshots on disk: each document's rows, the saved BM25 indexes, damaged and old formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.documents import document_from_bytes
from retrieval.engine import Engine
from retrieval.errors import CorruptIndex
from retrieval.indexer import build_snapshot
from retrieval.settings import ChunkSettings
from retrieval.snapshot import current_snapshot_path, read_snapshot, write_snapshot
from tests.conftest import FakeEmbedder, make_settings


def documents(*texts: str):
    return [
        document_from_bytes(text.encode(), ".md", f"{number}.md", stem=str(number))
        for number, text in enumerate(texts)
    ]


def built(fake_embedder, docs, previous=None):
    return build_snapshot(docs, embedder=fake_embedder, chunking=ChunkSettings(), previous=previous)


def test_each_documents_rows_are_its_own_and_contiguous(fake_embedder):
    snapshot = built(
        fake_embedder,
        documents(
            "# One\n\nAlpha is first. Beta is second.",
            "# Two\n\nGamma is third.\n\nDelta is in another paragraph. Epsilon too.",
            "# Three\n\nZeta is last.",
        ),
    ).snapshot
    for document in snapshot.documents:
        sentences, chunks = snapshot.sentences_of(document.id), snapshot.chunks_of(document.id)
        assert [snapshot.sentences[r].doc_id for r in sentences] == [document.id] * len(sentences)
        assert [snapshot.chunks[r].doc_id for r in chunks] == [document.id] * len(chunks)
        assert len(sentences) == sum(s.doc_id == document.id for s in snapshot.sentences)
    assert [snapshot.sentences[r].text for r in snapshot.sentences_of("1.md")] == [
        "Gamma is third.",
        "Delta is in another paragraph.",
        "Epsilon too.",
    ]


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


def test_a_loaded_snapshot_reads_bm25_and_spellings_as_written(tmp_path, fake_embedder):
    docs = documents(
        "# One\n\nMacron suggested a coalition. Macron spoke.",
        "# Two\n\nThe purchased missiles arrived.",
    )
    snapshot = built(fake_embedder, docs).snapshot
    write_snapshot(tmp_path, snapshot)
    loaded = read_snapshot(snapshot.path)
    assert "sentence_lexical" in vars(loaded) and "chunk_lexical" in vars(loaded)  # not rebuilt
    for attribute in ("sentence_lexical", "chunk_lexical"):
        built_index, read_index = getattr(snapshot, attribute), getattr(loaded, attribute)
        terms = built_index.terms("what did macron purchase")
        assert list(read_index.scores(terms)) == list(built_index.scores(terms))
    typed = "What did Macorn sugest about purhcased?"
    assert loaded.sentence_lexical.respelled(typed) == snapshot.sentence_lexical.respelled(typed)
    assert loaded.sentence_lexical.respelled(typed) == "What did Macron suggested about purchased?"


def test_the_spellings_map_keeps_the_commonest_spelling_first_seen_among_equals():
    from retrieval.lexical import LexicalIndex

    index = LexicalIndex(["Running fast.", "running slow.", "Running again.", "Runs home."])
    assert index.spellings()["run"] == "Running"
    assert LexicalIndex(["Colour red.", "colour blue."]).spellings()["colour"] == "Colour"


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "lexical-sentences" / "vocab.index.json").write_text("{}"),
        lambda folder: (folder / "lexical-chunks" / "data.csc.index.npy").write_bytes(b"garbage"),
        lambda folder: (folder / "lexical-sentences" / "spellings.json").unlink(),
        lambda folder: shutil.rmtree(folder / "lexical-chunks"),
    ],
)
def test_a_damaged_or_missing_bm25_file_is_refused_and_rebuilt(tmp_path, docs, damage):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    damage(current_snapshot_path(tmp_path / "index"))
    with pytest.raises(CorruptIndex, match="fail their checksums: .*lexical-"):
        Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load(rebuild=False)
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load() is not None
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def as_format_2(folder) -> None:
    """Rewrite a snapshot's text tables as formats 1 and 2 wrote them: each text in its row of
    documents.json (no packs), the passages as rows of chunks.json."""
    from retrieval.snapshot import _checksums

    rows = json.loads((folder / "documents.json").read_text())
    for row in rows:
        name, start, end = row.pop("text_at")
        row["text"] = (folder / name).read_bytes()[start:end].decode("utf-8")
    ids = json.loads((folder / "chunk-ids.json").read_text())
    columns = np.load(folder / "chunks.npy").tolist()
    chunks = [
        {"id": i, "doc_id": rows[doc]["id"], "ordinal": o, "paragraph": p, "start": a, "end": b}
        for i, (doc, o, p, a, b) in zip(ids, columns)
    ]
    (folder / "documents.json").write_text(json.dumps(rows))
    (folder / "chunks.json").write_text(json.dumps(chunks))
    for name in ("chunk-ids.json", "chunks.npy", *(p.name for p in folder.glob("texts-*"))):
        (folder / name).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(format=2, files=_checksums(folder))
    (folder / "manifest.json").write_text(json.dumps(manifest))


def as_format_1(folder) -> None:
    """Rewrite a snapshot as format 1 wrote it: vectors in FAISS files, no saved BM25."""
    import faiss

    from retrieval.snapshot import _checksums

    as_format_2(folder)
    for name in ("chunk", "sentence"):
        vectors = np.load(folder / f"{name}-vectors.npy")
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(folder / f"{name}s.faiss"))
        (folder / f"{name}-vectors.npy").unlink()
    for lexical in folder.glob("lexical-*"):
        shutil.rmtree(lexical)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(format=1, files=_checksums(folder))
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_format_1_snapshot_still_loads_and_answers_without_embedding(tmp_path, docs):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    as_format_1(current_snapshot_path(tmp_path / "index"))
    embedder = FakeEmbedder()
    engine = Engine(make_settings(tmp_path, docs), embedder=embedder)
    assert engine.load(rebuild=False) is None and embedder.encoded == []
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    report = engine.refresh()  # the next snapshot is written as format 3, re-using the vectors
    assert report.embedded == 2 and not report.full_rebuild
    assert (current_snapshot_path(tmp_path / "index") / "sentence-vectors.npy").is_file()


def test_past_the_threshold_search_is_approximate_and_finds_what_exact_search_finds(tmp_path):
    from retrieval.nearest import NearestIndex

    rng = np.random.default_rng(0)
    topics = rng.normal(size=(100, 32))  # texts gather around topics, as sentences do
    vectors = topics[rng.integers(0, 100, 5000)] + 0.5 * rng.normal(size=(5000, 32))
    vectors = vectors.astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, approximate = NearestIndex.build(vectors, 10_000), NearestIndex.build(vectors, 1000)
    assert not exact.approximate and approximate.approximate
    queries = vectors[:50] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32)
    _, truth = exact.search(queries, 10)
    assert list(truth[:, 0]) == list(range(50))  # each query's own vector is nearest
    _, found = approximate.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall > 0.9


def test_a_question_near_the_largest_lists_scans_a_bounded_share_and_finds_its_nearest(tmp_path):
    import faiss

    from retrieval.nearest import MAX_SCANNED, NearestIndex

    rng = np.random.default_rng(1)
    topics = rng.normal(size=(100, 32))
    # Half the texts about two topics: the lists nearest them hold about twice the average.
    crowded = _clustered(rng, 4000, topics[:2])
    vectors = np.vstack([crowded, _clustered(rng, 4000, topics)])
    index = NearestIndex.build(vectors, 1000)
    faiss.write_index(index.ivf, str(tmp_path / "ivf"))
    loaded = NearestIndex.read(vectors, tmp_path / "ivf")  # the cap is set again on a load
    even_share = loaded.ivf.nprobe * len(vectors) / loaded.ivf.nlist
    queries = crowded[:20]
    faiss.cvar.indexIVF_stats.reset()
    _, found = loaded.search(queries, 10)
    assert faiss.cvar.indexIVF_stats.ndis <= 20 * MAX_SCANNED * even_share + 20
    _, truth = NearestIndex(vectors).search(queries, 10)
    assert list(found[:, 0]) == list(range(20))  # each query is its own nearest
    assert np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]) > 0.8


def test_an_approximate_snapshot_is_written_and_loaded_with_its_ivf_index(tmp_path, docs):
    engine = Engine(
        make_settings(tmp_path, docs, index={"approximate_above": 1000}), embedder=FakeEmbedder()
    )
    engine.load()
    assert not engine.snapshot.sentence_index.approximate  # 4 sentences: exact
    many = "\n\n".join(f"Fact {n} says item{n} weighs {n} grams." for n in range(1200))
    (docs / "facts.md").write_text(f"# Facts\n\n{many}\n")
    engine.refresh()
    folder = current_snapshot_path(tmp_path / "index")
    assert (folder / "sentences.ivf").is_file() and (folder / "chunks.ivf").is_file()
    loaded = read_snapshot(folder)
    assert loaded.sentence_index.approximate and isinstance(loaded.sentence_vectors, np.memmap)
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def test_the_sentences_of_some_passages_are_the_ones_a_full_scan_finds(fake_embedder):
    paragraphs = "\n\n".join(f"Point {n} is here. It has detail {n}." for n in range(30))
    snapshot = built(fake_embedder, documents(f"# A\n\n{paragraphs}", "# B\n\nOne. Two.")).snapshot
    for chunks in (
        [0],
        [3, 1, 3],
        [len(snapshot.chunks) - 1],
        [],
        list(range(len(snapshot.chunks))),
    ):
        scan = np.flatnonzero(np.isin(snapshot.sentence_chunk, chunks))
        assert list(snapshot.sentences_in_chunks(np.array(chunks, dtype=np.int64))) == list(scan)


def test_a_loaded_snapshot_maps_its_sentence_table_and_reads_the_same_sentences(
    tmp_path, fake_embedder
):
    snapshot = built(
        fake_embedder, documents("# A\n\nOne fact. Two facts.", "# B\n\nThree.")
    ).snapshot
    loaded = read_snapshot(write_snapshot(tmp_path, snapshot))
    assert isinstance(loaded.sentences.rows, np.memmap)  # shared pages, no object per sentence
    assert list(loaded.sentences) == list(snapshot.sentences)
    assert list(loaded.chunks) == list(snapshot.chunks)
    assert list(loaded.sentence_chunk) == list(snapshot.sentence_chunk)


def test_a_sentence_table_pointing_outside_its_documents_is_damage_and_is_rebuilt(tmp_path, docs):
    from retrieval.snapshot import _checksums

    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    folder = current_snapshot_path(tmp_path / "index")
    rows = np.load(folder / "sentences.npy")
    rows[-1, 3] = 10_000  # ends past its document's text; checksums rewritten to match
    np.save(folder / "sentences.npy", rows)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(files=_checksums(folder))
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndex, match="cannot be loaded: a sentence row spans text"):
        Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load(rebuild=False)
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load() is not None
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def _centroids(index) -> np.ndarray:
    import faiss

    quantizer = faiss.downcast_index(index.ivf.quantizer)
    return quantizer.reconstruct_n(0, quantizer.ntotal)


@pytest.mark.parametrize("restart", [False, True], ids=["same process", "loaded from disk"])
def test_a_refresh_re_uses_the_trained_ivf_index_and_still_finds_every_row(tmp_path, docs, restart):
    settings = make_settings(tmp_path, docs, index={"approximate_above": 1000})
    many = "\n\n".join(f"Fact {n} says item{n} weighs {n} grams." for n in range(1200))
    (docs / "facts.md").write_text(f"# Facts\n\n{many}\n")
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.load()
    if restart:
        engine = Engine(settings, embedder=FakeEmbedder())
        assert engine.load() is None and engine.snapshot.sentence_index.source is not None
    trained = _centroids(engine.snapshot.sentence_index)
    # One more sentence in the first document: every fact moves one row down.
    (docs / "cats.md").write_text("# Cats\n\nCats purr when happy. Cats sleep all day. Cats nap.\n")
    report = engine.refresh()
    assert report.changed == ("cats.md",) and report.embedded == 4  # 1 passage, 3 sentences
    snapshot = engine.snapshot
    index = snapshot.sentence_index
    assert index.approximate and index.ivf.ntotal == len(snapshot.sentences)
    assert np.array_equal(_centroids(index), trained)  # not trained again
    rows = np.arange(0, len(snapshot.sentences), 7)
    _, found = index.search(np.asarray(snapshot.sentence_vectors[rows]), 3)
    assert np.mean([row in hits for row, hits in zip(rows, found)]) > 0.95
    assert "Cats nap." in [s.text for s in snapshot.sentences[:3]]
    reloaded = read_snapshot(current_snapshot_path(tmp_path / "index"))
    _, again = reloaded.sentence_index.search(np.asarray(snapshot.sentence_vectors[rows]), 3)
    assert np.array_equal(np.sort(again, axis=1), np.sort(found, axis=1))


def test_after_a_refresh_the_engine_serves_from_the_written_files_and_leaves_no_build(
    tmp_path, docs
):
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()
    folder = current_snapshot_path(tmp_path / "index")
    for vectors in (engine.snapshot.sentence_vectors, engine.snapshot.chunk_vectors):
        assert isinstance(vectors, np.memmap)
        assert Path(vectors.filename).parent.samefile(folder)  # mapped, not held in memory
    assert isinstance(engine.snapshot.sentences.rows, np.memmap)
    assert [p.name for p in (tmp_path / "index").iterdir() if p.name.startswith(".build-")] == []
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."


def test_a_refresh_that_fails_while_embedding_leaves_the_live_snapshot_and_no_build(tmp_path, docs):
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    live = current_snapshot_path(tmp_path / "index")

    def broken(texts, *, progress=None):
        raise RuntimeError("the model fell over")

    working, engine.embedder.encode = engine.embedder.encode, broken
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    with pytest.raises(RuntimeError, match="fell over"):
        engine.refresh()
    engine.embedder.encode = working
    assert current_snapshot_path(tmp_path / "index") == live
    assert [p.name for p in (tmp_path / "index").iterdir() if p.name.startswith(".build-")] == []
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def _rechecksummed(folder) -> None:
    from retrieval.snapshot import _checksums

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(files=_checksums(folder))
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_snapshot_saved_without_token_streams_loads_and_its_refresh_builds_them(tmp_path, docs):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    folder = current_snapshot_path(tmp_path / "index")
    for name in ("terms.npy", "term-starts.npy", "words.npy", "word-starts.npy", "words.json"):
        for lexical in folder.glob("lexical-*"):
            (lexical / name).unlink(missing_ok=True)
    _rechecksummed(folder)  # as the previous version of format 2 wrote it
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load(rebuild=False) is None
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    assert engine.refresh().embedded == 2
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
    written = current_snapshot_path(tmp_path / "index")
    assert (written / "lexical-sentences" / "terms.npy").is_file()
    assert (written / "lexical-sentences" / "words.json").is_file()


def test_token_streams_naming_terms_outside_the_vocabulary_are_not_merged_but_rebuilt(
    tmp_path, docs, caplog
):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    folder = current_snapshot_path(tmp_path / "index")
    terms = np.load(folder / "lexical-sentences" / "terms.npy")
    terms[0] = 10_000
    np.save(folder / "lexical-sentences" / "terms.npy", terms)
    _rechecksummed(folder)  # not damage the checksums see: what a bug could have written
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load(rebuild=False) is None
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()
    assert "building BM25 from the texts" in caplog.text
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
    assert "Cats purr when happy." in engine.ask("what do cats do when happy?").quotes[0].text


def test_refreshed_bm25_scores_are_those_of_a_full_build(tmp_path, docs):
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    (docs / "cats.md").write_text("# Cats\n\nCats purr at dawn. Cats nap.\n")
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn. Dogs hear them.\n")
    engine.refresh()
    fresh = Engine(make_settings(tmp_path / "again", docs), embedder=FakeEmbedder())
    fresh.load()
    for name in ("sentence_lexical", "chunk_lexical"):
        merged, built = getattr(engine.snapshot, name), getattr(fresh.snapshot, name)
        for probe in ("cats dawn", "dogs birds", "strangers walks", "purr"):
            terms = built.terms(probe)
            assert merged.terms(probe) == terms
            assert np.array_equal(merged.scores(terms), built.scores(terms))
    assert (
        engine.snapshot.sentence_lexical.spellings() == fresh.snapshot.sentence_lexical.spellings()
    )


def test_a_relative_index_dir_refreshes_without_writing_over_its_own_mapped_vectors(
    tmp_path, docs, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, docs).replace(index={"dir": Path("index")})
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
    folder = current_snapshot_path(tmp_path / "index")
    for name in ("sentence", "chunk"):
        vectors = np.load(folder / f"{name}-vectors.npy")
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)  # as embedded, none lost
    again = Engine(settings, embedder=FakeEmbedder())
    assert again.load(rebuild=False) is None
    assert again.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."


def _clustered(rng, count: int, topics: np.ndarray) -> np.ndarray:
    vectors = topics[rng.integers(0, len(topics), count)] + 0.3 * rng.normal(size=(count, 32))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("kept", [True, False], ids=["most lists filled", "few lists filled"])
def test_an_ivf_index_written_list_by_list_is_the_file_faiss_writes(tmp_path, kept):
    import faiss

    from retrieval.nearest import NearestIndex

    rng = np.random.default_rng(3)
    topics = rng.normal(size=(100, 32))
    vectors = _clustered(rng, 5000, topics)
    faiss.write_index(NearestIndex.build(vectors, 1000).ivf, str(tmp_path / "old.ivf"))
    live = NearestIndex.read(vectors, tmp_path / "old.ivf")
    if kept:  # every 10th row dropped, 600 new rows at the end
        moves = np.where(np.arange(5000) % 10 == 0, -1, np.cumsum(np.arange(5000) % 10 != 0) - 1)
        fresh = _clustered(rng, 600, topics)
        new = np.vstack([vectors[np.arange(5000) % 10 != 0], fresh])
    else:  # every row replaced by rows about three topics: most lists left empty
        moves = np.full(5000, -1)
        new = _clustered(rng, 3000, topics[:3])
    in_memory = live.updated(new, moves, 1000)
    faiss.write_index(in_memory.ivf, str(tmp_path / "expected.ivf"))
    streamed = live.updated(new, moves, 1000, tmp_path / "streamed.ivf")
    assert (tmp_path / "streamed.ivf").read_bytes() == (tmp_path / "expected.ivf").read_bytes()
    filled = sum(1 for n in range(in_memory.ivf.nlist) if in_memory.ivf.invlists.list_size(n))
    assert (filled > in_memory.ivf.nlist // 2) == kept
    assert streamed.source == tmp_path / "streamed.ivf" and streamed.ivf.ntotal == len(new)
    queries = new[:40]
    assert np.array_equal(streamed.search(queries, 5)[1], in_memory.search(queries, 5)[1])


def _cut_short(path: Path) -> None:
    # A new file renamed over it: truncating a file in place under a process that maps it
    # kills that process (SIGBUS) on its next read of the lost pages.
    (path.parent / "cut").write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    (path.parent / "cut").replace(path)


@pytest.mark.parametrize(
    "damage", [_cut_short, lambda path: path.unlink()], ids=["cut short", "missing"]
)
def test_a_refreshed_ivf_index_is_served_from_its_file_and_rebuilt_when_damaged(
    tmp_path, docs, damage
):
    from retrieval.snapshot import _checksums

    settings = make_settings(tmp_path, docs, index={"approximate_above": 1000})
    many = "\n\n".join(f"Fact {n} says item{n} weighs {n} grams." for n in range(1200))
    (docs / "facts.md").write_text(f"# Facts\n\n{many}\n")
    Engine(settings, embedder=FakeEmbedder()).load()
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()  # the IVF index re-used: written to the new snapshot list by list
    folder = current_snapshot_path(tmp_path / "index")
    index = engine.snapshot.sentence_index
    assert index.source.parent.samefile(folder) and not index.mapped  # read in after the swap
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
    damage(folder / "sentences.ivf")
    with pytest.raises(CorruptIndex, match="sentences.ivf"):
        Engine(settings, embedder=FakeEmbedder()).load(rebuild=False)
    # Damage that the checksums were made to miss is still refused when the index is read.
    if (folder / "sentences.ivf").exists():
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest.update(files=_checksums(folder))
        (folder / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(CorruptIndex, match="cannot be loaded"):
            Engine(settings, embedder=FakeEmbedder()).load(rebuild=False)
    rebuilt = Engine(settings, embedder=FakeEmbedder())
    assert rebuilt.load() is not None
    assert rebuilt.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."


def test_bm25_merged_by_a_refresh_is_saved_once_and_a_damaged_copy_is_rebuilt(tmp_path, docs):
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    engine.refresh()  # merged from the token streams, saved in the new snapshot as merged
    (docs / "owls.md").write_text("# Owls\n\nOwls hunt at night. Owls hoot.\n")
    engine.refresh()  # merged again from what the first merge saved (words included)
    folder = current_snapshot_path(tmp_path / "index")
    assert engine.snapshot.sentence_lexical.source == folder / "lexical-sentences"
    fresh = Engine(make_settings(tmp_path / "again", docs), embedder=FakeEmbedder())
    fresh.load()
    spellings = engine.snapshot.sentence_lexical.spellings()
    assert spellings == fresh.snapshot.sentence_lexical.spellings() and spellings["owl"] == "Owls"
    assert engine.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
    _cut_short(folder / "lexical-sentences" / "terms.npy")  # the engine still maps it
    with pytest.raises(CorruptIndex, match="lexical-sentences/terms.npy"):
        Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load(rebuild=False)
    rebuilt = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert rebuilt.load() is not None
    assert rebuilt.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."


def test_a_refresh_after_another_process_replaced_the_live_snapshot_builds_on_the_new_one(
    tmp_path, docs
):
    settings = make_settings(tmp_path, docs, index={"approximate_above": 1000})
    many = "\n\n".join(f"Fact {n} says item{n} weighs {n} grams." for n in range(1200))
    (docs / "facts.md").write_text(f"# Facts\n\n{many}\n")
    bot = Engine(settings, embedder=FakeEmbedder())
    bot.load()
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    Engine(settings, embedder=FakeEmbedder()).refresh()  # `citebot index`: the bot's files go
    (docs / "owls.md").write_text("# Owls\n\nOwls hunt at night.\n")
    report = bot.refresh()
    assert report.added == ("owls.md",) and report.embedded == 2  # birds.md was indexed there
    assert bot.ask("who hunts at night?").quotes[0].text == "Owls hunt at night."
    assert bot.ask("who sings at dawn?").quotes[0].text == "Birds sing at dawn."
