"""Answer-type cues read off a question's wording, as people type it."""

from __future__ import annotations

import pytest

from retrieval.cues import answer_type_pattern

SEED = {
    "starmer": "British Prime Minister Keir Starmer has announced the formation of a coalition.",
    "dispute": "This announcement comes after a public dispute between Trump and Zelenskyy.",
    "trump": "It will be presented to US President Donald Trump for his support.",
    "ash": "Ash, an associate fellow in the Russia and Eurasia programme at Chatham House, "
    "believes the initiatives are a good thing.",
    "ash_said": "Ash said the talks had stalled.",
    "defines": "The concept of a “coalition of the willing” refers to a temporary partnership.",
    "mentions": "Starmer announced a “coalition of the willing” to draft a plan.",
}


def test_numbers_dates_and_names():
    assert answer_type_pattern("How many goals did Dallas score?").search("two goals")
    assert answer_type_pattern("how much money is the uk giving").search("a £1.6 billion deal")
    assert answer_type_pattern("In what year did it open?").search("opened in 1998")
    assert not answer_type_pattern("When did it open?").search("it opened late")
    names = answer_type_pattern("Who scored for Dallas?")
    assert names.search("The goal came from Ivan Toney.")
    assert not names.search("The goal came late for Dallas.")  # the question's own name
    assert answer_type_pattern("Where did they play?") is None


@pytest.mark.parametrize(
    ("question", "says_who", "does_not"),
    [
        ("who is trump", "trump", "dispute"),
        ("Who is Keir Starmer?", "starmer", "mentions"),
        ("who is ash", "ash", "ash_said"),
        ("who was ash", "ash", "ash_said"),
    ],
)
def test_who_is_x_prefers_the_sentence_that_says_who_x_is(question, says_who, does_not):
    pattern = answer_type_pattern(question)
    assert pattern.search(SEED[says_who])
    assert not pattern.search(SEED[does_not])


@pytest.mark.parametrize(
    "question",
    [
        "What’s a “coalition of the willing”?",
        "what is a coalition of the willing",
        "define coalition of the willing",
        "what does coalition of the willing mean",
        "explain the coalition of the willing",
        "tell me about the coalition of the willing",
        "meaning of coalition of the willing?",
    ],
)
def test_asking_what_x_means_prefers_the_sentence_that_defines_x(question):
    pattern = answer_type_pattern(question)
    assert pattern.search(SEED["defines"])
    assert not pattern.search(SEED["mentions"])


def test_a_long_what_question_has_no_definition_cue():
    assert answer_type_pattern("What is the name of the stadium in the Bay Area?") is None


@pytest.mark.parametrize(
    "question",
    [
        "what is the coalition for",
        "What’s the coalition of the willing for?",
        "what's the coalition used for",
        "what is the point of the coalition",
        "why do we need the coalition",
    ],
)
def test_asking_what_x_is_for_prefers_the_sentence_that_says_what_x_serves(question):
    pattern = answer_type_pattern(question)
    assert pattern.search(SEED["mentions"])  # "coalition of the willing” to draft a plan"
    assert not pattern.search(SEED["defines"])  # "refers to a temporary partnership"
    assert not pattern.search(SEED["starmer"])  # names it, says nothing of what it is for


def test_what_a_command_does():
    pattern = answer_type_pattern("what does apt-get do")
    assert pattern.search("apt-get is used to install and remove packages.")
    assert pattern.search("The apt-get command lets you upgrade every package at once.")
    assert not pattern.search("Run apt-get as root.")
