"""benchmarks/qa.py runs end to end on two tiny documents with the real model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import qa  # noqa: E402

DOCS = {
    "volcano.md": "# Yellowstone\n\nScientists found a second magma reservoir beneath Yellowstone "
    "National Park in 2015. It holds enough hot rock to fill the Grand Canyon eleven times.\n",
    "match.md": "# Brentford beat Fulham\n\nBrentford beat Fulham 4-1 on Saturday. Stuart Dallas "
    "scored two superb goals in the second half.\n",
}
QUESTIONS = [
    {
        "id": "1",
        "question": "Who scored two goals for Brentford?",
        "answers": ["Stuart Dallas"],
        "article": "match.md",
    },
    {
        "id": "2",
        "question": "When was the second magma reservoir found?",
        "answers": ["2015"],
        "article": "volcano.md",
    },
]
OFFCORPUS = [{"id": "3", "question": "What is the capital of Peru?"}]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_prints_the_table_and_the_trade_off_curve(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "corpus").mkdir(parents=True)
    for name, text in DOCS.items():
        (data / "corpus" / name).write_text(text, encoding="utf-8")
    write_jsonl(data / "questions.jsonl", QUESTIONS)
    write_jsonl(data / "offcorpus.jsonl", OFFCORPUS)
    figures = tmp_path / "figures.json"

    code = qa.main(
        [
            "--data",
            str(data),
            "--index-dir",
            str(tmp_path / "index"),
            "--rebuild",
            "--seed-chat",
            str(tmp_path / "none"),
            "--json",
            str(figures),
            "--sets",
            "abcfdeghijk",  # not (l): it fetches a Debian package
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out  # 0: the spot check agrees with the after-the-fact threshold rule
    for row in (
        "| (a) whole collection | 2 |",
        "| (b) chat-style | 2 |",
        "| (c) each article alone | 2 |",
        "| (f) terse, each article alone | 2 |",
        "| (e) seed-chat-extra | 30 |",
        "| index build (s) |",
        "| raw model.encode, same texts (s) |",
        "| query latency p50 / p95 (ms), (a) whole collection |",
    ):
        assert row in out
    assert "| 0.50 |" in out and "0 differ" in out
    result = json.loads(figures.read_text())
    whole = result["figures"]["(a) whole collection"]
    assert whole["hit@1"] == 1.0 and whole["max_chars"] <= 300
    # Indexed alone, each article refuses the other's questions as off-corpus.
    assert result["figures"]["(c) each article alone"]["offcorpus_abstention"] == 1.0
    assert result["build_seconds"] > 0 and result["raw_encode_seconds"] > 0


def test_chat_style_and_terse_transforms_are_deterministic_and_documented():
    question = "What is the name of the stadium where Super Bowl 50 was played?"
    assert qa.chat_style(question) == "name of the stadium where super bowl 50 was played"
    assert qa.chat_style("Who is the MVP?") == "who's the mvp"
    assert qa.chat_style("In what year did it open?") == "what year did it open"
    assert (
        qa.terse("Which NFL team represented the AFC at Super Bowl 50?") == "which represented afc"
    )
    assert qa.terse("How many screens does it have?") == "how many screens"
