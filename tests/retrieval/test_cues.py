"""Answer-type cues read off a question's wording, as people type it."""

from __future__ import annotations

import pytest

from retrieval.cues import answer_cue

SEED = {
    "starmer": "British Prime Minister Keir Starmer has announced the formation of a coalition.",
    "dispute": "This announcement comes after a public dispute between Trump and Zelenskyy.",
    "trump": "It will be presented to US President Donald Trump for his support.",
    "ash": "Ash, an associate fellow in the Russia and Eurasia programme at Chatham House, "
    "believes the initiatives are a good thing.",
    "ash_said": "Ash said the talks had stalled.",
    "ash_who_did": "The talks went on without Ash, who cut short his visit.",
    "defines": "The concept of a “coalition of the willing” refers to a temporary partnership.",
    "mentions": "Starmer announced a “coalition of the willing” to draft a plan.",
}


def test_numbers_dates_and_names():
    assert answer_cue("How many goals did Dallas score?").pattern.search("two goals")
    assert answer_cue("how much money is the uk giving").pattern.search("a £1.6 billion deal")
    assert answer_cue("In what year did it open?").pattern.search("opened in 1998")
    assert not answer_cue("When did it open?").pattern.search("it opened late")
    names = answer_cue("Who scored for Dallas?").pattern
    assert names.search("The goal came from Ivan Toney.")
    assert not names.search("The goal came late for Dallas.")  # the question's own name
    assert answer_cue("Where did they play?") is None


@pytest.mark.parametrize(
    ("question", "says_who", "does_not"),
    [
        ("who is trump", "trump", "dispute"),
        ("Who is Keir Starmer?", "starmer", "mentions"),
        ("who is ash", "ash", "ash_said"),
        ("who was ash", "ash", "ash_said"),
        ("who is ash", "ash", "ash_who_did"),  # "X, who did …" says what X did, not who X is
    ],
)
def test_who_is_x_prefers_the_sentence_that_says_who_x_is(question, says_who, does_not):
    pattern = answer_cue(question).pattern
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
    pattern = answer_cue(question).pattern
    assert pattern.search(SEED["defines"])
    assert not pattern.search(SEED["mentions"])


def test_a_long_what_question_has_no_definition_cue():
    assert answer_cue("What is the name of the stadium in the Bay Area?") is None


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
    pattern = answer_cue(question).pattern
    assert pattern.search(SEED["mentions"])  # "coalition of the willing” to draft a plan"
    assert not pattern.search(SEED["defines"])  # "refers to a temporary partnership"
    assert not pattern.search(SEED["starmer"])  # names it, says nothing of what it is for


def test_what_a_command_does():
    pattern = answer_cue("what does apt-get do").pattern
    assert pattern.search("apt-get is used to install and remove packages.")
    assert pattern.search("The apt-get command lets you upgrade every package at once.")
    assert not pattern.search("Run apt-get as root.")


@pytest.mark.parametrize(
    ("question", "decisive"),
    [
        ("who is ash", True),
        ("define coalition of the willing", True),
        ("what's the coalition for", True),
        ("how many missiles", False),  # any number may answer, or not
        ("when was the summit", False),
        ("who attended the summit", False),  # any name may
    ],
)
def test_only_cues_that_say_who_or_what_the_one_thing_is_are_decisive(question, decisive):
    assert answer_cue(question).decisive is decisive
