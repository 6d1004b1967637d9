"""Plain-text and JSON renderings of answers, summaries and refresh reports for the terminal."""

from __future__ import annotations

from bot import wording
from bot.citations import citation_label, file_reference, place_url
from retrieval.models import Answer, Document, Quote, RefreshReport, Reply, Summary

LISTED = 10  # documents named per kind of change in a text report
# Which text a quote's start and end count characters of: a PDF's or web page's is what its
# reader extracted, not the file's bytes.
OFFSETS = "characters of the document's stored text, as `citebot show DOCUMENT` prints it"


def reply_text(reply: Reply) -> str:
    """An answer; or a summary or the documents list, headed by what was asked for."""
    if reply.kind == "answer":
        return answer_text(reply.answer)
    if reply.kind == "more":
        if reply.answer is None:
            return f"Q: {reply.question}\n\n{wording.NOTHING_TO_GO_ON_WITH}"
        return answer_text(reply.answer, first=reply.shown + 1)
    if reply.kind == "summary":
        return f"Q: {reply.question}\n\n{summary_text(reply.summary)}"
    if reply.kind == "help":
        return f"Q: {reply.question}\n\n{wording.HELP}"
    lines = [f"Q: {reply.question}", "", f"The documents I answer from ({len(reply.documents)}):"]
    for doc in reply.documents:
        lines.append(f"  {doc.title} ({doc.id}, {wording.counted(doc.passages, 'passage')})")
        if doc.source_url:
            lines.append(f"      {doc.source_url}")
    return "\n".join(lines)


def reply_json(reply: Reply) -> dict:
    """`answer_json` plus "kind"; a summary under "summary", the documents under "documents"."""
    if reply.kind == "answer":
        return {"kind": "answer", **answer_json(reply.answer)}
    result = {"kind": reply.kind, "question": reply.question, "answered": True, "quotes": []}
    if reply.kind == "more":  # "question" is the one gone on with; quotes number from "first"
        if reply.answer is None:
            return {**result, "answered": False, "error": wording.NOTHING_TO_GO_ON_WITH}
        more = answer_json(reply.answer)
        return {"kind": "more", **more, "answered": bool(more["quotes"]), "first": reply.shown + 1}
    if reply.kind == "help":
        return {**result, "help": wording.HELP}
    if reply.kind == "summary":
        result["answered"] = not reply.summary.abstained
        result["summary"] = summary_json(reply.summary)
    else:
        result["documents"] = [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source_url,
                "passages": d.passages,
                "indexed_at": d.indexed_at,
            }
            for d in reply.documents
        ]
    return result


def answer_text(answer: Answer, *, first: int = 1) -> str:
    """The quotes numbered from `first`: after `first` - 1 shown before, headed as continued."""
    lines = [f"Q: {answer.question}{' (continued)' * (first > 1)}", ""]
    if first > 1 and not answer.quotes:
        lines.append(wording.NO_MORE_QUOTES)
        return "\n".join(lines)
    if answer.abstained:
        lines.append(wording.NO_ANSWER)
        if answer.missing:
            lines.append(wording.missing_words(answer.missing, answered=False))
        if answer.closest_documents:
            lines.append(f"{wording.CLOSEST_DOCUMENTS} " + "; ".join(answer.closest_documents))
        return "\n".join(lines)
    if answer.missing and first == 1:
        lines.extend([wording.missing_words(answer.missing, answered=True), ""])
    lines.extend(_quotes_with_sources(answer.quotes, first))
    return "\n".join(lines)


def summary_text(summary: Summary) -> str:
    lines = [wording.summary_heading(summary), ""]
    if summary.abstained:
        lines.append(wording.no_summary(summary.topic))
        return "\n".join(lines)
    lines.extend(_quotes_with_sources(summary.sentences))
    return "\n".join(lines)


def _quotes_with_sources(quotes: tuple[Quote, ...], first: int = 1) -> list[str]:
    lines = [_quote_text(number, quote) for number, quote in enumerate(quotes, start=first)]
    lines.extend(["", "Sources:"])
    numbers: dict[tuple[str, str], list[int]] = {}  # one line per cited paragraph or place
    for number, quote in enumerate(quotes, start=first):
        numbers.setdefault((quote.document, citation_label(quote)), []).append(number)
    for (_, label), cited in numbers.items():
        quote = quotes[cited[0] - first]
        marks = "".join(f"[{n}]" for n in cited)
        lines.append(f"  {marks} {quote.title} — {label} ({file_reference(quote)})")
        if quote.source_url:
            lines.append(f"      {place_url(quote.source_url, quote) or quote.source_url}")
    return lines


def _quote_text(number: int, quote: Quote) -> str:
    """A quote in quotation marks; a code block or table as its own indented lines (after the
    lead-in that introduces it, when the quote holds both)."""
    prose, code = quote.shown_parts()
    if not code:
        return f"  [{number}] “{prose}”"
    head = f"  [{number}] “{prose}”" if prose else f"  [{number}] (code)"
    return "\n".join([head, *(f"      {line}" for line in code.splitlines())])


def quote_json(quote: Quote) -> dict:
    return {
        "text": quote.text,
        "document": quote.document,
        "title": quote.title,
        "source": quote.source_url,
        "start": quote.start,
        "end": quote.end,
        "score": quote.score,
        "paragraph": quote.paragraph,
        "page": quote.page,
        "section": list(quote.section),
        "anchor": quote.anchor,
        "code": quote.code,
        "code_from": quote.code_from,
    }


def answer_json(answer: Answer) -> dict:
    return {
        "question": answer.question,
        "answered": not answer.abstained,
        "quotes": [quote_json(q) for q in answer.quotes],
        "offsets": OFFSETS,
        "closest_documents": list(answer.closest_documents),
        "missing": list(answer.missing),
        "follow_up_of": answer.follow_up_of,
        "seconds": round(answer.seconds, 4),
    }


def document_json(document: Document) -> dict:
    """A document as stored: quotes' offsets count characters of `text`."""
    return {
        "document": document.id,
        "title": document.title,
        "source": document.source_url,
        "reader": document.reader,
        "text": document.text,
        "places": [
            {
                "start": p.start,
                "end": p.end,
                "page": p.page,
                "section": list(p.section),
                "anchor": p.anchor,
            }
            for p in document.places
        ],
        "blocks": [{"start": b.start, "end": b.end, "kind": b.kind} for b in document.blocks],
    }


def summary_json(summary: Summary) -> dict:
    return {
        "scope": summary.scope,
        "document": summary.document,
        "topic": summary.topic,
        "abstained": summary.abstained,
        "sentences": [
            {k: v for k, v in quote_json(q).items() if k not in ("score", "paragraph")}
            for q in summary.sentences
        ],
        "seconds": round(summary.seconds, 4),
    }


def report_text(report: RefreshReport) -> str:
    kind = f"full rebuild ({report.reason})" if report.full_rebuild else "incremental refresh"
    lines = [
        f"Indexed {wording.counted(len(report.documents), 'document')}, "
        f"{wording.counted(report.chunks, 'passage')} "
        f"in {report.seconds:.2f} s ({kind}).",
        f"  added {len(report.added)}, changed {len(report.changed)}, "
        f"removed {len(report.removed)}, unchanged {len(report.unchanged)}; "
        f"{wording.counted(report.embedded, 'text')} embedded.",
    ]
    for kind_name in ("added", "changed", "removed", "skipped"):
        names = getattr(report, kind_name)
        lines.extend(f"  {kind_name}: {name}" for name in names[:LISTED])
        if len(names) > LISTED:
            lines.append(f"  … and {len(names) - LISTED} more {kind_name} (--json lists them all)")
    return "\n".join(lines)
