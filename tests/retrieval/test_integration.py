"""The real model and the real FAISS index over the seed article."""

import pytest

from retrieval.engine import Engine
from retrieval.snapshot import current_snapshot_path
from tests.conftest import SEED_ID, make_settings


@pytest.fixture(scope="module")
def engine(tmp_path_factory, real_embedder, request):
    from tests.conftest import SEEDS

    tmp = tmp_path_factory.mktemp("real")
    engine = Engine(make_settings(tmp, SEEDS), embedder=real_embedder)
    engine.load()
    return engine


def test_macron_question_quotes_the_ceasefire_passage_with_its_citation(engine):
    answer = engine.ask("What did Macron suggest?")
    assert not answer.abstained
    first = answer.quotes[0]
    assert "French President Emmanuel Macron suggested a one-month ceasefire" in first.text
    assert first.document == SEED_ID and first.paragraph == 4
    assert first.source_url.startswith("https://www.aljazeera.com/news/2025/3/3/")
    assert first.title.startswith("Russia-Ukraine war")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Macorn sugest?", "Emmanuel Macron suggested a one-month ceasefire"),  # typos
        ("How many air defence missiles can Kyiv buy?", "5,000 air defence missiles"),
        (
            "Who joined Starmer at the security summit?",
            "Leaders or representatives from 12 European",
        ),
        ("What is a coalition of the willing?", "temporary international partnership"),
    ],
)
def test_real_questions_find_the_answering_sentence(engine, question, expected):
    assert expected in engine.ask(question).quotes[0].text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("who is trump", "US President Donald Trump"),
        ("who's macron", "French President Emmanuel Macron"),
        # The sentence that says who they are comes before those that only mention them.
        ("who's starmer", "British Prime Minister Keir Starmer"),
        ("who is zelenskyy", "Ukrainian President Volodymyr Zelenskyy"),
        ("define coalition of the willing", "temporary international partnership"),
        ("what does coalition of the willing mean", "temporary international partnership"),
        ("what missiles", "5,000 air defence missiles"),
        ("what did macron want", "one-month ceasefire"),
        ("was turkey there", "Turkey"),
    ],
)
def test_questions_typed_as_in_chat_are_answered_with_the_sentence_that_answers(
    engine, question, expected
):
    answer = engine.ask(question)
    assert not answer.abstained, question
    assert expected in answer.quotes[0].text


@pytest.mark.parametrize(
    "question",
    [
        "how do i install python on windows",
        "who is the president of brazil",
        "whats the best gpu for gaming",
        "when does the server event start",
    ],
)
def test_chat_questions_about_something_else_are_refused_on_a_one_document_collection(
    engine, question
):
    assert engine.ask(question).abstained


def test_a_question_with_typos_is_answered_and_shown_as_typed(engine):
    answer = engine.ask("What did Macorn sugest?")
    assert answer.question == "What did Macorn sugest?" and not answer.abstained
    summary = engine.summarize(topic="Macorn ceasfire")
    assert summary.topic == "Macorn ceasfire"
    assert any("Macron suggested a one-month ceasefire" in s.text for s in summary.sentences)


@pytest.mark.parametrize(
    "question", ["What is the capital of Peru?", "How do I bake banana bread?", "asdf qwerty"]
)
def test_far_off_topic_questions_abstain_and_name_no_document(engine, question):
    answer = engine.ask(question)
    assert answer.abstained and answer.quotes == ()
    assert answer.closest_documents == ()  # none is anywhere near: naming one would mislead


def test_a_near_miss_is_refused_and_names_the_closest_document(engine):
    answer = engine.ask("who is the president of brazil")
    assert answer.abstained and answer.missing == ("brazil",)
    assert answer.closest_documents[0].startswith("Russia-Ukraine war")


def test_every_quote_is_the_exact_text_at_its_offsets(engine):
    text = (engine.settings.documents.dir / SEED_ID).read_text(encoding="utf-8")
    for question in ["Who is Ash?", "What happened at the White House?", "peace plan"]:
        for quote in engine.ask(question, top_k=5).quotes:
            assert quote.text == text[quote.start : quote.end]
            assert len(quote.text) <= engine.settings.answer.max_quote_chars


def test_more_quotes_continue_where_the_answer_stopped(engine):
    first = engine.ask("What did Starmer announce?", top_k=2)
    more = engine.ask("What did Starmer announce?", top_k=2, skip=2)
    seen = {(q.start, q.end) for q in first.quotes}
    assert more.quotes and not seen & {(q.start, q.end) for q in more.quotes}


def test_snapshot_on_disk_reloads_without_the_model(engine, tmp_path):
    from retrieval.snapshot import read_snapshot

    path = current_snapshot_path(engine.settings.index.dir)
    snapshot = read_snapshot(path)
    assert snapshot.manifest["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(snapshot.manifest["model"]["digest"]) == 64
    assert snapshot.manifest["dimension"] == 384
    assert snapshot.manifest["documents"][SEED_ID]["sha256"]
    assert snapshot.sentence_vectors.shape == (len(snapshot.sentences), 384)


def test_a_refresh_with_nothing_changed_does_not_load_the_model(engine):
    from retrieval.embedder import Embedder

    fresh = Engine(engine.settings, embedder=Embedder())
    report = fresh.refresh()
    assert report.embedded == 0 and not report.full_rebuild
    assert not fresh.embedder.is_loaded
