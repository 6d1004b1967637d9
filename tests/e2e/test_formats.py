"""A PDF, a web page, a Word file and an RST file uploaded through the fake Discord: answers
cite the page or section and link to it, and every quote is a slice of the stored text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_asyncio
from helpers import quotes_in, unescape
from test_docs import ask, run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
# name -> the source URL given with /docs add (None: the page declares its own canonical URL).
UPLOADS = {
    "handbook.pdf": "https://chess.example.org/handbook.pdf",
    "club.html": None,
    "rules.docx": "https://chess.example.org/rules.docx",
    "equipment.rst": "https://chess.example.org/equipment.html",
}
PLACE_SOURCE = re.compile(r"^\[(\d+)\] \[(.+) — (.+)\]\((\S+)\)$")
UNLINKED_SOURCE = re.compile(r"^\[(\d+)\] (.+) — (.+)$")  # a document with no source URL


@pytest_asyncio.fixture(scope="module")
async def formats(bot, fake, engine):
    """The four fixture documents uploaded by a moderator; removed again afterwards so the
    session's other tests see the corpus they expect."""
    for name, source in UPLOADS.items():
        [embed] = (
            await run(
                fake,
                "add",
                file=fake.attachment(name, (FIXTURES / name).read_bytes()),
                source=source,
            )
        )["embeds"]
        assert embed["title"] == "Document added", embed
    yield engine
    for name in UPLOADS:
        await run(fake, "remove", document=f"uploads/{name}")


def places_in(embed: dict) -> dict[int, tuple[str, str, str | None]]:
    """{number: (title, place, url or None)} from the Sources field(s)."""
    sources = {}
    for field in embed.get("fields", []):
        if field["name"].startswith("Sources"):
            for line in field["value"].split("\n"):
                match = PLACE_SOURCE.match(line) or UNLINKED_SOURCE.match(line)
                assert match, f"not a source line: {line!r}"
                url = match[4] if match.re is PLACE_SOURCE else None
                sources[int(match[1])] = (unescape(match[2]), unescape(match[3]), url)
    return sources


CASES = [
    # question, the words the first quote holds, its title, place and link
    (
        "How much is the membership fee each year?",
        "a fee of 20 euros a year",
        "Club Handbook",
        "p. 2 · § Membership fees",
        "https://chess.example.org/handbook.pdf#page=2",
    ),
    (
        "How many rounds does the spring tournament have?",
        "seven rounds",
        "Lindenau Chess Club",
        "§ 2.3 Tournaments",
        "https://chess.example.org/club.html#tournaments",
    ),
    (
        "How many guests may a member bring to a meeting?",
        "one guest",
        "Club Rules",
        "§ Guests",
        "https://chess.example.org/rules.docx#guests",
    ),
    (
        "Where do I return a borrowed chess set?",
        "cupboard in room B12",
        "Club Equipment",
        "§ Returning sets",
        "https://chess.example.org/equipment.html#returning-sets",
    ),
]


@pytest.mark.parametrize(("question", "words", "title", "place", "url"), CASES)
async def test_each_format_is_cited_at_its_place_and_quoted_verbatim(
    formats, fake, question, words, title, place, url
):
    embed = await ask(fake, question)
    quotes, sources = quotes_in(embed), places_in(embed)
    assert words in quotes[1]
    assert sources[1] == (title, place, url)
    stored = {document.title: document.text for document in formats.snapshot.documents}
    for number, quote in quotes.items():
        cited_title = sources[number][0]
        assert quote.strip("…") in stored[cited_title], (number, quote)
