"""Answers with their buttons (More quotes, 👍, 👎), which keep working after a restart.

A button's custom_id carries a short question id stored in StateDB (and, for More quotes, how
many quotes were shown already), so any later run of the bot can serve a click on an old answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import discord

from bot import render, wording
from bot.context import BotContext, context_of
from bot.errors import reply_with_error


async def answer_with_buttons(
    context: BotContext,
    question: str,
    *,
    skip: int = 0,
    conversation: tuple[int, int] | None = None,
    follow_up_of: str | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    """Ask the engine off the event loop; the embed and the buttons for the quotes that fit.
    A request about the collection ("tl;dr", "what docs do you have") gets the summary or the
    documents list instead, without buttons. In a `conversation` (channel id, user id) what
    is shown is noted for the member's next question there, and a question (`skip` 0) is a
    follow-up about what their last answer there quoted, "tell me more" its next quotes; else
    it is one about `follow_up_of`, if given (More quotes: the document it first quoted)."""
    started = time.perf_counter()
    last = None
    if conversation is not None and not skip:
        follow_up_of = context.conversations.about(*conversation)
        last = context.conversations.last(*conversation)
    if skip:
        answer = await asyncio.to_thread(
            context.engine.ask, question, skip=skip, follow_up_of=follow_up_of
        )
    else:
        reply = await asyncio.to_thread(
            context.engine.respond, question, follow_up_of=follow_up_of, last=last
        )
        answer = reply.answer
        if reply.kind == "help":
            return render.help_embed(), discord.ui.View()
        if reply.kind == "sources":
            return render.sources_embed(reply.documents), discord.ui.View()
        if reply.kind == "summary":
            rendered = render.summary_embed(
                reply.summary,
                title=wording.summary_heading(reply.summary),
                seconds=time.perf_counter() - started,
            )
            return rendered.embed, discord.ui.View()
        if reply.kind == "more":
            if answer is None:
                return render.notice_embed(wording.NOTHING_TO_GO_ON_WITH), discord.ui.View()
            skip = reply.shown
    rendered = render.answer_embed(answer, first=skip + 1, seconds=time.perf_counter() - started)
    if conversation is not None:
        context.conversations.shown(
            *conversation, answer, first=skip + 1, count=len(rendered.shown)
        )
    passage_ids = [quote.passage_id for quote in rendered.shown]
    question_id = await asyncio.to_thread(
        context.state.remember_question, answer.question, passage_ids
    )
    if question_id is None:  # the state database cannot be written: the answer goes out anyway
        return rendered.embed, discord.ui.View()
    more_from = skip + len(rendered.shown) if rendered.shown else None
    return rendered.embed, answer_view(question_id, more_from=more_from)


def answer_view(question_id: str, *, more_from: int | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if more_from is not None:
        view.add_item(MoreQuotesButton(question_id, more_from))
    view.add_item(VoteButton(question_id, 1))
    view.add_item(VoteButton(question_id, -1))
    return view


def too_old(context: BotContext) -> str:
    return (
        "Sorry, this answer is too old for its buttons: questions are kept for "
        f"{wording.counted(context.settings.state.keep_days, 'day')}. Please ask it again."
    )


class MoreQuotesButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"citebot:more:(?P<question_id>[0-9a-f]+):(?P<skip>[0-9]+)",
):
    """Shows the next quotes for the same question, as a new message."""

    def __init__(self, question_id: str, skip: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="More quotes",
                style=discord.ButtonStyle.secondary,
                custom_id=f"citebot:more:{question_id}:{skip}",
            )
        )
        self.question_id = question_id
        self.skip = skip

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreQuotesButton:
        return cls(match["question_id"], int(match["skip"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            context = context_of(interaction.client)
            asked = await asyncio.to_thread(context.state.asked, self.question_id)
            if asked is None:
                await interaction.response.send_message(too_old(context), ephemeral=True)
                return
            private = bool(interaction.message and interaction.message.flags.ephemeral)
            await interaction.response.defer(thinking=True, ephemeral=private)
            # Asked again as it was first answered: about the document it quoted first.
            question, first_document = asked
            embed, view = await answer_with_buttons(
                context,
                question,
                skip=self.skip,
                follow_up_of=first_document,
                conversation=(interaction.channel_id or 0, interaction.user.id),
            )
            await interaction.followup.send(embed=embed, view=view, ephemeral=private)
        except Exception as error:  # buttons have no error tree of their own
            await reply_with_error(interaction, error)


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"citebot:vote:(?P<question_id>[0-9a-f]+):(?P<vote>up|down)",
):
    """👍 / 👎 on an answer, stored with the question and the passages it quoted."""

    def __init__(self, question_id: str, vote: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote > 0 else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"citebot:vote:{question_id}:{'up' if vote > 0 else 'down'}",
            )
        )
        self.question_id = question_id
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["question_id"], 1 if match["vote"] == "up" else -1)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            context = context_of(interaction.client)
            recorded = await asyncio.to_thread(
                context.state.record_vote,
                self.question_id,
                vote=self.vote,
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
            )
            text = (
                f"Thanks, your {'👍' if self.vote > 0 else '👎'} is recorded."
                if recorded
                else too_old(context)
            )
            await interaction.response.send_message(text, ephemeral=True)
        except Exception as error:
            await reply_with_error(interaction, error)
