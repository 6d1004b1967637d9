"""Quotes: verbatim, short, never overlapping, paged with skip=; abstention below min_score."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from retrieval.answers import compose_answer, quote_rows, quote_span
from retrieval.engine import Engine
from retrieval.models import Block, Place
from retrieval.query import read_query
from retrieval.scoring import RankedSentence, rank_sentences
from retrieval.settings import RetrievalSettings
from tests.conftest import SEEDS, FakeEmbedder, make_settings
from tests.retrieval.test_scoring import MATCH, VOLCANO, document, fake_snapshot

LONG = "# Long\n\n" + "The committee discussed " + "many detailed budget items " * 30 + "today.\n"


@pytest.fixture(scope="module")
def snapshot():
    return fake_snapshot(
        document("volcano.md", VOLCANO), document("match.md", MATCH), document("long.md", LONG)
    )


def answer(snapshot, question, *, top_k=3, skip=0, max_quote_chars=300, min_score=0.0):
    query = read_query(question, snapshot)
    ranked = rank_sentences(
        snapshot, FakeEmbedder().encode_query(query.text), query, RetrievalSettings()
    )
    return compose_answer(
        query,
        ranked,
        snapshot,
        top_k=top_k,
        skip=skip,
        max_quote_chars=max_quote_chars,
        min_score=min_score,
    )


QUESTIONS = [
    "Who scored two goals for Brentford?",
    "What did scientists find beneath Yellowstone?",
    "When was the park founded?",
    "What did the committee discuss?",
]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("limit", [80, 150, 300])
def test_quotes_are_verbatim_short_and_never_overlap(snapshot, question, limit):
    result = answer(snapshot, question, top_k=6, max_quote_chars=limit)
    assert result.quotes and not result.abstained
    for quote in result.quotes:
        assert quote.text == snapshot.document(quote.document).text[quote.start : quote.end]
        assert 0 < len(quote.text) <= limit
        assert quote.text == quote.text.strip()
    spans = sorted((q.document, q.start, q.end) for q in result.quotes)
    for (doc_a, _, end_a), (doc_b, start_b, _) in zip(spans, spans[1:]):
        assert doc_a != doc_b or end_a <= start_b


def test_the_first_quote_answers_the_question(snapshot):
    first = answer(snapshot, "Who scored two goals for Brentford?").quotes[0]
    assert "Stuart Dallas scored two superb goals" in first.text
    assert first.document == "match.md" and first.title == "Brentford beat Fulham"


def test_a_short_sentence_is_joined_with_its_neighbours_up_to_the_limit(snapshot):
    first = answer(snapshot, "Who scored two goals for Brentford?", max_quote_chars=300).quotes[0]
    assert "Stuart Dallas" in first.text and len(first.text) > 100
    alone = answer(snapshot, "Who scored two goals for Brentford?", max_quote_chars=80).quotes[0]
    assert alone.text.startswith("Stuart Dallas scored two superb goals")


def test_the_better_scoring_neighbour_is_the_one_added(snapshot):
    rows = [r for r in range(len(snapshot.sentences)) if snapshot.sentences[r].doc_id == "match.md"]
    middle = rows[1]
    before, after = middle - 1, middle + 1
    sentences = snapshot.sentences
    budget = max(
        sentences[after].end - sentences[middle].start,
        sentences[middle].end - sentences[before].start,
    )
    assert budget < sentences[after].end - sentences[before].start  # room for one neighbour
    prefer_before = {before: 1.0, after: 0.1}
    assert quote_rows(snapshot, middle, prefer_before, set(), budget) == (before, middle)
    assert quote_rows(snapshot, middle, {before: 0.1, after: 1.0}, set(), budget) == (middle, after)
    assert quote_rows(snapshot, middle, {}, {after}, budget) == (before, middle)


def test_a_quote_never_crosses_a_paragraph(snapshot):
    rows = [r for r, s in enumerate(snapshot.sentences) if s.text.startswith("The park was")]
    first, last = quote_rows(snapshot, rows[0], {}, set(), 1000)
    assert snapshot.sentences[first].text.startswith("The park was")
    assert (
        "magma"
        not in snapshot.document("volcano.md").text[
            snapshot.sentences[first].start : snapshot.sentences[last].end
        ]
    )


def test_an_overlong_sentence_is_cut_at_a_word_boundary(snapshot):
    row = next(r for r, s in enumerate(snapshot.sentences) if s.doc_id == "long.md")
    start, end = quote_span(snapshot, row, row, 120)
    text = snapshot.document("long.md").text
    assert end - start <= 120 and text[end] == " " and text[start:end].startswith("The committee")


def test_an_overlong_sentence_keeps_the_words_on_both_sides_of_what_the_question_names():
    # The question names the council, the harbour and the bridge; the answer (1998) follows.
    text = (
        "# Budget\n\nLong before anyone "
        + "talked about many small things " * 15
        + "the council approved the harbour bridge in 1998 after "
        + "a series of long public hearings " * 15
        + "ended.\n"
    )
    snapshot = fake_snapshot(document("budget.md", text))
    start, end = quote_span(snapshot, 0, 0, 200, ("council", "approv", "harbour", "bridg"))
    quote = text[start:end]
    assert "the council approved the harbour bridge in 1998 after" in quote
    assert quote.index("council") > 40 and len(quote) - quote.index("1998") > 40  # centred
    assert len(quote) <= 200 and text[start - 1] == " " and text[end] == " "


def test_a_quote_cut_from_a_long_sentence_says_so(snapshot):
    first = answer(snapshot, "What did the committee discuss?", top_k=1).quotes[0]
    assert first.document == "long.md" and first.text.startswith("The committee")
    assert (first.cut_start, first.cut_end) == (False, True) and first.shown.endswith("…")
    whole = answer(snapshot, "What did scientists find beneath Yellowstone?", top_k=1).quotes[0]
    assert not (whole.cut_start or whole.cut_end) and whole.shown == whole.text


def test_skip_gives_the_next_quotes_without_repeats(snapshot):
    question = "What did scientists find beneath Yellowstone?"
    everything = answer(snapshot, question, top_k=4).quotes
    first, rest = (
        answer(snapshot, question, top_k=2).quotes,
        answer(snapshot, question, top_k=2, skip=2).quotes,
    )
    assert len(everything) == 4
    assert first + rest == everything
    assert not {(q.document, q.start) for q in first} & {(q.document, q.start) for q in rest}


def test_below_min_score_it_abstains_and_names_the_closest_documents(snapshot):
    result = answer(snapshot, "What did scientists find beneath Yellowstone?", min_score=0.999)
    assert result.abstained and result.quotes == ()
    assert result.closest_documents[0] == "Yellowstone"


def test_quotes_are_headed_with_missing_words_only_when_they_are_what_is_asked(snapshot):
    # "zanzibar" is most of what this asks about: the quotes match only the rest.
    assert answer(snapshot, "did brentford play in zanzibar").missing == ("zanzibar",)
    # "besides" is no text's, but a small part of a question whose subject the texts hold.
    long = "besides the magma reservoir beneath yellowstone national park what did scientists find"
    assert answer(snapshot, long).missing == ()
    # A refusal names every such word: there is no answer to doubt.
    refused = answer(snapshot, long, min_score=0.999)
    assert refused.abstained and refused.missing == ("besides",)


def test_a_title_over_a_code_block_is_quoted_with_it():
    text = (
        "# Backups\n\nThe bank holds every vault.\n\nThe /etc/dirvish/master.conf file\n\n"
        "bank:\n    /backup\n\nEach vault is a directory.\n"
    )
    code = text.index("bank:")
    conf = replace(
        document("backup.md", text), blocks=(Block(code, text.index("\n\nEach"), "code"),)
    )
    small = fake_snapshot(conf)
    rows = [s.text for s in small.sentences]
    title = rows.index("The /etc/dirvish/master.conf file")
    assert small.sentences[title + 1].start == code
    assert quote_rows(small, title, {}, set(), 300) == (title, title + 1)
    # A sentence that ends in a stop is no title: it says something of its own.
    said = conf.text.replace("master.conf file", "master.conf file is read first.")
    moved = len(said) - len(conf.text)
    block = Block(code + moved, text.index("\n\nEach") + moved, "code")
    small = fake_snapshot(replace(conf, text=said, blocks=(block,)))
    sentence = [s.text for s in small.sentences].index(
        "The /etc/dirvish/master.conf file is read first."
    )
    assert quote_rows(small, sentence, {}, set(), 300) == (sentence, sentence)


def test_a_question_or_a_bare_link_is_never_the_quote_that_answers():
    text = (
        "# Apache\n\nHow do I set up https on apache?\n\n"
        "→ https://httpd.apache.org/docs/2.4/mod/mod_ssl.html\n\n"
        "To serve https, enable the ssl module of apache with a2enmod ssl.\n"
    )
    result = answer(fake_snapshot(document("apache.md", text)), "how do i set up https on apache")
    assert (
        result.quotes[0].text == "To serve https, enable the ssl module of apache with a2enmod ssl."
    )
    assert not any(q.text.startswith(("How do I", "→")) for q in result.quotes)


def test_further_quotes_stop_at_the_first_one_below_half_of_min_score(snapshot):
    query = read_query("q?", snapshot)

    def scores(*relevances):
        ranked = [RankedSentence(row, 1 - row / 10, r) for row, r in zip((0, 6, 3), relevances)]
        result = compose_answer(
            query, ranked, snapshot, top_k=3, skip=0, max_quote_chars=80, min_score=0.5
        )
        return [q.score for q in result.quotes]

    assert scores(0.9, 0.3, 0.8) == [0.9, 0.3, 0.8]  # 0.3 backs an answer the first one gives
    assert scores(0.9, 0.2, 0.8) == [0.9]  # below 0.25 the list stops
    assert scores(0.4, 0.9, 0.9) == []  # the first quote alone decides whether to answer
    assert compose_answer(
        query, [], snapshot, top_k=3, skip=0, max_quote_chars=80, min_score=0.5
    ).abstained


@pytest.fixture(scope="module")
def seed_engine(tmp_path_factory, real_embedder) -> Engine:
    root = tmp_path_factory.mktemp("answers")
    shutil.copytree(SEEDS, root / "docs")
    engine = Engine(make_settings(root, root / "docs"), embedder=real_embedder)
    engine.load()
    return engine


def test_seed_article_answers_with_the_macron_sentence_first(seed_engine):
    result = seed_engine.ask("What did Macron suggest?")
    assert not result.abstained
    macron = "French President Emmanuel Macron suggested a one-month ceasefire"
    assert macron in result.quotes[0].text


def test_seed_article_abstains_on_an_unrelated_question(seed_engine):
    result = seed_engine.ask("What is the capital of Peru?")
    assert result.abstained and result.quotes == ()


MANUAL_HTML = """<html><head><title>Backup guide</title></head><body><main>
<h1>Backup guide</h1>
<h2 id="schedule">Schedules</h2>
<p>The nightly backup runs at two o'clock and keeps seven copies.</p>
<p>Weekly backups are written to the tape drive in the server room.</p>
<h2 id="restore">Restoring</h2>
<p>To restore a file, ask the administrator on duty for the tape.</p>
</main></body></html>
"""
# The same book saved as text: another apostrophe, other spacing, other case in one word.
MANUAL_TEXT = """# Backup guide

## Schedules

The Nightly  backup runs at two o\u2019clock and keeps seven copies.

Weekly backups are written to the tape drive in the server room.

## Restoring

To restore a file, ask the administrator on duty for the tape.
"""


def _words(text):
    return " ".join(text.casefold().replace("\u2019", "'").split()).replace("'", "")


def test_the_same_sentence_from_two_formats_of_one_book_is_quoted_once(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.html").write_text(MANUAL_HTML, encoding="utf-8")
    (docs / "guide.md").write_text(MANUAL_TEXT, encoding="utf-8")
    engine = Engine(make_settings(tmp_path, docs), embedder=FakeEmbedder())
    engine.load()
    snapshot = engine.snapshot
    rows = {}
    for row, sentence in enumerate(snapshot.sentences):
        text = snapshot.document(sentence.doc_id).text[sentence.start : sentence.end]
        rows.setdefault(_words(text)[:20], []).append(row)
    nightly = rows["the nightly backup r"]
    assert len(nightly) == 2  # one copy per format
    weekly = rows["weekly backups are w"]
    ranked = [
        RankedSentence(nightly[1], 0.9, 0.9),
        RankedSentence(nightly[0], 0.8, 0.8),
        RankedSentence(weekly[0], 0.7, 0.7),
        RankedSentence(weekly[1], 0.6, 0.6),
    ]
    query = read_query("When does the nightly backup run?", snapshot)
    result = compose_answer(
        query, ranked, snapshot, top_k=3, skip=0, max_quote_chars=80, min_score=0.5
    )
    # Each sentence once, from the better-ranked copy; the third slot stays empty rather than
    # repeat one of them.
    assert [q.score for q in result.quotes] == [0.9, 0.7]
    assert result.quotes[0].document == snapshot.sentences[nightly[1]].doc_id
    assert "seven copies" in result.quotes[0].text and "tape drive" in result.quotes[1].text


FIREWALL = (
    "# Firewall\n\nTo enable a default firewall in Debian, run:\n\n"
    "    sudo systemctl enable nftables\n\nThe rules live in a file of their own.\n"
)


def firewall_snapshot(text: str):
    return fake_snapshot(document("firewall.md", text))


def test_a_lead_in_ending_in_a_colon_is_quoted_with_the_command_it_introduces():
    small = firewall_snapshot(FIREWALL)
    texts = [s.text for s in small.sentences]
    lead_in = next(r for r, t in enumerate(texts) if t.endswith("run:"))
    command = next(r for r, t in enumerate(texts) if "systemctl" in t)
    assert command == lead_in + 1
    # From either side, across the paragraph break, and only that far: the next paragraph
    # is not introduced by the command.
    assert quote_rows(small, lead_in, {}, set(), 300) == (lead_in, command)
    assert quote_rows(small, command, {}, set(), 300) == (lead_in, command)
    quotes = answer(small, "how do i enable the firewall", top_k=1).quotes
    assert "systemctl enable nftables" in quotes[0].text and "run:" in quotes[0].text
    # A heading between them: the colon introduced something no longer there.
    small = firewall_snapshot(FIREWALL.replace("run:\n\n", "run:\n\n## Commands\n\n"))
    lead_in = next(r for r, s in enumerate(small.sentences) if s.text.endswith("run:"))
    assert quote_rows(small, lead_in, {}, set(), 300) == (lead_in, lead_in)
    # A page break between them (a PDF): a quote cites one page, so it stops at its end.
    turn = FIREWALL.index("    sudo")
    pages = (Place(0, turn, page=1), Place(turn, len(FIREWALL), page=2))
    small = fake_snapshot(replace(document("firewall.pdf", FIREWALL), places=pages))
    lead_in = next(r for r, s in enumerate(small.sentences) if s.text.endswith("run:"))
    assert quote_rows(small, lead_in, {}, set(), 300) == (lead_in, lead_in)
