"""Turn ranked sentences into an Answer: short verbatim quote windows, de-duplicated, or abstain."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from retrieval.evidence import answer_type_cue
from retrieval.models import Answer, Quote
from retrieval.places import block_at, is_literal, place_at
from retrieval.query import Query
from retrieval.scoring import RankedSentence
from retrieval.snapshot import Snapshot

_WORD = re.compile(r"\w+")
_BARE_LINK = re.compile(r"[\W_]*(?:https?://|www\.)\S+[\W_]*")
# A quote after the first is listed down to this share of `min_score`: once the first quote
# shows the documents answer the question, a quote beside it needs less evidence than the
# answer did. (Held to the full bar, hit@3 was 0.002-0.004 lower on every kind of question
# in `make bench-qa`.)
SUPPORTING_SHARE = 0.5
# Quotes are headed with the question's words no document uses only when those words are at
# least this share of what the question is about (`Query.missing_share`): "china" in "what did
# china say about the plan", not "besides" in a long question whose subject the quotes hold.
# Chosen on SQuAD's articles indexed alone ((c) in `make bench-qa`): the smallest share at
# which fewer than 1 in 50 answers that hold the gold answer carry the note. A refusal names
# every such word: there is no answer to cast doubt on.
MISSING_NOTE_SHARE = 0.4


def compose_answer(
    query: Query,
    ranked: list[RankedSentence],
    snapshot: Snapshot,
    *,
    top_k: int,
    skip: int,
    max_quote_chars: int,
    min_score: float,
) -> Answer:
    """The best `top_k` quotes after the first `skip`; abstain when the best is not relevant.

    Each quote is a ranked sentence grown with its best-scoring neighbours in the paragraph up
    to `max_quote_chars`; no sentence appears in two quotes, and listing stops at the first
    further quote whose relevance is below half of `min_score` (see SUPPORTING_SHARE). A
    sentence whose words (ignoring case and punctuation) are already quoted is passed over. A
    quote's score is its relevance (0-1).
    """
    ranked = [
        item
        for item in _answering_first(query, ranked, snapshot)
        if not never_answers(snapshot.sentences[item.row].text)
    ]
    if not ranked or ranked[0].relevance < min_score:
        # Documents are named as closest only when they come near enough to support an answer
        # (see SUPPORTING_SHARE): for "how do i make pancakes" none is close to anything.
        near = [item for item in ranked if item.relevance >= SUPPORTING_SHARE * min_score]
        return Answer(
            query.typed, (), True, closest_documents(near, snapshot), missing=query.missing
        )
    scores = {item.row: item.score for item in ranked}
    terms = tuple(term.stem for term in query.terms)
    quoted: set[int] = set()
    quoted_texts: set[str] = set()
    quotes: list[Quote] = []
    for item in ranked:
        if len(quotes) >= skip + top_k:
            break
        if item.row in quoted:
            continue
        if item.relevance < SUPPORTING_SHARE * min_score:
            break
        # The same sentence from another copy of the text (a book's PDF beside its HTML) says
        # nothing new: the better-ranked copy, already quoted, stands for both.
        if sentence_key(snapshot, item.row) in quoted_texts:
            continue
        first, last = quote_rows(snapshot, item.row, scores, quoted, max_quote_chars)
        quoted.update(range(first, last + 1))
        quoted_texts.update(
            filter(None, (sentence_key(snapshot, row) for row in range(first, last + 1)))
        )
        start, end = quote_span(snapshot, first, last, max_quote_chars, terms)
        quote = make_quote(snapshot, item.row, start, end, item.relevance)
        quotes.append(
            replace(
                quote,
                cut_start=start > snapshot.sentences[first].start,
                cut_end=end < snapshot.sentences[last].end,
            )
        )
    missing = query.missing if query.missing_share >= MISSING_NOTE_SHARE else ()
    return Answer(query.typed, tuple(quotes[skip:]), False, missing=missing)


def never_answers(sentence: str) -> bool:
    """A sentence that cannot answer a question however well it matches one: a question itself
    (a FAQ's question, a sidebar's "dpkg or apt?") or a bare link ("→ https://…/mod_ssl").
    Either may still be quoted beside the sentence that answers."""
    return sentence.rstrip().endswith("?") or bool(_BARE_LINK.fullmatch(sentence))


def _answering_first(
    query: Query, ranked: list[RankedSentence], snapshot: Snapshot
) -> list[RankedSentence]:
    """`ranked` with the sentences that hold a decisive cue first ("British Prime Minister Keir
    Starmer" for "who's starmer", before "… joined Starmer at the summit"): they say who or
    what the question's one thing is, where the others only mention it. The order within each
    group is kept."""
    if query.cue is None or not query.cue.decisive:
        return ranked
    says = answer_type_cue(snapshot, query, np.array([item.row for item in ranked])) > 0
    return [i for i, s in zip(ranked, says) if s] + [i for i, s in zip(ranked, says) if not s]


def sentence_key(snapshot: Snapshot, row: int) -> str:
    """A sentence's words, lower-cased: equal for copies that differ only in case,
    punctuation or whitespace (curly quotes, a PDF's line breaks); empty for no words."""
    sentence = snapshot.sentences[row]
    text = snapshot.document(sentence.doc_id).text[sentence.start : sentence.end]
    return " ".join(_WORD.findall(text.casefold()))


def quote_rows(
    snapshot: Snapshot,
    row: int,
    scores: dict[int, float],
    quoted: set[int],
    max_chars: int,
) -> tuple[int, int]:
    """The run of sentence rows around `row` to quote: while the quote has room, add the
    better-scoring neighbour from the same paragraph (the following one when neither is
    ranked), never a sentence already quoted. A sentence ending in a colon ("To enable the
    firewall, run:") is first joined with what it introduces, the command or list after it,
    even across a paragraph: the one says little without the other."""
    sentences = snapshot.sentences
    first = last = row
    while True:
        options = []
        for neighbour in (first - 1, last + 1):
            if neighbour < first:
                introduced = _introduces(snapshot, neighbour, first)
            else:
                introduced = _introduces(snapshot, last, neighbour)
            if neighbour in quoted or not (introduced or _same_paragraph(snapshot, row, neighbour)):
                continue
            left = min(sentences[first].start, sentences[neighbour].start)
            right = max(sentences[last].end, sentences[neighbour].end)
            if right - left <= max_chars:
                # Unranked neighbours lose to ranked ones; between two, the next one wins.
                score = scores.get(neighbour, float("-inf"))
                options.append((introduced, score, neighbour > last, neighbour))
        if not options:
            return first, last
        *_, chosen = max(options)
        first, last = min(first, chosen), max(last, chosen)


def quote_span(
    snapshot: Snapshot, first: int, last: int, max_chars: int, terms: tuple[str, ...] = ()
) -> tuple[int, int]:
    """Character offsets of sentence rows first..last. A lone sentence longer than `max_chars`
    is cut at word boundaries to a window centred on its densest run of the question's `terms`
    (stemmed; matched as word prefixes): the answer sits beside what the question names, on
    either side. With no term in it, the sentence's opening part."""
    start, end = snapshot.sentences[first].start, snapshot.sentences[last].end
    if end - start <= max_chars:
        return start, end
    text = snapshot.document(snapshot.sentences[first].doc_id).text
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text, start, end)]
    found = [(s, e, t) for s, e, word in words for t in terms if word.startswith(t)]
    if not found:
        return start, _word_cut(text, start, max_chars)
    left, right = _densest_run(found, max_chars)
    slack = max_chars - (right - left)
    left = min(max(start, left - slack // 2), end - max_chars)
    left = next(s for s, _, _ in words if s >= left)  # a word start, the run still inside
    if left + max_chars >= end:
        return left, end
    return left, _word_cut(text, left, max_chars)


def _densest_run(found: list[tuple[int, int, str]], max_chars: int) -> tuple[int, int]:
    """The shortest span, at most `max_chars` long, holding the most distinct terms of
    `found` (start, end, term), which lists term occurrences in text order."""
    best_key, best = None, (found[0][0], found[0][1])
    for i, (left, _, _) in enumerate(found):
        seen: set[str] = set()
        for _, right, term in found[i:]:
            if right - left > max_chars:
                break
            seen.add(term)
            key = (len(seen), left - right)
            if best_key is None or key > best_key:
                best_key, best = key, (left, right)
    return best


def make_quote(snapshot: Snapshot, row: int, start: int, end: int, score: float) -> Quote:
    sentence = snapshot.sentences[row]
    document = snapshot.document(sentence.doc_id)
    chunk = snapshot.chunks[snapshot.sentence_chunk[row]]
    return Quote(
        text=document.text[start:end],
        document=document.id,
        title=document.title,
        source_url=document.source_url,
        start=start,
        end=end,
        score=round(score, 4),
        paragraph=chunk.paragraph,
        passage_id=chunk.id,
    )


def closest_documents(ranked: list[RankedSentence], snapshot: Snapshot, limit: int = 3):
    titles: list[str] = []
    for item in ranked:
        title = snapshot.document(snapshot.sentences[item.row].doc_id).title
        if title not in titles:
            titles.append(title)
        if len(titles) == limit:
            break
    return tuple(titles)


def _introduces(snapshot: Snapshot, row: int, following: int) -> bool:
    """Whether sentence `row` is a lead-in and `following` what it introduces: `row` ends in a
    colon, or is a caption or title (no closing stop) over a code block or table ("The
    /etc/dirvish/master.conf file" over the file); `following` comes right after it in its
    document, with nothing but white space between (no heading) and on the same page (a quote
    cites one)."""
    if not (following == row + 1 and 0 <= row and following < len(snapshot.sentences)):
        return False
    lead_in, after = snapshot.sentences[row], snapshot.sentences[following]
    if lead_in.doc_id != after.doc_id:
        return False
    document = snapshot.document(lead_in.doc_id)
    ending = lead_in.text.rstrip()[-1:]
    caption = (
        ending not in ".!?;,"
        and is_literal(block_at(document, after.start))
        and not is_literal(block_at(document, lead_in.start))
    )
    if ending != ":" and not caption:
        return False
    return not document.text[lead_in.end : after.start].strip() and place_at(
        document, lead_in.start
    ) == place_at(document, after.start)


def _same_paragraph(snapshot: Snapshot, row: int, other: int) -> bool:
    if not 0 <= other < len(snapshot.sentences):
        return False
    if snapshot.sentence_doc[row] != snapshot.sentence_doc[other]:
        return False
    chunks = snapshot.chunks
    return (
        chunks[snapshot.sentence_chunk[row]].paragraph
        == chunks[snapshot.sentence_chunk[other]].paragraph
    )


def _word_cut(text: str, start: int, max_chars: int) -> int:
    cut = text.rfind(" ", start + 1, start + max_chars + 1)
    end = cut if cut > start else start + max_chars
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ".!?”\")'’":
        end -= 1
    return end
