"""Load the documents dir: every file a reader knows, its title, source URL, date and hash."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.charsets import decode_text
from retrieval.errors import DocumentLimit
from retrieval.models import Document
from retrieval.places import markdown_places
from retrieval.readers import EXTENSIONS as READER_EXTENSIONS
from retrieval.readers import Limits, reader_for

log = logging.getLogger(__name__)

EXTENSIONS = (".md", ".markdown", ".txt", *READER_EXTENSIONS)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_META_LINE = re.compile(r"^(source|url|date|published)[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.I | re.M)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Declared:
    """A title and source given when a document was added, which win over the file's own."""

    title: str | None = None
    source_url: str | None = None


def load_documents(
    root: Path,
    *,
    max_file_mb: float = 50.0,
    max_documents: int = 10_000,
    declared: Mapping[str, Declared] | None = None,
    known: Mapping[str, Document] | None = None,
) -> tuple[list[Document], list[Skipped]]:
    """Every readable, non-empty document under `root`, sorted by id; the rest as `Skipped`.

    `declared` gives some documents (by id) their title or source. A file whose size, time and
    declarations are the stamp of its document in `known` is not read: that document is
    returned as it is. Raises DocumentLimit, before reading any file, when there are more than
    `max_documents`.
    """
    found, skipped = find_document_files(root)
    if len(found) > max_documents:
        raise DocumentLimit(
            f"the documents dir {root} holds {len(found):,} documents, more than "
            f"documents.max_documents = {max_documents:,}; nothing was re-indexed "
            "(raise the limit or remove documents)"
        )
    documents = []
    for doc_id, path in found:
        given = (declared or {}).get(doc_id)
        seen = (known or {}).get(doc_id)
        try:
            document = _read_inside(
                root,
                path,
                doc_id,
                max_bytes=int(max_file_mb * 1_000_000),
                declared=given,
                known=seen,
            )
        except (OSError, UnicodeDecodeError, ValueError) as error:
            _skip(skipped, doc_id, describe(error))
            continue
        documents.append(document if document is seen else with_declared(document, given))
    return documents, sorted(skipped, key=lambda s: s.path)


def file_stamp(info: os.stat_result, declared: Declared | None) -> tuple:
    """What a refresh compares before reading a file: its size and modification time, and the
    title and source it was declared with."""
    given = declared or Declared()
    return (info.st_size, info.st_mtime_ns, given.title or "", given.source_url or "")


def unchanged_files(
    root: Path,
    stamps: Mapping[str, list],
    *,
    max_file_mb: float,
    max_documents: int,
    declared: Mapping[str, Declared] | None = None,
) -> list[Skipped] | None:
    """The files passed over under `root` when its documents are exactly those `stamps` (id →
    stamp as recorded) describes, each with the same size, time and declarations: then nothing
    needs reading. None when anything differs, or when a limit would now leave a file out."""
    found, skipped = find_document_files(root)
    if not stamps or len(found) > max_documents or {i for i, _ in found} != set(stamps):
        return None
    for doc_id, path in found:
        try:
            stamp = file_stamp(path.stat(), (declared or {}).get(doc_id))
        except OSError:
            return None
        if list(stamp) != list(stamps[doc_id]) or stamp[0] > max_file_mb * 1_000_000:
            return None
    return sorted(skipped, key=lambda s: s.path)


def find_document_files(root: Path) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """(id, path) of each document file under `root`, sorted by id, and what was passed over.

    Links are never followed out of `root`: a link whose target resolves outside it, hidden
    files and folders, and links to folders are listed as skipped with the reason. A link to a
    file inside `root` is read from its target.
    """
    found: list[tuple[str, Path]] = []
    skipped: list[Skipped] = []
    real_root = root.resolve()

    def visit(folder: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            if prefix:  # a missing documents dir itself is the caller's to report
                _skip(skipped, prefix, f"folder {describe(error)}")
            return
        for entry in entries:
            doc_id = prefix + entry.name
            try:
                is_dir = entry.is_dir()  # follows links: a link to a folder counts as a folder
            except OSError:
                is_dir = False
            if not is_dir and not entry.name.lower().endswith(EXTENSIONS):
                continue
            shown = doc_id + "/" if is_dir else doc_id
            if entry.name.startswith("."):
                _skip(
                    skipped,
                    shown,
                    f"hidden {'folder' if is_dir else 'file'} "
                    "(names starting with '.' are not indexed)",
                )
                continue
            if entry.is_symlink():
                problem = outside_reason(real_root, Path(entry.path))
                if problem:
                    _skip(skipped, shown, problem)
                    continue
                if is_dir:  # its files are indexed under their own names; following it could loop
                    _skip(skipped, shown, "a link to a folder (only real folders are read)")
                    continue
            if is_dir:
                visit(Path(entry.path), shown)
            else:
                found.append((doc_id, Path(entry.path)))

    visit(root, "")
    return found, skipped


def outside_reason(root: Path, path: Path) -> str:
    """Why `path` must not be read as a document of `root` ("" when it may): it resolves outside
    `root`, or it is a broken link. Also the check for anything a moderator adds."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        return "a broken link"
    if not target.is_relative_to(root.resolve()):
        log.warning("%s links to %s, outside the documents dir %s", path, target, root)
        return "a link to a file or folder outside the documents dir"
    return ""


def _read_inside(
    root: Path,
    path: Path,
    doc_id: str,
    *,
    max_bytes: int,
    declared: Declared | None,
    known: Document | None = None,
) -> Document:
    """The document at `path`, stamped with the stat taken before reading it: a file changed
    while it is read then looks changed to the next refresh too. `known` itself is returned,
    unread, when the stat matches its stamp."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    if info.st_size > max_bytes:
        raise ValueError(
            f"the file is {round(info.st_size / 1_000_000, 3):g} MB, over documents.max_file_mb = "
            f"{max_bytes / 1_000_000:g}"
        )
    stamp = file_stamp(info, declared)
    if known is not None and known.stamp and list(known.stamp) == list(stamp):
        return known  # nothing is read, so nothing can be read from outside `root`
    # Checked again just before reading, so a file swapped for a link since the walk is caught
    # (only here: resolving every unchanged file's path was 4 s of a refresh of 35,000 files).
    problem = outside_reason(root, path)
    if problem:
        raise ValueError(problem)
    return replace(read_document(path, doc_id), stamp=stamp)


def _skip(skipped: list[Skipped], doc_id: str, reason: str) -> None:
    log.warning("skipping %s: %s", doc_id, reason)
    skipped.append(Skipped(doc_id, reason))


def with_declared(document: Document, declared: Declared | None) -> Document:
    """`document` with the declared title and source; its hash covers them, so changing only
    the title of an upload is a change the next refresh picks up."""
    if declared is None or not (declared.title or declared.source_url):
        return document
    digest = hashlib.sha256(
        f"{document.sha256}\0{declared.title or ''}\0{declared.source_url or ''}".encode()
    )
    return replace(
        document,
        title=declared.title or document.title,
        has_title=document.has_title or bool(declared.title),
        source_url=declared.source_url or document.source_url,
        sha256=digest.hexdigest(),
    )


def read_document(path: Path, doc_id: str) -> Document:
    return document_from_bytes(path.read_bytes(), path.suffix, doc_id, stem=path.stem)


def document_from_bytes(raw: bytes, suffix: str, doc_id: str, *, stem: str) -> Document:
    """The document in `raw`, read as a `suffix` file; ValueError (or UnicodeDecodeError) with
    the reason when it cannot be read or holds no text."""
    reader = reader_for(suffix)
    if reader is not None:
        if not raw:
            raise ValueError("the file is empty")
        try:
            extracted = reader(raw, Limits())
        except ValueError:
            raise
        except Exception as error:  # a format library's own failure on a damaged file
            log.debug("reader failed on %s", doc_id, exc_info=True)
            raise ValueError(
                f"cannot be read as {suffix.lower()} ({type(error).__name__})"
            ) from None
        return Document(
            id=doc_id,
            title=extracted.title or stem,
            source_url=extracted.source_url,
            date=None,
            text=extracted.text,
            sha256=hashlib.sha256(raw).hexdigest(),
            has_title=bool(extracted.title),
            reader=extracted.reader,
            places=extracted.places,
            blocks=extracted.blocks,
        )
    text = decode_text(raw)
    # Windows (and old Mac) line ends stored as "\n": paragraphs are blank-line separated, and a
    # "\r" between two line ends would make every line a paragraph of its own.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValueError("the file is empty")
    meta = read_metadata(text)
    return Document(
        id=doc_id,
        title=meta.get("title") or _first_line(text, meta) or stem,
        source_url=meta.get("source"),
        date=meta.get("date"),
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        has_title=bool(meta.get("title")),
        places=markdown_places(text, meta.get("title")),
    )


def read_metadata(text: str) -> dict[str, str]:
    """Title, source and date from YAML-style front matter, `Source:` lines and `# headings`."""
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and value.strip():
                meta.setdefault(_meta_key(key), value.strip().strip("\"'"))
    for match in _META_LINE.finditer(text):
        meta.setdefault(_meta_key(match.group(1)), match.group(2))
    heading = _HEADING.search(text, front.end() if front else 0)
    if heading:
        meta.setdefault("title", heading.group(1).strip())
    return {k: v for k, v in meta.items() if k in ("title", "source", "date")}


def metadata_spans(text: str) -> list[tuple[int, int]]:
    """Character spans that hold metadata, not prose: front matter and `Source:`/`Date:` lines."""
    spans = []
    front = _FRONT_MATTER.match(text)
    if front:
        spans.append((0, front.end()))
    spans.extend((m.start(), m.end()) for m in _META_LINE.finditer(text))
    return spans


def _meta_key(key: str) -> str:
    key = key.strip().lower()
    return {"url": "source", "link": "source", "published": "date"}.get(key, key)


def _first_line(text: str, meta: dict[str, str]) -> str:
    body = text[_FRONT_MATTER.match(text).end() :] if _FRONT_MATTER.match(text) else text
    for line in body.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not _META_LINE.match(line):
            return line[:200]
    return ""


def describe(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start} cannot be decoded)"
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror or error})"
    return str(error)
