"""The facade the CLI and the bot call: ask, summarize, refresh, documents, stats."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import unicodedata
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.answers import compose_answer
from retrieval.clock import SYSTEM_CLOCK, Clock
from retrieval.documents import Declared, Skipped, load_documents, unchanged_files
from retrieval.embedder import Embedder
from retrieval.errors import (
    CorruptIndex,
    EmptyCorpus,
    IndexError_,
    IndexMismatch,
    QuestionError,
    RefreshCancelled,
)
from retrieval.file_lock import Stopped, Unlockable, exclusive
from retrieval.indexer import (
    BuildResult,
    Progress,
    build_snapshot,
    document_changes,
    incompatibility,
    settings_fingerprint,
    stamps,
)
from retrieval.models import (
    Answer,
    Document,
    DocumentInfo,
    IndexStats,
    LastAnswer,
    RefreshReport,
    Reply,
    Summary,
)
from retrieval.phases import phase
from retrieval.phrasing import meta_request
from retrieval.places import located
from retrieval.query import read_query
from retrieval.scoring import rank_sentences
from retrieval.settings import Settings
from retrieval.snapshot import (
    Snapshot,
    current_snapshot_path,
    new_build,
    read_manifest,
    read_snapshot,
    remove_stale,
    write_snapshot,
)
from retrieval.summaries import summarize_snapshot
from retrieval.uploads import Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningRefresh:
    requested_by: str
    started_at: str
    result: Future


class Engine:
    """Answers from the live snapshot; `refresh()` builds the next one beside it and swaps.

    Thread-safe: questions are served from whichever snapshot is live when they arrive, and
    only one refresh runs at a time (a second caller waits for, and shares, its report).
    """

    def __init__(
        self, settings: Settings, *, embedder: Embedder | None = None, clock: Clock = SYSTEM_CLOCK
    ):
        self.settings = settings
        self.clock = clock
        self.embedder = embedder or Embedder.configured(settings.model)
        self._snapshot: Snapshot | None = None
        # documents() of the snapshot it was listed from: autocomplete asks on every keystroke,
        # on the event loop, and a new snapshot is a new key.
        self._listed: tuple[Snapshot, tuple[DocumentInfo, ...]] | None = None
        self._running: RunningRefresh | None = None
        self._state = threading.Lock()
        self._cancelled = threading.Event()

    # -- index lifecycle -------------------------------------------------------------------

    def load(
        self, *, rebuild: bool = True, progress: Progress | None = None
    ) -> RefreshReport | None:
        """Load the live snapshot; build or rebuild it when missing, stale or damaged.

        With `rebuild=False` a missing or stale index raises IndexMismatch instead.
        Returns the refresh report when it had to build, else None.
        """
        index_dir = self.settings.index.dir
        problem = ""
        try:
            with _build_lock(index_dir, blocking=False) as got_lock:
                if got_lock:
                    remove_stale(index_dir, keep=_live_name(index_dir))
            path = current_snapshot_path(index_dir)
            if path is None:
                problem = f"there is no index in {index_dir} yet"
            else:
                manifest = read_manifest(path)
                problem = self._staleness(manifest)
                if not problem:
                    self._snapshot = read_snapshot(path, manifest).prepare()
                    log.info(
                        "loaded index %s (%d documents)", path.name, len(self._snapshot.documents)
                    )
                    return None
        except CorruptIndex as error:
            log.warning("%s; rebuilding", error)
            problem = str(error)
            if not rebuild:
                raise
        if not rebuild:
            raise IndexMismatch(f"{problem}; run `citebot index` to rebuild it")
        log.info("building the index: %s", problem)
        report = self.refresh(requested_by="startup", progress=progress)
        self.snapshot.prepare()
        return report

    def refresh(
        self,
        *,
        requested_by: str = "cli",
        allow_empty: bool = False,
        progress: Progress | None = None,
        join_running: bool = True,
    ) -> RefreshReport:
        """Re-read the documents and swap in a new snapshot; single flight per engine.

        A caller that has just changed a document passes `join_running=False`: a refresh
        already running may have read the folder before the change, so it is waited for and
        the next one (started after it, so seeing the change) is joined or started.
        """
        while True:
            with self._state:
                running = self._running
                if running is None:
                    started = self.clock.iso()
                    running = self._running = RunningRefresh(requested_by, started, Future())
                    owner = True
                else:
                    owner = False
            if owner or join_running:
                break
            log.info(
                "refresh asked by %s waits for the one %s started",
                requested_by,
                running.requested_by,
            )
            wait((running.result,))
            join_running = True
        if not owner:
            log.info(
                "refresh asked by %s joins the one %s started", requested_by, running.requested_by
            )
            return running.result.result()
        try:
            report = self._refresh(running, allow_empty, progress)
            running.result.set_result(report)
            return report
        except BaseException as error:
            running.result.set_exception(error)
            raise
        finally:
            with self._state:
                self._running = None

    def cancel_refreshes(self) -> None:
        """Stop the running refresh at its next embedding batch, and refuse later ones: the
        process is stopping. The live snapshot is left as it was."""
        self._cancelled.set()

    def running_refresh(self) -> tuple[str, str] | None:
        running = self._running
        return (running.requested_by, running.started_at) if running else None

    # -- questions -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        top_k: int | None = None,
        skip: int = 0,
        follow_up_of: str | None = None,
    ) -> Answer:
        """The answer to `question`. With `follow_up_of`, the document the conversation's last
        answer quoted, the question is read as a follow-up: that document's sentences need
        less evidence (ignored when the document is no longer indexed)."""
        began = time.perf_counter()
        question = self.check_question(question)
        snapshot = self.snapshot
        if follow_up_of not in snapshot.doc_rows:
            follow_up_of = None
        query = read_query(question, snapshot)
        vector = self.embedder.encode_query(query.text)
        ranked = rank_sentences(snapshot, vector, query, self.settings.retrieval, follow_up_of)
        answer = compose_answer(
            query,
            ranked,
            snapshot,
            top_k=top_k or self.settings.answer.top_k,
            skip=max(0, skip),
            max_quote_chars=self.settings.answer.max_quote_chars,
            min_score=self.settings.answer.min_score,
        )
        answer = replace(
            answer, quotes=located(answer.quotes, snapshot.document), follow_up_of=follow_up_of
        )
        return replace(answer, seconds=time.perf_counter() - began)

    def respond(
        self,
        question: str,
        *,
        top_k: int | None = None,
        follow_up_of: str | None = None,
        last: LastAnswer | None = None,
    ) -> Reply:
        """What a free-text message gets: a summary of the collection for "tl;dr" or "what is
        this about", a topic summary for "summarize X", the documents list for "what docs do
        you have", the next quotes for `last` (the conversation's last question) on "tell me
        more", a reply of kind "help" (the caller says how to ask) for "help" or "what can you
        do", else the answer to the question."""
        question = self.check_question(question)
        request = meta_request(question)
        if request is None:
            answer = self.ask(question, top_k=top_k, follow_up_of=follow_up_of)
            return Reply("answer", question, answer=answer)
        if request.kind == "more":
            if last is None:
                return Reply("more", question)
            answer = self.ask(
                last.question, top_k=top_k, skip=last.shown, follow_up_of=follow_up_of
            )
            return Reply("more", question, answer=answer, shown=last.shown)
        if request.kind == "help":
            return Reply("help", question)
        if request.kind == "sources":
            return Reply("sources", question, documents=tuple(self.documents()))
        return Reply("summary", question, summary=self.summarize(topic=request.topic))

    def check_question(self, question: str) -> str:
        """The question, trimmed; QuestionError with a friendly message when unusable."""
        question = " ".join((question or "").split())
        limit = self.settings.answer.max_question_chars
        if not any(_visible(character) for character in question):
            raise QuestionError("Please type a question: the message was empty.")
        if len(question) > limit:
            raise QuestionError(
                f"That question is {len(question):,} characters long; the limit is "
                f"{limit:,}. Please ask something shorter."
            )
        return question

    def summarize(
        self, *, document: str | None = None, topic: str | None = None, sentences: int | None = None
    ) -> Summary:
        began = time.perf_counter()
        if topic is not None:
            topic = self.check_question(topic)
        count = sentences or self.settings.summary.sentences
        snapshot = self.snapshot
        query = read_query(topic, snapshot) if topic else None
        summary = summarize_snapshot(
            snapshot,
            document=document,
            topic=query,
            topic_vector=self.embedder.encode_query(query.text) if query else None,
            count=count,
            settings=self.settings,
        )
        summary = replace(summary, sentences=located(summary.sentences, snapshot.document))
        return replace(summary, topic=topic, seconds=time.perf_counter() - began)

    # -- what is indexed -------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise IndexMismatch("the index is not loaded yet; run `citebot index`")
        return snapshot

    def documents(self) -> list[DocumentInfo]:
        """The live snapshot's documents; listed once per snapshot, so cheap to call again."""
        snapshot = self.snapshot
        listed = self._listed
        if listed is None or listed[0] is not snapshot:
            entries = snapshot.manifest["documents"]
            listed = self._listed = (
                snapshot,
                tuple(
                    DocumentInfo(
                        id=d.id,
                        title=d.title,
                        source_url=d.source_url,
                        passages=len(snapshot.chunks_of(d.id)),
                        indexed_at=entries[d.id]["indexed_at"],
                    )
                    for d in snapshot.documents
                ),
            )
        return list(listed[1])

    def stats(self) -> IndexStats:
        snapshot = self.snapshot
        return IndexStats(
            documents=len(snapshot.documents),
            chunks=len(snapshot.chunks),
            sentences=len(snapshot.sentences),
            model=snapshot.manifest["model"]["name"],
            built_at=snapshot.manifest["built_at"],
            snapshot=snapshot.path.name if snapshot.path else "",
        )

    # -- internals -------------------------------------------------------------------------

    def _staleness(self, manifest: dict) -> str:
        """Why the snapshot on disk does not match the settings and documents ("" if it does)."""
        fingerprint = settings_fingerprint(self.embedder, self.settings.chunking)
        problem = incompatibility(manifest, fingerprint)
        if problem:
            return problem
        if self._unchanged_files(manifest) is not None:
            return ""
        documents, _ = self._load_documents()
        changes = document_changes(manifest, documents)
        moved = {k: v for k, v in changes.items() if k != "unchanged" and v}
        if moved:
            return (
                "the documents changed since the index was built ("
                + ", ".join(f"{len(v)} {k}" for k, v in moved.items())
                + ")"
            )
        return ""

    def _refresh(self, running: RunningRefresh, allow_empty: bool, progress) -> RefreshReport:
        began = time.perf_counter()
        index_dir = self.settings.index.dir
        docs_dir = self.settings.documents.dir
        with _build_lock(index_dir, blocking=True, cancelled=self._cancelled):
            remove_stale(index_dir, keep=_live_name(index_dir))  # leftovers of a killed build
            serving = self._snapshot is not None
            previous = self._snapshot
            live = _live_name(index_dir)
            if previous is None or (previous.path and live and previous.path.name != live):
                # Not serving yet, or another process (`citebot index` beside the bot) has
                # swapped in a newer snapshot and removed this one's files: build on that one
                # (on the one served if that one cannot be read).
                previous = self._read_live_quietly() or self._snapshot
            unread = (
                self._unchanged_files(previous.manifest) if previous and previous.path else None
            )
            if unread is not None:  # every file as the index recorded it: nothing to read
                if progress:
                    progress(1, 1)  # as a build with nothing to embed reports it
                self._snapshot = previous.prepare() if serving else previous
                return BuildResult.untouched(previous).report(
                    chunks=len(previous.chunks),
                    unread=unread,
                    seconds=time.perf_counter() - began,
                    requested_by=running.requested_by,
                    started_at=running.started_at,
                )
            with phase("read changed documents"):
                documents, skipped = self._load_documents(known=_stamped(previous))
            if not documents and not allow_empty:
                if not docs_dir.is_dir():
                    raise EmptyCorpus(f"the documents dir {docs_dir} does not exist")
                if previous is not None and previous.documents:
                    raise EmptyCorpus(
                        f"no documents found in {docs_dir}; refusing to replace an index of "
                        f"{len(previous.documents)} document{'s' * (len(previous.documents) != 1)} "
                        "with an empty one "
                        "(use --allow-empty to do it anyway)"
                    )
                raise EmptyCorpus(f"no readable documents in {docs_dir}")
            build = new_build(index_dir)  # vectors are streamed into it as they are gathered
            try:
                result = build_snapshot(
                    documents,
                    embedder=self.embedder,
                    chunking=self.settings.chunking,
                    previous=previous,
                    progress=_cancellable(progress, self._cancelled),
                    max_texts_per_document=self.settings.documents.max_texts_per_document,
                    clock=self.clock,
                    approximate_above=self.settings.index.approximate_above,
                    scratch=build,
                )
                if result.snapshot is previous:  # the build found nothing to change
                    shutil.rmtree(build, ignore_errors=True)
                    snapshot = previous
                else:
                    _raise_if_set(self._cancelled)
                    with phase("write snapshot (total)"):
                        written = write_snapshot(index_dir, result.snapshot, build)
                    # Served from the files just written: mapped, not a second copy in memory.
                    snapshot = result.snapshot.mapped_from(written)
            except OSError as error:  # e.g. a full disk: the live snapshot stays as it was
                shutil.rmtree(build, ignore_errors=True)
                raise IndexError_(
                    f"cannot write the new index in {index_dir}: {error.strerror or error}"
                ) from error
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
            # An engine that serves questions gets BM25 built before the swap; a one-off
            # `citebot index` never needs it.
            with phase("prepare the new snapshot (BM25, typo map)"):
                self._snapshot = snapshot.prepare() if serving else snapshot
            if serving and snapshot is not previous:
                # The previous snapshot let go (questions still reading it keep it until they
                # end), its IVF memory is free for the new one's: never two copies at once.
                previous = self._listed = None
                with phase("read the IVF index into memory"):
                    snapshot.ivf_in_memory()
        return result.report(
            chunks=len(snapshot.chunks),
            unread=skipped,
            seconds=time.perf_counter() - began,
            requested_by=running.requested_by,
            started_at=running.started_at,
        )

    def _unchanged_files(self, manifest: dict) -> list[Skipped] | None:
        """What a refresh would pass over, when the documents are the files the index was built
        from (same names, sizes, times and declarations) under the same settings; else None."""
        fingerprint = settings_fingerprint(self.embedder, self.settings.chunking)
        if incompatibility(manifest, fingerprint):
            return None
        limits = self.settings.documents
        return unchanged_files(
            limits.dir,
            stamps(manifest),
            max_file_mb=limits.max_file_mb,
            max_documents=limits.max_documents,
            declared=self._declared(),
        )

    def _declared(self) -> dict[str, Declared]:
        """Titles and sources the documents added from Discord or `citebot add` were given."""
        limits = self.settings.documents
        return Library(limits.dir, max_file_mb=limits.max_file_mb, clock=self.clock).declared()

    def _load_documents(
        self, known: dict[str, Document] | None = None
    ) -> tuple[list[Document], list[Skipped]]:
        """The documents folder as documents; those of `known` whose files kept their stamp are
        not read again."""
        limits = self.settings.documents
        added = self._declared()
        return load_documents(
            limits.dir,
            max_file_mb=limits.max_file_mb,
            max_documents=limits.max_documents,
            declared=added,
            known=known,
        )

    def _read_live_quietly(self) -> Snapshot | None:
        """The snapshot on disk, to re-use its vectors; a damaged one is simply not re-used."""
        try:
            path = current_snapshot_path(self.settings.index.dir)
            return read_snapshot(path) if path else None
        except CorruptIndex as error:
            log.warning("not re-using the index on disk: %s", error)
            return None


# Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    """Whether `character` shows on its own: not a control or format character (zero-width
    spaces and joiners, direction marks), not a space, not a lone combining mark."""
    return unicodedata.category(character)[0] not in "CZM" and character not in _BLANK_GLYPHS


def _stamped(snapshot: Snapshot | None) -> dict[str, Document]:
    """The snapshot's documents with the stamps its manifest recorded (a refresh need not read
    a file whose stamp is unchanged: the indexed document is what reading it would give)."""
    if snapshot is None:
        return {}
    recorded = {doc_id: tuple(stamp) for doc_id, stamp in stamps(snapshot.manifest).items()}
    return {
        # Most already carry their stamp (the refresh that wrote them read it): no copy then.
        d.id: d if d.stamp == recorded[d.id] else replace(d, stamp=recorded[d.id])
        for d in snapshot.documents
        if d.id in recorded
    }


def _live_name(index_dir: Path) -> str | None:
    try:
        path = current_snapshot_path(index_dir)
    except CorruptIndex:
        return None
    return path.name if path else None


def _cancellable(progress: Progress | None, cancelled: threading.Event) -> Progress:
    """`progress`, raising RefreshCancelled once `cancelled` is set: the embedder calls it
    between batches, so a stopping process waits for one batch at most."""

    def report(done: int, total: int) -> None:
        if progress:
            progress(done, total)
        _raise_if_set(cancelled)

    return report


def _raise_if_set(cancelled: threading.Event) -> None:
    if cancelled.is_set():
        raise RefreshCancelled("the refresh was cancelled: Citebot is stopping")


@contextmanager
def _build_lock(index_dir: Path, *, blocking: bool, cancelled: threading.Event | None = None):
    """An exclusive lock on the index dir across processes (the bot and `citebot index`).

    Waiting for it (`blocking`) ends with RefreshCancelled once `cancelled` is set.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise IndexError_(f"cannot use the index dir {index_dir}: {error.strerror}") from None
    try:
        with exclusive(index_dir / ".lock", blocking=blocking, stop=cancelled) as got:
            yield got
    except Unlockable as error:
        raise IndexError_(f"cannot use the index dir {index_dir}: {error.strerror}") from None
    except Stopped:
        raise RefreshCancelled("the refresh was cancelled: Citebot is stopping") from None
