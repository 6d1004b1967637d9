"""Sentence boundaries as character spans, robust to lower-case text, abbreviations and lists."""

from __future__ import annotations

import re

# Words that end with a period without ending a sentence (compared lower-case, no dots).
ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof sr jr st mt ft vs etc eg ie cf al approx est inc ltd co corp bros
    dept univ assn no nos vol vols fig figs pp ch sec art gen gov sen rep lt col capt cmdr
    sgt maj adm rev hon pres supt jan feb mar apr jun jul aug sep sept oct nov dec mon tue
    wed thu fri sat sun us uk un eu am pm ad bc ca op ed eds trans esp incl nr""".split()
)
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)")
_LIST_ITEM = re.compile(r"\n[ \t]*(?:[-*+•]|\d{1,3}[.)]|#{1,6})[ \t]+")
_WORD_BEFORE = re.compile(r"([\w.'’-]+)[.!?…]+[\"'”’»)\]]*$")
_LINE_BREAK = re.compile(r"[ \t]*\n")
# A line at least this long that runs on into the next is hard-wrapped prose; a shorter one
# (a chat message, a heading, a caption) ends where the line ends.
WRAP_WIDTH = 50


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences in text[start:end], whitespace trimmed, never empty."""
    end = len(text) if end is None else end
    cased = _is_cased(text[start:end])
    cuts = {start, end}
    for match in _LIST_ITEM.finditer(text, start, end):
        cuts.add(match.start())
    for line_break in _LINE_BREAK.finditer(text, start, end):
        if _ends_line(text, start, line_break.start()):
            cuts.add(line_break.start())
    for match in _END.finditer(text, start, end):
        if _is_boundary(text, match, cased):
            cuts.add(match.end())
    spans = []
    ordered = sorted(cuts)
    for left, right in zip(ordered, ordered[1:]):
        left, right = _trim(text, left, right)
        if left < right:
            spans.append((left, right))
    return spans


def _ends_line(text: str, start: int, at: int) -> bool:
    """Whether the line ending at `at` ends a sentence without punctuation: a blank line
    follows, or the line is too short to be hard-wrapped prose."""
    line_start = max(text.rfind("\n", start, at) + 1, start)
    following = text[at : at + 200].lstrip(" \t")
    if following.startswith("\n") and following[1:].lstrip(" \t").startswith("\n"):
        return True
    return len(text[line_start:at].strip()) < WRAP_WIDTH


def _is_boundary(text: str, match: re.Match, cased: bool) -> bool:
    punctuation = text[match.start() : match.end()]
    following = text[match.end() : match.end() + 40].lstrip()
    if not following:
        return True
    if "." not in punctuation or punctuation.startswith(("!", "?", "…")):
        return not (cased and following[0].islower())
    before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.end())
    word = before.group(1) if before else ""
    bare = word.replace(".", "").lower()
    if bare in ABBREVIATIONS or (len(bare) == 1 and word.lstrip(".")[:1].isupper()):
        # "Dr. Smith", "J. K. Rowling", "the U.S. Army"; but "... and so on, etc. The next" ends,
        # and so does "p divides x or y. An element" (an initial is a capital).
        return cased and bare == "etc" and following[0].isupper()
    if "." in word.strip("."):  # "e.g.", "a.m." and other dotted forms
        return cased and following[0].isupper()
    if cased and following[0].islower():
        return False
    if following[0] in ",;:":
        return False
    return True


def _is_cased(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.01


def _trim(text: str, left: int, right: int) -> tuple[int, int]:
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right
