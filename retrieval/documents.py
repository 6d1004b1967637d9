"""Load the documents dir: .md and .txt files, their title, source URL, date and hash."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from retrieval.models import Document

log = logging.getLogger(__name__)

EXTENSIONS = (".md", ".markdown", ".txt")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_META_LINE = re.compile(r"^(source|url|date|published)[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.I | re.M)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def load_documents(root: Path) -> tuple[list[Document], list[Skipped]]:
    """Every readable, non-empty document under `root`, sorted by id; the rest as `Skipped`."""
    documents, skipped = [], []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS):
        doc_id = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in Path(doc_id).parts):
            continue
        try:
            document = read_document(path, doc_id)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            reason = _describe(error)
            log.warning("skipping %s: %s", doc_id, reason)
            skipped.append(Skipped(doc_id, reason))
            continue
        documents.append(document)
    return documents, skipped


def read_document(path: Path, doc_id: str) -> Document:
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # strict: a file that is not UTF-8 is skipped, not mangled
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise ValueError("the file is empty")
    if "\x00" in text:
        raise ValueError("the file looks binary (it contains NUL bytes)")
    meta = read_metadata(text)
    return Document(
        id=doc_id,
        title=meta.get("title") or _first_line(text, meta) or path.stem,
        source_url=meta.get("source"),
        date=meta.get("date"),
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        has_title=bool(meta.get("title")),
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
    body = text[_FRONT_MATTER.match(text).end():] if _FRONT_MATTER.match(text) else text
    for line in body.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not _META_LINE.match(line):
            return line[:200]
    return ""


def _describe(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start} cannot be decoded)"
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror or error})"
    return str(error)
