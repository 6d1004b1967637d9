"""The Discord bot wired to the engine, and `run(settings)`: what `citebot run` starts."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from dotenv import find_dotenv, load_dotenv

from bot import exit_codes, wording
from bot.commands import AskCog
from bot.context import BotContext
from bot.docs import DocsCog
from bot.errors import reply_with_error
from bot.state import StateDB
from bot.views import MoreQuotesButton, VoteButton
from retrieval.engine import Engine
from retrieval.errors import CitebotError, RefreshCancelled
from retrieval.settings import Settings

log = logging.getLogger(__name__)

TOKEN_ENV = "DISCORD_TOKEN"
# For tests and self-hosted Discord-compatible servers only; unset means discord.com.
API_BASE_ENV = "CITEBOT_DISCORD_API_BASE"
GATEWAY_ENV = "CITEBOT_DISCORD_GATEWAY"


class CitebotTree(app_commands.CommandTree):
    """The one place where a failing slash command turns into a private reply."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await reply_with_error(interaction, error)


class CitebotBot(commands.Bot):
    """Answers from the context's engine; records votes and refreshes in its state.

    `message_content` asks Discord for the privileged Message Content intent, needed only to
    read questions in ask channels (mentions carry their text without it); by default it is
    requested when `discord.ask_channel_ids` is set.
    """

    def __init__(
        self,
        *,
        context: BotContext,
        message_content: bool | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        settings = context.settings
        # The bot never joins voice: skip discord.py's start-up warnings about voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = (
            bool(settings.discord.ask_channel_ids) if message_content is None else message_content
        )
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=CitebotTree,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.context = context  # what the cogs are given, and buttons read with context_of()
        self._upkeep: asyncio.Task | None = None

    async def setup_hook(self) -> None:
        await self.add_cog(AskCog(self, self.context))
        await self.add_cog(DocsCog(self.context))
        self.add_dynamic_items(MoreQuotesButton, VoteButton)
        await self.sync_commands()
        self._upkeep = asyncio.create_task(self.keep_state_small())

    async def close(self) -> None:
        if self._upkeep is not None:
            self._upkeep.cancel()
        await super().close()

    async def keep_state_small(self) -> None:
        """Prune old questions and VACUUM the state database now and every upkeep_hours."""
        settings = self.context.settings.state
        while True:
            try:
                upkeep = await asyncio.to_thread(
                    self.context.state.upkeep, keep_days=settings.keep_days
                )
                log.info(
                    "state database: %d questions older than %d days pruned; %d questions "
                    "and %d votes kept; %.1f kB",
                    upkeep.pruned,
                    settings.keep_days,
                    upkeep.questions,
                    upkeep.votes,
                    upkeep.size_bytes / 1000,
                )
            except (sqlite3.Error, OSError) as error:
                log.warning("state database upkeep failed: %s", error)
            await asyncio.sleep(settings.upkeep_hours * 3600)

    async def sync_commands(self) -> None:
        guild_ids = self.context.settings.discord.sync_guild_ids
        if not guild_ids:
            synced = await self.tree.sync()
            log.info(
                "synced %d slash commands globally (Discord may take a while to show them)",
                len(synced),
            )
        for guild_id in guild_ids:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.Forbidden:
                log.error(
                    "cannot sync commands to guild %s: is the bot in it, invited with the "
                    "applications.commands scope?",
                    guild_id,
                )
                continue
            log.info("synced %d slash commands to guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        titles = [doc.title for doc in self.context.engine.documents()]
        shown = ", ".join(titles[:10])
        if len(titles) > 10:
            shown += f" and {len(titles) - 10} more"
        log.info(
            "connected as %s (id %s) in %d guilds; serving %s: %s",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            wording.counted(len(titles), "document"),
            shown or "none",
        )

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: questions in messages are handled by AskCog's listener.
        return


def use_custom_endpoints(environ: Mapping[str, str] = os.environ) -> None:
    """Point discord.py at another REST base / gateway when the two test variables are set."""
    base, gateway = environ.get(API_BASE_ENV), environ.get(GATEWAY_ENV)
    if base:
        discord.http.Route.BASE = base.rstrip("/")
        log.warning("using the Discord API at %s (%s)", discord.http.Route.BASE, API_BASE_ENV)
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
        log.warning("using the Discord gateway at %s (%s)", gateway, GATEWAY_ENV)


def run(settings: Settings) -> int:
    """`citebot run`: check the token, load (or build) the index, serve Discord until stopped.

    Returns the process exit code; failures end with one line on stderr, never a traceback.
    """
    load_dotenv(find_dotenv(usecwd=True))  # never overrides variables already set
    if not logging.getLogger().handlers:
        discord.utils.setup_logging(level=logging.INFO, root=True)
    # A server's log says who it is and what it serves, even when the CLI keeps the rest quiet.
    package_log = logging.getLogger("bot")
    package_log.setLevel(min(package_log.getEffectiveLevel(), logging.INFO))
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return _fail(
            f"{TOKEN_ENV} is not set: put the bot token in the environment or in a "
            ".env file (see the README, 'Discord bot').",
            code=exit_codes.USAGE,
        )
    if not (token.isascii() and token.isprintable()) or " " in token:
        return _fail(
            f"{TOKEN_ENV} does not look like a bot token: it has spaces or characters "
            "a token never has.",
            code=exit_codes.USAGE,
        )
    use_custom_endpoints()
    engine = Engine(settings)
    state = StateDB(settings.index.state_db)
    try:
        return asyncio.run(serve(token, engine=engine, settings=settings, state=state))
    except KeyboardInterrupt:  # a server told to stop has done its job
        return exit_codes.OK


async def serve(
    token: str,
    *,
    engine: Engine,
    settings: Settings,
    state: StateDB,
    progress_delay: float = 3.0,
    progress_interval: float = 2.0,
    **options,
) -> int:
    """Log in (which checks the token and syncs the commands), load the index, then connect.

    A bot whose Message Content intent is not enabled in the Developer Portal starts again
    without it: ask channels stay quiet, /ask and mentions still work.
    """
    context = BotContext.create(
        engine=engine,
        state=state,
        settings=settings,
        clock=engine.clock,
        progress_delay=progress_delay,
        progress_interval=progress_interval,
    )
    message_content, loaded = None, False
    while True:
        bot = CitebotBot(context=context, message_content=message_content, **options)
        try:
            with _closed_on_signals(bot):
                async with bot:
                    await bot.login(token)
                    if not loaded:
                        await load_index(engine, state)
                        loaded = True
                    await bot.connect()
            return exit_codes.OK
        except discord.LoginFailure:
            return _fail(
                f"Discord rejected the token in {TOKEN_ENV} (401 Unauthorized): copy "
                "it again from the Developer Portal, Bot tab."
            )
        except discord.PrivilegedIntentsRequired:
            if not bot.intents.message_content:
                return _fail("Discord refused a privileged intent that this bot does not use.")
            log.warning(
                "the Message Content intent is not enabled for this bot in the Developer "
                "Portal: ask channels are off; /ask and mentions still work"
            )
            message_content = False
        except RefreshCancelled:
            log.info("stopped while building the index; the previous index is unchanged")
            return exit_codes.OK
        except CitebotError as error:
            return _fail(f"cannot load the index: {error}")
        except (
            discord.HTTPException,
            discord.GatewayNotFound,
            discord.ConnectionClosed,
            aiohttp.ClientError,
            OSError,
        ) as error:
            return _fail(f"cannot connect to Discord: {type(error).__name__}: {error}")


async def load_index(engine: Engine, state: StateDB) -> None:
    """Load the index off the event loop, building it if missing; a build goes in the audit log."""
    started_at = engine.clock.iso()
    report = await asyncio.to_thread(engine.load, rebuild=True)
    if report is not None:
        await asyncio.to_thread(
            state.record_refresh,
            report,
            requested_by="startup",
            started_at=started_at,
            outcome="ok",
        )
    await asyncio.to_thread(engine.embedder.warm_up)  # so the first question needn't wait for it
    stats = engine.stats()
    log.info(
        "index ready: %s, %s, built %s",
        wording.counted(stats.documents, "document"),
        wording.counted(stats.chunks, "passage"),
        stats.built_at,
    )


@contextmanager
def _closed_on_signals(bot: CitebotBot) -> Iterator[None]:
    """SIGTERM and Ctrl-C close the bot and cancel a running refresh at its next batch: the
    event loop cannot finish while a refresh's worker thread is still embedding."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        log.info("stopping")
        bot.context.engine.cancel_refreshes()
        asyncio.ensure_future(bot.close())

    signals = (signal.SIGTERM, signal.SIGINT)
    try:
        for number in signals:
            loop.add_signal_handler(number, stop)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        yield
        return
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


def _fail(message: str, *, code: int = exit_codes.ERROR) -> int:
    print(f"citebot: {message}", file=sys.stderr)
    return code
