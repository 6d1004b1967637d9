"""CNN/DailyMail articles as the index would hold them: sentences and their vectors, cached.

Each article is read and split exactly as `citebot index` reads and splits it, and each sentence
is embedded with the text the indexer embeds for it, so a scorer fitted here sees the vectors it
will see in use. Vectors are cached in blocks under --cache (outside the repository): a block is
keyed by the model and its sentences' texts, so an interrupted run resumes and later fitting runs
re-encode nothing.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from retrieval.documents import read_document  # noqa: E402
from retrieval.indexer import located_text  # noqa: E402
from retrieval.passages import split_document  # noqa: E402
from retrieval.settings import ChunkSettings  # noqa: E402

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path("/tmp/citebot-summary-vectors")
BLOCK = 100  # articles per cached block


@dataclass(frozen=True)
class EmbeddedArticle:
    id: str  # the file name under articles/
    texts: tuple[str, ...]  # its sentences, as the index splits them
    vectors: np.ndarray  # one unit vector per sentence, as the index stores them
    reference: str  # the highlights, one per line


def embedded_articles(
    articles, data: Path, embedder, chunking: ChunkSettings, cache: Path = DEFAULT_CACHE
) -> list[EmbeddedArticle]:
    """`articles` (summaries.Article) with their sentences and vectors."""
    split = []
    for article in articles:
        document = read_document(data / "articles" / article.id, article.id)
        _, sentences = split_document(
            document, max_chars=chunking.max_chars, overlap_sentences=chunking.overlap_sentences
        )
        embedded = [located_text(document, s.start, s.text) for s in sentences]
        split.append((article, tuple(s.text for s in sentences), embedded))
    cache.mkdir(parents=True, exist_ok=True)
    result = []
    for first in range(0, len(split), BLOCK):
        block = split[first : first + BLOCK]
        texts = [text for _, _, embedded in block for text in embedded]
        vectors = _cached_vectors(texts, embedder, cache, f"{first}-{first + len(block)}")
        row = 0
        for article, sentences, _ in block:
            result.append(
                EmbeddedArticle(
                    article.id, sentences, vectors[row : row + len(sentences)], article.reference
                )
            )
            row += len(sentences)
    return result


def _cached_vectors(texts: list[str], embedder, cache: Path, label: str) -> np.ndarray:
    digest = hashlib.sha256(embedder.identity.digest.encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    path = cache / f"{digest.hexdigest()[:24]}.npy"
    if path.exists():
        return np.load(path)
    log.info("embedding articles %s: %d sentences", label, len(texts))
    vectors = embedder.encode(texts)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, vectors)
    temporary.replace(path)
    return vectors
