"""Ingest benchmark: reading speed per format, what the formats agree on, and answers from each.

Data: Debian's `debian-reference-en` (the Debian Reference as HTML chapters, a PDF and plain
text: the same book three times) and `debian-handbook` (HTML), fetched with `apt-get download`
into --data and unpacked there; never committed. Prints Markdown tables.

    make bench-ingest                  # or: python benchmarks/ingest.py [--compare] [--no-answers]
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrieval.documents import load_documents, read_document  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.passages import split_document  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

PACKAGES = ("debian-reference-en", "debian-handbook")
BOOK = Path("usr/share/debian-reference")
HANDBOOK = Path("usr/share/doc/debian-handbook/html/en-US")
QUESTIONS = REPO / "benchmarks" / "debian-reference-questions.tsv"
FORMATS = ("text", "html", "pdf")
_QUOTES = re.compile(r"[\"'”“’‘`]")
_WORD = re.compile(r"\w+")


def fetch(data: Path) -> Path:
    """The unpacked packages under data/root (downloaded and unpacked once)."""
    root = data / "root"
    if (root / BOOK).is_dir() and (root / HANDBOOK).is_dir():
        return root
    data.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=data, check=True)
    for deb in data.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def corpora(root: Path, data: Path) -> dict[str, Path]:
    """One documents dir per format of the Debian Reference (copies: links are not followed)."""
    dirs = {name: data / "corpus" / name for name in FORMATS}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for page in (root / BOOK).glob("*.en.html"):
        shutil.copy(page, dirs["html"] / page.name)
    shutil.copy(root / BOOK / "debian-reference.en.pdf", dirs["pdf"])
    with gzip.open(root / BOOK / "debian-reference.en.txt.gz") as packed:
        (dirs["text"] / "debian-reference.en.txt").write_bytes(packed.read())
    return dirs


def normalise(text: str) -> str:
    """What two extractions of one sentence share: case, quote marks and spacing aside."""
    text = _QUOTES.sub("", unicodedata.normalize("NFKC", text).lower())
    return " ".join(text.split())


def sentences_of(documents) -> set[str]:
    """A book's prose sentences (five words or more, not table rows) as their words: list
    bullets, quote marks and punctuation differ between formats without being errors."""
    found = set()
    for document in documents:
        _, sentences = split_document(document, max_chars=1000)
        for sentence in sentences:
            words = _WORD.findall(normalise(sentence.text))
            if len(words) >= 5 and "|" not in sentence.text and "--" not in sentence.text:
                found.add(" ".join(words))
    return found


def speed_table(root: Path, dirs: dict[str, Path]) -> dict[str, list]:
    """Read each corpus with Citebot's readers: pages or files per second."""
    rows = {}
    pdf = dirs["pdf"] / "debian-reference.en.pdf"
    for name, files, unit in (
        ("PDF (Debian Reference, pypdfium2)", [pdf], "pages"),
        ("HTML (Debian Reference, selectolax)", sorted(dirs["html"].iterdir()), "files"),
        (
            "HTML (Administrator's Handbook, selectolax)",
            sorted((root / HANDBOOK).glob("*.html")),
            "files",
        ),
        ("plain text (Debian Reference)", sorted(dirs["text"].iterdir()), "files"),
    ):
        began = time.perf_counter()
        documents = [read_document(path, path.name) for path in files]
        seconds = time.perf_counter() - began
        count = max(p.page or 0 for p in documents[0].places) if unit == "pages" else len(files)
        size = sum(path.stat().st_size for path in files) / 1e6
        rows[name] = [
            count,
            unit,
            f"{size:.1f}",
            f"{seconds:.2f}",
            f"{count / seconds:,.0f}",
            f"{sum(len(d.text) for d in documents):,}",
        ]
    return rows


def overlap_table(dirs: dict[str, Path]) -> list[list]:
    sets = {name: sentences_of(load_documents(dirs[name])[0]) for name in FORMATS}
    rows = []
    for name in ("html", "pdf"):
        common = sets[name] & sets["text"]
        rows.append(
            [
                f"{name} ∩ text",
                len(sets[name]),
                len(sets["text"]),
                len(common),
                f"{len(common) / len(sets['text']):.3f}",
                f"{len(common) / len(sets[name]):.3f}",
            ]
        )
    return rows


def compare_table(dirs: dict[str, Path], root: Path) -> list[list]:
    """Other libraries on the same files: speed and the share of the text version's sentences
    their output holds (reading order, hyphenation and spacing errors show up as misses). Every
    output, Citebot's readers' included, is split as plain text here, so these shares compare
    the libraries with each other, not with the overlap table."""
    from retrieval.models import Document

    text_sentences = sentences_of(load_documents(dirs["text"])[0])
    pdf = dirs["pdf"] / "debian-reference.en.pdf"
    pages = sorted(dirs["html"].iterdir())

    def as_document(text: str) -> Document:
        return Document("x", "x", None, None, text.replace("\f", "\n\n"), "", False)

    def pypdfium2_text():
        return "\n\n".join(d.text for d in [read_document(pdf, "x")])

    def pypdf_text():
        import pypdf

        return "\n\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)

    def pdfminer_text():
        from pdfminer.high_level import extract_text

        return extract_text(pdf)

    def selectolax_text():
        return "\n\n".join(read_document(page, page.name).text for page in pages)

    def trafilatura_text():
        import trafilatura

        return "\n\n".join(
            trafilatura.extract(
                page.read_text(encoding="utf-8"), include_tables=True, include_formatting=False
            )
            or ""
            for page in pages
        )

    def beautifulsoup_text():
        from bs4 import BeautifulSoup

        texts = []
        for page in pages:
            soup = BeautifulSoup(page.read_bytes(), "lxml")
            for node in soup.select("script, style, .navheader, .navfooter, .toc"):
                node.decompose()
            blocks = soup.select("p, li, dt, dd, pre, td, th, h1, h2, h3, h4, h5, h6")
            texts.extend(block.get_text(" ") for block in blocks)
        return "\n\n".join(texts)

    rows = []
    for name, unit, count, extract in (
        ("pypdfium2 (chosen)", "pages", 261, pypdfium2_text),
        ("pypdf", "pages", 261, pypdf_text),
        ("pdfminer.six", "pages", 261, pdfminer_text),
        ("selectolax, Citebot's rules (chosen)", "files", len(pages), selectolax_text),
        ("trafilatura", "files", len(pages), trafilatura_text),
        ("BeautifulSoup + lxml, block elements", "files", len(pages), beautifulsoup_text),
    ):
        try:
            began = time.perf_counter()
            text = extract()
            seconds = time.perf_counter() - began
        except ImportError as error:
            rows.append([name, f"not installed ({error.name})", "", ""])
            continue
        found = sentences_of([as_document(text)])
        share = len(found & text_sentences) / len(text_sentences)
        rows.append([name, f"{count / seconds:,.1f} {unit}/s", f"{seconds:.2f}", f"{share:.3f}"])
    return rows


def answers_table(dirs: dict[str, Path], data: Path, questions: list[tuple[str, str]]):
    """hit@3 per format: a hit when one of the first three quotes holds the answer phrase.
    Every quote is checked verbatim against the stored text and every PDF quote against the
    text pdfium gives for the page it cites."""
    from retrieval.embedder import Embedder

    embedder = Embedder()
    rows = []
    for name in FORMATS:
        settings = Settings().replace(
            documents={"dir": dirs[name]},
            index={"dir": data / f"index-{name}", "state_db": data / f"state-{name}.sqlite3"},
        )
        engine = Engine(settings, embedder=embedder)
        began = time.perf_counter()
        report = engine.load()
        build = time.perf_counter() - began
        snapshot = engine.snapshot
        hits = verbatim = total = pages_right = pdf_quotes = 0
        for question, answer in questions:
            quotes = engine.ask(question).quotes
            hits += any(normalise(answer) in normalise(q.text) for q in quotes[:3])
            for quote in quotes:
                total += 1
                verbatim += (
                    quote.text == snapshot.document(quote.document).text[quote.start : quote.end]
                )
                if quote.page:
                    pdf_quotes += 1
                    pages_right += _on_page(dirs[name] / quote.document, quote.page, quote.text)
        rows.append(
            [
                name,
                len(questions),
                f"{hits / len(questions):.3f}",
                f"{verbatim}/{total}",
                f"{pages_right}/{pdf_quotes}" if pdf_quotes else "—",
                f"{build:.0f}" if report else "(cached)",
                len(snapshot.chunks),
                len(snapshot.sentences),
            ]
        )
    return rows


def _on_page(pdf: Path, page: int, quote: str) -> bool:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        text = document[page - 1].get_textpage().get_text_range()
    finally:
        document.close()
    # Letters and digits only: the reader joins hyphenated words and drops contents leaders.
    return _letters(quote) in _letters(text.replace("\ufffe", ""))


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def table(header: list[str], rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/tmp/citebot-ingest"),
        help="where the packages are downloaded, unpacked and indexed",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also time other libraries (pypdf, pdfminer.six, trafilatura, bs4)",
    )
    parser.add_argument("--no-answers", action="store_true", help="skip the hit@3 part")
    args = parser.parse_args()
    root = fetch(args.data)
    dirs = corpora(root, args.data)
    speed = speed_table(root, dirs)
    print(
        table(
            ["reader", "pages/files", "unit", "MB", "seconds", "per second", "characters"],
            [[name, *row] for name, row in speed.items()],
        )
    )
    print()
    print(
        table(
            [
                "formats",
                "sentences (first)",
                "sentences (text)",
                "in common",
                "share of text's",
                "share of first's",
            ],
            overlap_table(dirs),
        )
    )
    if args.compare:
        print()
        print(
            table(
                ["library", "speed", "seconds", "share of the text version's sentences"],
                compare_table(dirs, root),
            )
        )
    if not args.no_answers:
        questions = [
            tuple(line.rstrip("\n").split("\t"))
            for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[1:]
            if "\t" in line
        ]
        print()
        print(
            table(
                [
                    "format",
                    "questions",
                    "hit@3",
                    "quotes verbatim",
                    "PDF quotes on the cited page",
                    "index build s",
                    "passages",
                    "sentences",
                ],
                answers_table(dirs, args.data, questions),
            )
        )


if __name__ == "__main__":
    main()
