"""A hostile server: links out of the documents dir, oversized files, an unwritable database."""

from __future__ import annotations

import logging

from fake_discord import MANAGE_GUILD
from helpers import quotes_in, with_context

from bot.state import StateDB
from retrieval.engine import Engine

SECRET = "root:x:0:0:root:/root:/bin/bash"
DOC = "# Harbour opening hours\n\nThe harbour office opens at seven in the morning.\n"


async def test_reindex_skips_links_out_of_the_folder_and_files_over_the_limit(
    bot, fake, settings, real_embedder, tmp_path, monkeypatch
):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    (outside / "passwd").write_text(f"{SECRET}\n")
    (docs / "harbour.md").write_text(DOC)
    (docs / "passwd.md").symlink_to(outside / "passwd")
    (docs / "huge.txt").write_text("harbour " * 2000)  # 16 kB, over the 0.01 MB limit
    limited = settings.replace(
        documents={"dir": docs, "max_file_mb": 0.01}, index={"dir": tmp_path / "index"}
    )
    with_context(bot, monkeypatch, engine=Engine(limited, embedder=real_embedder))

    interaction = fake.slash("reindex", member=fake.member(permissions=MANAGE_GUILD))
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [embed] = (await fake.reply_to(interaction)).body["embeds"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Added (1)"] == "harbour.md"
    assert fields["Skipped (2)"].splitlines() == [
        "huge.txt: the file is 0.016 MB, over documents.max\\_file\\_mb = 0.01",
        "passwd.md: a link to a file or folder outside the documents dir",
    ]
    interaction = fake.slash("ask", question="What is the root user's shell, /bin/bash?")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert SECRET not in str(reply.body)
    assert all(
        quote.startswith("The harbour office")
        for quote in quotes_in(reply.body["embeds"][0]).values()
    )


async def test_answers_go_out_without_buttons_when_the_database_cannot_be_written(
    bot, fake, tmp_path, monkeypatch, caplog
):
    (tmp_path / "state").write_text("a file where the database's folder should be")
    with caplog.at_level(logging.WARNING, logger="bot.state"):
        broken = StateDB(tmp_path / "state" / "state.sqlite3")  # as `citebot run` starts
        with_context(bot, monkeypatch, state=broken)
        for _ in range(2):
            interaction = fake.slash("ask", question="What did Macron suggest?")
            await fake.dispatch("INTERACTION_CREATE", interaction)
            reply = await fake.reply_to(interaction)
            assert "Macron suggested" in quotes_in(reply.body["embeds"][0])[1]
            assert not reply.body.get("components")  # no buttons: they would need the database
    warnings = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once an answer
