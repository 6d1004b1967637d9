"""bench-qa's rows (k) and (l) build their collections from the data they name, offline: each
news article indexed alone; the handbook pages from an unpacked Debian package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import qa  # noqa: E402
from ingest import BOOK, HANDBOOK  # noqa: E402

from retrieval.settings import Settings  # noqa: E402

MATCH = "brentford beat fulham 4 - 1 on saturday . stuart dallas scored two superb goals ."
PAGE = "<html><body><h1>Firewall</h1><p>To enable the firewall, run:</p><pre>$ ufw enable</pre></body></html>"


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def settings_in(tmp_path: Path) -> Settings:
    return Settings().replace(index={"state_db": tmp_path / "state.sqlite3"})


def test_news_chat_indexes_each_article_alone(tmp_path, real_embedder):
    articles, data = tmp_path / "articles", tmp_path / "news-chat"
    articles.mkdir()
    data.mkdir()
    (articles / "001.txt").write_text(MATCH, encoding="utf-8")
    write_jsonl(
        data / "questions.jsonl",
        [{"id": "1", "article": "001.txt", "question": "who scored 2", "answers": ["dallas"]}],
    )
    write_jsonl(
        data / "offcorpus.jsonl",
        [{"id": "2", "article": "001.txt", "question": "whats the capital of peru"}],
    )
    [row] = qa.news_chat(settings_in(tmp_path), real_embedder, data, articles, tmp_path / "w")
    qa.run(row, 3)
    assert [d.id for d in row.engine.documents()] == ["001.txt"]
    assert row.inside[0].hits[0] and row.outside[0].scores[0] < 0.36


def test_manual_chat_reads_the_pages_it_names_from_the_unpacked_package(tmp_path, real_embedder):
    debian = tmp_path / "debian"
    (debian / "root" / BOOK).mkdir(parents=True)  # as ingest.fetch leaves it: no download
    pages = debian / "root" / HANDBOOK
    pages.mkdir(parents=True)
    (pages / "firewall.html").write_text(PAGE, encoding="utf-8")
    (pages / "unused.html").write_text(PAGE.replace("ufw", "nft"), encoding="utf-8")
    data = tmp_path / "manual-chat"
    data.mkdir()
    question = {"id": "1", "page": "firewall.html", "question": "how do i turn on the firewall"}
    write_jsonl(data / "questions.jsonl", [{**question, "answers": ["ufw enable"]}])
    write_jsonl(data / "offcorpus.jsonl", [{"id": "2", "question": "best pizza topping?"}])
    row = qa.manual_chat(settings_in(tmp_path), real_embedder, data, debian, tmp_path / "w")
    qa.run(row, 3)
    assert [d.id for d in row.engine.documents()] == ["firewall.html"]
    assert row.inside[0].hits[0]  # the lead-in quoted with its command
