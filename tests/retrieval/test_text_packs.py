"""Document texts on disk: in packs a refresh links rather than writes again."""

from __future__ import annotations

import json

import pytest

from retrieval.engine import Engine
from retrieval.errors import CorruptIndex
from retrieval.snapshot import TEXT_PACKS, current_snapshot_path, read_manifest, read_snapshot
from tests.conftest import FakeEmbedder, make_settings
from tests.retrieval.test_snapshot import as_format_2


def packs(tmp_path) -> dict[str, bytes]:
    folder = current_snapshot_path(tmp_path / "index")
    return {pack.name: pack.read_bytes() for pack in sorted(folder.glob("texts-*.txt"))}


def first_quote(engine: Engine, question: str) -> str:
    return engine.ask(question).quotes[0].text


def test_a_refresh_writes_only_the_changed_documents_text_and_links_the_rest(tmp_path, docs):
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn. Birds fly south in winter.\n")
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    (before,) = packs(tmp_path)
    old_pack = current_snapshot_path(tmp_path / "index") / before
    inode = old_pack.stat().st_ino
    (docs / "dogs.md").write_text("# Dogs\n\nDogs fetch sticks in the park.\n")
    engine.refresh()
    after = packs(tmp_path)
    new = current_snapshot_path(tmp_path / "index")
    assert (new / before).stat().st_ino == inode  # linked, not written again
    (written,) = [data for name, data in after.items() if name != before]
    assert written == b"# Dogs\n\nDogs fetch sticks in the park.\n"
    assert "Dogs fetch sticks in the park." in first_quote(engine, "where do dogs fetch sticks?")
    assert "Cats purr when happy." in first_quote(engine, "when do cats purr?")
    restarted = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert restarted.load(rebuild=False) is None
    assert "Dogs fetch sticks in the park." in first_quote(restarted, "where do dogs fetch sticks?")
    assert "Cats purr when happy." in first_quote(restarted, "when do cats purr?")


def test_packs_stay_few_and_mostly_in_use_over_many_refreshes(tmp_path, docs):
    notes = 2 * TEXT_PACKS  # each edit's text in a pack of its own: more than the cap
    for number in range(notes):
        (docs / f"note{number}.md").write_text(f"# Note {number}\n\nNote {number} is kept.\n")
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    most = 0
    for edit in range(3 * notes):
        (docs / f"note{edit % notes}.md").write_text(
            f"# Note {edit % notes}\n\nNote {edit % notes} was edited {edit} times.\n"
        )
        engine.refresh()
        in_use = sum(len(d.text.encode()) for d in engine.snapshot.documents)
        held = packs(tmp_path)
        most = max(most, len(held))
        assert sum(len(data) for data in held.values()) <= 2 * in_use
    assert most == TEXT_PACKS
    last = f"Note {notes - 1} was edited {3 * notes - 1} times."
    assert last in first_quote(engine, f"how many times was note {notes - 1} edited?")


def test_an_index_with_its_texts_in_documents_json_loads_and_its_refresh_writes_packs(
    tmp_path, docs
):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    as_format_2(current_snapshot_path(tmp_path / "index"))
    embedder = FakeEmbedder()
    engine = Engine(make_settings(tmp_path, docs), embedder=embedder)
    assert engine.load(rebuild=False) is None and embedder.encoded == []
    assert "Cats purr when happy." in first_quote(engine, "when do cats purr?")
    (docs / "birds.md").write_text("# Birds\n\nBirds sing at dawn.\n")
    report = engine.refresh()
    assert report.embedded == 2 and not report.full_rebuild  # the vectors were re-used
    assert read_manifest(current_snapshot_path(tmp_path / "index"))["format"] == 3
    assert len(packs(tmp_path)) == 1  # no pack to link: every text written once
    assert "Birds sing at dawn." in first_quote(engine, "when do birds sing?")


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: next(folder.glob("texts-*.txt")).write_bytes(b"# Cats\n\nCats bark."),
        lambda folder: next(folder.glob("texts-*.txt")).unlink(),
        lambda folder: (folder / "chunks.npy").write_bytes(b"garbage"),
    ],
)
def test_a_damaged_or_missing_text_pack_is_refused_and_the_index_rebuilt(tmp_path, docs, damage):
    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    folder = current_snapshot_path(tmp_path / "index")
    damage(folder)
    with pytest.raises(CorruptIndex, match="fail their checksums"):
        read_snapshot(folder)
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load() is not None  # the reason it rebuilt
    assert "Cats purr when happy." in first_quote(engine, "when do cats purr?")


def test_a_row_pointing_outside_its_pack_is_refused(tmp_path, docs):
    from retrieval.snapshot import _checksums

    Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load()
    folder = current_snapshot_path(tmp_path / "index")
    rows = json.loads((folder / "documents.json").read_text())
    rows[0]["text_at"][2] += 1000
    (folder / "documents.json").write_text(json.dumps(rows))
    manifest = read_manifest(folder)
    manifest["files"] = _checksums(folder)  # checksums that agree: the rows themselves are wrong
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndex, match="is not where its row says"):
        read_snapshot(folder)
