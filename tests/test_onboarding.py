"""Onboarding through the dialog engine, as a console resident types it."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Conversation, Identity, Resident
from models.residents import find_identity
from models.territory import Unit, match_places
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
    # Not a dead end: the option starts again, typed on a channel without buttons too.
    assert [b.label for b in reply.options] == ["Start again"]
    again = await chat.say("anna", "start again")
    assert "Please choose your language." in again.text


async def test_after_declining_the_numbered_option_starts_again(chat: Chat) -> None:
    await chat.say("anna", "/start")
    await chat.say("anna", "Latviešu")
    declined = await chat.say("anna", "2")
    assert declined.options[0].label == "Sākt no jauna"
    again = await chat.say("anna", "1")
    assert again.text.startswith("Lūdzu, izvēlieties valodu.")


async def test_the_way_back_after_declining_is_offered_in_the_reader_language(
    chat: Chat,
) -> None:
    for user, language, label in (
        ("a", "Latviešu", "Sākt no jauna"),
        ("b", "Русский", "Начать заново"),
    ):
        await chat.say(user, "/start")
        await chat.say(user, language)
        reply = await chat.say(user, "2")
        assert [b.label for b in reply.options] == [label]
        again = await chat.say(user, label.upper())
        assert "Please choose your language." in again.text


async def test_a_unit_typed_in_russian_or_english_is_understood(chat: Chat, app) -> None:
    for user, typed, expected in (
        ("a", "Алсвики", "alsviku"),
        ("b", "алсвикская волость", "alsviku"),
        ("c", "Алсвикская", "alsviku"),
        ("d", "Алуксне", "aluksne"),
        ("e", "Яунанна", "jaunannas"),
        ("f", "Вецлайцене", "veclaicenes"),
        ("g", "Alsviki parish", "alsviku"),
        ("h", "Зиемерская волость", "ziemera"),
    ):
        await chat.say(user, "/start")
        await chat.say(user, "Русский")
        await chat.say(user, "1")
        reply = await chat.say(user, typed)
        assert "Сохранено" in reply.text, typed
        async with app.sessionmaker() as session:
            resident = (await find_identity(session, "console", user)).resident
            assert resident.unit.slug == expected, typed


async def test_an_unknown_place_asks_again_with_the_options(chat: Chat) -> None:
    await chat.say("anna", "/start")
    await chat.say("anna", "English")
    question = await chat.say("anna", "I agree")
    again = await chat.say("anna", "Москва")
    assert again.text.startswith("Please type the number of one of the options below.")
    assert question.text in again.text and len(again.options) == len(question.options)


async def test_changing_the_parish_has_a_way_back(chat: Chat, app) -> None:
    await chat.onboard("anna")
    question = await chat.say("anna", "/territory")
    assert question.options[-1].label == "Back to the menu"
    back = await chat.say("anna", "0")
    assert back.text.startswith("Main menu")
    await chat.say("anna", "/territory")
    back = await chat.say("anna", "izvēlne")
    assert back.text.startswith("Main menu")
    async with app.sessionmaker() as session:
        resident = (await find_identity(session, "console", "anna")).resident
        assert resident.unit.slug == "alsviku"


def test_place_names_match_in_any_language_and_by_their_stem() -> None:
    units = [
        Unit(slug="alsviku", name="Alsviķu pagasts", names={"ru": "Алсвикская волость"}),
        Unit(slug="annas", name="Annas pagasts", names={"ru": "Аннинская волость"}),
        Unit(slug="jaunannas", name="Jaunannas pagasts", names={"ru": "Яунаннинская волость"}),
        Unit(slug="jaunaluksnes", name="Jaunalūksnes pagasts", names={}),
    ]
    slugs = [unit.slug for unit in units]
    for typed, expected in (
        ("Алсвики", ["alsviku"]),
        ("АЛСВИКСКАЯ", ["alsviku"]),
        ("alsviķu pagasts", ["alsviku"]),
        ("Анна", ["annas"]),
        ("Яунанна", ["jaunannas"]),
        ("jaunannas", ["jaunannas"]),
        ("Jauna", ["jaunannas", "jaunaluksnes"]),  # not one: asked again
        ("Ан", []),
        ("волость", []),
        ("", []),
    ):
        found = [unit.slug for unit in match_places(units, typed, slugs=slugs)]
        assert found == expected, typed


async def test_a_number_no_parish_carries_is_named_as_on_the_menu(chat: Chat) -> None:
    await chat.say("anna", "/start")
    await chat.say("anna", "Latviešu")
    question = await chat.say("anna", "1")
    again = await chat.say("anna", "99")
    last = len(question.options)
    assert again.text.startswith(
        f"Šeit nav iespējas ar numuru 99. Lūdzu, izvēlieties numuru no 1 līdz {last}."
    )
    assert question.text in again.text and len(again.options) == last
    await chat.say("anna", "alsviku")
    menu = await chat.say("anna", "/menu")
    wrong = await chat.say("anna", "99")
    assert wrong.text.startswith(
        f"Šeit nav iespējas ar numuru 99. Lūdzu, izvēlieties numuru no 1 līdz {len(menu.options)}."
    )
