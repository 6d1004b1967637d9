"""What a user sees when a command, button or question fails; the unexpected get a logged id.

AppCommandError (discord.py)
├── CheckFailure
│   ├── CommandOnCooldown   -> "try again in N s"
│   └── NotModerator        -> the polite refusal of /reindex
└── CommandInvokeError      -> its .original: a CitebotError's own text, else an error id
"""

from __future__ import annotations

import logging
import math
import secrets

import discord
from discord import app_commands

from bot.render import plain_text
from retrieval.errors import CitebotError

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__(
            "Sorry, only moderators can do that: members with the Manage Server permission "
            "or one of the bot's moderator roles."
        )


def failure_text(error: BaseException, *, context: str) -> str:
    """The text to show for `error`; an unexpected error is logged with a short id first."""
    original = getattr(error, "original", None) or error
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"You're asking quickly. Try again in {math.ceil(original.retry_after)} s."
    if isinstance(original, (app_commands.CheckFailure, CitebotError)):
        return str(original)
    error_id = secrets.token_hex(4)
    log.error("error id %s in %s", error_id, context, exc_info=original)
    return f"Something went wrong (error id `{error_id}`). Please try again later."


async def reply_with_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction privately, whether or not it was already deferred."""
    name = (
        interaction.command.name
        if interaction.command
        else (interaction.data or {}).get("custom_id", "interaction")
    )
    text = plain_text(failure_text(error, context=f"{name} by user {interaction.user.id}"))
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            # A deferred reply cannot become private: drop the "thinking…" message instead.
            await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as http_error:
        log.warning("could not tell user %s about a failure: %s", interaction.user.id, http_error)
