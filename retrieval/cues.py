"""Answer-type cues: what a sentence that answers a question must hold, read off its wording."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}})s?\b|\b(?:{_MONTHS})\b|\bcentur(?:y|ies)\b|\b\d+(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|large|big|far|tall|high|often)\b"
    r"|\bwhat (?:percentage|percent|number|amount|proportion)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|century|decade|time|period)\b",
    re.IGNORECASE,
)
_ARTICLE = r"(?:(?:an?|the)\s+)?"
_TERM = r"([^?]{2,60}?)"
_END = r"(?:\s+(?:mean|means|stand for))?[\s?!.]*$"
# "What is X?", "whats X", "define X", "explain X", "what does X mean", "tell me about X".
_ASKS_DEFINITION = re.compile(
    rf"^\s*(?:what(?:\s+(?:is|are|was)|['’]s)\s+{_ARTICLE}{_TERM}{_END}"
    rf"|what\s+(?:does|do)\s+{_ARTICLE}{_TERM}\s+(?:mean|stand for)[\s?!.]*$"
    rf"|(?:define|explain|describe|meaning of|definition of|tell me about)\s+{_ARTICLE}{_TERM}"
    r"[\s?!.]*$)",
    re.IGNORECASE,
)
# "What's X for?", "what does X do", "what is the point of X", "why do we need X".
_ASKS_PURPOSE = re.compile(
    rf"^\s*(?:what(?:\s+(?:is|are|was|were)|['’]s)\s+{_ARTICLE}{_TERM}\s+(?:used\s+)?for"
    rf"|what\s+(?:does|do|did)\s+{_ARTICLE}{_TERM}\s+do"
    rf"|(?:what(?:\s+(?:is|was)|['’]s)\s+)?(?:the\s+)?(?:purpose|point|goal|aim)\s+of\s+{_ARTICLE}{_TERM}"
    rf"|why\s+(?:do|does|would)\s+(?:we|i|you|they)\s+(?:need|use|want)\s+{_ARTICLE}{_TERM})"
    r"[\s?!.]*$",
    re.IGNORECASE,
)
# What may follow the term, a few words on, in a sentence that says what it is for: "X (of
# the willing) to develop", "X is used for", "X, aimed at", "X lets you". Not "to a/the": that
# is "refers to the", "belongs to a".
_SERVES = (
    r"(?:\W+\w+){0,4}?\W+(?:in\s+order\s+to|so\s+as\s+to|aim(?:s|ed)?\s+(?:at|to)"
    r"|(?:designed|intended|used|meant)\s+(?:to|for)|(?:is|are)\s+for|lets?|allows?|helps?"
    r"|enables?|to\s+(?!(?:an?|the|be|its?|their|his|her)\b)\w+)"
)
# What may follow the term in a sentence that defines it: a closing quote, a parenthesis.
_DEFINES = r"[\"'”’)]*\s*(?:\([^)]*\)\s*)?,?\s*(?:is|are|refers?\s+to|means?|denotes?)\b"
_QUOTES = "\"'“”‘’«»"
_ASKS_PERSON = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)
_ASKS_IDENTITY = re.compile(
    r"^\s*who\s+(?:is|was|are|were)\s+(?P<name>[^?]{2,40}?)[\s?!.]*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Cue:
    """What an answering sentence holds. A `decisive` cue names the one thing the question asks
    about and says who or what it is, or what it is for: a relevant sentence holding it answers
    the question by itself, where any number or name only may."""

    pattern: re.Pattern
    decisive: bool = False


def answer_cue(question: str) -> Cue | None:
    """What an answering sentence must contain: a number, a date; for "Who is X?" a sentence
    that says who X is ("President Emmanuel Macron", "Ash, an associate fellow"); for "What is
    X?" (or "define X", "what does X mean") one that defines X ("X is", "X refers to"); for
    "What's X for?" one that says what X serves ("X … to develop", "X is used for"); for
    other "who" questions a capitalised name the question does not already hold; or None."""
    if _ASKS_NUMBER.search(question):
        return Cue(_NUMBER)
    if _ASKS_DATE.search(question):
        return Cue(_DATE)
    identity = _ASKS_IDENTITY.match(question)
    if identity and len(identity["name"].split()) <= 3:
        name = r"\s+".join(map(re.escape, identity["name"].split()))
        return Cue(
            re.compile(
                rf"(?:\b[A-Z][\w.’'-]*\s+)+(?i:{name})\b|\b(?i:{name})\b[\"'”’]?\s*(?:\([^)]*\)\s*)?,"
                rf"\s+(?:an?|the|who\s+(?:is|was))\s|\b(?i:{name})\s+(?:is|was)\s+(?:an?|the)\s"
            ),
            decisive=True,
        )
    purpose = _ASKS_PURPOSE.match(question)
    if purpose:
        term = _term_pattern(next(t for t in purpose.groups() if t))
        if term:
            return Cue(re.compile(rf"\b{term}{_SERVES}", re.IGNORECASE), decisive=True)
        return None
    definition = _ASKS_DEFINITION.match(question)
    if definition:
        term = _term_pattern(next(t for t in definition.groups() if t))
        if term:
            return Cue(re.compile(rf"\b{term}{_DEFINES}", re.IGNORECASE), decisive=True)
    if _ASKS_PERSON.search(question):
        named = "|".join(sorted(set(re.findall(r"\w+", question.lower()))))
        return Cue(re.compile(rf"(?<=\s)(?!(?i:{named})\b)[A-Z][a-z]+"))
    return None


def _term_pattern(term: str) -> str | None:
    """The words of a term the question names (one to four, quotes dropped), as a pattern that
    matches them across any whitespace; None for a longer phrase, which names no one thing."""
    words = [w.strip(_QUOTES) for w in term.split()]
    if 0 < len(words) <= 4 and all(words):
        return r"\s+".join(map(re.escape, words))
    return None
