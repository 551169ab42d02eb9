"""Houses: importing the State Address Register's CSV, a resident's house on every
messenger, coverage per place, house elders and announcements to one house.

The CSV files here are made up (see their first line): no address of them is real."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.i18n import Translator
from broadcasts.compose import Audience, NotAllowed, create_broadcast
from models.audit import AuditEntry
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, create_deliveries
from models.houses import House, coverage, house_by_code, import_houses
from models.residents import Resident, find_identity
from models.roles import Role, grant_role, load_roles
from models.territory import add_locality, unit_by_slug
from padome.app import App
from reports.bulletin import gather_bulletin
from tests.chat import Chat
from tests.fakes.telegram_api import payloads
from tests.test_console import run_padome
from tests.test_twilio import ANNA, ILZE, PETERIS, both_messengers, say
from tests.twilio import TwilioBot

MADE_UP = Path(__file__).parent / "data" / "made-up-address-register-alsviku.csv"
TELEGRAM_USER = 5151
RIGA = ZoneInfo("Europe/Riga")


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


async def _world(app: App) -> dict[str, int]:
    """Alsviķi as a village of Alsviķu pagasts, and the made-up houses imported."""
    async with app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        await add_locality(session, unit=unit, name="Alsviķi")
        await import_houses(session, unit=unit, content=MADE_UP.read_bytes())
        houses = await session.scalars(select(House))
        return {house.label: house.id for house in houses}


def test_import_names_each_bad_row_by_line_and_a_reimport_updates_by_code(
    database_url: str, tmp_path: Path
) -> None:
    added = run_padome(
        ["localities", "add", "alsviku", "Alsviķi"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    imported = run_padome(
        ["houses", "import", str(MADE_UP), "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    assert "Line 7: not imported: the address code '90000000X' is not a number." in imported.stderr
    assert "Line 8: not imported: the number of flats 'daudz' is not a whole number" in (
        imported.stderr
    )
    assert "Line 9: not imported: the register marks it DEL, not EKS." in imported.stderr
    assert "Line 10: not imported: 'Annas pag.' is not Alsviķu pagasts." in imported.stderr
    assert "Line 11: village 'Nezināmciems' is not a village of Alsviķu pagasts" in imported.stderr
    assert "5 houses added, 0 houses updated, 0 houses unchanged, 4 rows left out." in (
        imported.stdout
    )

    # The same file again, with one block's flats corrected: updated, nothing doubled.
    changed = tmp_path / "made-up-again.csv"
    changed.write_text(
        MADE_UP.read_text(encoding="utf-8").replace("#LV-4301#;#24#", "#LV-4301#;#30#"),
        encoding="utf-8",
    )
    again = run_padome(
        ["houses", "import", str(changed), "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert "0 houses added, 1 house updated, 4 houses unchanged, 4 rows left out." in again.stdout
    listed = run_padome(
        ["houses", "list", "--unit", "alsviku"], stdin="", database_url=database_url, cwd=tmp_path
    )
    rows = [line for line in listed.stdout.splitlines() if "900000001" in line]
    assert len(rows) == 1 and "Parka iela 1" in rows[0] and "30" in rows[0]
    assert listed.stdout.count("Parka iela 1 ") == 1

    # A file whose header has no address code is refused whole.
    broken = tmp_path / "made-up-no-code.csv"
    broken.write_text("NOSAUKUMS;IELA\n1;Parka iela\n", encoding="utf-8")
    refused = run_padome(
        ["houses", "import", str(broken), "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert "The whole file is refused, nothing was imported: the header has no column KODS" in (
        refused.stderr
    )

    by_hand = run_padome(
        ["houses", "add", "alsviku/Alsviķi", "--street", "Skolas iela", "--number", "4"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert by_hand.returncode == 0, by_hand.stderr
    assert "Skolas iela 4." in by_hand.stdout
    twice = run_padome(
        ["houses", "add", "alsviku", "--street", "skolas iela", "--number", "4"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert twice.returncode == 1 and "already known" in twice.stderr


def test_a_house_added_by_hand_needs_a_real_number_and_name_and_a_bad_postcode_is_left_out(
    database_url: str, tmp_path: Path
) -> None:
    def add(*args: str) -> Any:
        return run_padome(
            ["houses", "add", "alsviku", *args], stdin="", database_url=database_url, cwd=tmp_path
        )

    for number in ("²", "፩", "٣", "0", "01", "-"):
        refused = add("--street", "Skolas iela", "--number", number)
        assert refused.returncode == 1, (number, refused.stdout)
        assert "Not added: a house number is like 12, 12a or 3k-2" in refused.stderr, number
        assert "Traceback" not in refused.stderr
    for name in ("😀", "²", "---"):
        refused = add("--name", name)
        assert refused.returncode == 1, (name, refused.stdout)
        assert "Not added: a house's name has letters." in refused.stderr, name
    street = add("--street", "😀", "--number", "3")
    assert street.returncode == 1 and "a street's name has letters" in street.stderr
    code = add("--name", "Kalnmaļi", "--code", "²")
    assert code.returncode == 1 and "an address code is digits 0-9 only" in code.stderr

    short = add("--street", "Skolas iela", "--number", "3k-2", "--postcode", "12")
    assert short.returncode == 0, short.stderr
    assert "Added house No." in short.stdout and "Skolas iela 3k-2." in short.stdout
    assert "Postcode '12' left out: not like LV-4301 or 4301." in short.stdout
    plain = add("--name", "Kalnmaļi", "--postcode", "4301")
    assert plain.returncode == 0 and "left out" not in plain.stdout, plain.stderr
    listed = run_padome(
        ["houses", "list", "--unit", "alsviku"], stdin="", database_url=database_url, cwd=tmp_path
    )
    [block] = [line for line in listed.stdout.splitlines() if "Skolas iela 3k-2" in line]
    [rural] = [line for line in listed.stdout.splitlines() if "Kalnmaļi" in line]
    assert "12" not in block.replace("Skolas iela 3k-2", "")
    assert "LV-4301" in rural


async def _texts(bot: TwilioBot, fake: Any, channel: str, phone: str, text: str) -> str:
    return " ".join(message.body for message in await say(fake, bot, channel, phone, text))


async def test_coverage_counts_residents_on_every_messenger_on_paper_and_not_the_erased(
    database_url: str, tmp_path: Path
) -> None:
    async with both_messengers(database_url) as (_api, fake, telegram, bot):
        houses = await _world(telegram.app)

        # Telegram, by buttons: the village, then the street, then the number.
        await telegram.send(TELEGRAM_USER, "/start")
        await telegram.press(TELEGRAM_USER, "lang:en")
        await telegram.press(TELEGRAM_USER, "privacy:agree")
        [village] = await telegram.press(TELEGRAM_USER, "unit:alsviku")
        assert village["text"].startswith("Which village or neighbourhood?")
        [asked] = await telegram.press(TELEGRAM_USER, payloads(village)[0])
        assert "Which house do you live in?" in asked["text"]
        assert payloads(asked)[-1] == "menu"  # Skip
        street = next(
            button["callback_data"]
            for row in asked["buttons"]
            for button in row
            if button["text"] == "Parka iela"
        )
        [numbers] = await telegram.press(TELEGRAM_USER, street)
        assert [b["text"] for row in numbers["buttons"] for b in row][:2] == [
            "Parka iela 1",
            "Parka iela 3",
        ]
        [saved] = await telegram.press(TELEGRAM_USER, f"hpick:{houses['Parka iela 1']}")
        assert saved["text"].startswith("Saved: you live at Parka iela 1.")

        # WhatsApp, in Latvian, the address typed.
        await say(fake, bot, "whatsapp", ANNA, "Labdien")
        await say(fake, bot, "whatsapp", ANNA, "1")
        await say(fake, bot, "whatsapp", ANNA, "1")
        await say(fake, bot, "whatsapp", ANNA, "Alsviķu")
        question = await _texts(bot, fake, "whatsapp", ANNA, "1")
        assert (
            lv(
                "Which house do you live in? Choose your street, or type your address "
                '(like "{example}") or the name of your house.',
                example="Parka iela 1",
            )
            in question
        )
        answer = await _texts(bot, fake, "whatsapp", ANNA, "parka iela 1")
        assert (
            lv(
                'Saved: you live at {address}. You can change it under "My house" in the menu.',
                address="Parka iela 1",
            )
            in answer
        )

        # SMS, by numbers: the street's number, then the house's.
        await say(fake, bot, "sms", PETERIS, "Labdien")
        await say(fake, bot, "sms", PETERIS, "1")
        await say(fake, bot, "sms", PETERIS, "1")
        await say(fake, bot, "sms", PETERIS, "Alsviķu")
        question = await _texts(bot, fake, "sms", PETERIS, "1")
        assert "1) Parka iela" in question and "2) Skolas iela" in question
        numbers_text = await _texts(bot, fake, "sms", PETERIS, "1")
        assert "2) Parka iela 3" in numbers_text
        saved_text = await _texts(bot, fake, "sms", PETERIS, "2")
        assert "Parka iela 3" in saved_text

        # Another SMS resident says their house, then erases their data.
        await say(fake, bot, "sms", ILZE, "Labdien")
        await say(fake, bot, "sms", ILZE, "1")
        await say(fake, bot, "sms", ILZE, "1")
        await say(fake, bot, "sms", ILZE, "Alsviķu")
        await say(fake, bot, "sms", ILZE, "1")
        await say(fake, bot, "sms", ILZE, "Skolas 2")
        mydata = await _texts(bot, fake, "sms", ILZE, "/mydata")
        assert lv("House: {address}", address="Skolas iela 2") in mydata
        await say(fake, bot, "sms", ILZE, "/forget")
        await say(fake, bot, "sms", ILZE, "1")

        async with telegram.app.sessionmaker() as session, session.begin():
            unit = await unit_by_slug(session, "alsviku")
            assert unit is not None
            erased = await session.scalar(select(Resident).where(Resident.erased_at.is_not(None)))
            assert erased is not None and erased.house_id is None
            # A resident without a phone, registered by staff, in a named house.
            session.add(
                Resident(
                    unit_id=unit.id,
                    consented_at=utcnow(),
                    offline_contact="post",
                    house_id=houses["Kalnmaļi"],
                )
            )
            # Someone who never agreed to the notice does not count.
            session.add(Resident(unit_id=unit.id, house_id=houses["Lejasmaļi"]))
            identity = await find_identity(session, "telegram", str(TELEGRAM_USER))
            assert identity is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit
            )

        async with telegram.app.sessionmaker() as session:
            unit = await unit_by_slug(session, "alsviku")
            assert unit is not None
            [total, village_row, without] = await coverage(session, units=[unit])
        assert (total.houses, total.reached, total.flats, total.flats_reached) == (5, 3, 36, 3)
        assert (village_row.locality is not None, village_row.houses, village_row.reached) == (
            True,
            3,
            2,
        )
        assert (without.locality, without.houses, without.reached) == (None, 2, 1)
        assert {house.label for house in total.not_reached} == {"Skolas iela 2", "Lejasmaļi"}

        # The representative sees it in chat: counts and the houses not reached, no names.
        [screen] = await telegram.send(TELEGRAM_USER, "/coverage")
        assert (
            "Alsviķi parish: 3 of 5 houses reached; flats in apartment blocks: 3 of 36"
            in (screen["text"])
        )
        assert "Skolas iela 2" in screen["text"] and "Lejasmaļi" in screen["text"]
        assert "Parka iela 1" not in screen["text"]

        printed = run_padome(
            ["houses", "coverage", "--unit", "alsviku"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert printed.returncode == 0, printed.stderr
        assert "3 of 5 (60%)" in printed.stdout and "3 of 36 (8%)" in printed.stdout


async def test_a_house_elder_sees_only_their_block_and_gets_its_notices(app: App) -> None:
    chat = Chat(app)
    houses = await _world(app)
    for user in ("elder", "neighbour", "other", "rep"):
        await chat.onboard(user)
    await chat.say("neighbour", "/house")
    await chat.say("neighbour", "Parka iela 1")
    await chat.say("other", "/house")
    await chat.say("other", "Skolas iela 2")
    async with app.sessionmaker() as session, session.begin():
        elder = await find_identity(session, "console", "elder")
        rep = await find_identity(session, "console", "rep")
        assert elder is not None and rep is not None
        block = await session.get(House, houses["Parka iela 1"])
        assert block is not None
        await grant_role(session, resident=elder.resident, role=Role.HOUSE_ELDER, house=block)
        await grant_role(session, resident=rep.resident, role=Role.REPRESENTATIVE, unit=block.unit)

    screen = await chat.say("elder", "/coverage")
    assert screen.text.startswith(
        "Your houses: 1 of 1 house reached; flats in apartment blocks: 1 of 24 reached."
    )
    assert "Every known house is reached." in screen.text
    assert "Skolas iela" not in screen.text
    async with app.sessionmaker() as session:
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        unit_id = unit.id
    forged = await chat.say("elder", payload=f"cov:unit:{unit_id}")
    assert forged.text == "Sorry, you are not allowed to do that."
    stranger = await chat.say("neighbour", payload="cov:elder")
    assert stranger.text == "Sorry, you are not allowed to do that."
    async with app.sessionmaker() as session:
        refused = await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        assert len(list(refused)) == 2

    # A representative writes to the block: its resident and its elder, nobody else.
    async with app.sessionmaker() as session, session.begin():
        rep_resident = (await find_identity(session, "console", "rep")).resident  # type: ignore[union-attr]
        roles = await load_roles(session, rep_resident, admins=[])
        broadcast = await create_broadcast(
            session,
            roles=roles,
            created_by_id=rep_resident.id,
            audience=Audience(house_id=houses["Parka iela 1"]),
            texts={"lv": "Ūdens atslēgšana otrdien."},
            due_at=utcnow(),
            now=utcnow(),
        )
        assert broadcast.place == "Alsviķu pagasts, Alsviķi, Parka iela 1"
        await create_deliveries(session, broadcast, channels={"console"})
        chats = set(
            await session.scalars(
                select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast.id)
            )
        )
        assert chats == {"elder", "neighbour"}
        # The elder may not write to the house: that stays with staff and representatives.
        elder_resident = (await find_identity(session, "console", "elder")).resident  # type: ignore[union-attr]
        elder_roles = await load_roles(session, elder_resident, admins=[])
        try:
            await create_broadcast(
                session,
                roles=elder_roles,
                created_by_id=elder_resident.id,
                audience=Audience(house_id=houses["Parka iela 1"]),
                texts={"lv": "x"},
                due_at=utcnow(),
                now=utcnow(),
            )
        except NotAllowed:
            pass
        else:
            raise AssertionError("a house elder wrote to the house")
        broadcast.status = "done"
        broadcast.started_at = broadcast.finished_at = utcnow()

    # Under News, the block's message is the block's: the rest of the parish never sees it.
    for user, sees in (("neighbour", True), ("elder", True), ("other", False), ("rep", False)):
        news = "\n".join(sent.reply.text for sent in await chat.send(user, "/news"))
        assert ("Ūdens atslēgšana otrdien." in news) is sees, (user, news)
    # Nor does the parish's printed bulletin.
    async with app.sessionmaker() as session:
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        printed = await gather_bulletin(
            session,
            unit=unit,
            since=utcnow() - timedelta(days=30),
            now=utcnow(),
            settings=app.settings,
        )
        assert printed.messages == []


async def test_a_representative_chooses_one_house_as_the_audience_in_chat(app: App) -> None:
    chat = Chat(app)
    await _world(app)
    await chat.onboard("rep")
    async with app.sessionmaker() as session, session.begin():
        rep = await find_identity(session, "console", "rep")
        unit = await unit_by_slug(session, "alsviku")
        assert rep is not None and unit is not None
        await grant_role(session, resident=rep.resident, role=Role.REPRESENTATIVE, unit=unit)
    await chat.say("rep", "/announce")
    await chat.say("rep", "Ūdens atslēgšana otrdien.")
    audience = await chat.say("rep", "Continue")
    assert "One house" in [button.label for row in audience.buttons for button in row]
    asked = await chat.say("rep", "One house")
    assert asked.text.startswith("Type the address of the house")
    unknown = await chat.say("rep", "Meža iela 99")
    assert unknown.text.startswith("I did not find that address")
    when = await chat.say("rep", "Parka 3")
    assert when.text.startswith("When should it go?")


async def test_the_house_is_changed_removed_and_refused_from_another_parish(app: App) -> None:
    chat = Chat(app)
    houses = await _world(app)
    await chat.onboard("ilze", unit="Annas pagasts")
    nothing = await chat.say("ilze", "/house")
    assert nothing.text.startswith("The houses of your parish or town are not known here yet")
    forged = await chat.say("ilze", payload=f"hpick:{houses['Parka iela 1']}")
    assert forged.text == "Sorry, you are not allowed to do that."
    await chat.say("ilze", "/territory")
    village = await chat.say("ilze", "Alsviķu pagasts")
    asked = await chat.say("ilze", "Alsviķi")
    assert village.text.startswith("Which village") and "Which house" in asked.text
    saved = await chat.say("ilze", "Parka iela 3")
    assert saved.text.startswith("Saved: you live at Parka iela 3.")
    wrong = await chat.say("ilze", "/house")
    assert wrong.text.startswith("Your house: Parka iela 3.")
    again = await chat.say("ilze", "Parka iela 8")
    assert again.text.startswith("I did not find that number on Parka iela.")
    removed = await chat.say("ilze", payload="hclear")
    assert removed.text.startswith("Your house is no longer stored.")
    async with app.sessionmaker() as session:
        resident = (await find_identity(session, "console", "ilze")).resident  # type: ignore[union-attr]
        assert resident.house_id is None
        assert await house_by_code(session, "900000003") is not None


async def test_staff_send_a_message_to_one_house_from_the_command_line(
    app: App, database_url: str, tmp_path: Path
) -> None:
    chat = Chat(app)
    houses = await _world(app)
    for user in ("neighbour", "other"):
        await chat.onboard(user)
    await chat.say("neighbour", "/house")
    await chat.say("neighbour", "Parka iela 1")
    await chat.say("other", "/house")
    await chat.say("other", "Skolas iela 2")
    text = tmp_path / "msg.txt"
    text.write_text("Ūdens atslēgšana otrdien.", encoding="utf-8")

    def padome(*args: str) -> Any:
        return run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)

    unknown = padome("broadcast", "send", "--text-file", str(text), "--house", "999999")
    assert unknown.returncode == 1 and "No house '999999'" in unknown.stderr
    # Digits of another script look like a number but are none: told plainly, not a traceback.
    for odd in ("²", "፩"):
        refused = padome("broadcast", "send", "--text-file", str(text), "--house", odd)
        assert refused.returncode == 1, refused.stdout
        assert f"{odd!r} is not a house No." in refused.stderr
        assert "Traceback" not in refused.stderr and "invalid literal" not in refused.stderr
        elder = padome("roles", "grant", "console:neighbour", "house_elder", "--house", odd)
        assert elder.returncode == 1, elder.stdout
        assert f"{odd!r} is not a house No." in elder.stderr and "Traceback" not in elder.stderr
    other = padome(
        "broadcast", "send", "--text-file", str(text), "--house", "1", "--audience", "unit:alsviku"
    )
    assert other.returncode == 1 and "either --audience or --house" in other.stderr

    block = str(houses["Parka iela 1"])
    sent = padome("broadcast", "send", "--text-file", str(text), "--house", block)
    assert sent.returncode == 0, sent.stderr
    assert "to 1 resident now registered" in sent.stdout
    shown = padome("broadcast", "show", "1")
    assert "(announcement)" in shown.stdout
    assert "house Alsviķu pagasts, Alsviķi, Parka iela 1" in shown.stdout
    async with app.sessionmaker() as session, session.begin():
        broadcast = await session.get(Broadcast, 1)
        assert broadcast is not None and broadcast.house_id == houses["Parka iela 1"]
        await create_deliveries(session, broadcast, channels={"console"})
        chats = set(
            await session.scalars(
                select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast.id)
            )
        )
    assert chats == {"neighbour"}  # the resident of Skolas iela 2 gets nothing


async def test_a_number_not_among_the_house_options_is_not_taken_as_an_address(
    app: App,
) -> None:
    chat = Chat(app)
    await _world(app)
    await chat.onboard("ilze", unit="Alsviķu pagasts")
    asked = await chat.say("ilze", "/house")
    assert asked.text.startswith("You have not said which house"), asked.text
    last = len(asked.options)
    again = await chat.say("ilze", str(last + 1))
    assert again.text == (
        f"There is no option {last + 1} here. Please choose a number from 1 to {last}."
    )
    assert again.options == asked.options
    street = await chat.say("ilze", "1")
    assert street.text.startswith("Which number on"), street.text
    async with app.sessionmaker() as session:
        resident = (await find_identity(session, "console", "ilze")).resident  # type: ignore[union-attr]
        assert resident.house_id is None
