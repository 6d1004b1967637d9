"""benchmarks/summaries.py runs end to end on a tiny copy of the data and prints its table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import summaries  # noqa: E402

ARTICLES = [
    (
        "(cnn) a magma reservoir was found under yellowstone. it is huge. scientists mapped it with "
        "earthquake waves. the eruption risk has not changed. visitors still come to see geysers.",
        "huge magma reservoir found under yellowstone.\neruption risk unchanged.",
    ),
    (
        "brentford beat fulham 4 - 1 on saturday. stuart dallas scored twice. fulham led early. "
        "the win keeps brentford in the play-off race. fulham fear relegation.",
        "brentford beat fulham 4 - 1.\nstuart dallas scored twice.",
    ),
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "articles").mkdir()
    with open(tmp_path / "references.jsonl", "w", encoding="utf-8") as handle:
        for number, (text, reference) in enumerate(ARTICLES):
            name = f"{number:03d}.txt"
            (tmp_path / "articles" / name).write_text(text, encoding="utf-8")
            handle.write(json.dumps({"id": name, "article": name, "reference": reference}) + "\n")
    return tmp_path


def test_prints_a_table_of_every_method(data, tmp_path, capsys):
    args = [
        "--data",
        str(data),
        "--index",
        str(tmp_path / "index"),
        "--methods",
        "lead,lexrank,textrank,oracle,citebot",
    ]
    assert summaries.main(args) == 0
    out = capsys.readouterr().out
    for name in ("Lead-3", "LexRank (sumy)", "TextRank (sumy)", "greedy oracle", "Citebot"):
        assert f"| {name} |" in out
    assert "one document" in out and "a topic across all 2 articles" in out


def test_lead_takes_the_first_sentences_of_the_same_splitter(data):
    article = summaries.load_articles(data)[0]
    assert summaries.lead(article, 2) == [
        "(cnn) a magma reservoir was found under yellowstone.",
        "it is huge.",
    ]
