import logging

from retrieval.documents import load_documents
from tests.conftest import SEEDS, SEED_ID


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
        "Server rules", "https://example.org/rules", "2024-01-02",
    )


def test_unreadable_and_empty_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    (tmp_path / "good.md").write_text("# Good\n\nFine text.\n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "empty.md").write_text("  \n\n")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_documents(tmp_path)
    assert [d.id for d in documents] == ["good.md"]
    reasons = {s.path: s.reason for s in skipped}
    assert "not UTF-8" in reasons["latin1.txt"]
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
