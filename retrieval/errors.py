"""What can go wrong in the engine, each with a message fit to show a user.

CitebotError
├── QuestionError         empty or oversized question
├── ConfigError           a bad setting (names the key and the allowed values)
├── UnknownDocument       /summary, --document or /docs remove named a document not there
├── DocumentRefused       an upload or web page that cannot be added (the reason says why)
├── IndexError_           the index cannot be used
│   ├── IndexMismatch     built with other settings/model/documents and rebuilding is off
│   ├── CorruptIndex      files fail their checksums or cannot be read
│   ├── EmptyCorpus       no documents to index (and --allow-empty not given)
│   └── DocumentLimit     more documents than documents.max_documents
├── RefreshCancelled      the process is stopping (SIGTERM, Ctrl-C) mid-refresh
└── RefreshInProgress     (internal) another refresh holds the lock
"""

from __future__ import annotations


class CitebotError(Exception):
    """Base of every error the engine raises on purpose; str(error) is user-facing."""


class QuestionError(CitebotError, ValueError):
    pass


class ConfigError(CitebotError, ValueError):
    pass


class UnknownDocument(CitebotError, LookupError):
    pass


class DocumentRefused(CitebotError, ValueError):
    pass


class IndexError_(CitebotError):
    pass


class IndexMismatch(IndexError_):
    pass


class CorruptIndex(IndexError_):
    pass


class EmptyCorpus(IndexError_):
    pass


class DocumentLimit(IndexError_):
    pass


class RefreshCancelled(CitebotError):
    pass


class RefreshInProgress(CitebotError):
    pass
