"""`citebot` as a user runs it: index, ask (text, JSON, stdin), summarize, exit codes."""

import io
import json
import subprocess
import sys

import pytest

from bot.cli import main
from tests.conftest import REPO, SEED_ID


@pytest.fixture
def run(tmp_path, seed_docs, monkeypatch, real_embedder):
    """Run `citebot ARGS` in-process on a private copy of the seeds, sharing the loaded model."""
    monkeypatch.setattr("retrieval.engine.Embedder.configured", lambda *a, **k: real_embedder)
    config = tmp_path / "citebot.toml"
    config.write_text(
        f'[documents]\ndir = "{seed_docs}"\n[index]\ndir = "{tmp_path / "index"}"\n'
        f'state_db = "{tmp_path / "state.sqlite3"}"\n'
    )

    def run(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(["--config", str(config), *args])

    return run


def test_index_json_reports_what_it_did(run, capsys):
    assert run("index", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == [SEED_ID] and report["added"] == [SEED_ID]
    assert report["chunks"] == 7 and report["seconds"] >= 0 and report["full_rebuild"] is True
    assert run("index", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert again["unchanged"] == [SEED_ID] and again["embedded"] == 0


def test_ask_prints_quotes_in_quotation_marks_with_numbered_sources(run, capsys):
    assert run("ask", "What did Macron suggest?") == 0
    out = capsys.readouterr().out
    assert "[1] “French President Emmanuel Macron suggested a one-month ceasefire" in out
    assert "Sources:\n  [1]" in out and "Russia-Ukraine war" in out and "paragraph 4" in out
    assert "https://www.aljazeera.com/news/2025/3/3/" in out
    # a paragraph quoted twice is listed once, with both numbers
    assert out.count("— paragraph 4 ") == 1 and "[1][2] Russia-Ukraine war" in out


def test_ask_json_quotes_are_the_files_exact_text(run, capsys, seed_docs):
    assert run("ask", "--json", "What did Starmer announce?") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["answered"] is True and result["quotes"]
    for quote in result["quotes"]:
        text = (seed_docs / quote["document"]).read_text(encoding="utf-8")
        assert quote["text"] == text[quote["start"] : quote["end"]]
        assert set(quote) >= {"text", "document", "title", "source", "start", "end", "score"}


def test_ask_reads_one_question_per_line_from_stdin(run, capsys):
    stdin = "What did Macron suggest?\n\nWhat is the capital of Peru?\n" + "x" * 1200 + "\n"
    assert run("ask", "--json", stdin=stdin) == 3  # one question was refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, False]
    assert "limit is 1,000" in lines[2]["error"]


def test_ask_conversation_reads_each_question_as_a_follow_up_of_the_last_answer(run, capsys):
    stdin = "What did Macron suggest?\nwhat is the capital of peru\nwas turkey there\n"
    assert run("ask", "--json", "--conversation", stdin=stdin) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, True]
    # A refusal leaves the conversation about the document the last answer quoted.
    assert [line["follow_up_of"] for line in lines] == [None, SEED_ID, SEED_ID]
    assert "Turkey" in lines[2]["quotes"][0]["text"]
    assert run("ask", "--json", stdin=stdin) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["follow_up_of"] for line in lines] == [None, None, None]


def test_ask_conversation_tell_me_more_gives_the_next_quotes(run, capsys):
    stdin = "what is the peace plan\ntell me more\nmore\n"
    assert run("ask", "--json", "--conversation", "--top-k", "2", stdin=stdin) == 0
    first, more, again = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first["kind"] == "answer" and len(first["quotes"]) == 2
    assert more["kind"] == again["kind"] == "more"
    assert more["question"] == again["question"] == "what is the peace plan"
    assert (more["first"], again["first"]) == (3, 5)
    texts = [q["text"] for line in (first, more, again) for q in line["quotes"]]
    assert len(texts) == 6 and len(set(texts)) == 6  # the next quotes, none repeated
    # After a refusal, "more" is about the refused question, not the answered one before it.
    stdin = "what is the peace plan\nwhat is the capital of peru\nmore\n"
    assert run("ask", "--json", "--conversation", stdin=stdin) == 0
    *_, after_refusal = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert after_refusal["kind"] == "more" and not after_refusal["answered"]
    assert after_refusal["question"] == "what is the capital of peru"
    # Outside a conversation there is nothing to go on with.
    assert run("ask", "tell me more") == 0
    assert "Ask me a question first" in capsys.readouterr().out
    assert run("ask", "--json", "more") == 0
    assert json.loads(capsys.readouterr().out)["answered"] is False


def test_empty_question_gets_a_clear_message_and_exit_code_3(run, capsys):
    assert run("ask", "   ") == 3
    assert "Please type a question" in capsys.readouterr().err


def test_off_topic_question_says_the_documents_dont_say(run, capsys):
    assert run("ask", "What is the capital of Peru?") == 0
    out = capsys.readouterr().out
    assert "The documents don't answer this" in out
    assert "No document uses the words “capital” or “peru”." in out


def test_help_says_how_to_ask(run, capsys):
    assert run("ask", "--json", "what can you do") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["kind"] == "help" and "tell me more" in result["help"]
    assert run("ask", "help") == 0
    assert "“tl;dr” or /summary" in capsys.readouterr().out


def test_ask_json_names_the_question_words_no_document_contains(run, capsys):
    assert run("ask", "--json", "what did china say about the plan") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["missing"] == ["china"]
    assert run("ask", "--json", "What did Starmer announce?") == 0
    assert json.loads(capsys.readouterr().out)["missing"] == []


def test_summarize_json_and_each(run, capsys):
    assert run("summarize", "--json", "--sentences", "2") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scope"] == "collection" and len(summary["sentences"]) == 2
    assert run("summarize", "--json", "--each") == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["document"] == SEED_ID
    assert run("summarize", "--document", "no-such-doc") == 2
    assert "no document called 'no-such-doc'" in capsys.readouterr().err


def test_no_rebuild_without_an_index_fails_with_a_hint(run, capsys):
    assert run("ask", "--no-rebuild", "anything?") == 1
    assert "run `citebot index`" in capsys.readouterr().err


def test_bad_config_value_exits_2_naming_the_key(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[answer]\ntop_k = 99\n")
    assert main(["--config", str(config), "ask", "hi"]) == 2
    assert "answer.top_k = 99 is out of range: allowed 1 to 10" in capsys.readouterr().err


def test_the_installed_console_script_answers(tmp_path, seed_docs):
    """The real entry point, as `make demo` runs it."""
    citebot = REPO / ".venv" / "bin" / "citebot"
    command = [
        str(citebot),
        "ask",
        "--docs",
        str(seed_docs),
        "--index",
        str(tmp_path / "i"),
        "--json",
        "How many air defence missiles can Kyiv buy?",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "5,000 air defence missiles" in answer["quotes"][0]["text"]


def test_every_refresh_lands_in_the_audit_log(run, capsys, seed_docs):
    assert run("index") == 0
    for path in seed_docs.iterdir():
        path.unlink()
    assert run("index") == 1  # an empty dir does not replace the index
    assert "refusing to replace an index of 1 document with" in capsys.readouterr().err
    assert run("audit", "--json") == 0
    newest, oldest = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert newest["requested_by"] == "cli" and newest["outcome"].startswith("error: no documents")
    assert oldest["outcome"] == "ok" and oldest["report"]["added"] == [SEED_ID]
    assert run("audit") == 0
    table = capsys.readouterr().out
    assert "cli" in table and "1 added" in table


def test_feedback_export_writes_json_lines(run, capsys, tmp_path):
    from bot.state import StateDB

    state = StateDB(tmp_path / "state.sqlite3")
    question_id = state.remember_question("What did Macron suggest?", ["doc#abc"])
    state.record_vote(question_id, vote=1, guild_id=42, user_id=987654321)
    assert run("feedback", "export", "-o", str(tmp_path / "votes.jsonl")) == 0
    (vote,) = [json.loads(line) for line in (tmp_path / "votes.jsonl").read_text().splitlines()]
    assert vote["question"] == "What did Macron suggest?" and vote["vote"] == 1
    assert vote["passage_ids"] == ["doc#abc"] and vote["guild_id"] == 42
    assert "987654321" not in json.dumps(vote)  # who voted is not exported


def test_an_unusable_state_database_path_is_one_line_not_a_traceback(tmp_path, seed_docs, capsys):
    (tmp_path / "file").write_text("")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[documents]\ndir = "{seed_docs}"\n[index]\n'
        f'state_db = "{tmp_path / "file" / "state.sqlite3"}"\n'
    )
    assert main(["--config", str(config), "audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("citebot: ") and "Traceback" not in err and len(err.splitlines()) == 1


def test_index_skips_links_out_of_the_folder_and_files_over_the_limit(
    run, seed_docs, tmp_path, capsys
):
    (tmp_path / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (seed_docs / "passwd.md").symlink_to(tmp_path / "secret.txt")
    (seed_docs / ".hidden.md").write_text("# Hidden\n\nNot for the bot.\n")
    (seed_docs / "huge.txt").write_text("word " * 20_000)  # 100 kB
    (tmp_path / "limits.toml").write_text(
        f'[documents]\ndir = "{seed_docs}"\nmax_file_mb = 0.05\n'
        f'[index]\ndir = "{tmp_path / "index"}"\nstate_db = "{tmp_path / "state.sqlite3"}"\n'
    )
    assert main(["--config", str(tmp_path / "limits.toml"), "index", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == [SEED_ID]
    assert "root:x" not in json.dumps(report)
    assert report["skipped"] == [
        ".hidden.md: hidden file (names starting with '.' are not indexed)",
        "huge.txt: the file is 0.1 MB, over documents.max_file_mb = 0.05",
        "passwd.md: a link to a file or folder outside the documents dir",
    ]


def test_index_with_an_unusable_state_database_still_indexes(run, tmp_path, capsys, caplog):
    (tmp_path / "state").write_text("a file where the database's folder should be")
    config = tmp_path / "broken.toml"
    config.write_text(
        f'[index]\ndir = "{tmp_path / "index"}"\n'
        f'state_db = "{tmp_path / "state" / "state.sqlite3"}"\n'
    )
    assert main(["--config", str(config), "index", "--docs", str(REPO / "seeds")]) == 0
    assert "Indexed 1 document," in capsys.readouterr().out
    assert "cannot be written" in caplog.text


def test_ask_replies_to_requests_about_the_collection_and_says_which_kind(run, capsys, seed_docs):
    assert run("ask", "--json", "tl;dr") == 0
    gist = json.loads(capsys.readouterr().out)
    assert gist["kind"] == "summary" and gist["answered"] is True
    assert gist["summary"]["scope"] == "collection" and gist["summary"]["sentences"]
    for sentence in gist["summary"]["sentences"]:
        text = (seed_docs / sentence["document"]).read_text(encoding="utf-8")
        assert sentence["text"] == text[sentence["start"] : sentence["end"]]

    assert run("ask", "what docs do you have") == 0
    out = capsys.readouterr().out
    assert "The documents I answer from (1):" in out and f"({SEED_ID}, 7 passages)" in out

    assert run("ask", "--json", "who is macron") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["kind"] == "answer"
    assert "French President Emmanuel Macron" in answer["quotes"][0]["text"]


def test_ask_text_labels_a_summary_as_a_summary(run, capsys):
    assert run("ask", "what is this document about?") == 0
    out = capsys.readouterr().out
    assert out.startswith("Q: what is this document about?\n\nSummary of the collection\n")
    assert "[1] “" in out and "Sources:" in out
