"""Readers: one per file format, each turning a file's bytes into text plus where it sits.

Readers are the only code that knows a file format. Each is a function `read(raw, limits)` that
returns an `Extracted` or raises `UnreadableFile` with a reason a person can act on; the
format libraries are imported only when a file of their format is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from retrieval.models import Block, Place


class UnreadableFile(ValueError):
    """The file cannot be read as its format; the message says why (shown in skip lists)."""


@dataclass(frozen=True)
class Limits:
    """Bounds a reader keeps to, so one hostile file cannot exhaust memory."""

    max_unpacked_bytes: int = 200_000_000  # a .docx's decompressed size (zip bomb guard)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None  # a declared title (the file's metadata or first heading), else None
    places: tuple[Place, ...]
    blocks: tuple[Block, ...]
    reader: str
    source_url: str | None = None  # where the file is published, when it says (HTML canonical)


# Suffix → module under retrieval.readers holding `read(raw: bytes, limits: Limits)`.
_MODULES = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx", ".rst": "rst"}
EXTENSIONS = tuple(_MODULES)


def reader_for(suffix: str) -> Callable[[bytes, Limits], Extracted] | None:
    """The reader for a file suffix (".pdf"), or None for Markdown/text and unknown suffixes."""
    module = _MODULES.get(suffix.lower())
    return import_module(f"retrieval.readers.{module}").read if module else None
