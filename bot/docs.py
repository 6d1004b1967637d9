"""/docs add, /docs remove and /docs list: moderators change the documents from Discord."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.commands import document_choices, is_moderator, refresh_in_reply, requested_by
from bot.context import BotContext
from retrieval.errors import DocumentRefused, UnknownDocument
from retrieval.uploads import Change
from retrieval.webpages import add_page


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DocsCog(
    commands.GroupCog,
    group_name="docs",
    group_description="Add, update, remove and list the documents (moderators only)",
):
    def __init__(self, context: BotContext) -> None:
        self.context = context
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return is_moderator(interaction)

    @app_commands.command()
    @app_commands.describe(
        file="A document to add (.md .txt .rst .html .pdf .docx); the same name again updates it",
        url="Or the address of one web page to add (fetched again on every /reindex)",
        title="The title to cite it by (default: the document's own)",
        source="Where readers can find the original (an http(s) link) for an uploaded file",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
        title: app_commands.Range[str, 1, 200] | None = None,
        source: app_commands.Range[str, 1, 2000] | None = None,
    ):
        """Add or update a document: upload a file, or give a web page's address."""
        if (file is None) == (url is None):
            raise DocumentRefused("Give either a file or a url, not both and not neither.")
        if source is not None and file is None:
            raise DocumentRefused("source is for an uploaded file; a web page cites its url.")
        await interaction.response.defer(thinking=True)
        who, library = requested_by(interaction), self.context.library
        try:
            if file is not None:
                library.check_size(file.filename, file.size)  # before downloading it
                raw = await _downloaded(file)
                change = await asyncio.to_thread(
                    library.add, raw, file.filename, title=title, source_url=source
                )
            else:
                change = await add_page(library, url, self.context.settings.documents, title=title)
        except DocumentRefused as error:
            name = file.filename if file is not None else url
            await asyncio.to_thread(
                self.context.state.record_refusal, "add", name, error, requested_by=who
            )
            raise
        await asyncio.to_thread(self.context.state.record_change, change, requested_by=who)
        await self._refreshed(interaction, change)

    @app_commands.command()
    @app_commands.describe(document="The document to remove; it is moved aside, not deleted")
    async def remove(self, interaction: discord.Interaction, document: str):
        """Remove a document: moved to a dated removed/ folder beside the documents, re-indexed."""
        await interaction.response.defer(thinking=True)
        who = requested_by(interaction)
        try:
            change = await asyncio.to_thread(self.context.library.remove, document)
        except UnknownDocument as error:
            await asyncio.to_thread(
                self.context.state.record_refusal, "remove", document, error, requested_by=who
            )
            raise
        await asyncio.to_thread(self.context.state.record_change, change, requested_by=who)
        await self._refreshed(interaction, change)

    @remove.autocomplete("document")
    async def document_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return document_choices(self.context.engine.documents(), current)

    @app_commands.command(name="list")
    async def list_documents(self, interaction: discord.Interaction):
        """The documents, with who added each from Discord and when, its size and SHA-256."""
        documents = await asyncio.to_thread(self.context.engine.documents)
        additions = await asyncio.to_thread(self.context.state.last_additions)
        await interaction.response.send_message(
            embed=render.docs_list_embed(documents, additions), ephemeral=True
        )

    async def _refreshed(self, interaction: discord.Interaction, change: Change) -> None:
        """Index the change (after any refresh that started before it) and report both."""
        report, previous = await refresh_in_reply(self.context, interaction, join_running=False)
        await interaction.edit_original_response(
            content=None, embed=render.change_embed(change, report, previous=previous)
        )


async def _downloaded(file: discord.Attachment) -> bytes:
    try:
        return await file.read()
    except discord.HTTPException as error:
        raise DocumentRefused(
            f"“{file.filename}” could not be downloaded from Discord "
            f"({error.status}); please upload it again."
        ) from None
