from pathlib import Path

import pytest

from retrieval.errors import ConfigError
from retrieval.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_matches_the_built_in_defaults():
    # The file documents every setting; its values are the defaults users get without it.
    assert load_settings(REPO / "config" / "citebot.toml") == Settings()


def test_every_setting_is_in_the_shipped_config_with_a_comment():
    text = (REPO / "config" / "citebot.toml").read_text()
    settings = Settings()
    for section in settings.__dataclass_fields__:
        assert f"[{section}]" in text
        for key in getattr(settings, section).__dataclass_fields__:
            line = next(line for line in text.splitlines() if line.startswith(f"{key} "))
            assert "#" in line, f"{section}.{key} has no comment"


def test_citebot_config_env_points_to_another_file(tmp_path, monkeypatch):
    config = tmp_path / "other.toml"
    config.write_text("[answer]\ntop_k = 5\n")
    monkeypatch.setenv("CITEBOT_CONFIG", str(config))
    assert load_settings().answer.top_k == 5


def test_flags_override_the_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[documents]\ndir = "from-file"\n')
    settings = load_settings(config, documents={"dir": "from-flag"}, index={"dir": None})
    assert settings.documents.dir == Path("from-flag")
    assert settings.index.dir == Settings().index.dir


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[answer]\ntop_k = 0\n", r"answer.top_k = 0 is out of range: allowed 1 to 10"),
        (
            "[answer]\nmin_score = 1.5\n",
            r"answer.min_score = 1.5 is out of range: allowed 0.0 to 1.0",
        ),
        ("[answer]\ntop_k = 'three'\n", r"answer.top_k must be a int"),
        ("[answer]\ntopk = 3\n", r"unknown config key answer.topk"),
        ("[anwser]\ntop_k = 3\n", r"unknown config section \[anwser\]"),
        ("[discord]\nask_channel_ids = ['general']\n", r"discord.ask_channel_ids must be a list"),
        ("[model]\nname = ''\n", r"model.name must not be empty"),
        (
            "[model]\nruntime = 'cuda'\n",
            r"model.runtime = 'cuda' is not one of \"onnx\" or \"torch\"",
        ),
        ("[answer\n", r"not valid TOML"),
    ],
)
def test_a_bad_value_names_the_key_and_the_allowed_values(tmp_path, toml, message):
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().answer.top_k = 4  # type: ignore[misc]
