"""One fake Discord, one real engine (real model, real index) and one bot for the whole session."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import discord
import pytest
import pytest_asyncio
import yarl
from fake_discord import FakeDiscord

from bot.context import BotContext
from bot.discord_bot import CitebotBot
from bot.state import StateDB
from retrieval.engine import Engine
from retrieval.settings import Settings

REPO = Path(__file__).resolve().parents[2]
MENTIONS_DOC = """\
# Server etiquette notes

Source: https://example.org/etiquette

Moderators asked everyone to stop writing @everyone in the help channel, because it pings \
the whole server at once.
Role pings such as <@&123> reach every member of that role, so the etiquette guide says to \
use them sparingly.
"""


class HoldableEngine(Engine):
    """The real engine; a test can hold a refresh at its first progress report (mid-build)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hold_next_refresh = False
        self.refresh_held = threading.Event()
        self.release = threading.Event()

    def refresh(self, *, progress=None, **kwargs):
        if not self.hold_next_refresh:
            return super().refresh(progress=progress, **kwargs)
        self.hold_next_refresh = False

        def held_progress(done: int, total: int) -> None:
            if not self.refresh_held.is_set():
                self.refresh_held.set()
                self.release.wait(30)
            if progress:
                progress(done, total)

        return super().refresh(progress=held_progress, **kwargs)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    docs = tmp_path_factory.mktemp("docs")
    for path in (REPO / "seeds").iterdir():
        if path.is_file():
            shutil.copy(path, docs / path.name)
    (docs / "etiquette.md").write_text(MENTIONS_DOC, encoding="utf-8")
    return docs


@pytest_asyncio.fixture(scope="session")
async def fake() -> FakeDiscord:
    server = FakeDiscord()
    await server.start()
    previous = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = server.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    yield server
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous
    await server.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory, corpus, fake) -> Settings:
    state_dir = tmp_path_factory.mktemp("state")
    return Settings().replace(
        documents={"dir": str(corpus)},
        index={"dir": str(state_dir / "index"), "state_db": str(state_dir / "state.sqlite3")},
        state={"keep_days": 60},
        discord={
            "ask_channel_ids": [fake.ask_channel_id],
            "moderator_role_ids": [fake.moderator_role_id],
            "cooldown_seconds": 60.0,
            "cooldown_uses": 3,
        },
    )


@pytest.fixture(scope="session")
def engine(settings, real_embedder) -> HoldableEngine:
    engine = HoldableEngine(settings, embedder=real_embedder)  # the session's one model
    engine.load(rebuild=True)
    return engine


@pytest.fixture(scope="session")
def state(settings) -> StateDB:
    return StateDB(settings.index.state_db)


@pytest_asyncio.fixture(scope="session")
async def bot(fake, engine, settings, state) -> CitebotBot:
    context = BotContext.create(
        engine=engine, settings=settings, state=state, progress_delay=0.0, progress_interval=0.0
    )
    client = CitebotBot(context=context, guild_ready_timeout=0.01)
    task = asyncio.create_task(client.start("fake-token"))
    await asyncio.wait_for(client.wait_until_ready(), 15)
    yield client
    await client.close()
    await task


@pytest.fixture(autouse=True)
def discord_rules(fake):
    """Fail a test in which the bot called a route the fake does not serve, or sent any message
    that could ping someone (every message must carry allowed_mentions with nothing to parse)."""
    fake.unknown.clear()
    first = fake.mark()
    yield
    assert fake.unknown == [], f"the bot called routes the fake does not know: {fake.unknown}"
    for request in fake.requests[first:]:
        message = request.body.get("data") if request.path.endswith("/callback") else request.body
        if isinstance(message, dict) and ("content" in message or "embeds" in message):
            assert message["allowed_mentions"]["parse"] == [], request
            assert not message["allowed_mentions"].get("replied_user"), request


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(autouse=True)
def corpus_restored(corpus, engine):
    """Each test starts from the same documents, whatever the tests before it added or
    removed: files are put back as they were and the session engine re-indexed."""
    before = _files(corpus)
    yield
    after = _files(corpus)
    if after == before:
        return
    for path in after.keys() - before.keys():
        path.unlink()
    for path, content in before.items():
        if after.get(path) != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    engine.hold_next_refresh = False
    engine.refresh(requested_by="test teardown")
