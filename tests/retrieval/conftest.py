"""Fixtures shared by the engine-level tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def docs(tmp_path):
    """A documents folder with two small Markdown files."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.md").write_text("# Cats\n\nCats purr when happy. Cats sleep all day.\n")
    (docs / "dogs.md").write_text("# Dogs\n\nDogs bark at strangers. Dogs love long walks.\n")
    return docs
