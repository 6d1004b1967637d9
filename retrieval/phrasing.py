"""How people type questions in chat: contractions spelled out, the words that only shape a
question, and requests about the collection itself ("tl;dr", "what docs do you have")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bm25s.stopwords import STOPWORDS_EN

# Chat spellings of a question word and its verb; "whats" is not a word any document uses.
_CONTRACTIONS = {
    "whats": "what is",
    "what's": "what is",
    "whos": "who is",
    "who's": "who is",
    "wheres": "where is",
    "where's": "where is",
    "hows": "how is",
    "how's": "how is",
    "whens": "when is",
    "when's": "when is",
    "whys": "why is",
    "why's": "why is",
    "whatre": "what are",
    "what're": "what are",
    "whore": "who are",
    "who're": "who are",
    "wat": "what",
    "wut": "what",
    "wot": "what",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "isnt": "is not",
    "doesnt": "does not",
    "dont": "do not",
    "didnt": "did not",
    "cant": "can not",
    "wont": "will not",
    "wasnt": "was not",
    "arent": "are not",
    "werent": "were not",
    "hasnt": "has not",
    "havent": "have not",
    "shouldnt": "should not",
    "wht": "what",
    "whts": "what is",
    "wats": "what is",
    "teh": "the",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "theyre": "they are",
    "thats": "that is",
    "theres": "there is",
    "tho": "though",
    "b4": "before",
    "w/": "with",
    "w/o": "without",
}


def _whole_words(words: Iterable[str]) -> re.Pattern:
    """Any of `words`, case-insensitive, standing alone (not inside a word or a contraction);
    longer words first, so "what're" is not read as "what"."""
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])({alternatives})(?![\w'’])", re.IGNORECASE)


_CONTRACTION = _whole_words(_CONTRACTIONS)

# Chat shorthand for words documents usually spell out. It is read as the full word only where
# the documents use the full word and never the shorthand: a manual that says "config" keeps it.
# Only shorthand with one common meaning: not "hr" (hour, human resources), "temp" (temperature,
# temporary), "dev" (developer, development, device), "inv".
_SHORTHAND = {
    "repo": "repository",
    "repos": "repositories",
    "config": "configuration",
    "configs": "configurations",
    "pkg": "package",
    "pkgs": "packages",
    "dir": "directory",
    "dirs": "directories",
    "admin": "administrator",
    "admins": "administrators",
    "env": "environment",
    "auth": "authentication",
    "pw": "password",
    "pwd": "password",
    "passwd": "password",
    "msg": "message",
    "msgs": "messages",
    "db": "database",
    "app": "application",
    "apps": "applications",
    "perms": "permissions",
    "prefs": "preferences",
    "govt": "government",
    "gov": "government",
    "mgmt": "management",
    "approx": "approximately",
    "intl": "international",
    "org": "organisation",
    "orgs": "organisations",
    "ppl": "people",
    "yr": "year",
    "yrs": "years",
    "hrs": "hours",
    "mins": "minutes",
    "secs": "seconds",
    "wk": "week",
    "wks": "weeks",
    "pic": "picture",
    "pics": "pictures",
    "vid": "video",
    "vids": "videos",
    "ep": "episode",
    "eps": "episodes",
    "bday": "birthday",
    "diff": "difference",
    "num": "number",
    "dept": "department",
    "acct": "account",
    "pts": "points",
    "lvl": "level",
    "char": "character",
    "chars": "characters",
    "dmg": "damage",
    "specs": "specifications",
    "ver": "version",
    "devs": "developers",
    "mgr": "manager",
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "6th": "sixth",
    "7th": "seventh",
    "8th": "eighth",
    "9th": "ninth",
    "10th": "tenth",
}
_SHORTHAND_WORD = _whole_words(_SHORTHAND)
# A word that may be half of a compound typed apart: letters only (and, see compounds_joined,
# neither a stop word nor a word that shapes the question: "any one" stays as typed).
_JOINABLE = re.compile(r"(?<![\w'’])[^\W\d_]{2,}(?![\w'’])")
# The same for a number's unit written onto it: "£1.6bn", "5k", "2tn" ("m" is left alone: it
# is as often metres or minutes as millions).
_UNITS = {"k": "thousand", "bn": "billion", "mn": "million", "tn": "trillion"}
_NUMBER_UNIT = re.compile(r"(?<=\d)(bn|mn|tn|k)(?![\w'’])", re.IGNORECASE)

# Words that ask, or shape the asking, rather than say what a question is about. They never
# count as the question's topic: a document that does not use "mean" or "happened" is not
# thereby off-topic.
FORM_WORDS = frozenset(
    """
what which who whom whose when where why how did do does done doing can could would should
shall may might must has have had having was were been being am i me my we our you your he
him his she her its they them their there here than from about also any some many much more
most other others one ones kind type sort
mean means meaning meant define definition explain explained describe description tell
told know known knows happen happened happening happens say said says saying talk talking
talked please thanks thank hey hi hello guys anyone someone somebody anybody exactly really
actually basically just like info information detail details thing things stuff bit
whats whos
lol lmao btw tbh imo imho ngl fr idk iirc afaik rn irl ok okay thx ty yo bro dude smth sth
vs versus
held worth located situated based called named
""".split()
)


def spelled_out(question: str) -> str:
    """`question` with chat contractions written in full ("whats" → "what is"); the rest is
    kept as typed."""
    return _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group().lower()], question.replace("’", "'"))


@dataclass(frozen=True)
class MetaRequest:
    """A request about the collection rather than a question for it."""

    # "summary" (of the collection, or of `topic`) | "sources" (the documents list) | "more"
    # (further quotes for the conversation's last question) | "help" (how to ask the bot)
    kind: str
    topic: str | None = None


_POLITE = r"(?:(?:hey|hi|ok|so|yo)\W+)?(?:(?:can|could|would) you |please )?"
_TAIL = r"(?:\s*(?:please|thanks|thx))?[\s?!.]*$"
_DOCS = r"(?:docs?|documents?|articles?|texts?|files?|pages?|collection|sources?|stuff)"
_SELF = (
    rf"(?:this|it|that|these|those|everything|all|the whole thing|(?:the|your|this|these) {_DOCS})"
)
_SUMMARY_WORD = r"(?:tl\W?;?\W?dr|tldr|summary|summari[sz]e|sum (?:it )?up|recap|overview|gist)"
_ABOUT_THIS = re.compile(
    rf"^{_POLITE}(?:give me |i want |i need |need |get )?(?:an? |the )?{_SUMMARY_WORD}"
    rf"(?:\s+(?:of|on|for)\s+{_SELF}|\s+{_SELF})?{_TAIL}"
    rf"|^what (?:is|are) {_SELF} (?:all )?about{_TAIL}"
    rf"|^what do (?:the|your|these) {_DOCS} (?:say|cover){_TAIL}",
    re.IGNORECASE,
)
_ABOUT_TOPIC = re.compile(
    rf"^{_POLITE}(?:give me |i want |i need |need )?(?:an? |the )?{_SUMMARY_WORD}"
    rf"\s+(?:of|on|about|for)?\s*(?P<topic>\S.{{1,200}}?){_TAIL}",
    re.IGNORECASE,
)
_SOURCES = re.compile(
    rf"^{_POLITE}(?:"
    rf"(?:what|which) {_DOCS} (?:(?:do|did|can) )?you (?:have|got|know|use|read|cover)"
    rf"|(?:what|which) {_DOCS} are (?:there|indexed|available|loaded)"
    rf"|(?:list|show)(?: me)? (?:the |your |all )?{_DOCS}"
    rf"|(?:what|which) (?:are )?(?:your|the) {_DOCS}"
    rf"|{_DOCS}"
    r"|what (?:can|do) you (?:answer|know)(?: about)?"
    rf"){_TAIL}",
    re.IGNORECASE,
)

# "tell me more", "go on", "anything else?": the next quotes for the last question asked. Not
# "next" or "continue" alone: said in an ask channel to someone else, they would get a reply.
_MORE = re.compile(
    rf"^{_POLITE}(?:(?:tell|show|give) me |i want |any |got any |say )?"
    r"(?:more|some more|anything (?:more|else)|what else|go on|keep going)"
    r"(?: (?:quotes?|info|details?|about (?:it|that|this|them)))?"
    rf"{_TAIL}",
    re.IGNORECASE,
)


def shorthand_spelled_out(question: str, used: Callable[[str], bool]) -> str:
    """`question` with chat shorthand ("repo", "pkg", the "bn" of "£1.6bn") written in full
    where the documents use the full word (and, for a word, not the shorthand); `used(word)`
    says whether some text holds `word`."""

    def spell(match: re.Match) -> str:
        word = match.group()
        full = _SHORTHAND[word.lower()]
        return full if used(full) and not used(word) else word

    def unit(match: re.Match) -> str:
        full = _UNITS[match.group().lower()]
        return f" {full}" if used(full) else match.group()

    return _NUMBER_UNIT.sub(unit, _SHORTHAND_WORD.sub(spell, question))


_NOT_HALVES = FORM_WORDS | set(STOPWORDS_EN)  # "for the" is no "forthe", "be an" no "bean"


def compounds_joined(question: str, used: Callable[[str], bool]) -> str:
    """`question` with two words typed apart joined where the documents write them as one word
    and do not use both apart ("school girl" → "schoolgirl", "data base" → "database");
    `used(word)` says whether some text holds `word`."""
    words = list(_JOINABLE.finditer(question))
    joined, kept = [], 0
    for first, second in zip(words, words[1:]):
        if first.start() < kept or question[first.end() : second.start()] != " ":
            continue
        a, b = first.group(), second.group()
        if {a.lower(), b.lower()} & _NOT_HALVES:
            continue
        if used(a + b) and not (used(a) and used(b)):
            joined.append(question[kept : first.start()] + a + b)
            kept = second.end()
    return "".join(joined) + question[kept:]


# "help", "what can you do", "how do i use this bot": what the bot is and how to ask it.
_HELP = re.compile(
    rf"^{_POLITE}(?:help(?: me)?|commands|what (?:can|do) you do|what are you|who are you"
    r"|what(?: is|'s) this bot|what are your commands|how do(?:es)? (?:this|the) bot work"
    rf"|how (?:do i|to|can i) use (?:you|this bot|the bot)){_TAIL}",
    re.IGNORECASE,
)


def meta_request(question: str) -> MetaRequest | None:
    """Whether `question` asks about the collection: for a summary of it ("tl;dr", "what is
    this about"), for a summary of a topic ("summarize the peace plan"), for the documents
    list ("what docs do you have"), for more of the last answer ("tell me more"), or for how
    to use the bot ("help", "what can you do"). None for an ordinary question."""
    text = " ".join(spelled_out(question).split())
    if _MORE.match(text):
        return MetaRequest("more")
    if _HELP.match(text):
        return MetaRequest("help")
    if _SOURCES.match(text):
        return MetaRequest("sources")
    if _ABOUT_THIS.match(text):
        return MetaRequest("summary")
    topic = _ABOUT_TOPIC.match(text)
    if topic:
        return MetaRequest("summary", topic["topic"].strip())
    return None
