"""The plain data that flows between the engine's modules, the CLI and the bot."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """Where text[start:end] sits in the original file: its page, heading path and anchor."""

    start: int
    end: int
    page: int | None = None  # from 1, as the PDF viewer counts
    section: tuple[str, ...] = ()  # heading path below the title, outermost first
    anchor: str | None = None  # id of the nearest heading, for `source#anchor`


@dataclass(frozen=True)
class Block:
    """A span of the text that is not running prose: a heading, a code block or a table."""

    start: int
    end: int
    kind: str  # "heading" | "code" | "table"


@dataclass(frozen=True)
class Document:
    """One source file as read: `text` is what its reader extracted (a Markdown or text file's
    content exactly), offsets point into it; `places` and `blocks` map offsets to structure."""

    id: str  # path relative to the documents dir, with forward slashes
    title: str
    source_url: str | None
    date: str | None
    text: str
    sha256: str
    # The title is declared (front matter, a `# heading`), not borrowed from the first line
    # or the file name: only a declared title is embedded with the text.
    has_title: bool = True
    reader: str = "markdown"  # the reader that extracted `text`: markdown, pdf, html, docx, rst
    places: tuple[Place, ...] = ()  # sorted, non-overlapping; none for a file without sections
    blocks: tuple[Block, ...] = ()  # sorted, non-overlapping
    # What the file was when read: size, modification time (ns) and declared title and source;
    # a refresh that finds every file's stamp as the index recorded it reads nothing.
    stamp: tuple = ()


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: whole sentences inside one paragraph (or a run of them)."""

    id: str
    doc_id: str
    ordinal: int  # position of the chunk in its document, from 0
    paragraph: int  # paragraph number in the document, from 1 (as a reader counts)
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """A sentence span of a document; `chunk` is the ordinal of the first chunk holding it."""

    doc_id: str
    chunk: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Quote:
    """A verbatim passage: `text == document.text[start:end]` always holds. `cut_start` and
    `cut_end` say it begins or ends inside a sentence (a long one cut to fit)."""

    text: str
    document: str
    title: str
    source_url: str | None
    start: int
    end: int
    score: float
    paragraph: int
    passage_id: str
    cut_start: bool = False
    cut_end: bool = False
    page: int | None = None
    section: tuple[str, ...] = ()
    anchor: str | None = None
    code: bool = False  # the quote is (part of) a code block or table: shown as code
    # A lead-in quoted with the code block it introduces ("To enable the firewall, run:"):
    # how many characters of `text` come before the block, shown as prose; the rest as code.
    code_from: int | None = None

    @property
    def shown(self) -> str:
        """The text as a reader sees it: "…" marks where it cuts a sentence."""
        return f"{'…' * self.cut_start}{self.text}{'…' * self.cut_end}"

    def shown_parts(self) -> tuple[str, str]:
        """`shown` as (prose, code): all prose or all code unless `code_from` splits it."""
        if self.code_from is None:
            return ("", self.shown) if self.code else (self.shown, "")
        cut = self.code_from + self.cut_start
        return self.shown[:cut].rstrip(), self.shown[cut:]


@dataclass(frozen=True)
class Answer:
    question: str
    quotes: tuple[Quote, ...]
    abstained: bool
    # Titles of the nearest documents, so an abstention can still point somewhere.
    closest_documents: tuple[str, ...] = ()
    seconds: float = 0.0
    # The document the conversation's previous answer quoted, when the question was read as a
    # follow-up about it (see evidence.relevance_features).
    follow_up_of: str | None = None
    # The question's words no document contains ("china" in "what did china say"), to be named
    # to the reader: beside a refusal, or above quotes that match only the rest of the question
    # when those words are much of what it asks (see answers.MISSING_NOTE_SHARE).
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    scope: str  # "collection" | "document" | "topic"
    document: str | None
    topic: str | None
    sentences: tuple[Quote, ...]
    abstained: bool
    seconds: float = 0.0


@dataclass(frozen=True)
class Reply:
    """What a message to the bot gets: an answer to a question or, for a request about the
    collection itself ("tl;dr", "what docs do you have"), a summary or the documents list; for
    "tell me more", the next quotes for the conversation's last question (`answer`, its quotes
    after the `shown` ones; None when there was no question to go on with); for "help", only
    its kind (the caller says how to ask it)."""

    kind: str  # "answer" | "summary" | "sources" | "more" | "help"
    question: str  # as typed
    answer: Answer | None = None
    summary: Summary | None = None
    documents: tuple[DocumentInfo, ...] = ()
    shown: int = 0  # for "more": how many quotes of `answer.question` were shown before


@dataclass(frozen=True)
class LastAnswer:
    """A conversation's last question and how many of its quotes have been shown: what "tell
    me more" goes on with."""

    question: str
    shown: int


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    source_url: str | None
    passages: int
    indexed_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class RefreshReport:
    documents: tuple[str, ...]
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]
    chunks: int
    embedded: int  # texts sent through the model in this refresh
    seconds: float
    full_rebuild: bool
    reason: str = ""  # why a full rebuild happened, or "" when incremental
    requested_by: str = "cli"
    started_at: str = ""

    def as_json(self) -> dict:
        return {
            "documents": list(self.documents),
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "skipped": list(self.skipped),
            "chunks": self.chunks,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "full_rebuild": self.full_rebuild,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "started_at": self.started_at,
        }

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.full_rebuild)


@dataclass(frozen=True)
class IndexStats:
    documents: int
    chunks: int
    sentences: int
    model: str
    built_at: str
    snapshot: str
    extra: dict = field(default_factory=dict)
