"""Web pages as documents: fetched only from public http(s) addresses, bounded in time and size.

Server-side request forgery is what this guards against: a moderator's URL must not make the
bot read the host's own services or its private network. The address is checked as written
(including decimal, octal and IPv4-mapped forms), every address its name resolves to is
checked at connection time (so a name cannot change answers between check and use), and
each redirect is checked the same way before it is followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver

from retrieval.errors import DocumentRefused
from retrieval.settings import DocumentSettings
from retrieval.uploads import Change, Library, safe_file_name

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_REDIRECTS = (301, 302, 303, 307, 308)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_USER_AGENT = "Citebot (document fetcher; +https://github.com/)"


@dataclass(frozen=True)
class Page:
    url: str  # as asked for
    final_url: str  # after redirects
    body: bytes | None  # None: not modified since the copy we have
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class PageCheck:
    """What re-fetching one web page did on a refresh."""

    document: str
    outcome: str  # "unchanged" | "changed" | "failed: <reason>"


def address_problem(address: IPAddress) -> str:
    """Why the bot must not connect to `address` ("" when it may): loopback, private network,
    link-local, multicast, unspecified or otherwise not globally routable."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            problem = address_problem(embedded)
            return problem and f"{problem} inside an IPv6 address"
    for problem, flagged in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("an unspecified address", address.is_unspecified),
        ("a private network address", address.is_private),
        ("not a public address", not address.is_global),
    ):
        if flagged:
            return problem
    return ""


def literal_address(host: str) -> IPAddress | None:
    """The address `host` is when it is one, in any form a resolver accepts: dotted,
    bracketed IPv6, and the old decimal (2130706433), octal (0177.0.0.1), hex and short forms."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if re.fullmatch(r"[0-9][0-9a-fA-FxX.]*", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def url_problem(url: str, *, allow_private: bool = False) -> str:
    """Why `url` must not be fetched ("" when it may, pending its name's addresses)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"it is not a valid address ({error})"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses can be added"
    if parts.username is not None or parts.password is not None:
        return "the address must not carry a user name or password"
    if not parts.hostname:
        return "the address has no host name"
    if port == 0:
        return "the address has no valid port"
    address = literal_address(parts.hostname)
    if address is not None and not allow_private:
        problem = address_problem(address)
        if problem:
            return f"{parts.hostname} is {problem}"
    return ""


class _PublicResolver(AbstractResolver):
    """Resolves like aiohttp does, then refuses a name with any address that is not public."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ):
        results = await self._inner.resolve(host, port, family)
        for result in results if not self._allow_private else ():
            problem = address_problem(ipaddress.ip_address(result["host"].split("%")[0]))
            if problem:
                raise DocumentRefused(f"{host} resolves to {result['host']}, {problem}")
        return results

    async def close(self) -> None:
        await self._inner.close()


async def fetch_page(
    url: str, limits: DocumentSettings, *, etag: str | None = None, last_modified: str | None = None
) -> Page:
    """GET one HTML page within the limits; with `etag`/`last_modified` a 304 answer gives a
    Page without a body. DocumentRefused with the reason for anything else."""
    max_bytes = int(limits.max_file_mb * 1_000_000)
    headers = {"User-Agent": _USER_AGENT, "Accept": ", ".join(_HTML_TYPES)}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    connector = aiohttp.TCPConnector(
        resolver=_PublicResolver(allow_private=limits.allow_private_urls), use_dns_cache=False
    )
    timeout = aiohttp.ClientTimeout(total=limits.fetch_timeout_seconds)
    current = url
    try:
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, trust_env=False
        ) as session:
            for _ in range(limits.max_redirects + 1):
                problem = url_problem(current, allow_private=limits.allow_private_urls)
                if problem:
                    raise DocumentRefused(
                        problem if current == url else f"it redirects to {current}: {problem}"
                    )
                async with session.get(current, headers=headers, allow_redirects=False) as answer:
                    if answer.status in _REDIRECTS and "Location" in answer.headers:
                        current = str(answer.url.join(yarl.URL(answer.headers["Location"])))
                        continue
                    return await _page(
                        url, answer, max_bytes, conditional=bool(etag or last_modified)
                    )
            raise DocumentRefused(
                f"it redirects more than {limits.max_redirects} times (documents.max_redirects)"
            )
    except TimeoutError:
        raise DocumentRefused(
            f"the server did not answer within {limits.fetch_timeout_seconds:g} s"
        ) from None
    except aiohttp.ClientError as error:
        raise DocumentRefused(f"it cannot be fetched ({type(error).__name__}: {error})") from None


async def _page(
    url: str, answer: aiohttp.ClientResponse, max_bytes: int, *, conditional: bool
) -> Page:
    if answer.status == 304 and conditional:
        return Page(url, str(answer.url), None)
    if answer.status != 200:
        raise DocumentRefused(f"the server answered {answer.status} {answer.reason or ''}".rstrip())
    content_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        raise DocumentRefused(
            f"it is {content_type}, not an HTML page (download the file and "
            "add it with /docs add file: instead)"
        )
    if (answer.content_length or 0) > max_bytes:
        raise DocumentRefused(
            f"the page is {answer.content_length / 1_000_000:.1f} MB, over the "
            f"limit of {max_bytes / 1_000_000:g} MB (documents.max_file_mb)"
        )
    body = bytearray()
    async for chunk in answer.content.iter_chunked(65_536):
        body += chunk
        if len(body) > max_bytes:  # a server may send more than it declared, or not declare
            raise DocumentRefused(
                f"the page is over the limit of {max_bytes / 1_000_000:g} MB "
                "(documents.max_file_mb)"
            )
    return Page(
        url,
        str(answer.url),
        bytes(body),
        answer.headers.get("ETag"),
        answer.headers.get("Last-Modified"),
    )


def page_name(url: str) -> str:
    """The file name a web page is saved under: its host and path, made safe."""
    parts = urlsplit(url)
    where = f"{parts.netloc.rsplit('@', 1)[-1]}{parts.path}".rstrip("/").replace("/", "-")
    where = re.sub(r"\.html?$", "", where.replace(":", "-"), flags=re.IGNORECASE)
    return safe_file_name(where + ".html", ".html", fallback="page")


async def add_page(
    library: Library, url: str, limits: DocumentSettings, *, title: str | None = None
) -> Change:
    """Fetch `url` and save it in the library as an HTML document citing the final address."""
    url = url.strip()
    try:
        page = await fetch_page(url, limits)
    except DocumentRefused as error:
        raise DocumentRefused(f"{url} was not added: {error}") from None
    return await asyncio.to_thread(
        library.add,
        page.body or b"",
        page_name(url),
        title=title,
        source_url=page.final_url,
        url=url,
        etag=page.etag,
        last_modified=page.last_modified,
    )


async def refetch_pages(library: Library, limits: DocumentSettings) -> list[PageCheck]:
    """Fetch again every web page in the library, asking only for a changed copy; a page that
    fails keeps its last copy (the reason is in the result)."""
    checks = []
    for doc_id, entry in (await asyncio.to_thread(library.entries)).items():
        if not entry.url:
            continue
        try:
            page = await fetch_page(
                entry.url, limits, etag=entry.etag, last_modified=entry.last_modified
            )
            if page.body is None:
                checks.append(PageCheck(doc_id, "unchanged"))
                continue
            change = await asyncio.to_thread(
                library.add,
                page.body,
                doc_id.rsplit("/", 1)[-1],
                title=entry.title,
                source_url=page.final_url,
                url=entry.url,
                etag=page.etag,
                last_modified=page.last_modified,
            )
            checks.append(PageCheck(doc_id, change.action))
        except DocumentRefused as error:
            log.warning("web page %s (%s) not re-fetched: %s", doc_id, entry.url, error)
            checks.append(PageCheck(doc_id, f"failed: {error}"))
    return checks
