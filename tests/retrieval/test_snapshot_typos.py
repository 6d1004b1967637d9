"""The typo map a snapshot saves: loaded, not built; linked by a refresh that keeps the
vocabulary; built for a snapshot saved without one; refused when damaged."""

from __future__ import annotations

import os

import numpy as np
import pytest

from retrieval.engine import Engine
from retrieval.errors import CorruptIndex
from retrieval.snapshot import current_snapshot_path
from retrieval.typos import FILES, TypoMap
from tests.conftest import FakeEmbedder, make_settings
from tests.retrieval.test_snapshot import _cut_short, _rechecksummed

TYPED, MEANT = "Do dogs bark at strangrs?", "Do dogs bark at strangers?"


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """How many typo maps are built from here on (each one's vocabulary size)."""
    built: list[int] = []
    build = TypoMap.build.__func__

    def counted(cls, vocabulary):
        built.append(len(vocabulary))
        return build(cls, vocabulary)

    monkeypatch.setattr(TypoMap, "build", classmethod(counted))
    return built


def started(tmp_path, docs) -> Engine:
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    return engine


def typo_folder(tmp_path):
    return current_snapshot_path(tmp_path / "index") / "lexical-sentences"


def serves_typos_from_its_files(engine: Engine, typed: str = TYPED, meant: str = MEANT) -> bool:
    lexical = engine.snapshot.sentence_lexical
    hashes = lexical._typos.hashes
    return (
        lexical.respelled(typed) == meant
        and isinstance(hashes, np.memmap)
        and os.path.samefile(hashes.filename, lexical.source / FILES[0])
    )


def test_a_built_and_a_refreshed_snapshot_load_their_typo_maps_without_building_them(
    tmp_path, docs, builds
):
    engine = started(tmp_path, docs)  # a full build: the map is built once, to be saved
    assert len(builds) == 1 and serves_typos_from_its_files(engine)
    assert serves_typos_from_its_files(started(tmp_path, docs)) and len(builds) == 1
    (docs / "owls.md").write_text("# Owls\n\nOwls hunt at night. Owls hoot.\n")
    engine.refresh()  # new words: the merged vocabulary's map is built and saved
    assert len(builds) == 2
    owls = ("Do owls hunt at nigth?", "Do owls hunt at night?")
    assert serves_typos_from_its_files(engine, *owls) and serves_typos_from_its_files(engine)
    again = started(tmp_path, docs)
    assert serves_typos_from_its_files(again, *owls) and len(builds) == 2


def test_a_refresh_that_keeps_the_vocabulary_links_the_previous_typo_map(tmp_path, docs, builds):
    engine = started(tmp_path, docs)
    before = os.stat(typo_folder(tmp_path) / FILES[0])
    (docs / "cats.md").write_text(
        "# Cats\n\nCats purr when happy. Cats sleep all day. Cats purr.\n"
    )
    engine.refresh()
    after = typo_folder(tmp_path)
    assert os.stat(after / FILES[0]).st_ino == before.st_ino and len(builds) == 1
    assert serves_typos_from_its_files(engine)


def test_a_snapshot_saved_before_typo_maps_were_loads_and_builds_its_map(tmp_path, docs, builds):
    started(tmp_path, docs)
    folder = typo_folder(tmp_path)
    for name in FILES:
        (folder / name).unlink()
    _rechecksummed(folder.parent)  # as such a snapshot's manifest lists its files
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert engine.load(rebuild=False) is None  # loaded as it is, not rebuilt
    assert len(builds) == 2 and engine.snapshot.sentence_lexical.respelled(TYPED) == MEANT
    (docs / "owls.md").write_text("# Owls\n\nOwls hunt at night.\n")
    engine.refresh()  # the next snapshot saves its map
    assert serves_typos_from_its_files(engine)


def _garbage(path) -> None:
    # Renamed over it, as `_cut_short` does: written in place, the serving process's map of
    # the file would read the garbage too.
    (path.parent / "garbage").write_bytes(b"garbage")
    (path.parent / "garbage").replace(path)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize(
    "damage",
    [_cut_short, lambda path: path.unlink(), _garbage],
    ids=["cut short", "missing", "garbage"],
)
def test_a_damaged_typo_map_is_refused_while_the_last_good_index_keeps_serving(
    tmp_path, docs, name, damage
):
    serving = started(tmp_path, docs)
    damage(typo_folder(tmp_path) / name)
    with pytest.raises(CorruptIndex, match=f"fail their checksums: .*lexical-sentences/{name}"):
        Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder()).load(rebuild=False)
    assert serving.snapshot.sentence_lexical.respelled(TYPED) == MEANT  # its map is mapped
    assert "Dogs bark at strangers." in serving.ask(TYPED).quotes[0].text
    rebuilt = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    assert rebuilt.load() is not None and serves_typos_from_its_files(rebuilt)
