"""/docs add, remove and list through the fake Discord: uploads from its CDN, web pages from a
local server, refusals that lose nothing, and the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from aiohttp import web
from fake_discord import EPHEMERAL, MANAGE_GUILD
from helpers import quotes_in, with_context

from retrieval import webpages

LIGHTHOUSE = b"""\
# Lighthouse keeping notes

The lighthouse keeper's cat is called Biscuit and sleeps beside the fog horn every night.
"""
LIGHTHOUSE_V2 = LIGHTHOUSE + b"\nThe lamp is cleaned every Thursday with vinegar and newspaper.\n"
HARBOUR_PAGE = b"""<!doctype html>
<html><head><title>Harbour pilots</title></head>
<body><main><h1>Harbour pilots</h1>
<p>Every ship longer than ninety metres must take a harbour pilot aboard at the outer buoy.</p>
</main></body></html>
"""


def uploads(corpus) -> list[str]:
    folder = corpus / "uploads"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def fields_of(embed: dict) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def run(fake, name: str, *, member: dict | None = None, **options):
    """Send /docs <name> as a moderator (unless `member` says otherwise); the reply's body."""
    interaction = fake.slash(
        "docs", subcommand=name, member=member or fake.member(permissions=MANAGE_GUILD), **options
    )
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    return reply.body.get("data", reply.body)


async def ask(fake, question: str) -> dict:
    interaction = fake.slash("ask", question=question)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    return (await fake.reply_to(interaction)).body["embeds"][0]


@pytest_asyncio.fixture
async def web_pages():
    """A local HTTP server (127.0.0.1 only) with ETag support; `seen` records each request's
    If-None-Match header and the status it got."""
    seen: list[tuple[str, str | None, int]] = []
    etag = '"harbour-v1"'

    async def page(request: web.Request) -> web.Response:
        status = 304 if request.headers.get("If-None-Match") == etag else 200
        seen.append((request.path, request.headers.get("If-None-Match"), status))
        if status == 304:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=HARBOUR_PAGE, content_type="text/html", headers={"ETag": etag})

    async def to_metadata(request: web.Request) -> web.Response:
        seen.append((request.path, None, 302))
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/pilots.html", page)
    app.router.add_get("/moved", to_metadata)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.fixture
def private_urls_refused(bot, monkeypatch):
    """The bot as configured by default (allow_private_urls = false), except that the local
    test server's own address counts as public, so only what it redirects to is judged."""
    with_context(
        bot,
        monkeypatch,
        settings=bot.context.settings.replace(documents={"allow_private_urls": False}),
    )
    real = webpages.address_problem
    monkeypatch.setattr(
        webpages,
        "address_problem",
        lambda address: "" if address == ipaddress.ip_address("127.0.0.1") else real(address),
    )


@pytest.fixture
def private_urls_allowed(bot, monkeypatch):
    with_context(
        bot,
        monkeypatch,
        settings=bot.context.settings.replace(documents={"allow_private_urls": True}),
    )


async def test_docs_are_refused_to_a_member_and_nothing_is_downloaded(bot, fake, corpus, state):
    upload = fake.attachment("lighthouse.md", LIGHTHOUSE)
    before = state.recent_document_changes(100)
    body = await run(fake, "add", member=fake.member(), file=upload)
    assert body["flags"] == EPHEMERAL
    assert body["content"].startswith("Sorry, only moderators can do that")
    assert upload["id"] not in fake.downloads
    assert not (corpus / "uploads" / "lighthouse.md").exists()
    assert state.recent_document_changes(100) == before


async def test_an_upload_is_answered_from_then_updated_as_changed(bot, fake, corpus, state):
    moderator = fake.member(permissions=MANAGE_GUILD)
    [embed] = (
        await run(
            fake, "add", member=moderator, file=fake.attachment("Lighthouse notes.md", LIGHTHOUSE)
        )
    )["embeds"]
    assert embed["title"] == "Document added"
    assert fields_of(embed)["Added (1)"] == "uploads/Lighthouse-notes.md"
    assert "Lighthouse keeping notes" in embed["description"]
    assert (corpus / "uploads" / "Lighthouse-notes.md").read_bytes() == LIGHTHOUSE

    quotes = quotes_in(await ask(fake, "What is the lighthouse keeper's cat called?"))
    assert any("cat is called Biscuit" in quote for quote in quotes.values())

    audit = state.recent_document_changes(1)[0]
    assert (audit["action"], audit["document"], audit["outcome"]) == (
        "added",
        "uploads/Lighthouse-notes.md",
        "ok",
    )
    assert audit["sha256"] == hashlib.sha256(LIGHTHOUSE).hexdigest()
    assert audit["size"] == len(LIGHTHOUSE)
    assert audit["requested_by"].endswith(f"({moderator['user']['id']})")

    [embed] = (await run(fake, "add", file=fake.attachment("Lighthouse notes.md", LIGHTHOUSE_V2)))[
        "embeds"
    ]
    assert embed["title"] == "Document changed"
    assert fields_of(embed)["Changed (1)"] == "uploads/Lighthouse-notes.md"
    quotes = quotes_in(await ask(fake, "How is the lighthouse lamp cleaned?"))
    assert any("vinegar and newspaper" in quote for quote in quotes.values())


@pytest.mark.parametrize(
    ("name", "raw", "claimed_size", "reason"),
    [
        ("rules.pdf", b"MZ\x90\x00" + b"\x00" * 200, None, "it is a Windows program (.exe)"),
        ("empty.md", b"", None, "the file is empty"),
        ("huge.pdf", b"%PDF-1.7", 200_000_000, "is 200.0 MB, over the limit of 50 MB"),
    ],
)
async def test_a_bad_upload_is_refused_with_the_reason_and_nothing_is_lost(
    bot, fake, corpus, state, name, raw, claimed_size, reason
):
    before = uploads(corpus)
    upload = fake.attachment(name, raw, size=claimed_size)
    body = await run(fake, "add", file=upload)
    assert body["flags"] == EPHEMERAL
    assert reason in body["content"] and name in body["content"]
    assert uploads(corpus) == before
    if claimed_size:
        assert upload["id"] not in fake.downloads  # refused before downloading
    audit = state.recent_document_changes(1)[0]
    assert audit["document"] == name and audit["outcome"].startswith("refused: ")


async def test_a_web_page_is_cited_by_its_address_and_unchanged_on_reindex(
    bot, fake, web_pages, private_urls_allowed
):
    base, seen = web_pages
    url = f"{base}/pilots.html"
    [embed] = (await run(fake, "add", url=url))["embeds"]
    assert embed["title"] == "Document added"
    document = fields_of(embed)["Added (1)"]
    assert document.startswith("uploads/127.0.0.1-") and document.endswith("-pilots.html")

    answer = await ask(fake, "Which ships must take a harbour pilot aboard?")
    assert any("longer than ninety metres" in q for q in quotes_in(answer).values())
    assert url in "".join(fields_of(answer).values())  # the citation links to the page

    reindex = fake.slash("reindex", member=fake.member(permissions=MANAGE_GUILD))
    await fake.dispatch("INTERACTION_CREATE", reindex)
    [embed] = (await fake.reply_to(reindex)).body["embeds"]
    assert fields_of(embed)["Web pages (1)"] == "1 unchanged"
    assert seen[-1] == ("/pilots.html", '"harbour-v1"', 304)  # one small conditional request

    [embed] = (await run(fake, "remove", document=document))["embeds"]
    assert embed["title"] == "Document removed"


async def test_a_redirect_to_a_private_address_is_refused(
    bot, fake, corpus, web_pages, private_urls_refused
):
    base, seen = web_pages
    before = uploads(corpus)
    body = await run(fake, "add", url=f"{base}/moved")
    assert body["flags"] == EPHEMERAL
    assert "it redirects to http://169.254.169.254/latest/meta-data/" in body["content"]
    assert "169.254.169.254 is a link-local address" in body["content"]
    assert seen == [("/moved", None, 302)]
    assert uploads(corpus) == before


async def test_remove_moves_the_file_aside_and_the_index_forgets_it(bot, fake, corpus, engine):
    await run(fake, "add", file=fake.attachment("tides.md", b"# Tides\n\nHigh tide is at noon.\n"))
    typing = fake.slash(
        "docs",
        subcommand="remove",
        focused="document",
        document="tid",
        member=fake.member(permissions=MANAGE_GUILD),
    )
    await fake.dispatch("INTERACTION_CREATE", typing)
    choices = await fake.wait_for(
        lambda r: r.path == f"/interactions/{typing['id']}/{typing['token']}/callback"
    )
    assert {"name": "Tides", "value": "uploads/tides.md"} in choices.body["data"]["choices"]

    [embed] = (await run(fake, "remove", document="uploads/tides.md"))["embeds"]
    assert embed["title"] == "Document removed"
    assert fields_of(embed)["Removed (1)"] == "uploads/tides.md"
    moved = corpus.parent / "removed" / datetime.now(UTC).date().isoformat() / "uploads"
    assert (moved / "tides.md").read_bytes() == b"# Tides\n\nHigh tide is at noon.\n"
    assert not (corpus / "uploads" / "tides.md").exists()
    assert "uploads/tides.md" not in {doc.id for doc in engine.documents()}

    body = await run(fake, "remove", document="uploads/tides.md")
    assert body["flags"] == EPHEMERAL
    assert body["content"].startswith("There is no document named “uploads/tides.md”")


async def test_docs_list_says_who_added_each_upload(bot, fake, engine):
    moderator = fake.member(roles=(fake.moderator_role_id,))
    await run(
        fake, "add", member=moderator, file=fake.attachment("Lighthouse notes.md", LIGHTHOUSE_V2)
    )
    body = await run(fake, "list")
    assert body["flags"] == EPHEMERAL
    [embed] = body["embeds"]
    [line] = [line for line in embed["description"].split("\n") if "Lighthouse" in line]
    assert f"by {moderator['user']['username']} ({moderator['user']['id']})" in line
    assert "SHA-256 " + hashlib.sha256(LIGHTHOUSE_V2).hexdigest()[:12] in line
    assert embed["footer"]["text"].startswith(f"{len(engine.documents())} documents · ")


async def test_an_upload_during_a_reindex_is_indexed_by_the_refresh_after_it(
    bot, fake, engine, corpus
):
    engine.hold_next_refresh = True
    engine.refresh_held.clear()
    engine.release.clear()
    (corpus / "buoys.md").write_text("# Buoys\n\nRed buoys mark the port side of the channel.\n")
    reindex = fake.slash("reindex", member=fake.member(permissions=MANAGE_GUILD))
    await fake.dispatch("INTERACTION_CREATE", reindex)
    add = fake.slash(
        "docs",
        subcommand="add",
        member=fake.member(permissions=MANAGE_GUILD),
        file=fake.attachment(
            "moorings.md",
            b"# Moorings\n\nVisitors moor at the north pontoon for twelve euros a night.\n",
        ),
    )
    try:
        assert await asyncio.to_thread(engine.refresh_held.wait, 15)  # it has read the folder
        await fake.dispatch("INTERACTION_CREATE", add)
        waiting = await fake.wait_for(lambda r: r.method == "PATCH" and add["token"] in r.path)
        assert "is running; waiting for it" in waiting.body["content"]
    finally:
        engine.release.set()

    assert fields_of((await fake.reply_to(reindex)).body["embeds"][0])["Added (1)"] == "buoys.md"
    [embed] = (await fake.reply_to(add)).body["embeds"]
    assert embed["title"] == "Document added"
    assert fields_of(embed)["Added (1)"] == "uploads/moorings.md"
    assert "uploads/moorings.md" in {doc.id for doc in engine.documents()}
    await run(fake, "remove", document="uploads/moorings.md")
    (corpus / "buoys.md").unlink()


async def test_an_upload_discord_no_longer_has_is_refused_politely(bot, fake):
    upload = fake.attachment("gone.md", LIGHTHOUSE)
    del fake.files[upload["id"]]  # the CDN answers 404, as for a deleted message's file
    body = await run(fake, "add", file=upload)
    assert body["flags"] == EPHEMERAL
    assert body["content"] == (
        "“gone.md” could not be downloaded from Discord (404); please upload it again."
    )
