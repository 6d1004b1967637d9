"""Follow-up questions: the document a conversation is about needs less evidence; every other
document needs as much as for a first question."""

from __future__ import annotations

import pytest

from retrieval.engine import Engine
from retrieval.models import LastAnswer, Reply
from tests.conftest import FakeEmbedder, make_settings


@pytest.fixture
def mixed(tmp_path, docs):
    """Two short documents among a long unrelated one: a server whose documents cover many
    topics, where a short document's evidence counts for little in a first question."""
    entries = "\n\n".join(f"Ledger entry {n} lists crate {n} of bolts." for n in range(1500))
    (docs / "ledger.md").write_text(f"# Ledger\n\n{entries}\n")
    return docs


def engine_for(tmp_path, docs, min_score: float) -> Engine:
    engine = Engine(
        make_settings(tmp_path, docs, answer={"min_score": min_score}), embedder=FakeEmbedder()
    )
    engine.load()
    return engine


def test_a_question_refused_at_first_is_answered_as_a_follow_up(tmp_path, mixed):
    probe = engine_for(tmp_path, mixed, 0.0)
    first = probe.ask("do cats purr")
    follow_up = probe.ask("do cats purr", follow_up_of="cats.md")
    assert first.quotes[0].document == follow_up.quotes[0].document == "cats.md"
    assert follow_up.quotes[0].score > first.quotes[0].score
    assert (first.follow_up_of, follow_up.follow_up_of) == (None, "cats.md")

    between = (first.quotes[0].score + follow_up.quotes[0].score) / 2
    engine = engine_for(tmp_path, mixed, between)
    assert engine.ask("do cats purr").abstained
    answer = engine.ask("do cats purr", follow_up_of="cats.md")
    assert not answer.abstained and "Cats purr when happy." in answer.quotes[0].text


def test_a_change_of_topic_is_judged_as_a_first_question(tmp_path, mixed):
    engine = engine_for(tmp_path, mixed, 0.0)
    first = engine.ask("which crate holds bolts in ledger entry 7")
    after_cats = engine.ask("which crate holds bolts in ledger entry 7", follow_up_of="cats.md")
    assert first.quotes[0].document == "ledger.md"
    assert [(q.text, q.score) for q in after_cats.quotes] == [
        (q.text, q.score) for q in first.quotes
    ]


def test_a_follow_up_of_a_document_no_longer_indexed_is_a_first_question(tmp_path, mixed):
    engine = engine_for(tmp_path, mixed, 0.0)
    answer = engine.ask("do cats purr", follow_up_of="removed.md")
    assert answer.follow_up_of is None
    assert answer.quotes == engine.ask("do cats purr").quotes


def test_tell_me_more_goes_on_with_the_last_question_after_the_quotes_shown(tmp_path, mixed):
    engine = engine_for(tmp_path, mixed, 0.0)
    question = "which crate holds bolts in ledger entry 7"
    first = engine.ask(question, top_k=4)
    assert engine.respond("tell me more") == Reply("more", "tell me more")  # nothing to go on
    more = engine.respond("tell me more", top_k=2, last=LastAnswer(question, 2))
    assert more.kind == "more" and more.shown == 2 and more.answer.question == question
    assert [q.text for q in more.answer.quotes] == [q.text for q in first.quotes[2:4]]
