"""`citebot add` and `citebot remove`: what /docs add and /docs remove do, for scripts."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from pathlib import Path

from bot import exit_codes
from retrieval.errors import DocumentRefused, UnknownDocument
from retrieval.settings import Settings


def cmd_add(args, settings: Settings) -> int:
    """Add or update a file or one web page, then refresh the index."""
    from retrieval.webpages import add_page

    library, state, who = _setup(settings)
    target: str = args.path_or_url
    try:
        if target.startswith(("http://", "https://")):
            if args.source:
                raise DocumentRefused("--source is for a file; a web page cites its address")
            change = asyncio.run(add_page(library, target, settings.documents, title=args.title))
        else:
            path = Path(target)
            if not path.is_file():
                raise DocumentRefused(f"{target} is not a file (or an http:// or https:// URL)")
            library.check_size(path.name, path.stat().st_size)
            change = library.add(
                path.read_bytes(), path.name, title=args.title, source_url=args.source
            )
    except DocumentRefused as error:
        return _refused(state, who, "add", target, error, as_json=args.json)
    return _recorded_and_refreshed(settings, state, who, change, as_json=args.json)


def cmd_remove(args, settings: Settings) -> int:
    """Move a document out of the documents dir into removed/<date>/, then refresh."""
    library, state, who = _setup(settings)
    try:
        change = library.remove(args.name)
    except UnknownDocument as error:
        return _refused(state, who, "remove", args.name, error, as_json=args.json)
    return _recorded_and_refreshed(settings, state, who, change, as_json=args.json)


def add_document_commands(command) -> None:
    """The two subcommands, made with cli._parser's `command` helper."""
    add = command("add", cmd_add, "add or update a document: a file or one web page's URL")
    add.add_argument("path_or_url", metavar="PATH_OR_URL")
    add.add_argument("--title", help="the title to cite it by (default: the document's own)")
    add.add_argument("--source", help="where the original of a file is published (http/https)")
    add.add_argument("--json", action="store_true", help="print what changed as JSON")
    remove = command(
        "remove",
        cmd_remove,
        "move a document to removed/<date>/ beside the documents dir, then refresh",
    )
    remove.add_argument("name", help="the document's id, as `citebot audit` and /sources show")
    remove.add_argument("--json", action="store_true", help="print what changed as JSON")


def _setup(settings: Settings):
    from bot.state import StateDB
    from retrieval.uploads import Library

    library = Library(settings.documents.dir, max_file_mb=settings.documents.max_file_mb)
    return library, StateDB(settings.index.state_db), f"cli ({_user()})"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        return "unknown user"


def _refused(state, who: str, action: str, name: str, error: Exception, *, as_json: bool) -> int:
    state.record_refusal(action, name, error, requested_by=who)
    if as_json:
        print(json.dumps({"ok": False, "error": str(error)}, ensure_ascii=False))
    else:
        print(f"citebot: {error}", file=sys.stderr)
    # Not exit_code_for(error): a document that is not there cannot be removed, a refusal.
    return exit_codes.REFUSED


def _recorded_and_refreshed(settings: Settings, state, who: str, change, *, as_json: bool) -> int:
    from dataclasses import asdict

    from bot.cli import refresh_recorded
    from bot.text import report_text

    state.record_change(change, requested_by=who)
    report = refresh_recorded(settings, quiet=as_json)
    if as_json:
        print(
            json.dumps(
                {"ok": True, "change": asdict(change), "refresh": report.as_json()},
                ensure_ascii=False,
            )
        )
    else:
        where = f", moved to {change.moved_to}" if change.moved_to else ""
        print(
            f"{change.action}: {change.document} ({change.size:,} bytes, sha256 "
            f"{change.sha256}){where}\n{report_text(report)}"
        )
    return exit_codes.OK
