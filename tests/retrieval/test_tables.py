"""Sentence and passage tables: rows made on demand read as the objects they replace."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.documents import document_from_bytes
from retrieval.passages import split_document
from retrieval.tables import ChunkTable, SentenceTable


@pytest.fixture
def split():
    documents = [
        document_from_bytes(
            b"# Cats\n\nCats purr. Cats sleep all day.\n\nThey hunt at night.\n",
            ".md",
            "cats.md",
            stem="cats",
        ),
        document_from_bytes(b"# Dogs\n\nDogs bark at the postman.\n", ".md", "dogs.md", stem="d"),
    ]
    chunks, sentences = [], []
    for document in documents:
        doc_chunks, doc_sentences = split_document(document, max_chars=400)
        chunks += doc_chunks
        sentences += doc_sentences
    return documents, chunks, sentences


def test_a_sentence_table_reads_back_every_sentence_by_row_slice_and_iteration(split):
    documents, _, sentences = split
    table = SentenceTable.of(documents, sentences, {d.id: row for row, d in enumerate(documents)})
    assert len(table) == len(sentences) == 4
    assert list(table) == sentences
    assert table[1] == sentences[1] and table[-1] == sentences[-1]
    assert table[1:3] == sentences[1:3]
    assert list(table.texts()) == [s.text for s in sentences]
    with pytest.raises(IndexError):
        table[len(sentences)]


def test_a_passage_table_reads_back_every_passage_with_its_id(split):
    documents, chunks, _ = split
    table = ChunkTable.of(documents, chunks, {d.id: row for row, d in enumerate(documents)})
    assert list(table) == chunks and table[-1] == chunks[-1] and table[:2] == chunks[:2]
    assert table[0].id == chunks[0].id


@pytest.mark.parametrize(
    "row",
    [(2, 0, 0, 5), (0, 0, 10, 5), (1, 0, 0, 10_000), (-1, 0, 0, 1)],
    ids=["no such document", "ends before it starts", "past the text", "negative document"],
)
def test_a_row_outside_the_documents_is_refused_when_the_table_is_made(split, row):
    documents, _, _ = split
    with pytest.raises(ValueError, match="sentence row"):
        SentenceTable(documents, np.array([row], dtype=np.int64))
