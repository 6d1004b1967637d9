"""What the bot's commands and buttons work with, built once by `serve()` and passed in."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.conversations import Conversations
from bot.state import StateDB
from retrieval.clock import SYSTEM_CLOCK, Clock
from retrieval.engine import Engine
from retrieval.settings import Settings
from retrieval.uploads import Library


@dataclass(frozen=True)
class BotContext:
    """The engine that answers, the state database, the settings, the clock, the documents
    dir as moderators change it and what members' conversations are about; `progress_*` pace
    the /reindex progress edits (seconds)."""

    engine: Engine
    state: StateDB
    settings: Settings
    clock: Clock
    library: Library
    conversations: Conversations
    progress_delay: float = 3.0
    progress_interval: float = 2.0

    @classmethod
    def create(
        cls,
        *,
        engine: Engine,
        state: StateDB,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        progress_delay: float = 3.0,
        progress_interval: float = 2.0,
    ) -> BotContext:
        documents = settings.documents
        library = Library(documents.dir, max_file_mb=documents.max_file_mb, clock=clock)
        conversations = Conversations(minutes=settings.discord.follow_up_minutes)
        return cls(
            engine,
            state,
            settings,
            clock,
            library,
            conversations,
            progress_delay,
            progress_interval,
        )


def context_of(client: discord.Client) -> BotContext:
    """The context of the bot that received an interaction (a button click has no cog)."""
    context = getattr(client, "context", None)
    if not isinstance(context, BotContext):
        raise TypeError(f"{type(client).__name__} is not a Citebot bot: it has no BotContext")
    return context
