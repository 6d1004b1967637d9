"""SHA-256 of files, read a megabyte at a time (an index's vector files are gigabytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def add_file(digest, path: Path) -> None:
    """Feed the bytes of the file at `path` to `digest` (a hashlib object)."""
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file at `path`."""
    digest = hashlib.sha256()
    add_file(digest, path)
    return digest.hexdigest()
