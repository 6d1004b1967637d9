"""`citebot run` as a black box: missing and rejected tokens, and a full run against the fake."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import discord
import pytest
from fake_discord import FakeDiscord
from helpers import quotes_in

from bot.discord_bot import serve
from retrieval.engine import Engine
from retrieval.settings import load_settings
from retrieval.snapshot import current_snapshot_path, read_snapshot

CITEBOT = Path(sys.executable).with_name("citebot")
TOKEN = "MTIzNDU2Nzg5.fake-token.sEcReT"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISCORD_TOKEN", "CITEBOT_CONFIG") and not k.startswith("CITEBOT_DISCORD")
    }
    return {**env, "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), **extra}


def run_environment(tmp_path: Path, docs: Path, fake: FakeDiscord) -> dict[str, str]:
    """What `citebot run` needs to serve `docs` through `fake`, with its index under tmp_path."""
    config = tmp_path / "citebot.toml"
    config.write_text(
        f'[documents]\ndir = "{docs}"\n'
        f'[index]\ndir = "{tmp_path / "index"}"\nstate_db = "{tmp_path / "state.sqlite3"}"\n'
        f"[discord]\nsync_guild_ids = [{fake.guild_id}]\n",
        encoding="utf-8",
    )
    return environment(
        tmp_path,
        DISCORD_TOKEN=TOKEN,
        CITEBOT_CONFIG=str(config),
        CITEBOT_DISCORD_API_BASE=fake.api_base,
        CITEBOT_DISCORD_GATEWAY=fake.gateway_url,
    )


async def citebot_run(tmp_path: Path, env: dict[str, str], timeout: float = 60):
    process = await asyncio.create_subprocess_exec(
        str(CITEBOT),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (
            None,
            "citebot: DISCORD_TOKEN is not set: put the bot token in the environment or in a "
            ".env file (see the README, 'Discord bot').",
        ),
        (
            "two words",
            "citebot: DISCORD_TOKEN does not look like a bot token: it has spaces or "
            "characters a token never has.",
        ),
    ],
)
async def test_missing_or_malformed_token_is_one_line_and_fails(tmp_path, token, message):
    extra = {"DISCORD_TOKEN": token} if token else {}
    code, out, err = await citebot_run(tmp_path, environment(tmp_path, **extra))
    assert code != 0
    assert err.strip().splitlines() == [message]
    assert "Traceback" not in out + err


async def test_token_from_a_dotenv_file_is_used_and_a_rejected_one_fails_cleanly(tmp_path):
    fake = FakeDiscord(reject_token=True)
    await fake.start()
    try:
        (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
        env = environment(
            tmp_path,
            CITEBOT_DISCORD_API_BASE=fake.api_base,
            CITEBOT_DISCORD_GATEWAY=fake.gateway_url,
        )
        code, out, err = await citebot_run(tmp_path, env)
    finally:
        await fake.close()
    assert code == 1
    assert fake.requests[0].path == "/users/@me"  # the token from .env reached "Discord"
    assert "Traceback" not in out + err
    assert TOKEN not in out + err and "sEcReT" not in out + err
    last = err.strip().splitlines()[-1]
    assert last == (
        "citebot: Discord rejected the token in DISCORD_TOKEN (401 Unauthorized): "
        "copy it again from the Developer Portal, Bot tab."
    )
    assert [line for line in err.splitlines() if line.startswith("citebot:")] == [last]


async def test_citebot_run_serves_discord_end_to_end(tmp_path, corpus):
    fake = FakeDiscord()
    await fake.start()
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus / "001-coalition-of-the-willing.md", docs)
    env = run_environment(tmp_path, docs, fake)
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            str(CITEBOT), "run", cwd=tmp_path, env=env, stdout=stderr, stderr=stderr
        )
    try:
        await fake.wait_for(lambda r: r.method == "PUT", timeout=60)
        guild_sync = f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"
        assert {c["name"] for c in fake.commands[guild_sync]} == {
            "ask",
            "summary",
            "sources",
            "reindex",
            "docs",
        }
        for _ in range(600):  # the index is built before the gateway connection
            if fake.greeted:  # identified, then sent READY and GUILD_CREATE
                break
            await asyncio.sleep(0.1)
        assert fake.greeted, log.read_text()
        intents = discord.Intents._from_value(fake.identify[0]["intents"])
        assert not intents.message_content  # no ask channels: no privileged intent asked for

        interaction = fake.slash("ask", question="What did Macron suggest?")
        await fake.dispatch("INTERACTION_CREATE", interaction)
        reply = await fake.reply_to(interaction)
        assert "Macron suggested" in quotes_in(reply.body["embeds"][0])[1]
        for _ in range(100):  # on_ready comes once no more guilds arrive (2 s by default)
            if "connected as" in log.read_text():
                break
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        await fake.close()
    output = log.read_text()
    assert code == 0, output
    assert fake.unknown == []
    assert "Traceback" not in output and TOKEN not in output
    assert "connected as Citebot" in output
    assert "serving 1 document: Russia-Ukraine war" in output


async def test_without_the_message_content_intent_the_bot_starts_anyway(
    bot, fake, engine, settings, state, caplog
):
    # Discord closes the gateway with 4014 when a privileged intent is not enabled in the
    # Developer Portal; the bot then connects without it. (4004 then ends this run.)
    identified = len(fake.identify)
    fake.close_codes = [4014, 4004]
    code = await asyncio.wait_for(
        serve(
            "fake-token", engine=engine, settings=settings, state=state, guild_ready_timeout=0.01
        ),
        30,
    )
    assert code == 1
    first, second = fake.identify[identified:]
    assert discord.Intents._from_value(first["intents"]).message_content
    assert not discord.Intents._from_value(second["intents"]).message_content
    assert "the Message Content intent is not enabled" in caplog.text


async def test_sigterm_during_a_refresh_stops_the_bot_within_seconds(
    tmp_path, corpus, real_embedder
):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus / "001-coalition-of-the-willing.md", docs)
    fake = FakeDiscord()
    await fake.start()
    env = run_environment(tmp_path, docs, fake)
    Engine(load_settings(Path(env["CITEBOT_CONFIG"])), embedder=real_embedder).load()
    live = current_snapshot_path(tmp_path / "index")
    for number in range(1500):  # about 10,000 texts: more than a minute of embedding
        sentences = " ".join(f"Lantern {number} crosses river {n} at dawn." for n in range(6))
        (docs / f"doc{number:04}.md").write_text(f"# Doc {number}\n\n{sentences}\n")
    process = await asyncio.create_subprocess_exec(
        str(CITEBOT),
        "-v",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        log = []
        while not log or "embedding" not in log[-1]:  # the start-up refresh is embedding
            line = await asyncio.wait_for(process.stderr.readline(), 240)
            assert line, "".join(log)[-2000:]
            log.append(line.decode())
        process.send_signal(signal.SIGTERM)
        stopped_at = asyncio.get_running_loop().time()
        _, rest = await asyncio.wait_for(process.communicate(), 30)
        took = asyncio.get_running_loop().time() - stopped_at
    finally:
        if process.returncode is None:
            process.kill()
        await fake.close()
    output = "".join(log) + rest.decode()
    assert process.returncode == 0, output
    assert took < 15, output
    assert "Traceback" not in output
    assert current_snapshot_path(tmp_path / "index") == live
    assert [d.id for d in read_snapshot(live).documents] == ["001-coalition-of-the-willing.md"]
