"""Answers with their buttons, off Discord: the fake embedder, a real engine and StateDB."""

from __future__ import annotations

import discord
import pytest

from bot import views, wording
from bot.context import BotContext, context_of
from bot.state import StateDB
from retrieval.engine import Engine
from tests.conftest import FakeEmbedder, make_settings


@pytest.fixture
def context(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.md").write_text(
        "# Cats\n\nCats purr when happy. Cats sleep all day long.\n\nCats chase mice at night.\n"
    )
    (docs / "dogs.md").write_text("# Dogs\n\nDogs bark at the postman every morning.\n")
    settings = make_settings(tmp_path, docs).replace(answer={"top_k": 1})
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.load()
    return BotContext.create(
        engine=engine, state=StateDB(settings.index.state_db), settings=settings
    )


def custom_ids(view: discord.ui.View) -> list[str]:
    return [item.custom_id for item in view.children]


async def test_an_answer_gets_more_quotes_and_vote_buttons_that_name_its_stored_question(context):
    embed, view = await views.answer_with_buttons(context, "Do cats purr?")
    ids = custom_ids(view)
    question_id = ids[-1].split(":")[2]
    assert ids == [
        f"citebot:more:{question_id}:1",
        f"citebot:vote:{question_id}:up",
        f"citebot:vote:{question_id}:down",
    ]
    assert context.state.question(question_id) == "Do cats purr?"
    assert "purr" in embed.description or any("purr" in f.value for f in embed.fields)


async def test_more_quotes_continue_after_those_shown(context):
    _, view = await views.answer_with_buttons(context, "Do cats purr?", skip=1)
    assert all(":more:" not in i or i.endswith(":2") for i in custom_ids(view))


async def test_a_request_about_the_collection_gets_no_buttons(context):
    embed, view = await views.answer_with_buttons(context, "what docs do you have")
    assert embed.title == "Documents in the index"
    assert view.children == []


async def test_past_the_last_quote_it_says_so_and_offers_no_more(context):
    embed, view = await views.answer_with_buttons(context, "Do cats purr?", skip=50)
    assert embed.description == wording.NO_MORE_QUOTES
    assert not any(":more:" in i for i in custom_ids(view))


def test_an_old_answer_says_how_long_questions_are_kept(context):
    assert f"kept for {context.settings.state.keep_days} days" in views.too_old(context)


def test_buttons_find_the_context_of_the_bot_that_was_clicked(context):
    class Client:
        pass

    client = Client()
    client.context = context
    assert context_of(client) is context
    with pytest.raises(TypeError, match="not a Citebot bot"):
        context_of(Client())
