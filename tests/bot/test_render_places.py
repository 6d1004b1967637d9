"""Discord citations for pages and sections, and code quoted as code."""

from bot.render import answer_embed, quote_block, source_line
from retrieval.models import Answer, Quote


def quote(text="Members pay 20 euros.", **place) -> Quote:
    fields = dict(
        text=text,
        document="handbook.pdf",
        title="Club Handbook",
        source_url="https://club.example/handbook.pdf",
        start=0,
        end=len(text),
        score=0.9,
        paragraph=3,
        passage_id="p",
    )
    return Quote(**{**fields, **place})


def test_a_pdf_quote_cites_its_page_and_links_to_it():
    line = source_line(1, quote(page=37, section=("Membership", "Fees")))
    assert line == "[1] [Club Handbook — p. 37 · § Fees](https://club.example/handbook.pdf#page=37)"


def test_a_section_links_to_its_anchor_and_its_name_is_shown_literally():
    line = source_line(
        2,
        quote(
            source_url="https://club.example/rules.html#top",
            section=("*Fees* [new]",),
            anchor="fees",
        ),
    )
    assert line == r"[2] [Club Handbook — § \*Fees\* \[new\]](https://club.example/rules.html#fees)"


def test_a_section_without_anchor_links_to_the_quoted_words():
    line = source_line(1, quote(source_url="https://club.example/rules.html", section=("Fees",)))
    assert "§ Fees](https://club.example/rules.html#:~:text=Members%20pay%2020%20euros.)" in line


def test_a_quote_with_no_place_keeps_its_paragraph():
    assert "Club Handbook — paragraph 3" in source_line(1, quote(source_url=None))


def test_a_code_block_is_shown_as_code_with_its_characters_unescaped():
    code = "$ ls *.txt\n```oops"
    block = quote_block(1, quote(text=code, code=True))
    assert block.splitlines() == ["> **[1]**", "> ```", "> $ ls *.txt", "> `\u200b``oops", "> ```"]
    rendered = answer_embed(Answer("q?", (quote(text=code, code=True, page=2),), False))
    assert "> $ ls *.txt" in rendered.embed.description


def test_real_answers_from_each_format_render_with_their_place(tmp_path, real_embedder):
    import shutil

    from retrieval.engine import Engine
    from tests.conftest import REPO, make_settings

    docs = tmp_path / "docs"
    shutil.copytree(REPO / "tests" / "fixtures" / "documents", docs)
    engine = Engine(make_settings(tmp_path, docs), embedder=real_embedder)
    engine.load()
    expected = {
        "How much is the yearly membership fee?": "Club Handbook — p. 2 · § Membership fees",
        "What does the winner of the tournament receive?": "(https://chess.example.org/club.html#prizes)",
        "How many guests may a member bring?": "Club Rules — § Guests",
        "Where do I return a borrowed chess set?": "Club Equipment — § Returning sets",
    }
    for question, citation in expected.items():
        answer = engine.ask(question)
        first = answer.quotes[0]
        assert first.text == engine.snapshot.document(first.document).text[first.start : first.end]
        sources = answer_embed(answer).embed.fields[0].value
        assert citation in sources.splitlines()[0], (question, sources)


def test_a_lead_in_and_its_command_show_as_prose_then_code():
    text = "To enable the firewall, run:\n\n$ systemctl enable nftables"
    lead_in = quote(text=text, code_from=text.index("$"))
    assert quote_block(1, lead_in).splitlines() == [
        "> **[1]** To enable the firewall, run:",
        "> ```",
        "> $ systemctl enable nftables",
        "> ```",
    ]
