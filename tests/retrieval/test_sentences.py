"""The sentence splitter: verbatim spans, and the hard cases real documents bring."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Lower-case text (chat, the CNN/DailyMail benchmark) still splits at full stops.
        (
            "lol ok. brb in 5 mins... anyway what r u doing? idk!",
            ["lol ok.", "brb in 5 mins...", "anyway what r u doing?", "idk!"],
        ),
        (
            "sanders jr. seemed to take it in stride. at least he knew.",
            ["sanders jr. seemed to take it in stride.", "at least he knew."],
        ),
        ("the score was 1 - 0. fans cheered.", ["the score was 1 - 0.", "fans cheered."]),
        (
            "it cost $1.5 million. the company said so.",
            ["it cost $1.5 million.", "the company said so."],
        ),
        # Abbreviations and initials do not end a sentence.
        (
            "Dr. Smith met Mr. J. K. Rowling at 5 p.m. on Friday. They talked.",
            ["Dr. Smith met Mr. J. K. Rowling at 5 p.m. on Friday.", "They talked."],
        ),
        ("the u.s. army said so. the u.k. agreed.", ["the u.s. army said so.", "the u.k. agreed."]),
        (
            "Costs rose, e.g. rent and fuel, in the U.S. last year.",
            ["Costs rose, e.g. rent and fuel, in the U.S. last year."],
        ),
        ("Apples, pears, etc. The next sentence.", ["Apples, pears, etc.", "The next sentence."]),
        # A lower-case letter is a variable, not an initial.
        (
            "If p divides xy, then p divides x or y. An element is irreducible.",
            ["If p divides xy, then p divides x or y.", "An element is irreducible."],
        ),
        # Quotes: the closing mark stays with its sentence.
        ('He said: "I\'m done." Then he left.', ['He said: "I\'m done."', "Then he left."]),
        ("“Stop!” she cried. Nobody did.", ["“Stop!” she cried.", "Nobody did."]),
        (
            "Prices rose 3.5% in Q1. Version 2.0 shipped.",
            ["Prices rose 3.5% in Q1.", "Version 2.0 shipped."],
        ),
        # Headings, lists and paragraphs without any punctuation.
        (
            "# Results\n\nWe found it. It works\n\n- first item\n- second item\n1. one\n2) two",
            [
                "# Results",
                "We found it.",
                "It works",
                "- first item",
                "- second item",
                "1. one",
                "2) two",
            ],
        ),
        ("## Setup\nInstall it first.", ["## Setup", "Install it first."]),
        # Chat-like lines: a short line is a message of its own.
        ("hey\nwhat are you up to\nnot much u?", ["hey", "what are you up to", "not much u?"]),
        # Hard-wrapped prose stays one sentence across the line break.
        (
            "This sentence was wrapped by an editor at a fixed width of sixty\n"
            "characters or so. Then another.",
            [
                "This sentence was wrapped by an editor at a fixed width of sixty\n"
                "characters or so.",
                "Then another.",
            ],
        ),
        ("", []),
        ("   \n\n  ", []),
    ],
)
def test_hard_cases(text, expected):
    assert sentences(text) == expected


def test_spans_are_offsets_into_the_whole_text():
    text = "Intro. Skip this. Keep this part. And this."
    start = text.index("Keep")
    spans = split_sentences(text, start, len(text))
    assert [text[s:e] for s, e in spans] == ["Keep this part.", "And this."]
    assert spans[0][0] == start


TEXT = st.lists(
    st.sampled_from([*"ab Z.!?\n\t\"'”)-#*1:,…", "e.g.", "Dr.", "u.s.", "\n\n", "word " * 12]),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, data=st.data())
def test_spans_are_verbatim_trimmed_ordered_and_disjoint(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    spans = split_sentences(text, start, end)
    previous_end = start
    for left, right in spans:
        assert previous_end <= left < right <= end
        piece = text[left:right]
        assert piece == piece.strip() and piece
        previous_end = right
    # Nothing but whitespace is dropped between the sentences.
    covered = "".join(text[left:right] for left, right in spans)
    assert "".join(covered.split()) == "".join(text[start:end].split())
