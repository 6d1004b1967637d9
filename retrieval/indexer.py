"""Build a snapshot from documents, re-using the vectors of documents that did not change."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.assembly import (
    Piece,
    assemble_chunks,
    assemble_sentences,
    merge_lexical,
    search_index,
    vector_array,
)
from retrieval.clock import SYSTEM_CLOCK, Clock
from retrieval.documents import Skipped
from retrieval.embedder import Embedder
from retrieval.models import Document, RefreshReport
from retrieval.nearest import APPROXIMATE_ABOVE
from retrieval.passages import split_document
from retrieval.phases import phase
from retrieval.places import section_of
from retrieval.settings import ChunkSettings
from retrieval.snapshot import Snapshot

log = logging.getLogger(__name__)

# Bump when sentence or passage splitting changes: forces a full rebuild. 4: CRLF text files
# are stored with "\n" line ends (an index of 3 has them split line by line).
SPLITTER_VERSION = 4
# Bump when what is embedded for a passage or sentence changes (3: under their declared title;
# 4: and their heading path).
EMBEDDING_TEXT_VERSION = 4

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildResult:
    snapshot: Snapshot
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    embedded: int
    full_rebuild: bool
    reason: str
    skipped: tuple[Skipped, ...] = ()  # documents over the texts-per-document limit

    @classmethod
    def untouched(cls, snapshot: Snapshot) -> BuildResult:
        """A build that found every document as `snapshot` recorded it: nothing to write."""
        ids = tuple(sorted(snapshot.manifest.get("documents", {})))
        return cls(snapshot, (), (), (), ids, embedded=0, full_rebuild=False, reason="")

    def report(
        self,
        *,
        chunks: int,
        unread: Sequence[Skipped],
        seconds: float,
        requested_by: str,
        started_at: str,
    ) -> RefreshReport:
        """This build as the refresh report users see: `chunks` in the live index after it,
        `unread` the files skipped before the build (unreadable, too large)."""
        return RefreshReport(
            documents=tuple(d.id for d in self.snapshot.documents),
            added=self.added,
            changed=self.changed,
            removed=self.removed,
            unchanged=self.unchanged,
            skipped=tuple(f"{s.path}: {s.reason}" for s in (*unread, *self.skipped)),
            chunks=chunks,
            embedded=self.embedded,
            seconds=seconds,
            full_rebuild=self.full_rebuild,
            reason=self.reason,
            requested_by=requested_by,
            started_at=started_at,
        )


def settings_fingerprint(embedder: Embedder, chunking: ChunkSettings) -> dict:
    """What must match for a snapshot's vectors and passages to be re-used."""
    identity = embedder.identity
    return {
        "model": {"name": identity.name, "digest": identity.digest},
        "embedding_text": EMBEDDING_TEXT_VERSION,
        "chunking": {
            "max_chars": chunking.max_chars,
            "overlap_sentences": chunking.overlap_sentences,
            "splitter": SPLITTER_VERSION,
        },
    }


def incompatibility(manifest: dict, fingerprint: dict) -> str:
    """Why a snapshot cannot be re-used with these settings ("" when it can)."""
    if manifest.get("model") != fingerprint["model"]:
        old = manifest.get("model", {}).get("name", "?")
        return f"the embedding model changed (index built with {old})"
    if manifest.get("chunking") != fingerprint["chunking"]:
        return "the chunking settings changed"
    if manifest.get("embedding_text") != fingerprint["embedding_text"]:
        return "this version of Citebot embeds passages and sentences differently"
    return ""


def stamps(manifest: dict) -> dict[str, list]:
    """Each document's stamp (size, time, declarations) as the snapshot recorded it."""
    entries = manifest.get("documents", {}).items()
    return {doc_id: entry["stamp"] for doc_id, entry in entries if "stamp" in entry}


def document_changes(manifest: dict, documents: list[Document]) -> dict[str, list[str]]:
    """Document ids by kind of change against a snapshot's manifest."""
    old = {doc_id: entry["sha256"] for doc_id, entry in manifest.get("documents", {}).items()}
    new = {d.id: d.sha256 for d in documents}
    return {
        "added": sorted(set(new) - set(old)),
        "changed": sorted(d for d in new if d in old and new[d] != old[d]),
        "removed": sorted(set(old) - set(new)),
        "unchanged": sorted(d for d in new if old.get(d) == new[d]),
    }


def build_snapshot(
    documents: list[Document],
    *,
    embedder: Embedder,
    chunking: ChunkSettings,
    previous: Snapshot | None,
    progress: Progress | None = None,
    max_texts_per_document: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    approximate_above: int = APPROXIMATE_ABOVE,
    scratch: Path | None = None,
) -> BuildResult:
    """The next snapshot; a document that splits into more than `max_texts_per_document`
    passages and sentences is left out, with the reason, before anything is embedded. With
    `scratch` (a folder from `snapshot.new_build`) the vectors are written there as they are
    gathered, so the old and new vectors are never both in memory."""
    fingerprint = settings_fingerprint(embedder, chunking)
    reason = "no index yet" if previous is None else incompatibility(previous.manifest, fingerprint)
    reusable = previous if not reason else None
    changes = document_changes(reusable.manifest if reusable else {}, documents)
    now = clock.iso()
    unchanged = set(changes["unchanged"])  # a set: a list lookup per document is quadratic
    if (
        reusable
        and reusable.path
        and not (changes["added"] or changes["changed"] or changes["removed"])
        and stamps(reusable.manifest) == {d.id: list(d.stamp) for d in documents if d.stamp}
    ):
        # The snapshot on disk is already the next one: nothing to split, copy or write.
        if progress:
            progress(1, 1)
        return BuildResult.untouched(reusable)

    pieces: list[Piece] = []
    indexed_at: dict[str, str] = {}
    text_places: dict[str, tuple[Path, int, int]] = {}
    kept: list[Document] = []
    too_large: list[Skipped] = []
    with phase("split changed documents, gather unchanged rows"):
        for document in documents:
            if reusable and document.id in unchanged:
                old_row = reusable.doc_rows[document.id]
                piece = Piece(
                    len(kept) - old_row,
                    chunk_rows=reusable.chunks_of(document.id),
                    sentence_rows=reusable.sentences_of(document.id),
                )
                if not (pieces and pieces[-1].extend(piece)):
                    pieces.append(piece)
                indexed_at[document.id] = reusable.manifest["documents"][document.id]["indexed_at"]
                if document.id in reusable.text_places:  # its text is not written again
                    text_places[document.id] = reusable.text_places[document.id]
                kept.append(document)
                continue
            doc_chunks, doc_sentences = split_document(
                document,
                max_chars=chunking.max_chars,
                overlap_sentences=chunking.overlap_sentences,
            )
            texts = len(doc_chunks) + len(doc_sentences)
            if max_texts_per_document is not None and texts > max_texts_per_document:
                why = (
                    f"it makes {texts:,} passages and sentences to embed, over "
                    f"documents.max_texts_per_document = {max_texts_per_document:,}"
                )
                log.warning("skipping %s: %s", document.id, why)
                too_large.append(Skipped(document.id, why))
                continue
            pieces.append(Piece(len(kept), chunks=doc_chunks, sentences=doc_sentences))
            kept.append(document)
            indexed_at[document.id] = now
        documents = kept

    # Only new and changed documents' texts are embedded: passages first, then sentences.
    fresh_chunks = [(documents[p.doc_shift], c) for p in pieces for c in p.chunks]
    fresh_sentences = [(documents[p.doc_shift], s) for p in pieces for s in p.sentences]
    pending = [
        *(located_text(d, c.start, c.text) for d, c in fresh_chunks),
        *(located_text(d, s.start, s.text) for d, s in fresh_sentences),
    ]
    dimension = int(reusable.manifest["dimension"]) if reusable else embedder.dimension
    vectors = np.zeros((0, dimension), dtype=np.float32)
    if pending:
        embedder.warm_up()  # so the log line below means the embedding itself has begun
        log.info("embedding %d passages and sentences", len(pending))
        with phase("embed"):
            vectors = np.asarray(
                embedder.encode(pending, progress=progress), dtype=np.float32
            ).reshape(len(pending), -1)
        dimension = vectors.shape[1]
    elif progress:
        progress(1, 1)

    with phase("assemble rows and vectors"):
        doc_rows = {d.id: row for row, d in enumerate(documents)}
        chunk_table, chunk_array, chunk_moves = assemble_chunks(
            documents,
            doc_rows,
            pieces,
            reusable,
            vectors[: len(fresh_chunks)],
            vector_array(scratch, "chunk", dimension),
        )
        sentence_table, sentence_array, sentence_moves = assemble_sentences(
            documents,
            doc_rows,
            pieces,
            reusable,
            vectors[len(fresh_chunks) :],
            vector_array(scratch, "sentence", dimension),
        )
    # The new texts' vectors are in the new arrays now: let them go before BM25's merge, the
    # refresh's peak (58 MB for 1% of a million sentences).
    embedded = len(pending)
    del vectors, pending
    manifest = {
        **fingerprint,
        "dimension": dimension,
        "built_at": now,
        "documents": {
            d.id: {
                "sha256": d.sha256,
                "title": d.title,
                "indexed_at": indexed_at[d.id],
                **({"stamp": list(d.stamp)} if d.stamp else {}),
            }
            for d in documents
        },
        "counts": {
            "documents": len(documents),
            "chunks": len(chunk_table),
            "sentences": len(sentence_table),
        },
    }
    with phase("search indexes (IVF: codes re-used, or trained and added)"):
        chunk_index = search_index(
            reusable, "chunk", chunk_array, chunk_moves, approximate_above, scratch
        )
        sentence_index = search_index(
            reusable, "sentence", sentence_array, sentence_moves, approximate_above, scratch
        )
    snapshot = Snapshot(
        manifest=manifest,
        documents=documents,
        chunks=chunk_table,
        sentences=sentence_table,
        chunk_vectors=chunk_array,
        sentence_vectors=sentence_array,
        chunk_index=chunk_index,
        sentence_index=sentence_index,
        approximate_above=approximate_above,
        text_places=text_places,
    )
    if reusable is not None:
        with phase("BM25 merged from the previous snapshot's token streams"):
            merge_lexical(snapshot, reusable, pieces, scratch)
    if too_large or not reusable:
        changes = document_changes(previous.manifest if previous else {}, documents)
    return BuildResult(
        snapshot=snapshot,
        added=tuple(changes["added"]),
        changed=tuple(changes["changed"]),
        removed=tuple(changes["removed"]),
        unchanged=tuple(changes["unchanged"]),
        embedded=embedded,
        full_rebuild=reusable is None,
        reason=reason,
        skipped=tuple(too_large),
    )


def embedding_text(document: Document, text: str, section: tuple[str, ...] = ()) -> str:
    """Passages and sentences are embedded under their document's declared title: "Oxygen\nIt
    is..." tells the model what "it" is (sentence hit@3 on SQuAD dev: 0.897 without, 0.910
    with). Without one the text is embedded as it is: a title borrowed from the first line
    would pull every sentence towards that line. Text inside a section is embedded under its
    heading path too ("Debian package management > Package sources"), so a question about X
    finds the section about X; text outside any section is embedded exactly as before."""
    lines = [document.title] if document.has_title else []
    if section:
        lines.append(" > ".join(section))
    return "\n".join([*lines, text])


def located_text(document: Document, start: int, text: str) -> str:
    """What is embedded for the passage or sentence `text` found at `start`."""
    return embedding_text(document, text, section_of(document, start))
