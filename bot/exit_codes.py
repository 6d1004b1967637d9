"""The `citebot` command's exit codes: what went wrong, as the number a script sees.

0 success (an abstention is a success); 1 the index or documents could not be used; 2 bad
usage or configuration (a setting, or a document named that is not there); 3 a question was
refused (empty or too long), or a document could not be added or removed; 130 interrupted
(Ctrl-C or SIGTERM; a refresh stopped this way leaves the previous index as it was).
"""

from __future__ import annotations

from retrieval.errors import (
    CitebotError,
    ConfigError,
    DocumentRefused,
    QuestionError,
    RefreshCancelled,
    UnknownDocument,
)

OK = 0
ERROR = 1
USAGE = 2
REFUSED = 3
INTERRUPTED = 130


def exit_code_for(error: BaseException) -> int:
    """The exit code of a command that ended with `error`."""
    if isinstance(error, KeyboardInterrupt | RefreshCancelled):
        return INTERRUPTED
    if isinstance(error, ConfigError | UnknownDocument):
        return USAGE
    if isinstance(error, QuestionError | DocumentRefused):
        return REFUSED
    if isinstance(error, CitebotError | OSError):
        return ERROR
    raise TypeError(f"no exit code for {type(error).__name__}: it is a bug, not a failure")
