"""The `citebot` command: index, ask, summarize, show, run the Discord bot, export feedback, audit.

Exit codes: see bot/exit_codes.py (0 success, 1 index or documents unusable, 2 usage or
configuration, 3 a question or document change refused, 130 interrupted).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import exit_codes, wording
from bot.cli_docs import add_document_commands
from retrieval.errors import CitebotError, ConfigError, QuestionError, RefreshCancelled
from retrieval.settings import Settings, load_settings

log = logging.getLogger("citebot")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        settings = load_settings(
            args.config,
            documents={"dir": getattr(args, "docs", None)},
            index={"dir": getattr(args, "index", None)},
        )
        return args.handler(args, settings)
    except KeyboardInterrupt as error:
        return exit_codes.exit_code_for(error)
    except (CitebotError, OSError) as error:
        print(f"citebot: {_failure_text(error)}", file=sys.stderr)
        return exit_codes.exit_code_for(error)


def _failure_text(error: CitebotError | OSError) -> str:
    if isinstance(error, ConfigError):
        return f"configuration error: {error}"
    if isinstance(error, RefreshCancelled):
        return f"{error}; the previous index is unchanged"
    if isinstance(error, OSError):  # e.g. a state database in a dir that cannot be created
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or error}{where}"
    return str(error)


def cmd_index(args, settings: Settings) -> int:
    import asyncio

    from bot.text import report_text
    from retrieval.uploads import Library
    from retrieval.webpages import refetch_pages

    library = Library(settings.documents.dir, max_file_mb=settings.documents.max_file_mb)
    pages = asyncio.run(refetch_pages(library, settings.documents))
    for page in pages:
        if page.outcome.startswith("failed"):
            print(
                f"citebot: web page {page.document} {page.outcome}; the last copy is kept",
                file=sys.stderr,
            )
    report = refresh_recorded(settings, allow_empty=args.allow_empty, quiet=args.json)
    if args.json:
        result = report.as_json()
        if pages:
            result["web_pages"] = {page.document: page.outcome for page in pages}
        print(json.dumps(result))
    else:
        print(report_text(report))
    return exit_codes.OK


def refresh_recorded(settings: Settings, *, allow_empty: bool = False, quiet: bool = False):
    """Refresh the index from the command line, with a progress bar unless `quiet`, stopped
    by the first SIGTERM or Ctrl-C; the outcome goes in the audit log."""
    from bot.state import StateDB
    from retrieval.engine import Engine

    engine = Engine(settings)
    state = StateDB(settings.index.state_db, clock=engine.clock)
    started = engine.clock.iso()
    progress_bar = _progress_bar("embedding", enabled=not quiet)
    with progress_bar as progress, _on_stop_signals(engine.cancel_refreshes):
        try:
            report = engine.refresh(requested_by="cli", allow_empty=allow_empty, progress=progress)
        except CitebotError as error:
            state.record_refresh(
                None, requested_by="cli", started_at=started, outcome=f"error: {error}"
            )
            raise
    state.record_refresh(report, requested_by="cli", started_at=started, outcome="ok")
    return report


def cmd_ask(args, settings: Settings) -> int:
    from bot.conversations import Conversations
    from bot.text import reply_json, reply_text

    engine = _loaded_engine(args, settings)
    questions = [args.question] if args.question is not None else _stdin_lines()
    status = exit_codes.OK
    # With --conversation, stdin is one member's conversation in one channel, as the bot keeps it.
    conversation = Conversations(minutes=math.inf if args.conversation else 0)
    for number, question in enumerate(questions):
        try:
            reply = engine.respond(
                question,
                top_k=args.top_k,
                follow_up_of=conversation.about(0, 0),
                last=conversation.last(0, 0),
            )
        except QuestionError as error:
            status = exit_codes.exit_code_for(error)
            if args.json:
                print(
                    json.dumps(
                        {
                            "question": question,
                            "answered": False,
                            "quotes": [],
                            "error": str(error),
                            "seconds": 0.0,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                print(f"citebot: {error}", file=sys.stderr)
            continue
        if reply.answer is not None:
            count = len(reply.answer.quotes)
            conversation.shown(0, 0, reply.answer, first=reply.shown + 1, count=count)
        _emit(reply_json(reply) if args.json else reply_text(reply), first=number == 0)
    return status


def cmd_summarize(args, settings: Settings) -> int:
    from bot.text import summary_json, summary_text

    engine = _loaded_engine(args, settings)
    count = args.sentences
    if args.each:
        summaries = (engine.summarize(document=d.id, sentences=count) for d in engine.documents())
    else:  # a refused topic or an unknown document ends in main(), with its exit code
        summaries = [engine.summarize(document=args.document, topic=args.topic, sentences=count)]
    for number, summary in enumerate(summaries):
        _emit(summary_json(summary) if args.json else summary_text(summary), first=number == 0)
    return exit_codes.OK


def cmd_show(args, settings: Settings) -> int:
    """The document's stored text: what quotes are cut from and their offsets count."""
    from bot.text import document_json
    from retrieval.summaries import find_document

    engine = _loaded_engine(args, settings, warm=False)
    document = find_document(engine.snapshot, args.document)  # UnknownDocument: see main()
    if args.json:
        print(json.dumps(document_json(document), ensure_ascii=False))
    else:
        sys.stdout.write(document.text if document.text.endswith("\n") else document.text + "\n")
    return exit_codes.OK


def _emit(result: dict | str, *, first: bool) -> None:
    """One JSON object per line, or text blocks separated by a blank line; flushed at once so
    a caller piping questions in reads each answer as it comes."""
    if isinstance(result, dict):
        print(json.dumps(result, ensure_ascii=False), flush=True)
    else:
        print(("" if first else "\n") + result, flush=True)


def cmd_run(args, settings: Settings) -> int:
    from bot.discord_bot import run

    return run(settings)


def cmd_feedback_export(args, settings: Settings) -> int:
    from bot.state import StateDB

    state = StateDB(settings.index.state_db)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            count = state.export_feedback(handle)
        print(f"wrote {wording.counted(count, 'vote')} to {args.output}", file=sys.stderr)
    else:
        state.export_feedback(sys.stdout)
    return exit_codes.OK


def cmd_audit(args, settings: Settings) -> int:
    from bot.state import StateDB

    state = StateDB(settings.index.state_db)
    rows = state.recent_refreshes(args.limit)
    documents = state.recent_document_changes(args.limit)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        for row in documents:
            print(json.dumps({"kind": "document", **row}, ensure_ascii=False))
        return exit_codes.OK
    if not rows:
        print("No refreshes recorded yet.")
    for row in rows:
        report = row.get("report") or {}
        changes = ", ".join(
            f"{len(report.get(k, []))} {k}" for k in ("added", "changed", "removed") if report
        )
        print(f"{row['started_at']}  {row['requested_by']:<24} {row['outcome']:<10} {changes}")
    if documents:
        print("\nDocuments added, updated and removed:")
    for row in documents:
        digest = f"  {row['size']} bytes  sha256 {row['sha256']}" if row["sha256"] else ""
        print(
            f"{row['at']}  {row['requested_by']:<24} {row['action']:<9} {row['document']}  "
            f"{row['outcome']}{digest}"
        )
    return exit_codes.OK


def _loaded_engine(args, settings: Settings, *, warm: bool = True):
    from retrieval.engine import Engine

    engine = Engine(settings)
    with _progress_bar("building the index", enabled=not getattr(args, "json", False)) as progress:
        engine.load(rebuild=not args.no_rebuild, progress=progress)
    if warm:  # so `seconds` in the answers is the answer, not the model load
        engine.embedder.warm_up()
    return engine


def _stdin_lines():
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


class _progress_bar:
    """A tqdm bar on an interactive stderr; a no-op callback otherwise."""

    def __init__(self, label: str, *, enabled: bool):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.label, unit="text", file=sys.stderr, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


@contextmanager
def _on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """The first SIGTERM or Ctrl-C calls `stop` (the refresh ends at its next batch, recorded in
    the audit log); a second one acts as it usually does."""
    if threading.current_thread() is not threading.main_thread():  # signals cannot be caught
        yield
        return
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.getsignal(number) for number in signals}

    def first(number, frame) -> None:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
        log.warning("stopping after the current batch")
        stop()

    for number in signals:
        signal.signal(number, first)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("faiss", "bm25s", "sentence_transformers", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot", description="Answers questions from documents with verbatim, cited quotes."
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="settings file (default: $CITEBOT_CONFIG or config/citebot.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help: str, *, paths: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        if paths:
            sub.add_argument("--docs", type=Path, help="documents dir (default from config)")
            sub.add_argument("--index", type=Path, help="index dir (default from config)")
        sub.set_defaults(handler=handler)
        return sub

    index = command("index", cmd_index, "build or refresh the index")
    index.add_argument("--json", action="store_true", help="print the report as one JSON object")
    index.add_argument(
        "--allow-empty",
        action="store_true",
        help="allow an empty documents dir to replace a non-empty index",
    )

    ask = command("ask", cmd_ask, "answer a question (or one per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument(
        "--top-k", type=int, choices=range(1, 11), metavar="1-10", help="quotes per answer"
    )
    ask.add_argument(
        "--conversation",
        action="store_true",
        help="read stdin's questions as one conversation: each a follow-up about the document "
        'the last answer quoted first, and "tell me more" the next quotes for the last '
        "question, as in a Discord channel",
    )
    ask.add_argument(
        "--no-rebuild",
        action="store_true",
        help="fail instead of rebuilding a missing or stale index",
    )

    summarize = command(
        "summarize", cmd_summarize, "summarize the collection, a document or a topic"
    )
    scope = summarize.add_mutually_exclusive_group()
    scope.add_argument("--document", help="document id or title")
    scope.add_argument("--topic", help="what the documents say about this")
    scope.add_argument("--each", action="store_true", help="summarize every document, one per line")
    summarize.add_argument("--sentences", type=int, choices=range(1, 11), metavar="1-10")
    summarize.add_argument("--json", action="store_true", help="print JSON")
    summarize.add_argument(
        "--no-rebuild",
        action="store_true",
        help="fail instead of rebuilding a missing or stale index",
    )

    show = command("show", cmd_show, "print a document's stored text, which quote offsets count")
    show.add_argument("document", help="document id or title (or a unique part of either)")
    show.add_argument(
        "--json",
        action="store_true",
        help="the text with its title, reader, pages, sections and anchors",
    )
    show.add_argument(
        "--no-rebuild",
        action="store_true",
        help="fail instead of rebuilding a missing or stale index",
    )

    command("run", cmd_run, "run the Discord bot (needs DISCORD_TOKEN)")

    feedback = commands.add_parser("feedback", help="feedback votes from Discord")
    feedback_commands = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_commands.add_parser("export", help="write the votes as JSON lines")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=cmd_feedback_export)

    add_document_commands(command)

    audit = commands.add_parser(
        "audit", help="recent refreshes and document changes: who, when, what changed"
    )
    audit.add_argument("--limit", type=int, default=20)
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=cmd_audit)
    return parser


if __name__ == "__main__":
    sys.exit(main())
