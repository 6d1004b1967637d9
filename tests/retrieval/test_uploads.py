"""Added documents: safe names, types from bytes, whole files, removal that keeps the file."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.clock import Clock
from retrieval.documents import load_documents
from retrieval.errors import DocumentRefused, UnknownDocument
from retrieval.uploads import Library, choose_suffix, safe_file_name, sniff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTE = b"# Ferry timetable\n\nThe first ferry leaves the pier at half past six.\n"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Club rules.md", "Club-rules.md"),
        ("../../etc/passwd", "passwd.md"),
        ("..\\..\\windows\\win.ini", "win.md"),
        ("CON", "CON-file.md"),
        ("con.txt", "con-file.md"),
        ("lpt1.tar", "lpt1-file.md"),
        ("😀" * 300 + ".md", "fallback.md"),
        (".hidden.md", "hidden.md"),
        ("a\u202eb\u200bc.md", "abc.md"),  # direction override and zero-width space dropped
        ("Ünïcödé – notes.md", "Ünïcödé-notes.md"),
        ("ｆｕｌｌｗｉｄｔｈ.md", "fullwidth.md"),  # NFKC
    ],
)
def test_names_are_safe_on_any_file_system(name, expected):
    assert safe_file_name(name, ".md", fallback="fallback") == expected


def test_a_long_name_is_cut_to_fit_every_file_system():
    name = safe_file_name("é" * 300 + ".pdf", ".pdf", fallback="x")
    assert name.endswith("é.pdf") and len(name.encode()) <= 124


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        ((FIXTURES / "documents" / "club.html").read_bytes(), "html"),
        (b"\xef\xbb\xbf# Title\n\nText.", "text"),
        (b"Plain words.", "text"),
        ("Caf\u00e9 \u201cnoir\u201d".encode("cp1252"), "text"),  # a Windows-1252 file is text too
    ],
)
def test_the_type_comes_from_the_bytes(raw, kind):
    assert sniff(raw) == kind


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"MZ\x90\x00rest of a program", "a Windows program"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"PK\x03\x04not really a zip", "a damaged ZIP archive"),
        (b"   \n\t", "the file is empty"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11binary", "binary data"),
        (b"text\x00with NUL", "NUL bytes"),
    ],
)
def test_what_is_not_a_document_is_named(raw, reason):
    with pytest.raises(DocumentRefused, match=reason):
        sniff(raw)


@pytest.mark.parametrize(
    ("name", "kind", "suffix"),
    [
        ("notes.rst", "text", ".rst"),
        ("notes", "text", ".txt"),
        ("page.htm", "html", ".htm"),
        ("page.md", "html", ".html"),  # the bytes say HTML
        ("report", "pdf", ".pdf"),
        ("report.bin", "docx", ".docx"),
    ],
)
def test_the_suffix_follows_the_bytes(name, kind, suffix):
    assert choose_suffix(name, kind) == suffix


def test_a_name_claiming_another_binary_format_is_refused():
    with pytest.raises(DocumentRefused, match=r"its name says \.pdf, but it is plain text"):
        choose_suffix("rules.pdf", "text")


def test_an_upload_is_saved_whole_and_read_with_its_declared_title(tmp_path):
    library = Library(tmp_path, max_file_mb=1)
    change = library.add(NOTE, "Ferry times.md", title="Ferries", source_url="https://e.org/f")
    assert (change.action, change.document, change.size) == (
        "added",
        "uploads/Ferry-times.md",
        len(NOTE),
    )
    assert change.sha256 == hashlib.sha256(NOTE).hexdigest()
    assert [p.name for p in (tmp_path / "uploads").iterdir() if p.name.startswith(".part")] == []
    (document,), skipped = load_documents(tmp_path, declared=library.declared())
    assert (document.title, document.source_url) == ("Ferries", "https://e.org/f")
    assert skipped == []  # the registry and lock file are not documents


def test_the_same_name_again_is_an_update(tmp_path):
    library = Library(tmp_path, max_file_mb=1)
    library.add(NOTE, "ferry.md")
    assert library.add(NOTE, "FERRY.md").action == "unchanged"
    assert library.add(NOTE + b"\nA second line.\n", "ferry.md").action == "changed"
    assert [p.name for p in (tmp_path / "uploads").glob("*.md")] == ["ferry.md"]


@pytest.mark.parametrize(
    ("raw", "name", "reason"),
    [
        (b"x" * 1_000_001, "big.md", r"“big.md” is 1.0 MB, over the limit of 1 MB"),
        ((FIXTURES / "bad" / "encrypted.pdf").read_bytes(), "locked.pdf", "cannot be read"),
        ((FIXTURES / "bad" / "empty-page.html").read_bytes(), "empty.html", "no main content"),
        (NOTE, "ferry.md", "the source must be an http:// or https:// link"),
    ],
)
def test_a_refused_upload_leaves_the_documents_as_they_were(tmp_path, raw, name, reason):
    library = Library(tmp_path, max_file_mb=1)
    library.add(NOTE, "ferry.md")
    source = "javascript:alert(1)" if name == "ferry.md" else None
    with pytest.raises(DocumentRefused, match=reason):
        library.add(raw, name, source_url=source)
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        ".added.json",
        ".lock",
        "ferry.md",
    ]
    assert (tmp_path / "uploads" / "ferry.md").read_bytes() == NOTE


def test_uploads_at_the_same_time_lose_nothing(tmp_path):
    library = Library(tmp_path, max_file_mb=1)
    names = [f"note {n}.md" for n in range(8)]
    threads = [
        threading.Thread(target=library.add, args=(NOTE + name.encode(), name)) for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(library.entries()) == 8
    assert len(list((tmp_path / "uploads").glob("*.md"))) == 8


def test_remove_moves_the_file_beside_the_documents_dir_never_over_another(tmp_path):
    docs = tmp_path / "docs"
    library = Library(
        docs, max_file_mb=1, clock=Clock(wall=lambda: datetime(2026, 3, 4, tzinfo=UTC))
    )
    for _ in range(2):
        library.add(NOTE, "ferry.md", title="Ferries")
        change = library.remove("uploads/ferry.md")
    assert change.moved_to == "removed/2026-03-04/uploads/ferry-2.md"
    assert (tmp_path / "removed/2026-03-04/uploads/ferry.md").read_bytes() == NOTE
    assert (change.action, change.title) == ("removed", "Ferries")
    assert library.entries() == {}


@pytest.mark.parametrize(
    "doc_id", ["uploads/nothing.md", "../outside.md", "/etc/passwd", "uploads/.added.json", ""]
)
def test_removing_what_is_not_a_document_is_refused(tmp_path, doc_id):
    (tmp_path / "outside.md").write_bytes(NOTE)
    library = Library(tmp_path / "docs", max_file_mb=1)
    library.add(NOTE, "ferry.md")
    with pytest.raises(UnknownDocument, match="There is no document named"):
        library.remove(doc_id)
    assert (tmp_path / "outside.md").exists()
