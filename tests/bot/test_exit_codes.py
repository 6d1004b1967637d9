"""The exit code each kind of failure gives a script, and that every command uses it."""

import pytest

from bot import exit_codes
from bot.cli import main
from retrieval.errors import (
    ConfigError,
    CorruptIndex,
    DocumentRefused,
    EmptyCorpus,
    QuestionError,
    RefreshCancelled,
    UnknownDocument,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("retrieval.top_k must be 1-10"), 2),
        (UnknownDocument("no document called x"), 2),
        (QuestionError("too long"), 3),
        (DocumentRefused("not a document"), 3),
        (EmptyCorpus("no documents"), 1),
        (CorruptIndex("bad checksum"), 1),
        (PermissionError(13, "Permission denied"), 1),
        (RefreshCancelled("stopping"), 130),
        (KeyboardInterrupt(), 130),
    ],
)
def test_each_failure_has_its_exit_code(error, code):
    assert exit_codes.exit_code_for(error) == code


def test_a_bug_is_not_given_an_exit_code_as_if_it_were_a_failure():
    with pytest.raises(TypeError, match="bug"):
        exit_codes.exit_code_for(ZeroDivisionError())


def test_a_bad_setting_exits_with_the_usage_code(tmp_path, capsys):
    config = tmp_path / "citebot.toml"
    config.write_text("[answer]\ntop_k = 99\n")
    assert main(["--config", str(config), "audit"]) == exit_codes.USAGE
    assert "configuration error" in capsys.readouterr().err
