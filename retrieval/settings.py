"""Settings: read once from TOML into frozen, validated dataclasses."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from retrieval.errors import ConfigError
from retrieval.nearest import APPROXIMATE_ABOVE

DEFAULT_CONFIG = Path("config/citebot.toml")


def _range(low: float, high: float) -> dict:
    return {"range": (low, high)}


@dataclass(frozen=True)
class DocumentSettings:
    dir: Path = Path("seeds")
    max_file_mb: float = field(default=50.0, metadata=_range(0.001, 10_000.0))
    # About 2.5 minutes of embedding on 2 CPU cores; a 1 MB text makes about 10,000.
    max_texts_per_document: int = field(default=20_000, metadata=_range(10, 10_000_000))
    max_documents: int = field(default=10_000, metadata=_range(1, 10_000_000))
    # Web pages added with /docs add url: (re-fetched on every refresh).
    allow_private_urls: bool = (
        False  # tests and closed networks only (README: "Managing documents")
    )
    fetch_timeout_seconds: float = field(default=20.0, metadata=_range(0.1, 300.0))
    max_redirects: int = field(default=5, metadata=_range(0, 20))


@dataclass(frozen=True)
class IndexSettings:
    dir: Path = Path(".citebot/index")
    state_db: Path = Path(".citebot/state.sqlite3")
    # Past this many sentences (or passages) search is approximate (IVF), exact cosines kept.
    approximate_above: int = field(default=APPROXIMATE_ABOVE, metadata=_range(1_000, 1_000_000_000))


@dataclass(frozen=True)
class StateSettings:
    keep_days: int = field(default=30, metadata=_range(1, 3650))
    upkeep_hours: float = field(default=24.0, metadata=_range(0.1, 720.0))


@dataclass(frozen=True)
class ModelSettings:
    name: str = "bundled"
    batch_size: int = field(default=16, metadata=_range(1, 1024))
    runtime: str = field(default="onnx", metadata={"choices": ("onnx", "torch")})


@dataclass(frozen=True)
class ChunkSettings:
    max_chars: int = field(default=1000, metadata=_range(200, 5000))
    overlap_sentences: int = field(default=0, metadata=_range(0, 5))


@dataclass(frozen=True)
class AnswerSettings:
    top_k: int = field(default=3, metadata=_range(1, 10))
    max_quote_chars: int = field(default=300, metadata=_range(80, 1000))
    min_score: float = field(default=0.36, metadata=_range(0.0, 1.0))
    max_question_chars: int = field(default=1000, metadata=_range(10, 10000))


@dataclass(frozen=True)
class RetrievalSettings:
    candidates: int = field(default=50, metadata=_range(5, 1000))
    dense_sentence_weight: float = field(default=0.507, metadata=_range(0.0, 1.0))
    dense_passage_weight: float = field(default=0.435, metadata=_range(0.0, 1.0))
    lexical_sentence_weight: float = field(default=0.037, metadata=_range(0.0, 1.0))
    lexical_passage_weight: float = field(default=0.021, metadata=_range(0.0, 1.0))
    answer_type_weight: float = field(default=0.106, metadata=_range(0.0, 1.0))
    term_coverage_weight: float = field(default=0.283, metadata=_range(0.0, 1.0))
    context_coverage_weight: float = field(default=0.195, metadata=_range(0.0, 1.0))
    passage_coverage_weight: float = field(default=0.236, metadata=_range(0.0, 1.0))
    relevance_bias: float = field(default=-1.62, metadata=_range(-50.0, 50.0))
    relevance_sentence_weight: float = field(default=3.69, metadata=_range(-50.0, 50.0))
    relevance_passage_weight: float = field(default=3.3, metadata=_range(-50.0, 50.0))
    relevance_coverage_weight: float = field(default=4.36, metadata=_range(-50.0, 50.0))
    relevance_unknown_weight: float = field(default=-1.69, metadata=_range(-50.0, 50.0))
    relevance_size_weight: float = field(default=-1.04, metadata=_range(-50.0, 50.0))


@dataclass(frozen=True)
class SummarySettings:
    sentences: int = field(default=3, metadata=_range(1, 10))
    # Sentence scoring weights, fitted on CNN/DailyMail by benchmarks/fit_summary_weights.py.
    centrality_weight: float = field(default=0.828, metadata=_range(0.0, 5.0))
    lead_weight: float = field(default=0.272, metadata=_range(0.0, 5.0))
    lead_sentences: int = field(default=1, metadata=_range(1, 20))
    position_weight: float = field(default=1.0, metadata=_range(0.0, 5.0))
    position_decay: float = field(default=0.5, metadata=_range(0.0, 3.0))
    brevity_weight: float = field(default=0.797, metadata=_range(0.0, 5.0))
    min_words: int = field(default=10, metadata=_range(1, 50))
    echo_weight: float = field(default=0.775, metadata=_range(0.0, 5.0))
    quote_weight: float = field(default=0.087, metadata=_range(0.0, 5.0))
    numbers_weight: float = field(default=0.144, metadata=_range(0.0, 5.0))  # has a digit
    redundancy: float = field(default=1.0, metadata=_range(0.0, 5.0))


@dataclass(frozen=True)
class DiscordSettings:
    sync_guild_ids: tuple[int, ...] = ()
    ask_channel_ids: tuple[int, ...] = ()
    moderator_role_ids: tuple[int, ...] = ()
    cooldown_seconds: float = field(default=10.0, metadata=_range(0.0, 3600.0))
    cooldown_uses: int = field(default=3, metadata=_range(1, 100))
    follow_up_minutes: float = field(default=10.0, metadata=_range(0.0, 1440.0))


@dataclass(frozen=True)
class Settings:
    documents: DocumentSettings = DocumentSettings()
    index: IndexSettings = IndexSettings()
    state: StateSettings = StateSettings()
    model: ModelSettings = ModelSettings()
    chunking: ChunkSettings = ChunkSettings()
    answer: AnswerSettings = AnswerSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    summary: SummarySettings = SummarySettings()
    discord: DiscordSettings = DiscordSettings()

    def replace(self, **sections: Any) -> Settings:
        """A copy with some keys changed, validated: replace(answer={"top_k": 5})."""
        raw = {name: dict(values) for name, values in sections.items()}
        return _build(raw, base=self)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read `path`, else $CITEBOT_CONFIG, else config/citebot.toml if present, else defaults.

    `overrides` are sections of keys (as from CLI flags) applied on top of the file.
    """
    if path is None and os.environ.get("CITEBOT_CONFIG"):
        path = Path(os.environ["CITEBOT_CONFIG"])
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    raw: dict[str, dict[str, Any]] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    for section, values in overrides.items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return _build(raw, base=Settings())


def _build(raw: dict[str, Any], *, base: Settings) -> Settings:
    sections = {f.name: f for f in fields(Settings)}
    unknown = set(raw) - set(sections)
    if unknown:
        raise ConfigError(
            f"unknown config section [{sorted(unknown)[0]}]; known: {', '.join(sections)}"
        )
    built = {}
    for name in sections:
        current = getattr(base, name)
        values = raw.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(f"[{name}] must be a table of keys")
        built[name] = _build_section(name, current, values)
    return Settings(**built)


def _build_section(section: str, current: Any, values: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(current)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown config key {section}.{key}; known: {', '.join(known)}")
        changes[key] = _check(f"{section}.{key}", known[key], value, getattr(current, key))
    return dataclasses.replace(current, **changes)


def _check(name: str, spec: dataclasses.Field, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is tuple:
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(
                f"{name} must be a list of Discord ids (whole numbers), got {value!r}"
            )
        return tuple(value)
    if isinstance(default, Path):
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise ConfigError(f"{name} must be a path, got {value!r}")
        return Path(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
        raise ConfigError(f"{name} must be a {expected.__name__}, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ConfigError(f"{name} must not be empty")
    if "choices" in spec.metadata and value not in spec.metadata["choices"]:
        allowed = " or ".join(f'"{choice}"' for choice in spec.metadata["choices"])
        raise ConfigError(f"{name} = {value!r} is not one of {allowed}")
    if "range" in spec.metadata:
        low, high = spec.metadata["range"]
        if not low <= value <= high:
            raise ConfigError(f"{name} = {value!r} is out of range: allowed {low} to {high}")
    return value
