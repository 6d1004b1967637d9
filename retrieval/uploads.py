"""Documents moderators add and remove: names made safe, types sniffed from bytes, files moved."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from retrieval.charsets import decode_text
from retrieval.clock import SYSTEM_CLOCK, Clock
from retrieval.digests import file_sha256
from retrieval.documents import EXTENSIONS, Declared, describe, document_from_bytes, outside_reason
from retrieval.errors import DocumentRefused, UnknownDocument
from retrieval.file_lock import exclusive

log = logging.getLogger(__name__)

UPLOADS = "uploads"  # the folder of the documents dir that added documents are saved in
REMOVED = "removed"  # the folder beside the documents dir that removed documents move to
# Hidden and without a document suffix, so never indexed; holds what the files cannot say.
REGISTRY = ".added.json"
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".rst")
HTML_SUFFIXES = (".html", ".htm")
MAX_NAME_BYTES = 120  # well under the 255 bytes most file systems allow, room for a suffix
# Names Windows reserves whatever the suffix; a copy of the documents dir may end up there.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)
_UNSAFE = re.compile(r"[^\w.-]+")
# What common non-document files start with, to say what an upload is instead.
_SIGNATURES = (
    (b"MZ", "a Windows program (.exe)"),
    (b"\x7fELF", "a Linux program"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls); save it as .docx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_KINDS = {"pdf": "a PDF", "docx": "a Word document", "html": "an HTML page", "text": "plain text"}


@dataclass(frozen=True)
class Change:
    """What adding or removing did to one document; the audit log records it."""

    action: str  # "added" | "changed" | "unchanged" | "removed"
    document: str  # its id: the path under the documents dir, e.g. "uploads/rules.pdf"
    title: str
    sha256: str
    size: int
    url: str | None = None  # a web page's address
    moved_to: str | None = None  # where a removed document now is, beside the documents dir


@dataclass(frozen=True)
class Entry:
    """What the registry keeps about one added document."""

    title: str | None = None
    source_url: str | None = None
    url: str | None = None  # a web page, re-fetched on refresh
    etag: str | None = None
    last_modified: str | None = None


def safe_file_name(name: str, suffix: str, *, fallback: str) -> str:
    """`name` as a file name safe anywhere: its last path part only, letters, digits and
    `._-` (anything else becomes "-"), no leading dot, not a reserved device name, at most
    MAX_NAME_BYTES, ending in `suffix`; `fallback` when nothing usable is left."""
    base = unicodedata.normalize("NFKC", re.split(r"[\\/]", name)[-1])
    stem, dot, ext = base.rpartition(".")
    if not dot or not ext.isalnum():
        stem = base
    stem = _UNSAFE.sub("-", "".join(c for c in stem if unicodedata.category(c)[0] != "C"))
    stem = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", stem)).strip(".-_ ")
    while len(stem.encode()) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(".-_ ")
    if not stem:
        stem = fallback
    if stem.split(".")[0].casefold() in _RESERVED:
        stem += "-file"
    return stem + suffix.lower()


def sniff(raw: bytes) -> str:
    """What the bytes hold: "pdf", "docx", "html" or "text"; DocumentRefused saying what they
    are instead (a program, an image, an archive, binary data, nothing)."""
    head = raw[:1024].lstrip()
    if not raw.strip():
        raise DocumentRefused("the file is empty")
    if head.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            raise DocumentRefused("it is a damaged ZIP archive") from None
        if "word/document.xml" in names:
            return "docx"
        raise DocumentRefused("it is a ZIP archive, not a Word document")
    for signature, what in _SIGNATURES:
        if raw.startswith(signature):
            raise DocumentRefused(f"it is {what}")
    try:
        text = decode_text(raw)
    except ValueError as error:
        raise DocumentRefused(f"it is {error}") from None
    start = text.lstrip("\ufeff \t\r\n")[:200].casefold()
    if start.startswith(("<!doctype html", "<html", "<head", "<body")):
        return "html"
    return "text"


def choose_suffix(name: str, kind: str) -> str:
    """The suffix to save a file of sniffed `kind` under; the bytes decide, the name only
    picks between the text formats. DocumentRefused when the name claims another format."""
    named = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if kind in ("pdf", "docx"):
        if named in EXTENSIONS and named != f".{kind}":
            raise DocumentRefused(f"its name says {named}, but it is {_KINDS[kind]}")
        return f".{kind}"
    if named in (".pdf", ".docx"):
        raise DocumentRefused(f"its name says {named}, but it is {_KINDS[kind]}")
    if kind == "html":
        return named if named in HTML_SUFFIXES else ".html"
    return named if named in (*TEXT_SUFFIXES, *HTML_SUFFIXES) else ".txt"


class Library:
    """The documents dir as moderators change it: `add` saves into `uploads/`, `remove` moves a
    file to `removed/<date>/` beside the dir. Files appear whole (written aside, then renamed),
    so a refresh running at the same time reads the old file or the new one, never half."""

    def __init__(self, root: Path, *, max_file_mb: float, clock: Clock = SYSTEM_CLOCK):
        self.root = root
        self.max_bytes = int(max_file_mb * 1_000_000)
        self.uploads = root / UPLOADS
        self._clock = clock

    def add(
        self,
        raw: bytes,
        name: str,
        *,
        title: str | None = None,
        source_url: str | None = None,
        url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Change:
        """Check `raw` (size, type from its bytes, readable) and save it as uploads/<safe name>;
        the same name again replaces the file: "changed" (or "unchanged" if identical)."""
        self.check_size(name, len(raw))
        if source_url and urlsplit(source_url).scheme.lower() not in ("http", "https"):
            raise DocumentRefused(
                f"the source must be an http:// or https:// link, not {_shown(source_url)}"
            )
        try:
            suffix = choose_suffix(name, sniff(raw))
        except DocumentRefused as error:
            raise DocumentRefused(f"{_shown(name)} was not added: {error}") from None
        sha256 = hashlib.sha256(raw).hexdigest()
        file_name = safe_file_name(name, suffix, fallback=f"upload-{sha256[:12]}")
        with self._locked():
            file_name = self._existing_spelling(file_name)
            doc_id = f"{UPLOADS}/{file_name}"
            try:
                document = document_from_bytes(raw, suffix, doc_id, stem=Path(file_name).stem)
            except (ValueError, UnicodeDecodeError) as error:
                raise DocumentRefused(
                    f"{_shown(name)} was not added: it cannot be read ({describe(error)})"
                ) from None
            target = self.uploads / file_name
            action = "added"
            if target.exists():
                action = "unchanged" if file_sha256(target) == sha256 else "changed"
            self._write(target, raw)
            entries = self._entries()
            entries[doc_id] = Entry(
                title=title,
                source_url=source_url or None,
                url=url,
                etag=etag,
                last_modified=last_modified,
            )
            self._save_entries(entries)
        log.info("%s %s (%d bytes, sha256 %s)", action, doc_id, len(raw), sha256)
        return Change(action, doc_id, title or document.title, sha256, len(raw), url=url)

    def check_size(self, name: str, size: int) -> None:
        """DocumentRefused when a file of `size` bytes is over documents.max_file_mb."""
        if size > self.max_bytes:
            raise DocumentRefused(
                f"{_shown(name)} is {size / 1_000_000:.1f} MB, over the limit of "
                f"{self.max_bytes / 1_000_000:g} MB (documents.max_file_mb); nothing was saved"
            )

    def remove(self, doc_id: str) -> Change:
        """Move the document out of the documents dir into removed/<date>/, keeping its path;
        UnknownDocument when there is no such document file."""
        path = self._document_path(doc_id)
        raw = path.read_bytes()
        beside = self.root.resolve().parent
        target = _free_path(beside / REMOVED / self._clock.today().isoformat() / doc_id)
        with self._locked():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            entries = self._entries()
            entry = entries.pop(doc_id, Entry())
            self._save_entries(entries)
        log.info("removed %s to %s", doc_id, target)
        return Change(
            "removed",
            doc_id,
            entry.title or path.stem,
            hashlib.sha256(raw).hexdigest(),
            len(raw),
            url=entry.url,
            moved_to=target.relative_to(beside).as_posix(),
        )

    def entries(self) -> dict[str, Entry]:
        """Added documents' registry entries by id; those whose file is gone are left out."""
        return {
            doc_id: entry
            for doc_id, entry in self._entries().items()
            if (self.root / doc_id).is_file()
        }

    def declared(self) -> dict[str, Declared]:
        """Titles and sources to read the added documents with (a web page's is its address)."""
        return {
            doc_id: Declared(entry.title, entry.source_url or entry.url)
            for doc_id, entry in self.entries().items()
        }

    # -- internals -------------------------------------------------------------------------

    def _document_path(self, doc_id: str) -> Path:
        parts = PurePosixPath(doc_id).parts
        unknown = UnknownDocument(
            f"There is no document named {_shown(doc_id)}: /docs list "
            "(or /sources) shows the names."
        )
        if (
            not parts
            or doc_id.startswith("/")
            or any(p in ("..", ".") or p.startswith(".") for p in parts)
            or not doc_id.lower().endswith(EXTENSIONS)
        ):
            raise unknown
        path = self.root.joinpath(*parts)
        if not path.is_file() or path.is_symlink() or outside_reason(self.root, path):
            raise unknown
        return path

    def _existing_spelling(self, file_name: str) -> str:
        """The name of the upload that `file_name` replaces on a case-insensitive file system."""
        if self.uploads.is_dir():
            for entry in os.scandir(self.uploads):
                if entry.name.casefold() == file_name.casefold():
                    return entry.name
        return file_name

    def _write(self, target: Path, raw: bytes) -> None:
        if outside_reason(self.root, self.uploads) or self.uploads.is_symlink():
            raise DocumentRefused(
                f"the {UPLOADS} folder of the documents dir is a link; "
                "nothing was saved (ask the host to make it a real folder)"
            )
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise DocumentRefused(
                f"{_shown(target.name)} exists and is not a plain file; nothing was saved"
            )
        part = self.uploads / f".part-{secrets.token_hex(6)}"  # no document suffix: never read
        try:
            with open(part, "xb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One change at a time, across the bot and `citebot add`/`remove`."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        with exclusive(self.uploads / ".lock"):
            yield

    def _entries(self) -> dict[str, Entry]:
        try:
            raw = json.loads((self.uploads / REGISTRY).read_text(encoding="utf-8"))
            return {doc_id: Entry(**fields) for doc_id, fields in raw["documents"].items()}
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("ignoring the damaged %s: %s", self.uploads / REGISTRY, error)
            return {}

    def _save_entries(self, entries: dict[str, Entry]) -> None:
        data = {
            "documents": {
                doc_id: {k: v for k, v in asdict(e).items() if v is not None}
                for doc_id, e in sorted(entries.items())
            }
        }
        part = self.uploads / f".part-{secrets.token_hex(6)}"
        part.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(part, self.uploads / REGISTRY)


def _free_path(path: Path) -> Path:
    """`path`, or `name-2.ext`, `name-3.ext`… when it is taken: nothing removed is overwritten."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _shown(name: str) -> str:
    """A user-given name in a message: invisible characters dropped, cut to 80 characters."""
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    return f"“{name[:79]}…”" if len(name) > 80 else f"“{name}”"
