"""`citebot` on PDF, HTML, Word and reStructuredText files: verbatim quotes, page and section
citations, `citebot show`, and bad files listed with their reason."""

import io
import json
import shutil
import sys

import pytest

from bot.cli import main
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def run(tmp_path, monkeypatch, real_embedder):
    docs = tmp_path / "docs"
    shutil.copytree(FIXTURES / "documents", docs)
    shutil.copy(FIXTURES / "bad" / "scan.pdf", docs / "scan.pdf")
    monkeypatch.setattr("retrieval.engine.Embedder.configured", lambda *a, **k: real_embedder)
    config = tmp_path / "citebot.toml"
    config.write_text(
        f'[documents]\ndir = "{docs}"\n[index]\ndir = "{tmp_path / "index"}"\n'
        f'state_db = "{tmp_path / "state.sqlite3"}"\n'
    )

    def run(*args):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        return main(["--config", str(config), *args])

    return run


def shown_text(run, capsys, document: str) -> str:
    assert run("show", document) == 0
    return capsys.readouterr().out


def test_index_lists_the_scan_it_skipped_and_indexes_the_rest(run, capsys):
    assert run("index", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["documents"]) == [
        "club.html",
        "equipment.rst",
        "handbook.pdf",
        "rules.docx",
    ]
    assert report["skipped"] == ["scan.pdf: no text layer; OCR is not supported"]


def test_a_pdf_quote_is_cited_to_its_page_and_is_the_stored_text(run, capsys):
    assert run("ask", "--json", "How much is the yearly membership fee?") == 0
    answer = json.loads(capsys.readouterr().out)
    quote = answer["quotes"][0]
    assert quote["document"] == "handbook.pdf" and "20 euros" in quote["text"]
    assert quote["page"] == 2 and quote["section"] == ["Membership fees"]
    assert "citebot show" in answer["offsets"]
    assert shown_text(run, capsys, "handbook.pdf")[quote["start"] : quote["end"]] == quote["text"]


def test_terminal_citations_name_the_page_and_section_with_a_path_to_open(run, capsys):
    assert run("ask", "How much is the yearly membership fee?") == 0
    out = capsys.readouterr().out
    assert "Club Handbook — p. 2 · § Membership fees (handbook.pdf#page=2)" in out
    assert run("ask", "What does the winner of the tournament receive?") == 0
    out = capsys.readouterr().out
    assert "Lindenau Chess Club — § 2.3.1 Prizes (club.html#prizes)" in out
    assert "https://chess.example.org/club.html#prizes" in out


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("How long may members borrow a chess set?", "equipment.rst"),
        ("How many guests may a member bring?", "rules.docx"),
        ("When was the club founded?", "club.html"),
    ],
)
def test_every_format_answers_verbatim(run, capsys, question, document):
    assert run("ask", "--json", question) == 0
    quote = json.loads(capsys.readouterr().out)["quotes"][0]
    assert quote["document"] == document
    assert shown_text(run, capsys, document)[quote["start"] : quote["end"]] == quote["text"]


def test_a_code_block_is_quoted_as_code(run, capsys):
    assert run("ask", "What command registers me for the spring tournament?") == 0
    out = capsys.readouterr().out
    assert "(code)\n      $ register --tournament spring\n      Registered." in out


def test_show_json_gives_the_text_and_its_places(run, capsys):
    assert run("show", "--json", "club.html") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["reader"] == "html" and shown["text"].startswith("Lindenau Chess Club")
    prizes = next(p for p in shown["places"] if p["anchor"] == "prizes")
    assert "wooden trophy" in shown["text"][prizes["start"] : prizes["end"]]
    assert run("show", "no-such-document") == 2
