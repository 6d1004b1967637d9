"""`citebot add` and `citebot remove` as a host scripts them: JSON reports, refusals, the audit."""

import asyncio
import hashlib
import json

import pytest
from aiohttp import web

from bot.cli import main

NOTE = b"# Ferry timetable\n\nThe first ferry leaves the pier at half past six.\n"


@pytest.fixture
def run(tmp_path, seed_docs, monkeypatch, fake_embedder):
    monkeypatch.setattr("retrieval.engine.Embedder.configured", lambda *a, **k: fake_embedder)
    config = tmp_path / "citebot.toml"
    config.write_text(
        f'[documents]\ndir = "{seed_docs}"\nallow_private_urls = true\n'
        f'[index]\ndir = "{tmp_path / "index"}"\nstate_db = "{tmp_path / "state.sqlite3"}"\n'
    )
    return lambda *args: main(["--config", str(config), *args])


def test_add_update_remove_with_json_reports_and_audit(run, capsys, tmp_path, seed_docs):
    note = tmp_path / "Ferry times.md"
    note.write_bytes(NOTE)
    assert run("index") == 0
    capsys.readouterr()
    assert run("add", str(note), "--title", "Ferries", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["change"]["action"] == "added"
    assert result["change"]["document"] == "uploads/Ferry-times.md"
    assert result["change"]["sha256"] == hashlib.sha256(NOTE).hexdigest()
    assert result["refresh"]["added"] == ["uploads/Ferry-times.md"]

    note.write_bytes(NOTE + b"\nThe last one leaves at ten.\n")
    assert run("add", str(note), "--json") == 0
    assert json.loads(capsys.readouterr().out)["refresh"]["changed"] == ["uploads/Ferry-times.md"]

    assert run("remove", "uploads/Ferry-times.md", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["refresh"]["removed"] == ["uploads/Ferry-times.md"]
    assert (seed_docs.parent / result["change"]["moved_to"]).is_file()

    assert run("audit") == 0
    table = capsys.readouterr().out
    assert "Documents added, updated and removed:" in table
    for action in ("added", "changed", "removed"):
        assert f" {action} " in table and "uploads/Ferry-times.md" in table


def test_refusals_are_explained_and_audited(run, capsys, tmp_path):
    program = tmp_path / "rules.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    assert run("add", str(program)) == 3
    assert "“rules.pdf” was not added: it is a Windows program (.exe)" in capsys.readouterr().err
    assert run("remove", "uploads/nothing.md", "--json") == 3
    assert json.loads(capsys.readouterr().out)["error"].startswith(
        "There is no document named “uploads/nothing.md”"
    )
    assert run("audit", "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    refused = [row for row in rows if row.get("kind") == "document"]
    assert [row["action"] for row in refused] == ["remove", "add"]
    assert all(row["outcome"].startswith("refused: ") for row in refused)


async def test_a_web_page_is_added_and_refetched_by_citebot_index(run, capsys):
    page = (
        b"<!doctype html><title>Museum</title><main><p>The museum opens at ten in the "
        b"morning.</p></main>"
    )
    app = web.Application()
    app.router.add_get("/museum", lambda request: web.Response(body=page, content_type="text/html"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/museum"
    try:
        # The CLI runs its own event loop: in a thread, while this loop serves the page.
        assert await asyncio.to_thread(run, "add", url, "--json") == 0
        assert json.loads(capsys.readouterr().out)["change"]["url"] == url
        assert await asyncio.to_thread(run, "index", "--json") == 0
        pages = json.loads(capsys.readouterr().out)["web_pages"]
        assert list(pages.values()) == ["unchanged"]
    finally:
        await runner.cleanup()
