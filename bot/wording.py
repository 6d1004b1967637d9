"""What Citebot says when it has nothing to quote, how it heads a summary and counts things:
one text for the terminal and Discord."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.models import Summary

NO_ANSWER = "The documents don't answer this: no passage matches the question closely enough."
NO_MORE_QUOTES = "No more quotes answer this question."
CLOSEST_DOCUMENTS = "Closest documents:"
NOTHING_TO_GO_ON_WITH = (
    "Ask me a question first: “more” gives further quotes for your last question, "
    "within a few minutes of its answer."
)


HELP = (
    "I answer questions from this server's documents with exact quotes, each linked to where it "
    "comes from; when the documents don't say, I say so.\n"
    "• Ask: mention me, send me a direct message, use /ask, or just type in an ask channel.\n"
    "• “tell me more”: further quotes for your last question.\n"
    "• “tl;dr” or /summary: a cited summary; “summarize <topic>”: what the documents say "
    "about it.\n"
    "• “what docs do you have” or /sources: the documents I read."
)


def missing_words(words: Sequence[str], *, answered: bool) -> str:
    """`No document uses the word “china”.`: the question's words the documents never use
    (in any form), said beside quotes, which then match only the rest of the question, or
    beside a refusal. Said as a fact about words: a document may still say it otherwise."""
    listed = [f"“{word}”" for word in words]
    if len(listed) == 1:
        text = f"No document uses the word {listed[0]}."
    else:
        text = f"No document uses the words {', '.join(listed[:-1])} or {listed[-1]}."
    return f"{text} These quotes match only the rest of the question." if answered else text


def counted(count: int, noun: str) -> str:
    """`1 passage`, `2 passages`: a count with its noun, singular for one."""
    return f"{count} {noun}{'s' * (count != 1)}"


def no_summary(topic: str | None) -> str:
    """A summary with nothing to quote; `topic` as it is to be shown (escaped for Discord)."""
    about = f" about “{topic}”" if topic else ""
    return f"The documents say nothing{about} that I could quote."


def summary_heading(summary: Summary, document_title: str | None = None) -> str:
    """`Summary of <document>`, `Summary: <topic>` or `Summary of the collection`."""
    if summary.scope == "document":
        return f"Summary of {document_title or summary.document}"
    if summary.scope == "topic":
        return f"Summary: {summary.topic}"
    return "Summary of the collection"
