"""The outreach kit: a poster's code registers residents straight into its place on Telegram
and by SMS and counts in the reach; an unknown code; who may print; the printed PDF read
back, its QR code decoded from the image."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
import zxingcpp
from sqlalchemy import func, select

from bot.i18n import Translator
from models.outreach import OutreachJoin, Placement, add_placement, reach, set_poster_name
from models.residents import find_identity
from models.roles import Role, grant_role
from models.territory import add_locality, unit_by_slug
from padome.app import open_app
from reports.outreach_posters import Format, poster_for, poster_pdf
from tests.chat import Chat
from tests.conftest import make_settings
from tests.fakes.twilio_api import SMS_NUMBER, WHATSAPP_NUMBER
from tests.telegram import RunningBot, fake_telegram_api, polling_bot, telegram_settings
from tests.test_console import run_padome
from tests.test_twilio import running, say

RIGA = ZoneInfo("Europe/Riga")
BOT = "padome_test_bot"
ANNA = 2001
PETERIS = "+37126000011"


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


async def library_in_village(app: Any) -> Placement:
    """Alsviķu bibliotēka in the village of Alsviķi, Alsviķu pagasts."""
    async with app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        village = await add_locality(session, unit=unit, name="Alsviķi")
        return await add_placement(
            session, unit=unit, locality=village, kind="library", name="Alsviķu bibliotēka"
        )


async def joined_through(app: Any, code: str) -> int:
    async with app.sessionmaker() as session:
        found = await reach(session, timezone=RIGA)
    return sum(item.total for item in found if item.placement.code == code)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[RunningBot]:
    async with fake_telegram_api() as api:
        assert api.base_url is not None
        settings = telegram_settings(database_url, api.base_url, telegram_bot_username=BOT)
        async with polling_bot(api, settings) as running_bot:
            yield running_bot


async def test_a_poster_link_registers_a_newcomer_straight_into_its_village(
    bot: RunningBot,
) -> None:
    placement = await library_in_village(bot.app)
    # What Telegram sends when the QR code's https://t.me/<bot>?start=u_<code> is opened.
    await bot.send(ANNA, f"/start u_{placement.code}")
    await bot.press(ANNA, "lang:lv")
    [menu] = await bot.press(ANNA, "privacy:agree")

    # No question for the parish or the village: the summary and the menu at once.
    assert menu["text"].startswith(lv("Saved: {place}.", place="Alsviķu pagasts, Alsviķi"))
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(ANNA))
        assert identity is not None
        resident = identity.resident
        assert resident.unit is not None and resident.unit.slug == "alsviku"
        assert resident.locality is not None and resident.locality.name == "Alsviķi"
        join = await session.scalar(select(OutreachJoin))
        assert join is not None and join.code == placement.code and join.channel == "telegram"
    assert await joined_through(bot.app, placement.code) == 1

    # The same link again: already there, nothing moves, nothing counts twice.
    [again] = await bot.send(ANNA, f"/start u_{placement.code}")
    assert again["text"].startswith(
        lv("You are already registered in {place}.", place="Alsviķu pagasts, Alsviķi")
    )
    assert await joined_through(bot.app, placement.code) == 1

    # The resident's own data lists the poster; /forget erases it.
    _, export = await bot.send(ANNA, "/mydata", replies=2)
    data = json.loads(export["document"]["content"].decode("utf-8"))
    assert data["outreach"]["joined_through"]["placement"] == "Alsviķu bibliotēka"
    await bot.send(ANNA, "/forget")
    await bot.press(ANNA, "forget:yes")
    async with bot.app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutreachJoin)) == 0
    assert await joined_through(bot.app, placement.code) == 0


async def test_a_resident_of_another_parish_is_asked_before_moving(bot: RunningBot) -> None:
    placement = await library_in_village(bot.app)
    await bot.onboard(ANNA, unit="pededzes")
    [question] = await bot.send(ANNA, f"/start u_{placement.code}")
    assert lv("Yes, move me") in str(question["buttons"])
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(ANNA))
        assert identity is not None and identity.resident.unit is not None
        assert identity.resident.unit.slug == "pededzes"  # not moved by opening the link
    [moved] = await bot.press(ANNA, f"outmove:{placement.id}")
    assert moved["text"].startswith(lv("Saved: {place}.", place="Alsviķu pagasts, Alsviķi"))
    # A move is not a join through the poster.
    assert await joined_through(bot.app, placement.code) == 0


async def test_start_and_the_code_by_sms_registers_into_the_village(database_url: str) -> None:
    async with running(database_url) as (fake, twilio):
        placement = await library_in_village(twilio.app)
        [language] = await say(fake, twilio, "sms", PETERIS, f"start {placement.code.lower()}")
        assert "1) Latviešu" in language.body
        await say(fake, twilio, "sms", PETERIS, "1")
        answer = await say(fake, twilio, "sms", PETERIS, "1")  # agree
        text = " ".join(message.body for message in answer)
        assert text.startswith(lv("Saved: {place}.", place="Alsviķu pagasts, Alsviķi"))
        async with twilio.app.sessionmaker() as session:
            identity = await find_identity(session, "sms", PETERIS)
            assert identity is not None and identity.resident.locality is not None
            assert identity.resident.locality.name == "Alsviķi"
            join = await session.scalar(select(OutreachJoin))
            assert join is not None and join.channel == "sms"
        assert await joined_through(twilio.app, placement.code) == 1


async def test_an_unknown_code_gets_the_normal_start_with_a_note(chat: Chat) -> None:
    await chat.say("ilze", "/start u_ZZZ9ZZ")
    await chat.say("ilze", "English")
    asked = await chat.say("ilze", "1")  # agree
    assert asked.text.startswith("I do not know the code on that poster (it may be an old one).")
    assert "Which parish or town do you live in?" in asked.text
    saved = await chat.say("ilze", "Alsviķu pagasts")
    assert saved.text.startswith("Saved: Alsviķi parish.")


async def test_a_representative_prints_for_their_parish_only(database_url: str) -> None:
    async with open_app(make_settings(database_url, telegram_bot_username=BOT)) as app:
        await _prints_for_their_parish_only(Chat(app), app)


async def _prints_for_their_parish_only(chat: Chat, app: Any) -> None:
    await chat.onboard("rep")
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", "rep")
        assert identity is not None
        alsviku = await unit_by_slug(session, "alsviku")
        pededzes = await unit_by_slug(session, "pededzes")
        assert alsviku is not None and pededzes is not None
        await grant_role(
            session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
        )
        theirs = await add_placement(
            session, unit=pededzes, locality=None, kind="shop", name="Pededzes veikals"
        )

    kit = await chat.say("rep", "/kit")
    assert "Posters and flyers for Alsviķi parish" in kit.text
    # A forged press for another parish's place or parish is refused.
    for forged in (f"outpdf:{theirs.id}:a4:lv", f"outplace:{theirs.id}", "outunit:pededzes"):
        refused = await chat.say("rep", payload=forged)
        assert refused.text == "Sorry, you are not allowed to do that."

    # Their own: a shop in the parish, made on the way, and its flyers as PDF.
    kinds = await chat.say("rep", payload="outkind")
    assert "Shop" in [button.label for button in kinds.options]
    place = await chat.say("rep", payload="outkind:shop")
    assert "Code: " in place.text
    code = place.text.split("Code: ")[1].split()[0]
    pdf_button = next(b for b in place.options if b.label.startswith("A6"))
    languages = await chat.say("rep", payload=pdf_button.payload)
    sent = await chat.say("rep", payload=languages.options[0].payload)
    assert sent.attachment is not None and sent.attachment.mime_type == "application/pdf"
    assert code in _pdf_text(sent.attachment.content)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _qr_codes(content: bytes) -> set[str]:
    found = set()
    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        for image in page.images:
            found |= {code.text for code in zxingcpp.read_barcodes(image.image)}
    return found


@pytest.mark.parametrize("page_format", [Format.A4, Format.A6])
async def test_the_poster_carries_the_place_the_link_and_the_numbers(
    database_url: str, page_format: Format
) -> None:
    async with running(database_url, telegram_bot_username=BOT) as (_, twilio):
        placement = await library_in_village(twilio.app)
        async with twilio.app.sessionmaker() as session, session.begin():
            rep = await _registered_representative(session)
            await set_poster_name(session, resident=rep, name="Anna Bērziņa")
            fresh = await session.get(Placement, placement.id)
            assert fresh is not None
            poster = await poster_for(session, twilio.settings, fresh, "lv")
        content = poster_pdf(poster, page_format=page_format)

    text = _pdf_text(content)
    link = f"https://t.me/{BOT}?start=u_{placement.code}"
    number = WHATSAPP_NUMBER.removeprefix("whatsapp:")
    assert "Alsviķu pagasts, Alsviķi" in text  # Latvian letters as they are
    assert link in text
    assert (
        lv(
            "WhatsApp: write {keyword} to {number}",
            keyword=f"START {placement.code}",
            number=number,
        )
        in text
    )
    assert (
        lv("SMS: send {keyword} to {number}", keyword=f"START {placement.code}", number=SMS_NUMBER)
        in text
    )
    assert lv("Your representative: {name}", name="Anna Bērziņa") in text
    # The QR code, decoded from the image printed, is the Telegram link.
    assert _qr_codes(content) == {link}


async def test_the_representative_name_is_not_printed_without_consent(database_url: str) -> None:
    async with running(database_url, telegram_bot_username=BOT) as (_, twilio):
        placement = await library_in_village(twilio.app)
        async with twilio.app.sessionmaker() as session:
            await _registered_representative(session)
            fresh = await session.get(Placement, placement.id)
            assert fresh is not None
            poster = await poster_for(session, twilio.settings, fresh, "ru")
        text = _pdf_text(poster_pdf(poster))
    assert "Representative" not in text and "представител" not in text.casefold()
    assert "START " + placement.code in text


async def _registered_representative(session: Any) -> Any:
    from models.residents import register_resident

    unit = await unit_by_slug(session, "alsviku")
    resident = await register_resident(
        session, channel="console", external_id="rep", language="lv", display_name="Anna"
    )
    resident.unit_id = unit.id if unit else None
    await grant_role(session, resident=resident, role=Role.REPRESENTATIVE, unit=unit)
    return resident


def test_staff_make_places_texts_posters_and_read_the_reach_on_the_command_line(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str) -> subprocess.CompletedProcess[str]:
        return run_padome(
            list(args),
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
            TELEGRAM_BOT_USERNAME=BOT,
        )

    assert padome("localities", "add", "alsviku", "Alsviķi").returncode == 0
    added = padome(
        "outreach",
        "placements",
        "add",
        "--unit",
        "alsviku",
        "--locality",
        "alsviki",
        "--kind",
        "library",
        "--name",
        "Alsviķu bibliotēka",
    )
    assert added.returncode == 0, added.stderr
    code = added.stdout.split()[0]
    assert f"https://t.me/{BOT}?start=u_{code}" in added.stdout
    assert f"START {code}" in added.stdout

    text = tmp_path / "teksts.txt"
    text.write_text("Jūsu balss padomē\nRakstiet mums: ā č ē ģ ī ķ ļ ņ š ū ž.\n", encoding="utf-8")
    assert padome("outreach", "text", "set", "--language", "lv", str(text)).returncode == 0
    empty = tmp_path / "tukss.txt"
    empty.write_text("  \n", encoding="utf-8")
    refused = padome("outreach", "text", "set", "--language", "lv", str(empty))
    assert refused.returncode == 1 and "it is empty" in refused.stderr

    made = padome(
        "outreach",
        "poster",
        "--unit",
        "alsviku",
        "--placement",
        code.lower(),
        "--format",
        "a6",
        "-o",
        "flyers.pdf",
    )
    assert made.returncode == 0, made.stderr
    printed = _pdf_text((tmp_path / "flyers.pdf").read_bytes())
    assert "Jūsu balss padomē" in printed and "ā č ē ģ ī ķ ļ ņ š ū ž" in printed
    assert _qr_codes((tmp_path / "flyers.pdf").read_bytes()) == {
        f"https://t.me/{BOT}?start=u_{code}"
    }
    # Another parish's code for this parish is refused; an unknown word too.
    other = padome("outreach", "poster", "--unit", "pededzes", "--placement", code)
    assert other.returncode == 1 and "is in Alsviķu pagasts" in other.stderr
    unknown = padome("outreach", "poster", "--unit", "alsviku", "--placement", "castle")
    assert unknown.returncode == 1 and "not one of the kinds" in unknown.stderr

    stats = padome("outreach", "stats", "--unit", "alsviku")
    assert stats.returncode == 0 and code in stats.stdout and "Alsviķu bibliotēka" in stats.stdout


def test_a_poster_with_no_way_into_the_bot_is_not_made(database_url: str, tmp_path: Path) -> None:
    # No TELEGRAM_BOT_USERNAME and no Twilio numbers: a poster would carry no QR code,
    # link or number, so none is written and the settings to set are named.
    for page_format in ("a4", "a6"):
        refused = run_padome(
            [
                "outreach", "poster", "--unit", "alsviku", "--placement", "library",
                "--format", page_format, "-o", "nothing.pdf",
            ],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )  # fmt: skip
        assert refused.returncode == 1, refused.stdout
        assert "Not made: a poster needs a way into the bot, and none is set." in refused.stderr
        for setting in ("TELEGRAM_BOT_USERNAME", "TWILIO_WHATSAPP_FROM", "TWILIO_SMS_FROM"):
            assert setting in refused.stderr
        assert "Wrote" not in refused.stdout and not (tmp_path / "nothing.pdf").exists()
    # Nor was a place added for it.
    listed = run_padome(
        ["outreach", "placements", "list", "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert listed.returncode == 0 and listed.stdout.startswith("No places yet."), listed.stdout


async def test_the_kit_in_chat_makes_no_poster_without_a_way_to_join(chat: Chat, app: Any) -> None:
    """No Telegram username, WhatsApp or SMS number is set: as on the command line, no
    place and no poster, the settings named, and a way back."""
    await chat.onboard("rep")
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", "rep")
        alsviku = await unit_by_slug(session, "alsviku")
        assert identity is not None and alsviku is not None
        await grant_role(
            session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
        )
        kept = await add_placement(
            session, unit=alsviku, locality=None, kind="library", name="Alsviķu bibliotēka"
        )
    await chat.say("rep", "/kit")
    refusal = (
        "A poster cannot be made yet: it would show no way to join. The administrator has to "
        "set TELEGRAM_BOT_USERNAME, TWILIO_WHATSAPP_FROM or TWILIO_SMS_FROM first."
    )
    for press in ("outkind:shop", f"outplace:{kept.id}", f"outpdf:{kept.id}:a4:lv"):
        refused = await chat.say("rep", payload=press)
        assert refused.text == refusal, press
        assert refused.attachment is None
        assert [button.label for button in refused.options] == ["Back", "Main menu"]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Placement)) == 1
    back = await chat.say("rep", payload=refused.options[0].payload)
    assert "Alsviķi parish" in back.text, back.text
