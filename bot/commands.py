"""The slash commands /ask, /summary, /sources and /reindex; the listener for mentions."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import render, wording
from bot.context import BotContext, context_of
from bot.discord_text import discord_text
from bot.errors import NotModerator, failure_text
from bot.rules import (
    UserCooldowns,
    asks_for_more,
    looks_like_question,
    may_moderate,
    strip_mention,
)
from bot.views import answer_with_buttons
from retrieval.models import DocumentInfo, RefreshReport
from retrieval.webpages import refetch_pages

log = logging.getLogger(__name__)


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server, or any role in discord.moderator_role_ids; else a polite refusal."""
    if may_moderate(
        manages_server=interaction.permissions.manage_guild,
        role_ids=(role.id for role in getattr(interaction.user, "roles", ())),
        moderator_role_ids=context_of(interaction.client).settings.discord.moderator_role_ids,
    ):
        return True
    raise NotModerator()


class RefreshProgress:
    """Edits the /reindex reply with progress: after `delay` s, then at most every `interval` s."""

    def __init__(self, interaction: discord.Interaction, *, delay: float, interval: float) -> None:
        self.interaction = interaction
        self.loop = asyncio.get_running_loop()
        self.delay = delay
        self.interval = interval
        self.started = self.loop.time()
        self.last_edit = float("-inf")
        self.pending: asyncio.Task | None = None
        self.stopped = False

    def from_worker(self, done: int, total: int) -> None:
        """The engine's progress callback; runs in the refresh's worker thread."""
        self.loop.call_soon_threadsafe(self._update, done, total)

    def _update(self, done: int, total: int) -> None:
        now = self.loop.time()
        if (
            self.stopped
            or now - self.started < self.delay
            or now - self.last_edit < self.interval
            or (self.pending is not None and not self.pending.done())
        ):
            return
        self.last_edit = now
        self.pending = asyncio.create_task(self._edit(render.progress_text(done, total)))

    async def _edit(self, text: str) -> None:
        try:
            await self.interaction.edit_original_response(content=text)
        except discord.HTTPException as error:
            log.warning("could not show reindex progress: %s", error)

    async def stop(self) -> None:
        self.stopped = True
        if self.pending is not None:
            await self.pending


def document_choices(documents: list[DocumentInfo], typed: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for an option naming a document: titles or ids holding what is typed."""
    return [
        app_commands.Choice(name=name, value=value)
        for name, value in render.document_choices(documents, typed)
    ]


def requested_by(interaction: discord.Interaction) -> str:
    """Who asked for a change, as the audit log names them: "name (id)"."""
    return f"{interaction.user} ({interaction.user.id})"


async def refresh_in_reply(
    context: BotContext, interaction: discord.Interaction, *, join_running: bool = True
) -> tuple[RefreshReport, dict | None]:
    """Refresh the index for a deferred command: say so when another refresh is running,
    show progress, record the refresh in the audit log. Returns the report and the audit
    row of the refresh before it. `join_running=False` after a change to the documents."""
    who = requested_by(interaction)
    previous = await asyncio.to_thread(context.state.last_refresh)
    running = context.engine.running_refresh()
    if running is not None:
        started = discord.utils.format_dt(datetime.fromisoformat(running[1]), "R")
        await interaction.edit_original_response(
            content=f"A refresh started by {discord_text(running[0], 200)} {started} "
            "is running; waiting for it…"
        )
    progress = RefreshProgress(
        interaction, delay=context.progress_delay, interval=context.progress_interval
    )
    started_at, report, outcome = context.clock.iso(), None, "error: interrupted"
    try:
        report = await asyncio.to_thread(
            functools.partial(
                context.engine.refresh,
                requested_by=who,
                progress=progress.from_worker,
                join_running=join_running,
            )
        )
        outcome = "ok"
    except Exception as error:
        outcome = f"error: {error}"
        raise
    finally:
        await progress.stop()
        # A refresh we only joined is recorded by whoever started it; after a change we wait
        # for the running one and record the next, unless it is someone else's too.
        owned = running is None if join_running else report is None or report.requested_by == who
        if owned:
            await asyncio.to_thread(
                context.state.record_refresh,
                report,
                requested_by=who,
                started_at=started_at,
                outcome=outcome,
            )
    return report, previous


class AskCog(commands.Cog):
    def __init__(self, bot: commands.Bot, context: BotContext) -> None:
        self.bot = bot  # for its own user, to know when it is mentioned
        self.context = context
        settings = context.settings.discord
        self.cooldowns = UserCooldowns(
            uses=settings.cooldown_uses, seconds=settings.cooldown_seconds
        )
        self._warned_until: dict[int, float] = {}

    @app_commands.command()
    @app_commands.describe(
        question="What you want to know; the answer quotes the documents word for word",
        private="Show the answer only to you (default: everyone in the channel sees it)",
    )
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False):
        """Answer a question with verbatim, cited quotes from the documents."""
        self.cooldowns.check(interaction.user.id)
        await interaction.response.defer(thinking=True, ephemeral=private)
        embed, view = await answer_with_buttons(
            self.context, question, conversation=(interaction.channel_id or 0, interaction.user.id)
        )
        await interaction.followup.send(embed=embed, view=view, ephemeral=private)

    @app_commands.command()
    @app_commands.describe(
        document="Summarise only this document",
        topic="Summarise what the documents say about this topic",
        sentences="How many sentences (1-10)",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        document: str | None = None,
        topic: str | None = None,
        sentences: app_commands.Range[int, 1, 10] | None = None,
    ):
        """A cited summary of the collection, of one document, or of a topic."""
        await interaction.response.defer(thinking=True)
        started = time.perf_counter()
        summary = await asyncio.to_thread(
            self.context.engine.summarize, document=document, topic=topic, sentences=sentences
        )
        titles = {doc.id: doc.title for doc in self.context.engine.documents()}
        title = wording.summary_heading(summary, titles.get(summary.document or ""))
        rendered = render.summary_embed(summary, title=title, seconds=time.perf_counter() - started)
        await interaction.followup.send(embed=rendered.embed)

    @summary.autocomplete("document")
    async def document_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return document_choices(self.context.engine.documents(), current)

    @app_commands.command()
    async def sources(self, interaction: discord.Interaction):
        """The documents the bot answers from: title, link, passages, when indexed."""
        documents = await asyncio.to_thread(self.context.engine.documents)
        await interaction.response.send_message(embed=render.sources_embed(documents))

    @app_commands.command()
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(is_moderator)
    async def reindex(self, interaction: discord.Interaction):
        """Re-read the documents and update the index (moderators only)."""
        await interaction.response.defer(thinking=True)
        pages = await refetch_pages(self.context.library, self.context.settings.documents)
        report, previous = await refresh_in_reply(self.context, interaction)
        await interaction.edit_original_response(
            content=None, embed=render.refresh_embed(report, previous=previous, pages=pages)
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None:
            return
        # The bot's own role is what Discord's autocomplete often offers for "@Citebot".
        own_role = message.guild.self_role if message.guild else None
        question = strip_mention(message.content, me.id, own_role and own_role.id)
        addressed = (
            any(user.id == me.id for user in message.mentions)
            or (own_role in message.role_mentions and bool(question))
            or isinstance(message.channel, discord.DMChannel)
        )
        # A thread started under an ask channel is part of it.
        where = {message.channel.id, getattr(message.channel, "parent_id", None)}
        in_ask_channel = not where.isdisjoint(self.context.settings.discord.ask_channel_ids)
        if not addressed and not (in_ask_channel and looks_like_question(question)):
            return
        conversation = (message.channel.id, message.author.id)
        if (
            not addressed
            and asks_for_more(question)
            and not self.context.conversations.last(*conversation)
        ):
            return  # "more" with no question of theirs to go on with: said to someone else
        try:
            self.cooldowns.check(message.author.id)
        except app_commands.CommandOnCooldown as error:
            if self._warned_until.get(message.author.id, 0.0) > time.monotonic():
                return  # one warning per window, not a reply to every message of a burst
            self._warned_until[message.author.id] = time.monotonic() + error.retry_after
            await message.reply(failure_text(error, context="cooldown"))
            return
        try:
            async with message.channel.typing():
                embed, view = await answer_with_buttons(
                    self.context, question, conversation=conversation
                )
        except Exception as error:
            text = failure_text(error, context=f"message {message.id} by user {message.author.id}")
            await message.reply(render.plain_text(text))
            return
        await message.reply(embed=embed, view=view)
