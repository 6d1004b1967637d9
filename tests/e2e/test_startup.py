"""Start-up: the bot logs in, syncs its commands (the payload Discord sees) and identifies."""

from __future__ import annotations

import aiohttp
import discord
import yarl
from discord.http import Route


def test_private_endpoints_the_tests_rely_on_still_exist():
    # The loopback tests (and CITEBOT_DISCORD_*) re-point these two private class attributes.
    # If a discord.py upgrade moves them, this fails first and loudly.
    assert discord.__version__.startswith("2.7."), discord.__version__
    assert isinstance(Route.BASE, str) and Route.BASE.endswith("/api/v10")
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert Route("GET", "/users/@me").url == Route.BASE + "/users/@me"


async def test_bot_connects_and_syncs_commands_globally(bot, fake):
    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == fake.app_id
    assert bot.get_guild(fake.guild_id) is not None
    # Ask channels are configured, so the Message Content intent is requested.
    intents = discord.Intents._from_value(fake.identify[0]["intents"])  # the session bot
    assert intents.message_content and intents.guild_messages and not intents.members

    commands = {c["name"]: c for c in fake.commands[f"/applications/{fake.app_id}/commands"]}
    assert set(commands) == {"ask", "summary", "sources", "reindex", "docs"}

    ask = {o["name"]: o for o in commands["ask"]["options"]}
    assert ask["question"]["type"] == 3 and ask["question"]["required"] is True
    assert ask["private"]["type"] == 5 and not ask["private"].get("required")
    assert commands["ask"]["description"].startswith("Answer a question")

    summary = {o["name"]: o for o in commands["summary"]["options"]}
    assert summary["document"]["autocomplete"] is True
    assert summary["sentences"]["type"] == 4
    assert (summary["sentences"]["min_value"], summary["sentences"]["max_value"]) == (1, 10)
    assert not any(o.get("required") for o in summary.values())

    assert commands["sources"].get("options", []) == []
    # Only members with Manage Server see /reindex and /docs (Discord hides them from the rest).
    for name in ("reindex", "docs"):
        assert int(commands[name]["default_member_permissions"]) == 1 << 5
        assert commands[name]["contexts"] == [0]  # guild only
    docs = {o["name"]: o for o in commands["docs"]["options"]}
    assert set(docs) == {"add", "remove", "list"}
    add = {o["name"]: o for o in docs["add"]["options"]}
    assert add["file"]["type"] == 11 and not add["file"].get("required")  # an attachment
    assert [o["autocomplete"] for o in docs["remove"]["options"]] == [True]
    for name in ("ask", "summary", "sources"):
        assert commands[name]["default_member_permissions"] is None


async def test_the_fake_records_routes_it_does_not_serve(fake):
    # The autouse check fails any test whose bot calls such a route; here we call one ourselves.
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.api_base}/guilds/1/audit-logs") as response,
    ):
        assert response.status == 404
    assert fake.unknown == ["GET /api/v10/guilds/1/audit-logs"]
    fake.unknown.clear()
