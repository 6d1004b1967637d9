"""Chat phrasing: contractions spelled out, and requests about the collection recognised."""

from __future__ import annotations

import pytest

from retrieval.phrasing import (
    FORM_WORDS,
    MetaRequest,
    compounds_joined,
    meta_request,
    shorthand_spelled_out,
    spelled_out,
)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("whats the us position", "what is the us position"),
        ("Who’s Ash?", "who is Ash?"),
        ("wat r u", "what are you"),
        ("Whos ash", "who is ash"),
        ("the summit doesnt say", "the summit does not say"),
        ("Whatsapp groups", "Whatsapp groups"),  # only whole words
        ("wht did teh girl ask", "what did the girl ask"),
        ("thats what im asking", "that is what i am asking"),
        ("tea w/o milk w/ sugar", "tea without milk with sugar"),
    ],
)
def test_chat_contractions_are_spelled_out(typed, read):
    assert spelled_out(typed) == read


@pytest.mark.parametrize(
    "question",
    [
        "tl;dr",
        "TL;DR?",
        "tldr pls",
        "summary please",
        "summarize",
        "can you summarize this",
        "give me a summary",
        "sum it up",
        "what is this document about",
        "whats this about?",
        "what are these documents about",
        "what do the docs say",
        "tl;dr of the docs",
    ],
)
def test_asking_for_the_gist_is_a_summary_of_the_collection(question):
    assert meta_request(question) == MetaRequest("summary")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("summarize the peace plan", "the peace plan"),
        ("summary of ukraine", "ukraine"),
        ("tl;dr on the ceasefire", "the ceasefire"),
    ],
)
def test_asking_to_summarise_something_is_a_topic_summary(question, topic):
    assert meta_request(question) == MetaRequest("summary", topic)


@pytest.mark.parametrize(
    "question",
    [
        "what documents do you have",
        "what docs do u have?",
        "what docs u got",
        "which files are indexed",
        "list the documents",
        "sources",
        "what can you answer",
        "what are your sources",
    ],
)
def test_asking_what_the_bot_has_read_is_the_documents_list(question):
    assert meta_request(question) == MetaRequest("sources")


@pytest.mark.parametrize(
    "question",
    [
        "help",
        "Help!",
        "hey, help me please",
        "what can u do?",
        "who are you",
        "how do i use this bot",
    ],
)
def test_asking_how_to_use_the_bot_is_a_request_for_help(question):
    assert meta_request(question) == MetaRequest("help")


@pytest.mark.parametrize("question", ["help me with apt", "how does this work", "who can help"])
def test_a_question_that_asks_for_help_with_something_is_a_question(question):
    assert meta_request(question) is None


@pytest.mark.parametrize(
    "question",
    ["more", "tell me more", "More please", "go on", "anything else?", "more quotes", "any more"],
)
def test_asking_for_more_is_a_request_for_the_next_quotes(question):
    assert meta_request(question) == MetaRequest("more")


@pytest.mark.parametrize(
    "question",
    [
        "who is ash",
        "what is the coalition about",
        "more missiles?",
        "what else did macron suggest",
        "tell me more about the ceasefire",
        "next",  # to someone else in an ask channel, as likely as to the bot
        "continue",
        "what do you know about macron",
        "what did the summary of the talks say",
        "is the summit summarized anywhere?",
        "what documents did the leaders sign",
        "what is a source of funding",
    ],
)
def test_ordinary_questions_are_not_meta_requests(question):
    assert meta_request(question) is None


def test_chat_shorthand_is_spelled_out_only_where_the_documents_spell_it_out():
    holds = {"repository", "package", "config"}.__contains__
    assert (
        shorthand_spelled_out("how do i add a repo for this pkg", holds)
        == "how do i add a repository for this package"
    )
    # The documents say "config" themselves, and nothing says "database": both kept as typed.
    assert shorthand_spelled_out("where is the config db", holds) == "where is the config db"
    assert shorthand_spelled_out("reporting a Repository", holds) == "reporting a Repository"


def test_an_ordinal_in_figures_is_spelled_out_where_the_documents_spell_it_out():
    assert shorthand_spelled_out("what came in the 1st hour", {"first"}.__contains__) == (
        "what came in the first hour"
    )
    # A document that writes "3rd" itself is matched as typed.
    assert shorthand_spelled_out("the 3rd round", {"third", "3rd"}.__contains__) == "the 3rd round"


def test_a_unit_written_onto_a_number_is_spelled_out_where_the_documents_spell_it_out():
    holds = {"billion", "thousand"}.__contains__
    assert shorthand_spelled_out("whats the £1.6bn for", holds) == "whats the £1.6 billion for"
    assert shorthand_spelled_out("5k missiles?", holds) == "5 thousand missiles?"
    # No document says "million"; "bn" inside a word and a metre count are no units.
    assert shorthand_spelled_out("a 2mn deal", holds) == "a 2mn deal"
    assert shorthand_spelled_out("the 4bnk and 10m run", holds) == "the 4bnk and 10m run"


def test_chat_fillers_are_the_form_of_a_question_not_its_topic():
    assert {"lol", "btw", "tbh", "irl", "rn", "idk"} <= FORM_WORDS


def test_chat_abbreviations_are_spelled_out_where_the_documents_spell_them_out():
    holds = {"people", "points", "years"}.__contains__
    assert (
        shorthand_spelled_out("how many ppl scored 20 pts in 3 yrs", holds)
        == "how many people scored 20 points in 3 years"
    )


def test_a_compound_typed_apart_is_joined_where_the_documents_write_it_as_one_word():
    holds = {"schoolgirl", "database", "every", "one", "everyone", "data"}.__contains__
    assert compounds_joined("what did the school girl ask", holds) == (
        "what did the schoolgirl ask"
    )
    # "data" is a word of the documents, "base" is not: the documents mean "database".
    assert compounds_joined("whats a data base", holds) == "whats a database"
    # Both halves are used apart ("every one of them"): kept as typed; so is "any one".
    assert compounds_joined("every one of them", holds) == "every one of them"
    assert compounds_joined("is any one here", {"anyone"}.__contains__) == "is any one here"
    # Stop words are never a half, whatever typo a document holds ("forthe").
    assert compounds_joined("a plan for the future", {"forthe"}.__contains__) == (
        "a plan for the future"
    )
    assert compounds_joined("school\ngirl", holds) == "school\ngirl"  # across a line: kept
