"""Files saved in other encodings than UTF-8 read as their authors wrote them."""

from pathlib import Path

import pytest

from retrieval.charsets import declared_charset, decode_html, decode_text
from retrieval.documents import load_documents
from retrieval.engine import Engine
from tests.conftest import make_settings

ENCODINGS = Path(__file__).resolve().parents[1] / "fixtures" / "encodings"

EXPECTED = {
    "bom-utf8.html": "The café opens at nine.",
    "bom-utf16.txt": "Notepad saved this naïve résumé as Unicode.",
    "meta-charset.html": "Café crème brûlée costs 4 euros.",
    "http-equiv.html": "The “friendly” match costs €5.",
    "koi8r.html": "Шахматы по вторникам.",
    "undeclared-utf8.html": "Straße und Grüße.",
    "cp1252.txt": "The club’s “blitz” night is on Fridays – café included.",
    "cp1252.md": "The fee is €20 – naïve players pay the same.",
}


def test_every_encoding_fixture_is_indexed_with_its_own_characters():
    documents, skipped = load_documents(ENCODINGS)
    assert skipped == []
    by_id = {document.id: document for document in documents}
    assert set(by_id) == set(EXPECTED)
    for name, sentence in EXPECTED.items():
        assert sentence in by_id[name].text, name
        assert "\ufffd" not in by_id[name].text and "\ufeff" not in by_id[name].text


def test_a_byte_order_mark_wins_over_the_pages_declaration():
    raw = (ENCODINGS / "bom-utf8.html").read_bytes()
    assert declared_charset(raw) == "cp1252"  # the page claims Latin-1 ...
    assert "café" in decode_html(raw)  # ... but the mark says UTF-8, and the mark is right


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b'<meta charset="utf-8">', "utf-8"),
        (
            b"<META CHARSET=ISO-8859-1>",
            "cp1252",
        ),  # Latin-1 labels mean Windows-1252, as in browsers
        (b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', "shift_jis"),
        (b'<meta charset="utf-16">', "utf-8"),  # a byte-oriented declaration cannot mean UTF-16
        (b'<meta charset="no-such-charset">', None),
        (b"<p>no declaration</p>", None),
    ],
)
def test_the_declared_charset_is_read_from_either_meta_form(head, codec):
    assert declared_charset(b"<html><head>" + head + b"</head><body>x</body></html>") == codec


def test_a_declaration_the_bytes_contradict_gives_way_to_what_the_bytes_are():
    raw = '<meta charset="utf-8"><p>Caf\u00e9 \u201cnoir\u201d</p>'.encode("cp1252")
    assert "Café “noir”" in decode_html(raw)


def test_a_declaration_only_counts_near_the_top_of_the_page():
    raw = b"<p>" + b"x" * 2000 + b'</p><meta charset="koi8-r"><p>caf\xc3\xa9</p>'
    assert "café" in decode_html(raw)  # read as UTF-8, not KOI8-R


def test_bytes_windows_1252_does_not_define_become_replacement_characters():
    assert decode_text(b"fee \x80 5 \x81 paid\xe9") == "fee € 5 \ufffd paidé"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"abc\x00def", "NUL bytes"),
        (bytes(range(1, 32)) * 3 + b"\xff\xfe", "control characters"),
        (b"\xff\xfeA", "not valid UTF-16-LE text"),  # odd length after a UTF-16 mark
    ],
)
def test_binary_data_is_still_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        decode_text(raw)


def test_quotes_from_a_windows_1252_file_are_slices_of_the_stored_text(tmp_path, real_embedder):
    engine = Engine(make_settings(tmp_path, ENCODINGS), embedder=real_embedder)
    engine.load()
    answer = engine.ask("What does the blitz night at the club include?")
    assert answer.quotes
    texts = {document.id: document.text for document in engine.snapshot.documents}
    for quote in answer.quotes:
        assert texts[quote.document][quote.start : quote.end] == quote.text
    assert any("café included" in quote.text for quote in answer.quotes)
