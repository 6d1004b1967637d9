"""Index snapshots on disk: a directory written whole, checksummed, swapped in atomically.

index_dir/
  CURRENT                 name of the live snapshot (replaced atomically)
  snap-<time>-<id>/       manifest.json, documents.json (each document but its text: that is
                          in a pack, texts-<id>.txt, at the byte range its row gives; a
                          refresh links the packs that are still mostly in use and writes
                          only the new texts into a new one), chunk-ids.json and chunks.npy
                          (the passage table), sentences.npy (the
                          sentence table, memory-mapped on load), chunk-vectors.npy,
                          sentence-vectors.npy (memory-mapped on load), chunks.ivf,
                          sentences.ivf (past [index] approximate_above only), and the BM25
                          indexes with their spellings maps and token streams (terms.npy,
                          term-starts.npy; words.npy, word-starts.npy, words.json for
                          sentences: what a refresh merges instead of re-tokenising) in
                          lexical-chunks/ and lexical-sentences/, the latter with the typo map
                          (typo-hashes.npy: the hash of every term and of each of its
                          one-letter deletions, sorted; typo-terms.npy: each one's term id;
                          mapped on load, linked by a refresh that keeps the vocabulary)
                          (format 3; formats 1 and 2 kept the texts in documents.json and
                          the passages in chunks.json; format 1 kept its vectors in chunks.faiss and
                          sentences.faiss, and BM25 is built on its load; a format 2 index
                          written before the token streams loads, and its next refresh
                          tokenises every text once; one written before the typo map builds
                          it in memory when it starts serving)
  .build-<id>/            a snapshot being written (removed if a build was interrupted)
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from retrieval.digests import file_sha256
from retrieval.errors import CorruptIndex
from retrieval.lexical import LexicalIndex
from retrieval.models import Block, Chunk, Document, Place, Sentence
from retrieval.nearest import APPROXIMATE_ABOVE, NearestIndex
from retrieval.phases import phase
from retrieval.places import section_of
from retrieval.tables import ChunkTable, SentenceTable
from retrieval.vector_files import link_or_copy, map_vectors, maps_file, same_file

log = logging.getLogger(__name__)

FORMAT = 3
READABLE_FORMATS = (1, 2, 3)  # format 1 lacks the saved BM25 indexes: they are built on load
POINTER = "CURRENT"
_FILES = {
    1: ("documents.json", "chunks.json", "sentences.npy", "chunks.faiss", "sentences.faiss"),
    2: (
        "documents.json",
        "chunks.json",
        "sentences.npy",
        "chunk-vectors.npy",
        "sentence-vectors.npy",
    ),
    3: (
        "documents.json",
        "chunk-ids.json",
        "chunks.npy",
        "sentences.npy",
        "chunk-vectors.npy",
        "sentence-vectors.npy",
    ),
}
# At most this many text packs: past it the smallest are written again into the new one.
TEXT_PACKS = 8
LEXICAL_FOLDERS = {"chunk_lexical": "lexical-chunks", "sentence_lexical": "lexical-sentences"}


@dataclass
class Snapshot:
    """A loaded index: the tables, the vectors, and searchable FAISS and BM25 indexes."""

    manifest: dict
    documents: list[Document]
    chunks: Sequence[Chunk]  # a ChunkTable once constructed
    sentences: Sequence[Sentence]  # a SentenceTable once constructed
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    path: Path | None = None
    # Built at construction unless loaded: exact search up to `approximate_above` vectors.
    chunk_index: NearestIndex | None = None
    sentence_index: NearestIndex | None = None
    approximate_above: int = APPROXIMATE_ABOVE
    # Where each document's text is on disk (pack file, byte start, byte end), when it is: a
    # refresh links those packs rather than writing every text again.
    text_places: dict[str, tuple[Path, int, int]] = field(default_factory=dict)
    # Derived at construction: row numbers tying sentences to chunks and documents.
    doc_rows: dict[str, int] = field(init=False)
    sentence_chunk: np.ndarray = field(init=False)
    sentence_doc: np.ndarray = field(init=False)
    chunk_doc: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.doc_rows = {d.id: row for row, d in enumerate(self.documents)}
        self.chunks = ChunkTable.of(self.documents, self.chunks, self.doc_rows)
        self.sentences = SentenceTable.of(self.documents, self.sentences, self.doc_rows)
        self.chunk_doc = self.chunks.rows[:, 0].astype(np.int32)
        self.sentence_doc = self.sentences.rows[:, 0].astype(np.int32)
        first_chunk, _ = self._chunk_spans
        self.sentence_chunk = (first_chunk[self.sentence_doc] + self.sentences.rows[:, 1]).astype(
            np.int32
        )
        if self.chunk_index is None:
            self.chunk_index = NearestIndex.build(self.chunk_vectors, self.approximate_above)
        if self.sentence_index is None:
            self.sentence_index = NearestIndex.build(self.sentence_vectors, self.approximate_above)

    # BM25 is built on first use: a snapshot read only to re-use its vectors never needs it.
    @cached_property
    def chunk_lexical(self) -> LexicalIndex:
        return LexicalIndex([_with_title(self, c) for c in self.chunks], spellings=False)

    @cached_property
    def sentence_lexical(self) -> LexicalIndex:
        return LexicalIndex(list(self.sentences.texts()))

    def prepare(self) -> Snapshot:
        """Build what answering needs now, so the first question does not wait for it."""
        self.chunk_lexical  # noqa: B018
        self.sentence_lexical.prepare_typos()  # questions are respelled against sentences
        return self

    def mapped_from(self, path: Path) -> Snapshot:
        """This snapshot reading its arrays from the files it was just written to (`path`):
        vectors, sentence table and BM25 mapped read-only instead of held in memory, the IVF
        indexes mapped too until `ivf_in_memory` (once the previous snapshot has let go of
        its own), the typo map as saved."""
        for name in ("chunk", "sentence"):
            index = _nearest(path, name, legacy=False, mapped=True)
            setattr(self, f"{name}_index", index)
            setattr(self, f"{name}_vectors", index.vectors)
        self.sentences = SentenceTable(
            self.documents, np.load(path / "sentences.npy", mmap_mode="r")
        )
        for attribute, folder in LEXICAL_FOLDERS.items():
            setattr(self, attribute, LexicalIndex.load(path / folder))
        return self

    def ivf_in_memory(self) -> None:
        """Read the IVF indexes this snapshot maps into memory, where searches run 1.7 times
        faster. A refresh calls it after the swap, once the previous snapshot's indexes are
        freed: read before, two whole copies (0.46 GB each at a million sentences) would be
        in memory at once."""
        for name in ("chunk", "sentence"):
            index = getattr(self, f"{name}_index")
            if index.ivf is not None and index.source is not None and index.mapped:
                setattr(self, f"{name}_index", NearestIndex.read(index.vectors, index.source))

    def document(self, doc_id: str) -> Document:
        return self.documents[self.doc_rows[doc_id]]

    def chunks_of(self, doc_id: str) -> range:
        return _rows_of(self._chunk_spans, self.doc_rows[doc_id])

    def sentences_of(self, doc_id: str) -> range:
        return _rows_of(self._sentence_spans, self.doc_rows[doc_id])

    def sentences_in_chunks(self, chunk_rows: np.ndarray) -> np.ndarray:
        """Rows of the sentences whose first passage is one of `chunk_rows`, in order: found by
        binary search (sentences follow their passages' order), not a pass over every row."""
        if not self._sentence_chunk_sorted:
            return np.flatnonzero(np.isin(self.sentence_chunk, chunk_rows))
        chunk_rows = np.unique(chunk_rows)
        starts = np.searchsorted(self.sentence_chunk, chunk_rows, side="left")
        ends = np.searchsorted(self.sentence_chunk, chunk_rows, side="right")
        if not len(chunk_rows):
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)])

    @cached_property
    def _sentence_chunk_sorted(self) -> bool:
        return bool(np.all(self.sentence_chunk[1:] >= self.sentence_chunk[:-1]))

    # Each document's first and last row, found once: a scan per document is quadratic when
    # a refresh or the documents list asks for every document in turn.
    @cached_property
    def _chunk_spans(self) -> tuple[np.ndarray, np.ndarray]:
        return _spans(self.chunk_doc, len(self.documents))

    @cached_property
    def _sentence_spans(self) -> tuple[np.ndarray, np.ndarray]:
        return _spans(self.sentence_doc, len(self.documents))


def new_build(index_dir: Path) -> Path:
    """A folder to write the next snapshot in (a build can stream its vectors there); removed
    as stale if the process dies before `write_snapshot` finishes it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build = index_dir / f".build-{uuid.uuid4().hex[:12]}"
    build.mkdir()
    return build


def write_snapshot(index_dir: Path, snapshot: Snapshot, build: Path | None = None) -> Path:
    """Write beside the live snapshot, then swap the pointer; a crash leaves the old one live.
    `build` is the folder `new_build` made, where vectors may already be."""
    build = build or new_build(index_dir)
    try:
        with phase("write text tables"):
            places = _write_texts(build, snapshot)
            rows = [_document_row(d, places[d.id]) for d in snapshot.documents]
            _write_json(build / "documents.json", rows)
            _write_json(build / "chunk-ids.json", list(snapshot.chunks.ids))
            for name, table in (("chunks", snapshot.chunks), ("sentences", snapshot.sentences)):
                with open(build / f"{name}.npy", "wb") as handle:
                    np.save(handle, np.asarray(table.rows, dtype=np.int64))
        # The vectors once, as arrays a load maps into memory (shared by processes serving it).
        with phase("write vectors and IVF"):
            for name, index in (
                ("chunk", snapshot.chunk_index),
                ("sentence", snapshot.sentence_index),
            ):
                target = build / f"{name}-vectors.npy"
                if not maps_file(index.vectors, target):  # else streamed there by the build
                    np.save(target, np.asarray(index.vectors, dtype=np.float32))
                ivf = build / f"{name}s.ivf"
                if index.ivf is not None and not same_file(index.source, ivf):
                    faiss.write_index(index.ivf, str(ivf))  # else written there by the build
        # Saved so that a load reads BM25 rather than re-tokenising every text.
        for attribute, folder in LEXICAL_FOLDERS.items():
            with phase(f"BM25 build ({folder})"):
                lexical = getattr(snapshot, attribute)
            if same_file(lexical.source, build / folder):
                continue  # saved there by the build as soon as it was merged
            with phase(f"BM25 save ({folder})"):
                # Only sentences respell questions: the passages' spellings map is never read.
                lexical.save(build / folder, spellings=attribute == "sentence_lexical")
            if attribute == "sentence_lexical":
                with phase("typo map save"):
                    lexical.save_typos(build / folder)
        with phase("fsync and checksums"):
            files = _files(build)
            # Each file is flushed to disk while the files are hashed (from the page cache):
            # both release the GIL, so the disk's wait and the hashing overlap.
            with ThreadPoolExecutor(max_workers=1) as disk:
                synced = disk.submit(lambda: [_fsync_file(file) for file in files.values()])
                sums = {name: file_sha256(file) for name, file in files.items()}
                synced.result()
            for folder in LEXICAL_FOLDERS.values():
                _fsync_dir(build / folder)
            manifest = dict(snapshot.manifest, format=FORMAT, files=sums)
        _write_json(build / "manifest.json", manifest)
        _fsync_dir(build)
        final = index_dir / f"snap-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{build.name[-6:]}"
        os.replace(build, final)
        _write_pointer(index_dir, final.name)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    snapshot.manifest, snapshot.path = manifest, final
    files = {name: final / name for name, _, _ in places.values()}
    snapshot.text_places = {doc: (files[name], a, b) for doc, (name, a, b) in places.items()}
    remove_stale(index_dir, keep=final.name)
    return final


def _write_texts(build: Path, snapshot: Snapshot) -> dict[str, tuple[str, int, int]]:
    """Each document's text as (pack name, byte start, byte end) in `build`. A text already in
    a pack of the previous snapshot stays there, the pack linked, not written again; the others
    go into one new pack. A pack less than half in use, or past the TEXT_PACKS - 1 most used,
    is not linked: its texts still in use are written again. Packs then never hold more than
    twice the texts in use, in at most TEXT_PACKS files."""
    in_use: dict[Path, int] = {}
    for pack, start, end in snapshot.text_places.values():
        in_use[pack] = in_use.get(pack, 0) + end - start
    worth = [pack for pack, used in in_use.items() if 2 * used >= _size(pack)]
    kept = set(sorted(worth, key=in_use.__getitem__, reverse=True)[: TEXT_PACKS - 1])
    for pack in kept:
        link_or_copy(pack, build / pack.name)
    name = f"texts-{uuid.uuid4().hex[:12]}.txt"
    places = {}
    with open(build / name, "wb") as out:
        for document in snapshot.documents:
            place = snapshot.text_places.get(document.id)
            if place and place[0] in kept:
                places[document.id] = (place[0].name, place[1], place[2])
                continue
            data = document.text.encode("utf-8")
            places[document.id] = (name, out.tell(), out.tell() + len(data))
            out.write(data)
        written = out.tell()
    if not written:  # every text is in a linked pack
        (build / name).unlink()
    return places


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone (e.g. a snapshot removed by another process): written again
        return -1


def current_snapshot_path(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CorruptIndex(f"cannot read the index pointer {pointer}: {error}") from None
    if not name or "/" in name or not (index_dir / name).is_dir():
        raise CorruptIndex(f"the index pointer {pointer} names a missing snapshot {name!r}")
    return index_dir / name


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CorruptIndex(f"the index manifest in {path} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE_FORMATS:
        raise CorruptIndex(f"the index in {path} has an unknown format")
    return manifest


def read_snapshot(path: Path, manifest: dict | None = None) -> Snapshot:
    """Load and verify every file's checksum; any damage raises CorruptIndex."""
    manifest = manifest or read_manifest(path)
    expected = manifest.get("files", {})
    actual = _checksums(path)
    required = [*_FILES[manifest["format"]], *expected]
    damaged = [name for name in required if expected.get(name) != actual.get(name)]
    if manifest["format"] >= 2 and not any(n.startswith("lexical-") for n in expected):
        damaged.append("lexical-*")
    if damaged:
        raise CorruptIndex(f"index files fail their checksums: {', '.join(damaged)} in {path}")
    try:
        documents, text_places = _read_documents(path, _read_json(path / "documents.json"))
        doc_rows = {d.id: row for row, d in enumerate(documents)}
        if manifest["format"] >= 3:
            chunks = ChunkTable(
                documents,
                _read_json(path / "chunk-ids.json"),
                np.load(path / "chunks.npy", mmap_mode="r"),
            )
        else:
            chunks = _chunk_table(documents, doc_rows, _read_json(path / "chunks.json"))
        # Mapped, not read: processes serving this snapshot share its pages.
        sentences = SentenceTable(documents, np.load(path / "sentences.npy", mmap_mode="r"))
        legacy = manifest["format"] == 1
        chunk_index, sentence_index = (
            _nearest(path, "chunk", legacy),
            _nearest(path, "sentence", legacy),
        )
        if (len(chunk_index.vectors), len(sentence_index.vectors)) != (len(chunks), len(sentences)):
            raise ValueError("the vectors do not match the passages and sentences")
        snapshot = Snapshot(
            manifest=manifest,
            documents=documents,
            chunks=chunks,
            sentences=sentences,
            chunk_vectors=chunk_index.vectors,
            sentence_vectors=sentence_index.vectors,
            path=path,
            chunk_index=chunk_index,
            sentence_index=sentence_index,
            text_places=text_places,
        )
        for attribute, folder in LEXICAL_FOLDERS.items():
            if (path / folder).is_dir():
                lexical = LexicalIndex.load(path / folder)
                if lexical.size != (
                    len(chunks) if attribute == "chunk_lexical" else len(sentences)
                ):
                    raise ValueError(f"{folder} does not hold one entry per text")
                setattr(snapshot, attribute, lexical)  # in place of building it
        return snapshot
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as error:
        raise CorruptIndex(f"the index in {path} cannot be loaded: {error}") from None


def _spans(row_doc: np.ndarray, documents: int) -> tuple[np.ndarray, np.ndarray]:
    """Per document row: its first row and one past its last (0, 0 for none)."""
    first = np.zeros(documents, dtype=np.int64)
    end = np.zeros(documents, dtype=np.int64)
    held, first_rows = np.unique(row_doc, return_index=True)
    first[held] = first_rows
    held, from_end = np.unique(row_doc[::-1], return_index=True)
    end[held] = len(row_doc) - from_end
    return first, end


def _rows_of(spans: tuple[np.ndarray, np.ndarray], doc_row: int) -> range:
    first, end = spans
    return range(int(first[doc_row]), int(end[doc_row]))


def remove_stale(index_dir: Path, keep: str | None) -> None:
    """Drop interrupted builds and snapshots other than the live one."""
    for child in index_dir.iterdir() if index_dir.is_dir() else ():
        stale_build = child.name.startswith(".build-")
        old_snapshot = child.name.startswith("snap-") and child.name != keep
        if child.is_dir() and (stale_build or old_snapshot):
            shutil.rmtree(child, ignore_errors=True)
    for leftover in index_dir.glob(f"{POINTER}.*.tmp"):
        leftover.unlink(missing_ok=True)


def _with_title(snapshot: Snapshot, chunk: Chunk) -> str:
    return passage_terms_text(snapshot.document(chunk.doc_id), chunk)


def passage_terms_text(document: Document, chunk: Chunk) -> str:
    """A passage as BM25 reads it: under its document's title and its heading path, if any."""
    return "\n".join([document.title, *section_of(document, chunk.start), chunk.text])


def _nearest(path: Path, name: str, legacy: bool, mapped: bool = False) -> NearestIndex:
    """A snapshot's vectors and search index as written (format 1: from its FAISS file);
    the IVF index, if any, read into memory or `mapped`."""
    if legacy:
        return NearestIndex(_vectors(faiss.read_index(str(path / f"{name}s.faiss"))))
    vectors = map_vectors(path / f"{name}-vectors.npy")
    ivf = path / f"{name}s.ivf"
    return (
        NearestIndex.read(vectors, ivf, mapped=mapped) if ivf.is_file() else NearestIndex(vectors)
    )


def _vectors(index: faiss.Index) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


def _document_row(d: Document, text_at: tuple[str, int, int]) -> dict:
    return {
        "id": d.id,
        "title": d.title,
        "source_url": d.source_url,
        "date": d.date,
        "text_at": list(text_at),
        "sha256": d.sha256,
        "has_title": d.has_title,
        "reader": d.reader,
        "places": [[p.start, p.end, p.page, list(p.section), p.anchor] for p in d.places],
        "blocks": [[b.start, b.end, b.kind] for b in d.blocks],
    }


def _read_documents(path: Path, rows: list[dict]) -> tuple[list[Document], dict]:
    """The documents of a snapshot's documents.json, each text read from its pack (format 3)
    or from its row (formats 1 and 2), and where each text is on disk."""
    packs: dict[str, mmap.mmap | bytes] = {}
    files: dict[str, Path] = {}  # one Path per pack, not one per document
    places = {}
    try:
        for row in rows:
            if "text_at" not in row:
                continue
            name, start, end = row.pop("text_at")
            if name not in packs:
                if "/" in name or not name.startswith("texts-"):
                    raise ValueError(f"a document's text is in {name!r}, not a text pack")
                files[name] = path / name
                packs[name] = _mapped(files[name])
            if not 0 <= start <= end <= len(packs[name]):
                raise ValueError(f"{row.get('id')!r} is not where its row says in {name}")
            row["text"] = packs[name][start:end].decode("utf-8")
            places[row["id"]] = (files[name], start, end)
        return [_document(row) for row in rows], places
    finally:
        for pack in packs.values():
            if isinstance(pack, mmap.mmap):
                pack.close()


def _mapped(path: Path) -> mmap.mmap | bytes:
    """The file at `path`, mapped read-only (read, not copied: a million sentences' texts are
    137 MB), or b"" when it is empty (which cannot be mapped)."""
    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _document(row: dict) -> Document:
    places = tuple(
        Place(s, e, page, tuple(section), anchor)
        for s, e, page, section, anchor in row.pop("places", [])
    )
    blocks = tuple(Block(*block) for block in row.pop("blocks", []))
    return Document(**row, places=places, blocks=blocks)


def _chunk_table(documents: list[Document], doc_rows: dict[str, int], rows: list) -> ChunkTable:
    ids = [row["id"] for row in rows]
    columns = np.array(
        [(doc_rows[r["doc_id"]], r["ordinal"], r["paragraph"], r["start"], r["end"]) for r in rows],
        dtype=np.int64,
    )
    return ChunkTable(documents, ids, columns)


def _write_json(path: Path, value) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        # dumps, not dump: json.dump runs the pure-Python encoder (2-3 times slower on a
        # million sentences' tables), dumps the C one.
        handle.write(json.dumps(value, ensure_ascii=False))
        handle.flush()
        os.fsync(handle.fileno())


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _write_pointer(index_dir: Path, name: str) -> None:
    temporary = index_dir / f"{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, index_dir / POINTER)
    _fsync_dir(index_dir)


def _checksums(path: Path) -> dict[str, str]:
    """sha256 of every file of a snapshot but its manifest, by path inside it."""
    return {name: file_sha256(file) for name, file in _files(path).items()}


def _files(path: Path) -> dict[str, Path]:
    """Every file of a snapshot but its manifest, by path inside it, in order."""
    files = {}
    for file in sorted(path.rglob("*")):
        name = file.relative_to(path).as_posix()
        if file.is_file() and name != "manifest.json":
            files[name] = file
    return files


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
