"""Web pages: the address checks, and fetching from a local server within every limit."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from aiohttp import web

from retrieval.errors import DocumentRefused
from retrieval.settings import DocumentSettings
from retrieval.uploads import Library
from retrieval.webpages import (
    add_page,
    address_problem,
    fetch_page,
    literal_address,
    page_name,
    refetch_pages,
    url_problem,
)

PAGE = b"<!doctype html><title>Opening hours</title><p>The museum opens at ten.</p>"
LOCAL = DocumentSettings(allow_private_urls=True, fetch_timeout_seconds=2.0, max_file_mb=0.1)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("2130706433", "a loopback address"),  # decimal
        ("0177.0.0.1", "a loopback address"),  # octal
        ("0x7f.1", "a loopback address"),  # hex, short form
        ("127.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("[::ffff:127.0.0.1]", "a loopback address inside an IPv6 address"),  # IPv4-mapped
        ("::ffff:10.1.2.3", "a private network address inside an IPv6 address"),
        ("10.0.0.1", "a private network address"),
        ("172.16.5.4", "a private network address"),
        ("192.168.1.1", "a private network address"),
        ("fd00::1", "a private network address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("93.184.215.14", ""),
        ("2606:4700::6810:85e5", ""),
    ],
)
def test_addresses_the_bot_must_not_reach(host, problem):
    assert address_problem(literal_address(host)) == problem


@pytest.mark.parametrize("host", ["example.org", "1.2.3.4.example", "0x.example", "localhost"])
def test_names_are_not_taken_for_addresses(host):
    assert literal_address(host) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/rules", ""),
        ("file:///etc/passwd", "only http:// and https:// addresses"),
        ("gopher://example.org/", "only http:// and https:// addresses"),
        ("https://user:secret@example.org/", "must not carry a user name or password"),
        ("https://user@example.org/", "must not carry a user name or password"),
        ("http:///nohost", "has no host name"),
        ("http://example.org:99999/", "not a valid address"),
        ("http://2130706433/", "2130706433 is a loopback address"),
        ("http://[::ffff:7f00:1]/", "::ffff:7f00:1 is a loopback address inside an IPv6 address"),
    ],
)
def test_url_checks(url, problem):
    assert (url_problem(url) == "") if not problem else problem in url_problem(url)


def test_private_addresses_pass_only_when_allowed():
    assert url_problem("http://127.0.0.1:8080/", allow_private=True) == ""
    assert url_problem("file:///etc/passwd", allow_private=True) != ""


def test_a_page_is_named_by_its_host_and_path():
    assert page_name("https://Example.org:8443/club/rules/") == "Example.org-8443-club-rules.html"
    assert page_name("https://example.org") == "example.org.html"
    assert page_name("http://127.0.0.1:8080/pilots.HTML?x=1") == "127.0.0.1-8080-pilots.html"


@pytest_asyncio.fixture
async def server():
    """127.0.0.1 only: a page with an ETag, endless redirects, a page that never ends, a
    server that never answers, and a PDF."""
    requests: list[web.Request] = []

    async def page(request):
        requests.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=PAGE, content_type="text/html", headers={"ETag": '"v1"'})

    async def loop(request):
        raise web.HTTPFound(f"/loop?n={int(request.query.get('n', 0)) + 1}")

    async def endless(request):
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(16_384):  # 1 GB if nobody stopped reading
            await response.write(b"<p>" + b"x" * 65_533)
        return response

    async def silent(request):
        await asyncio.Event().wait()

    async def pdf(request):
        return web.Response(body=b"%PDF-1.7", content_type="application/pdf")

    app = web.Application()
    for path, handler in (
        ("/page", page),
        ("/loop", loop),
        ("/endless", endless),
        ("/silent", silent),
        ("/file.pdf", pdf),
    ):
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", requests
    await runner.cleanup()


async def test_an_unchanged_page_costs_one_conditional_request(server, tmp_path):
    base, requests = server
    library = Library(tmp_path, max_file_mb=1)
    change = await add_page(library, f"{base}/page", LOCAL)
    assert change.action == "added" and change.url == f"{base}/page"
    assert library.declared()[change.document].source_url == f"{base}/page"
    [check] = await refetch_pages(library, LOCAL)
    assert (check.document, check.outcome) == (change.document, "unchanged")
    assert requests[-1].headers["If-None-Match"] == '"v1"'


@pytest.mark.parametrize(
    ("path", "settings", "reason"),
    [
        ("/loop", LOCAL, "redirects more than 5 times"),
        ("/endless", LOCAL, "over the limit of 0.1 MB"),
        (
            "/silent",
            DocumentSettings(allow_private_urls=True, fetch_timeout_seconds=0.5),
            "did not answer within 0.5 s",
        ),
        ("/file.pdf", LOCAL, "it is application/pdf, not an HTML page"),
        ("/missing", LOCAL, "the server answered 404 Not Found"),
        ("/page", DocumentSettings(), "127.0.0.1 is a loopback address"),
    ],
)
async def test_fetching_stays_within_the_limits(server, path, settings, reason):
    base, _ = server
    with pytest.raises(DocumentRefused, match=reason):
        await fetch_page(base + path, settings)


async def test_a_name_resolving_to_a_private_address_is_refused_when_connecting(server):
    base, requests = server
    with pytest.raises(DocumentRefused, match="localhost resolves to 127.0.0.1, a loopback"):
        await fetch_page(base.replace("127.0.0.1", "localhost") + "/page", DocumentSettings())
    assert requests == []


async def test_a_failed_refetch_keeps_the_last_copy(server, tmp_path, monkeypatch):
    base, _ = server
    library = Library(tmp_path, max_file_mb=1)
    change = await add_page(library, f"{base}/page", LOCAL)
    saved = (tmp_path / change.document).read_bytes()
    library_entries = library.entries
    monkeypatch.setattr(
        library,
        "entries",
        lambda: {
            doc_id: type(entry)(url=f"{base}/missing")
            for doc_id, entry in library_entries().items()
        },
    )
    [check] = await refetch_pages(library, LOCAL)
    assert check.outcome == "failed: the server answered 404 Not Found"
    assert (tmp_path / change.document).read_bytes() == saved
