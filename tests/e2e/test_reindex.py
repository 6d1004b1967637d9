"""/reindex: refused politely for members, performed for moderators, audited, with progress."""

from __future__ import annotations

import asyncio

from fake_discord import EPHEMERAL, MANAGE_GUILD
from helpers import quotes_in

from retrieval.errors import EmptyCorpus

NEW_DOC = """\
# Harbour opening hours

Source: https://example.org/harbour

The harbour office opens at seven in the morning and closes at six in the evening.
"""


def fields_of(embed: dict) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_reindex_is_refused_to_a_member_without_permission(bot, fake, state):
    before = len(state.recent_refreshes(100))
    interaction = fake.slash("reindex")
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.path.endswith("/callback") and reply.body["type"] == 4
    assert reply.body["data"]["flags"] == EPHEMERAL
    assert reply.body["data"]["content"].startswith("Sorry, only moderators can do that")
    assert len(state.recent_refreshes(100)) == before


async def test_reindex_by_a_manage_server_member_reports_changes(bot, fake, state, corpus, engine):
    (corpus / "harbour.md").write_text(NEW_DOC, encoding="utf-8")
    previous = state.last_refresh()
    member = fake.member(permissions=MANAGE_GUILD)
    interaction = fake.slash("reindex", member=member)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)

    assert reply.method == "PATCH" and reply.path.endswith("/messages/@original")
    [embed] = reply.body["embeds"]
    assert embed["title"] == "Index refreshed"
    fields = fields_of(embed)
    assert fields["Added (1)"] == "harbour.md"
    assert f"passages from {len(engine.documents())} documents in" in embed["description"]
    expected_previous = "none recorded" if previous is None else previous["requested_by"]
    assert expected_previous in fields["Previous refresh"]
    assert reply.body["allowed_mentions"]["parse"] == []

    audit = state.last_refresh()
    assert audit["outcome"] == "ok"
    assert audit["requested_by"].endswith(f"({member['user']['id']})")
    assert audit["report"]["added"] == ["harbour.md"]

    ask = fake.slash("ask", question="When does the harbour office open?")
    await fake.dispatch("INTERACTION_CREATE", ask)
    quotes = quotes_in((await fake.reply_to(ask)).body["embeds"][0])
    assert any("opens at seven in the morning" in q for q in quotes.values())


async def test_reindex_by_a_moderator_role(bot, fake, state):
    member = fake.member(roles=(fake.moderator_role_id,))
    interaction = fake.slash("reindex", member=member)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [embed] = (await fake.reply_to(interaction)).body["embeds"]
    assert embed["title"] == "Index already up to date"
    assert state.last_refresh()["requested_by"].endswith(f"({member['user']['id']})")


async def test_questions_are_answered_while_a_reindex_runs(bot, fake, engine, state):
    moderator = fake.member(permissions=MANAGE_GUILD)
    audit_rows = len(state.recent_refreshes(100))
    engine.hold_next_refresh = True
    engine.refresh_held.clear()
    engine.release.clear()
    reindex = fake.slash("reindex", member=moderator)
    await fake.dispatch("INTERACTION_CREATE", reindex)
    try:
        assert await asyncio.to_thread(engine.refresh_held.wait, 15)
        assert engine.running_refresh() is not None

        ask = fake.slash("ask", question="What did Macron suggest?")
        await fake.dispatch("INTERACTION_CREATE", ask)
        answer = await fake.reply_to(ask)
        assert "Macron suggested" in quotes_in(answer.body["embeds"][0])[1]

        # A second moderator's /reindex waits for the running one instead of starting another.
        second = fake.slash("reindex", member=fake.member(permissions=MANAGE_GUILD))
        await fake.dispatch("INTERACTION_CREATE", second)
        waiting = await fake.wait_for(lambda r: r.method == "PATCH" and second["token"] in r.path)
        assert waiting.body["content"].startswith(
            f"A refresh started by {moderator['user']['username']}"
        )
        assert "<t:" in waiting.body["content"]  # when it started, in the reader's local time
    finally:
        engine.release.set()

    report = await fake.reply_to(reindex)
    assert report.body["embeds"][0]["title"] == "Index already up to date"
    progress = [
        r
        for r in fake.for_token(reindex["token"])
        if r.method == "PATCH" and not r.body.get("embeds")
    ]
    assert progress and progress[0].body["content"].startswith("Reindexing… ")
    assert progress[0].index < report.index

    second_report = await fake.reply_to(second)
    assert second_report.body["embeds"][0]["title"] == "Index already up to date"
    assert len(state.recent_refreshes(100)) == audit_rows + 1  # one refresh, recorded once


async def test_a_failed_reindex_is_explained_privately_and_audited(
    bot, fake, engine, state, monkeypatch
):
    def refuse(**options):
        raise EmptyCorpus("no readable .md or .txt documents in docs")

    monkeypatch.setattr(engine, "refresh", refuse)
    member = fake.member(permissions=MANAGE_GUILD)
    interaction = fake.slash("reindex", member=member)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    reply = await fake.reply_to(interaction)
    assert reply.body["flags"] == EPHEMERAL
    assert reply.body["content"] == "no readable .md or .txt documents in docs"
    audit = state.last_refresh()
    assert audit["outcome"] == "error: no readable .md or .txt documents in docs"
    assert audit["report"] is None
    assert audit["requested_by"].endswith(f"({member['user']['id']})")
