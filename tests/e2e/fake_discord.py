"""A small fake Discord on 127.0.0.1: the REST routes and gateway the bot uses, and a request log.

The real discord.py client connects to it (Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY point
here); tests dispatch gateway events (INTERACTION_CREATE, MESSAGE_CREATE) and assert on the JSON
the bot sent back. A request to a route this fake does not know is answered 404 and recorded in
`unknown`, so a test can fail on it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

EPHEMERAL = 64
LOADING = 128
TIMESTAMP = "2025-03-03T12:00:00.000000+00:00"
MANAGE_GUILD = 1 << 5


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    index: int = 0


@dataclass(repr=False)
class FakeDiscord:
    reject_token: bool = False
    app_id: int = 900_000_000_000_000_001
    guild_id: int = 900_000_000_000_000_100
    channel_id: int = 900_000_000_000_000_200
    ask_channel_id: int = 900_000_000_000_000_201
    moderator_role_id: int = 900_000_000_000_000_300
    bot_role_id: int = 900_000_000_000_000_301  # the role Discord gives the bot (managed)
    ask_thread_id: int = 900_000_000_000_000_202  # a thread under the ask channel
    requests: list[Recorded] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    identify: list[dict] = field(default_factory=list)
    greeted: int = 0  # connections sent READY and GUILD_CREATE: a test may dispatch after it
    commands: dict[str, list[dict]] = field(default_factory=dict)  # sync route -> payload
    messages: dict[str, dict] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # attachment id -> bytes on the "CDN"
    downloads: list[str] = field(default_factory=list)  # attachment ids the bot fetched

    def __post_init__(self) -> None:
        self.bot_user = _user(self.app_id, "Citebot", bot=True)
        self._ids = itertools.count(910_000_000_000_000_000)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []  # the newest open one gets events
        self.close_codes: list[int] = []  # close the next IDENTIFYs with these codes (4014, ...)
        self._sequence = 0
        self._originals: dict[str, str] = {}  # interaction token -> message id of its response
        self._deferred: set[str] = set()  # tokens whose "thinking…" message awaits its follow-up
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{name}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def next_id(self) -> int:
        return next(self._ids)

    # -- waiting for what the bot sends ----------------------------------------------------

    def mark(self) -> int:
        return len(self.requests)

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, after: int = 0, timeout: float = 30.0
    ) -> Recorded:
        async def first_match() -> Recorded:
            async with self._changed:
                while True:
                    for request in self.requests[after:]:
                        if predicate(request):
                            return request
                    await self._changed.wait()

        return await asyncio.wait_for(first_match(), timeout)

    def for_token(self, token: str) -> list[Recorded]:
        return [r for r in self.requests if f"/{token}" in r.path]

    async def reply_to(self, interaction: dict, *, timeout: float = 30.0) -> Recorded:
        """The request that carries the answer to `interaction` (not a defer or a progress note)."""
        token = interaction["token"]

        def is_reply(r: Recorded) -> bool:
            if f"/{token}" not in r.path:
                return False
            if r.path.endswith("/callback"):
                return r.body["type"] in (4, 7)
            if r.method == "POST":
                return True
            return r.method == "PATCH" and bool(r.body.get("embeds"))

        return await self.wait_for(is_reply, timeout=timeout)

    async def reply_to_message(self, message: dict, *, timeout: float = 30.0) -> Recorded:
        """The bot's reply to a MESSAGE_CREATE: a message posted in its channel that
        references it."""
        path = f"/channels/{message['channel_id']}/messages"

        def is_reply(r: Recorded) -> bool:
            return (
                r.method == "POST"
                and r.path == path
                and str((r.body.get("message_reference") or {}).get("message_id")) == message["id"]
            )

        return await self.wait_for(is_reply, timeout=timeout)

    def original_message(self, interaction: dict) -> dict:
        """The message that answers `interaction` (its deferred reply, once filled in)."""
        return self.messages[self._originals[interaction["token"]]]

    # -- gateway ---------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict, *, socket=None) -> None:
        """Send a gateway event to `socket`, by default the bot that connected last."""
        if socket is None:
            sockets = [s for s in self._sockets if not s.closed]
            assert sockets, "no bot is connected to the gateway"
            socket = sockets[-1]
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    break
                await self._gateway_message(socket, json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket

    async def _gateway_message(self, socket: web.WebSocketResponse, payload: dict) -> None:
        if payload["op"] == 1:
            await socket.send_json({"op": 11})
        elif payload["op"] == 2:
            self.identify.append(payload["d"])
            if self.close_codes:
                await socket.close(code=self.close_codes.pop(0))
                return
            await self.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": self.bot_user,
                    "session_id": "fake-session",
                    "resume_gateway_url": self.gateway_url,
                    "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                    "application": {"id": str(self.app_id), "flags": 0},
                },
                socket=socket,
            )
            await self.dispatch("GUILD_CREATE", self.guild(), socket=socket)
            self.greeted += 1

    def guild(self) -> dict:
        return {
            "id": str(self.guild_id),
            "name": "Fake guild",
            "owner_id": str(self.next_id()),
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "features": [],
            "roles": [
                _role(self.guild_id, "@everyone"),
                _role(self.moderator_role_id, "Mods"),
                {
                    **_role(self.bot_role_id, "Citebot"),
                    "managed": True,
                    "tags": {"bot_id": str(self.app_id)},
                },
            ],
            "channels": [
                _channel(self.channel_id, self.guild_id, "general"),
                _channel(self.ask_channel_id, self.guild_id, "ask-here"),
            ],
            "members": [
                {
                    "user": self.bot_user,
                    "roles": [],
                    "flags": 0,
                    "joined_at": TIMESTAMP,
                    "deaf": False,
                    "mute": False,
                }
            ],
            "emojis": [],
            "stickers": [],
            "presences": [],
            "voice_states": [],
            "threads": [
                {
                    "id": str(self.ask_thread_id),
                    "type": 11,
                    "guild_id": str(self.guild_id),
                    "parent_id": str(self.ask_channel_id),
                    "owner_id": str(self.next_id()),
                    "name": "a thread",
                    "message_count": 0,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": TIMESTAMP,
                        "locked": False,
                    },
                }
            ],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_tier": 0,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "joined_at": TIMESTAMP,
        }

    # -- events a test dispatches ----------------------------------------------------------

    def member(self, *, permissions: int = 0, roles: tuple[int, ...] = ()) -> dict:
        """A new guild member (a fresh user each time, so cooldowns don't carry over)."""
        user_id = self.next_id()
        return {
            "user": _user(user_id, f"user{user_id % 10_000}"),
            "roles": [str(r) for r in roles],
            "flags": 0,
            "permissions": str(permissions),
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
        }

    def interaction(
        self,
        kind: int,
        data: dict,
        *,
        member: dict | None = None,
        channel_id: int | None = None,
        message: dict | None = None,
    ) -> dict:
        interaction_id = self.next_id()
        payload = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "token": f"token-{interaction_id}",
            "version": 1,
            "guild_id": str(self.guild_id),
            "channel_id": str(channel_id or self.channel_id),
            "channel": _channel(channel_id or self.channel_id, self.guild_id, "general"),
            "member": member or self.member(),
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def slash(
        self,
        name: str,
        *,
        member: dict | None = None,
        focused: str | None = None,
        subcommand: str | None = None,
        **options: Any,
    ) -> dict:
        """An INTERACTION_CREATE for /name [subcommand] with options (autocomplete when
        `focused` is given); an attachment() as a value is a file option."""

        def option(key: str, value: Any) -> dict:
            if isinstance(value, dict):
                return {"name": key, "type": 11, "value": value["id"]}
            kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
            entry = {"name": key, "type": kind, "value": value}
            if key == focused:
                entry["focused"] = True
            return entry

        data = {
            "id": str(self.next_id()),
            "name": name,
            "type": 1,
            "options": [option(k, v) for k, v in options.items() if v is not None],
        }
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": 1, "options": data["options"]}]
        files = {v["id"]: v for v in options.values() if isinstance(v, dict)}
        if files:
            data["resolved"] = {"attachments": files}
        return self.interaction(4 if focused else 2, data, member=member)

    def attachment(
        self,
        filename: str,
        raw: bytes,
        *,
        size: int | None = None,
        content_type: str = "application/octet-stream",
    ) -> dict:
        """An uploaded file as Discord describes it, its bytes served at a CDN URL of this fake;
        pass it as an option value of slash(). `size` is what Discord claims, if not the truth."""
        attachment_id = str(self.next_id())
        self.files[attachment_id] = raw
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{quote(filename)}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(raw) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    def click(self, message: dict, custom_id: str, *, member: dict | None = None) -> dict:
        """An INTERACTION_CREATE for a button press on a message the bot sent."""
        return self.interaction(
            3, {"custom_id": custom_id, "component_type": 2}, member=member, message=message
        )

    def user_message(
        self,
        content: str,
        *,
        channel_id: int | None = None,
        mentions: tuple[dict, ...] = (),
        member: dict | None = None,
        mention_roles: tuple[int, ...] = (),
        direct: bool = False,
    ) -> dict:
        """A MESSAGE_CREATE (partial member, separate author), by default from a new member;
        `direct`: a direct message to the bot (no guild, a DM channel of its own)."""
        member = member or self.member()
        message = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id or self.channel_id),
            "guild_id": str(self.guild_id),
            "author": member["user"],
            "member": {k: member[k] for k in ("roles", "flags", "joined_at", "deaf", "mute")},
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": list(mentions),
            "mention_roles": [str(r) for r in mention_roles],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if direct:
            del message["guild_id"], message["member"]
            message["channel_id"] = str(channel_id or self.next_id())
        return message

    # -- REST ------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body = await request.json() if request.can_read_body else None
        recorded = Recorded(request.method, path, dict(request.query), body, len(self.requests))
        async with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if method == request.method and match and request.path.startswith("/api/v10/"):
                return await handler(recorded, **match.groupdict())
        self.unknown.append(f"{request.method} {request.path}")
        return _json({"message": "404: Not Found (fake Discord)", "code": 0}, status=404)

    def _routes(self) -> list[tuple[str, str, Callable]]:
        app = str(self.app_id)
        return [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("PUT", rf"/applications/{app}/commands", self._sync),
            ("PUT", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self._sync),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", rf"/webhooks/{app}/(?P<token>[^/]+)", self._followup),
            ("PATCH", rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>[^/]+)", self._edit),
            ("DELETE", rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>[^/]+)", self._delete),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._channel_message),
            ("POST", r"/channels/(?P<cid>\d+)/typing", self._typing),
        ]

    async def _cdn(self, request: web.Request) -> web.Response:
        """An attachment's bytes, as Discord's CDN serves them."""
        self.downloads.append(request.match_info["attachment_id"])
        raw = self.files.get(request.match_info["attachment_id"])
        if raw is None:
            return web.Response(status=404)
        return web.Response(body=raw, content_type="application/octet-stream")

    async def _me(self, recorded: Recorded) -> web.Response:
        if self.reject_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(self.bot_user)

    async def _application(self, recorded: Recorded) -> web.Response:
        return _json(
            {
                "id": str(self.app_id),
                "name": "Citebot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": _user(self.next_id(), "owner"),
                "team": None,
                "flags": 0,
                "rpc_origins": [],
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    async def _sync(self, recorded: Recorded, guild: str | None = None) -> web.Response:
        self.commands[recorded.path] = recorded.body
        return _json(
            [
                {
                    **command,
                    "id": str(self.next_id()),
                    "application_id": str(self.app_id),
                    "version": "1",
                    **({"guild_id": guild} if guild else {}),
                }
                for command in recorded.body
            ]
        )

    async def _callback(self, recorded: Recorded, iid: str, token: str) -> web.Response:
        kind = recorded.body["type"]
        data = recorded.body.get("data") or {}
        interaction = {"id": iid, "type": 2}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._store(data, flags=flags)
            self._originals[token] = message["id"]
            if kind == 5:
                self._deferred.add(token)
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource["message"] = message
        return _json({"interaction": interaction, "resource": resource})

    async def _followup(self, recorded: Recorded, token: str) -> web.Response:
        if token in self._deferred:  # as in Discord: the first follow-up fills "thinking…"
            self._deferred.discard(token)
            original = self.messages[self._originals[token]]
            flags = original["flags"] & EPHEMERAL
            return _json(self._store(recorded.body, flags=flags, message_id=original["id"]))
        return _json(self._store(recorded.body, flags=recorded.body.get("flags") or 0))

    async def _edit(self, recorded: Recorded, token: str, mid: str) -> web.Response:
        message_id = self._originals.get(token) if mid == "@original" else mid
        if message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        self._deferred.discard(token)
        merged = {**self.messages[message_id], **recorded.body}
        return _json(
            self._store(
                merged, flags=self.messages[message_id]["flags"] & ~LOADING, message_id=message_id
            )
        )

    async def _delete(self, recorded: Recorded, token: str, mid: str) -> web.Response:
        message_id = self._originals.get(token) if mid == "@original" else mid
        self.messages.pop(message_id or "", None)
        self._deferred.discard(token)
        return web.Response(status=204)

    async def _channel_message(self, recorded: Recorded, cid: str) -> web.Response:
        return _json(self._store(recorded.body, flags=0, channel_id=cid))

    async def _typing(self, recorded: Recorded, cid: str) -> web.Response:
        return web.Response(status=204)

    def _store(
        self,
        body: dict,
        *,
        flags: int,
        message_id: str | None = None,
        channel_id: str | None = None,
    ) -> dict:
        message = {
            "id": message_id or str(self.next_id()),
            "channel_id": channel_id or str(self.channel_id),
            "guild_id": str(self.guild_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
            "webhook_id": str(self.app_id),
            "application_id": str(self.app_id),
        }
        self.messages[message["id"]] = message
        return message


def _json(data: Any, *, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly "application/json".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _user(user_id: int, name: str, *, bot: bool = False) -> dict:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def _role(role_id: int, name: str) -> dict:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": "0",
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _channel(channel_id: int, guild_id: int, name: str) -> dict:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }
