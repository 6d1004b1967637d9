"""Topic summaries on SQuAD dev: are the quoted sentences about the topic, and are they found?

    python benchmarks/topics.py [--data ../shared/eval/squad-dev] [--index DIR] [--limit N]

A topic is a name a question is about: the longest run of two or more capitalised words (and
numbers) after its first word ("Which NFL team represented the AFC at Super Bowl 50?" gives "Super Bowl 50"),
what a user would type after /summary topic:. A quoted sentence counts as about the topic when it
names the topic (its words, in order, case and punctuation aside) or holds an answer to a
question that names it (so "He won the award..." counts when a crowdworker asked about him from
that sentence). Each topic is summarised through Engine.summarize(topic=...) and scored by:

- precision: the share of quoted sentences that are about the topic (one that speaks of it only
  through a pronoun and answers no question counts against it, so this is a lower bound);
- precision, any order: the same when naming the topic means holding each of its words, in any
  order ("the Broncos ... Denver" names "Denver Broncos");
- recall: the share of min(N, such sentences in the topic's article) quoted;
- abstained: topics with no quote. Topics taken from the off-corpus questions (articles not in
  this collection) should abstain.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.engine import Engine  # noqa: E402
from retrieval.settings import load_settings  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "squad-dev"
DEFAULT_INDEX = Path("/tmp/citebot-topics-index")
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|\d[\w,.]*)$")
_EDGE = '.,;:?!"“”()'
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Topic:
    text: str
    article: str | None  # the article the questions came from (None: off-corpus)
    answers: tuple[str, ...]  # answers of every question naming the topic


def topic_of(question: str) -> str | None:
    """The longest run of two or more capitalised words or numbers after the first word (a
    possessive's "'s" dropped), or None: one word ("American", "2011") is rarely a topic."""
    words = [w.strip(_EDGE) for w in question.split()][1:]
    best: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if word and _NAME_WORD.match(word):
            run.append(word)
            continue
        if len(run) > len(best):
            best = run
        run = []
    if len(best) < 2 or all(word[0].isdigit() for word in best):
        return None
    return re.sub(r"['’]s$", "", " ".join(best))


def read_topics(data: Path, limit: int) -> tuple[list[Topic], list[Topic]]:
    """Distinct in-corpus topics (every k-th, `limit` at most) and off-corpus ones."""
    answers: dict[tuple[str, str], set[str]] = defaultdict(set)
    named: dict[str, str] = {}
    for line in (data / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        topic = topic_of(row["question"])
        if topic:
            named.setdefault(topic.lower(), topic)
            answers[(topic.lower(), row["article"])].update(row["answers"])
    inside = [
        Topic(named[key], article, tuple(sorted(found)))
        for (key, article), found in answers.items()
    ]
    outside = []
    for line in (data / "offcorpus.jsonl").read_text(encoding="utf-8").splitlines():
        topic = topic_of(json.loads(line)["question"])
        if topic and topic.lower() not in named and topic not in (t.text for t in outside):
            outside.append(Topic(topic, None, ()))
    step = max(1, len(inside) // limit)
    return inside[::step][:limit], outside[:limit]


def words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def about(topic: Topic, sentence: str, any_order: bool = False) -> bool:
    """The sentence names the topic or holds an answer to a question naming it."""
    if any_order:
        named = set(words(topic.text).split()) <= set(words(sentence).split())
    else:
        named = words(topic.text) in words(sentence)
    return named or any(answer in sentence for answer in topic.answers)


def gold_sentences(engine: Engine, topic: Topic) -> set[tuple[str, int]]:
    """(document, start) of the sentences of the topic's article about it."""
    snapshot = engine.snapshot
    rows = snapshot.sentences_of(topic.article)
    return {
        (topic.article, snapshot.sentences[r].start)
        for r in rows
        if about(topic, snapshot.sentences[r].text)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index dir (a cache)")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "citebot.toml")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int, default=300, help="topics of each kind at most")
    args = parser.parse_args(argv)

    settings = load_settings(args.config).replace(
        documents={"dir": args.data / "corpus"}, index={"dir": args.index}
    )
    engine = Engine(settings)
    engine.load()
    inside, outside = read_topics(args.data, args.limit)
    quoted = correct = loosely = found = wanted = abstained = 0
    seconds = []
    for topic in inside:
        summary = engine.summarize(topic=topic.text, sentences=args.sentences)
        seconds.append(summary.seconds)
        gold = gold_sentences(engine, topic)
        abstained += summary.abstained
        quoted += len(summary.sentences)
        correct += sum(about(topic, q.text) for q in summary.sentences)
        loosely += sum(about(topic, q.text, any_order=True) for q in summary.sentences)
        found += len({(q.document, q.start) for q in summary.sentences} & gold)
        wanted += min(args.sentences, len(gold))
    off_abstained = sum(
        engine.summarize(topic=t.text, sentences=args.sentences).abstained for t in outside
    )
    print(
        f"\nTopic summaries on SQuAD dev: {len(inside)} topics from its questions, "
        f"{len(outside)} from off-corpus questions; up to {args.sentences} sentences\n"
    )
    print(
        "| topics | precision | precision, any order | recall | abstained | "
        "sentences / summary | ms (p50) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    answered = len(inside) - abstained
    print(
        f"| in corpus | {correct / max(1, quoted):.3f} | {loosely / max(1, quoted):.3f} | "
        f"{found / max(1, wanted):.3f} | "
        f"{abstained} / {len(inside)} | {quoted / max(1, answered):.2f} | "
        f"{1000 * statistics.median(seconds):.1f} |"
    )
    print(f"| off corpus | | | | {off_abstained} / {len(outside)} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
