import logging
import os

import pytest

from retrieval import documents as documents_module
from retrieval.documents import Declared, Skipped, load_documents, unchanged_files
from retrieval.errors import DocumentLimit
from tests.conftest import SEED_ID, SEEDS


def test_the_seed_article_is_recognised():
    (document,), skipped = load_documents(SEEDS)
    assert skipped == []
    assert document.id == SEED_ID
    assert document.title.startswith("Russia-Ukraine war: What’s a “coalition of the willing”")
    assert document.source_url.startswith("https://www.aljazeera.com/news/2025/3/3/")
    assert document.date == "2025-03-03"
    assert "French President Emmanuel Macron suggested a one-month ceasefire" in document.text


def test_ids_are_relative_paths_and_titles_fall_back(tmp_path):
    (tmp_path / "guides" / "deep").mkdir(parents=True)
    (tmp_path / "guides" / "deep" / "faq.txt").write_text("How to join\nAsk a moderator.\n")
    (tmp_path / "notes.md").write_text("\n\n## Rules\n\nBe kind.\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    documents, _ = load_documents(tmp_path)
    by_id = {d.id: d for d in documents}
    assert set(by_id) == {"guides/deep/faq.txt", "notes.md"}
    assert by_id["guides/deep/faq.txt"].title == "How to join"  # first line
    assert by_id["notes.md"].title == "Rules"  # first heading
    # Only a declared title is embedded with the text; a borrowed first line is not.
    assert by_id["notes.md"].has_title and not by_id["guides/deep/faq.txt"].has_title


def test_front_matter_gives_title_source_and_date(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: Server rules\nsource: https://example.org/rules\ndate: 2024-01-02\n---\n"
        "# Not this heading\n\nBe kind.\n"
    )
    (document,), _ = load_documents(tmp_path)
    assert (document.title, document.source_url, document.date) == (
        "Server rules",
        "https://example.org/rules",
        "2024-01-02",
    )


def test_unreadable_and_empty_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    (tmp_path / "good.md").write_text("# Good\n\nFine text.\n")
    (tmp_path / "broken-utf16.txt").write_bytes(
        b"\xff\xfeA"
    )  # a UTF-16 mark, then half a character
    (tmp_path / "empty.md").write_text("  \n\n")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_documents(tmp_path)
    assert [d.id for d in documents] == ["good.md"]
    reasons = {s.path: s.reason for s in skipped}
    assert "not valid UTF-16-LE" in reasons["broken-utf16.txt"]
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["binary.txt"]
    for name in reasons:
        assert name in caplog.text


def test_hash_changes_with_content(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("one")
    (first,), _ = load_documents(tmp_path)
    path.write_text("two")
    (second,), _ = load_documents(tmp_path)
    assert first.sha256 != second.sha256


def test_links_out_of_the_documents_dir_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (docs / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (docs / "real" / "notes.md").write_text("# Notes\n\nInside the folder.\n")
    (docs / "passwd.md").symlink_to(outside / "secret.md")
    (docs / "etc").symlink_to(outside, target_is_directory=True)
    (docs / "gone.md").symlink_to(tmp_path / "missing.md")
    (docs / "alias.md").symlink_to(docs / "real" / "notes.md")  # inside: fine
    (docs / "again").symlink_to(docs / "real", target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_documents(docs)
    assert [d.id for d in documents] == ["alias.md", "real/notes.md"]
    assert not any("root:x" in d.text for d in documents)
    reasons = {s.path: s.reason for s in skipped}
    assert "outside the documents dir" in reasons["passwd.md"]
    assert "outside the documents dir" in reasons["etc/"]
    assert "broken link" in reasons["gone.md"]
    assert "link to a folder" in reasons["again/"]
    assert "passwd.md" in caplog.text and "etc" in caplog.text


def test_hidden_files_and_folders_are_skipped_with_a_visible_reason(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("# Internal\n\nNot for the bot.\n")
    (tmp_path / ".draft.md").write_text("# Draft\n\nNot yet.\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")  # not a document at all: not listed
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    documents, skipped = load_documents(tmp_path)
    assert [d.id for d in documents] == ["a.md"]
    assert [(s.path, "hidden" in s.reason) for s in skipped] == [
        (".draft.md", True),
        (".git/", True),
    ]


def test_a_file_over_the_size_limit_is_skipped_before_it_is_read(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 400)  # 2,000 bytes
    (tmp_path / "small.md").write_text("# Small\n\nShort.\n")
    documents, skipped = load_documents(tmp_path, max_file_mb=0.001)
    assert [d.id for d in documents] == ["small.md"]
    assert skipped[0].path == "big.txt"
    assert "documents.max_file_mb = 0.001" in skipped[0].reason


def test_a_pipe_named_like_a_document_is_skipped_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    documents, skipped = load_documents(tmp_path)
    assert [d.id for d in documents] == ["a.md"]
    assert skipped == [Skipped("pipe.md", "not a regular file")]


def test_more_documents_than_the_limit_refuses_before_reading_any(tmp_path):
    for number in range(4):
        (tmp_path / f"{number}.md").write_text(f"# Doc {number}\n\nText.\n")
    assert len(load_documents(tmp_path, max_documents=4)[0]) == 4
    with pytest.raises(
        DocumentLimit, match="holds 4 documents, more than documents.max_documents = 3"
    ):
        load_documents(tmp_path, max_documents=3)


def test_a_file_swapped_for_a_link_outside_after_the_walk_is_not_read(tmp_path, monkeypatch):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (docs / "notes.md").write_text("# Notes\n\nInside the folder.\n")
    listed = documents_module.find_document_files(docs)  # the walk sees a plain file
    (known,), _ = load_documents(docs)
    (docs / "notes.md").unlink()
    (docs / "notes.md").symlink_to(outside / "secret.md")  # then it becomes a link out
    monkeypatch.setattr(documents_module, "find_document_files", lambda root: listed)
    documents, skipped = load_documents(docs, known={"notes.md": known})
    assert documents == [] and "outside the documents dir" in skipped[0].reason


def test_files_as_indexed_need_no_reading_until_a_name_size_time_or_title_changes(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nAlpha.\n")
    (tmp_path / "b.md").write_text("# B\n\nBeta.\n")
    (tmp_path / ".hidden.md").write_text("# H\n\nHidden.\n")
    loaded, _ = load_documents(tmp_path)
    stamps = {d.id: list(d.stamp) for d in loaded}
    limits = {"max_file_mb": 50.0, "max_documents": 100}
    unread = unchanged_files(tmp_path, stamps, **limits)
    assert unread is not None and [s.path for s in unread] == [".hidden.md"]
    assert unchanged_files(tmp_path, stamps, **limits, declared={"a.md": Declared("Aye")}) is None
    assert unchanged_files(tmp_path, stamps, max_file_mb=0.000001, max_documents=100) is None
    assert unchanged_files(tmp_path, stamps, max_file_mb=50.0, max_documents=1) is None
    (tmp_path / "c.md").write_text("# C\n\nGamma.\n")
    assert unchanged_files(tmp_path, stamps, **limits) is None
    (tmp_path / "c.md").unlink()
    (tmp_path / "b.md").write_text("# B\n\nBeta, longer.\n")
    assert unchanged_files(tmp_path, stamps, **limits) is None
