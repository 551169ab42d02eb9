"""Onboarding through the dialog engine, as a console resident types it."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Conversation, Identity, Resident
from tests.chat import Chat


async def test_start_asks_language_in_all_three(chat: Chat) -> None:
    reply = await chat.say("anna", "/start")
    assert reply.text.splitlines() == [
        "Lūdzu, izvēlieties valodu.",
        "Пожалуйста, выберите язык.",
        "Please choose your language.",
    ]
    assert [b.label for b in reply.options] == ["Latviešu", "Русский", "English"]


async def test_onboarding_by_typing_reaches_the_menu(chat: Chat, app) -> None:
    reply = await chat.onboard("anna", unit="alsviku", language="1")
    assert "Alsviķu pagasts" in reply.text
    assert "Galvenā izvēlne" in reply.text
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.unit is not None
        assert resident.unit.slug == "alsviku"
        assert resident.language == "lv"


async def test_decline_stores_nothing(chat: Chat, app) -> None:
    await chat.say("anna", "/start")
    await chat.say("anna", "English")
    reply = await chat.say("anna", "I do not agree")
    assert "Nothing about you has been stored" in reply.text
    assert "/start" in reply.text
    async with app.sessionmaker() as session:
        for model in (Resident, Identity, Conversation):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
