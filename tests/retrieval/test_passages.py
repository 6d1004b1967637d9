from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.documents import load_documents
from retrieval.models import Document
from retrieval.passages import paragraph_spans, split_document
from tests.conftest import SEEDS


def doc(text: str) -> Document:
    return Document("d.md", "T", None, None, text, "x")


def test_the_seed_article_splits_into_its_seven_paragraphs():
    (document,), _ = load_documents(SEEDS)
    chunks, sentences = split_document(document, max_chars=1000)
    assert [c.paragraph for c in chunks] == [1, 2, 3, 4, 5, 6, 7]
    assert chunks[0].text.startswith("British Prime Minister Keir Starmer")
    # the title, the Date: line and the Source: line are metadata, not passages
    assert all("Source:" not in c.text and "Date:" not in c.text for c in chunks)
    assert not any(s.text.startswith("#") for s in sentences)
    assert len(sentences) == 18


def test_chunks_respect_size_and_never_cross_paragraphs():
    text = (
        "# Title\n\n"
        + " ".join(f"Sentence number {i} is here." for i in range(40))
        + ("\n\nA second paragraph. It is short.")
    )
    chunks, sentences = split_document(doc(text), max_chars=200)
    assert all(len(c.text) <= 200 for c in chunks)
    assert chunks[-1].text == "A second paragraph. It is short."
    assert chunks[-1].paragraph == 2 and chunks[0].paragraph == 1
    assert len(sentences) == 42


def test_overlap_repeats_sentences_between_chunks():
    text = " ".join(f"Sentence {i} ends." for i in range(30))
    plain, _ = split_document(doc(text), max_chars=100, overlap_sentences=0)
    overlapped, sentences = split_document(doc(text), max_chars=100, overlap_sentences=1)
    assert len(overlapped) > len(plain)
    assert overlapped[1].start < overlapped[0].end  # the second starts inside the first
    assert len(sentences) == 30  # each sentence is listed once


def test_chunk_ids_are_stable_and_survive_edits_elsewhere():
    text = "First paragraph here.\n\nSecond paragraph here."
    first, _ = split_document(doc(text), max_chars=500)
    again, _ = split_document(doc(text), max_chars=500)
    edited, _ = split_document(doc("A new opening.\n\n" + text), max_chars=500)
    assert [c.id for c in first] == [c.id for c in again]
    assert {c.id for c in first} <= {c.id for c in edited}


def test_a_text_without_blank_lines_has_a_paragraph_per_line():
    text = "Line one is a paragraph.\nLine two is another.\nSource: https://x.org\n"
    spans = paragraph_spans(text)
    assert [text[a:b] for a, b in spans] == ["Line one is a paragraph.", "Line two is another."]


def test_a_run_on_sentence_longer_than_a_chunk_is_cut_at_spaces():
    text = " ".join(["word"] * 500)
    chunks, sentences = split_document(doc(text), max_chars=300)
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(not c.text.startswith(" ") and "wor d" not in c.text for c in chunks)


prose = st.lists(
    st.sampled_from(list('abcXYZ .!?\n\t-#*:"”’1') + ["Dr. ", "U.S. ", "---", "\n\n", "# "]),
    max_size=200,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(prose, st.integers(200, 600), st.integers(0, 2))
def test_offsets_are_exact_for_any_text(text, max_chars, overlap):
    chunks, sentences = split_document(doc(text), max_chars=max_chars, overlap_sentences=overlap)
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text.strip() == chunk.text and chunk.text
    for sentence in sentences:
        assert sentence.text == text[sentence.start : sentence.end]
        assert sentence.text.strip() == sentence.text and sentence.text
        chunk = chunks[sentence.chunk]
        assert chunk.start <= sentence.start and sentence.end <= chunk.end
    starts = [s.start for s in sentences]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))
