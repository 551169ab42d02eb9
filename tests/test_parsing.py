"""Typed numbers, button ids and typed times: the rules as tables, then what people see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.dialog.engine import match_option
from bot.i18n import Translator
from bot.parsing import (
    MAX_ID,
    AmbiguousTime,
    NonexistentTime,
    NoSuchDate,
    TimeNotUnderstood,
    TooFar,
    WrongOffset,
    check_horizon,
    clean_text,
    forged_number,
    is_blank,
    parse_day,
    parse_id,
    parse_local_time,
    parse_number,
)
from models import AuditEntry, Resident
from models.ideas import Idea
from models.nominations import Refused, clean_name
from models.residents import find_identity
from models.survey_file import SurveyFileError, create_survey, parse_survey_file, resolve_audience
from tests.fakes.telegram_api import FakeTelegramAPI, labels, payloads
from tests.telegram import RunningBot, fake_telegram_api, polling_bot, telegram_settings
from tests.test_console import run_padome
from tests.test_ideas import submit

RIGA = ZoneInfo("Europe/Riga")
ADMIN_CHAT = -100_500
COORDINATOR = 900
ANNA = 1001
GROUP = -100_777


# ------------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    ("typed", "low", "high", "number"),
    [
        ("7", 1, 10, 7),
        (" 7 ", 1, 10, 7),
        ("7.", 1, 10, 7),
        ("7)", 1, 10, 7),
        ("007", 1, 10, 7),
        ("0", 1, 10, None),
        ("11", 1, 10, None),
        ("\u1369", 0, 10, None),  # ፩, Ethiopic digit one: isdigit() says yes
        ("²", 0, 10, None),
        ("٣", 0, 10, None),  # Arabic-Indic three
        ("１２", 0, 100, None),  # full-width
        ("-3", -5, 10, None),
        ("+3", 0, 10, None),
        ("3.5", 0, 10, None),
        ("1 000", 0, 5000, None),
        ("9" * 30, 0, 10**40, None),
        ("", 0, 10, None),
        (".", 0, 10, None),
        (None, 0, 10, None),
    ],
)
def test_typed_numbers(typed: str | None, low: int, high: int, number: int | None) -> None:
    assert parse_number(typed, low=low, high=high) == number


@pytest.mark.parametrize(
    ("carried", "id_", "forged"),
    [
        ("12", 12, False),
        ("0", 0, False),
        (str(MAX_ID), MAX_ID, False),
        (str(MAX_ID + 1), None, True),
        ("9999999999999999999999999", None, True),
        ("²", None, True),
        ("\u1369", None, True),
        ("12²", None, True),
        ("-1", None, False),  # not a number by its looks: the handler finds nothing
        ("abc", None, False),
        ("", None, False),
        (" 12", None, False),
        (None, None, None),
        (12, 12, None),
        (True, None, None),
    ],
)
def test_payload_ids(carried: Any, id_: int | None, forged: bool | None) -> None:
    assert parse_id(carried) == id_
    if forged is not None:
        assert forged_number(carried) is forged


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Bedre\x00 uz ceļa", "Bedre uz ceļa"),
        ("line one\nline two\tend", "line one\nline two\tend"),
        ("\x1b[31mred\x7f", "[31mred"),
        ("a\r\nb", "a\nb"),
        ("Ūdens\u200b", "Ūdens\u200b"),  # a format mark is not a control character
        ("", ""),
        # A text that shows nothing is no text: every flow then asks for it again.
        ("\u200b\u200b", ""),
        ("\u200b \x00\u3164", ""),
        ("   ", ""),
    ],
)
def test_control_characters_are_dropped_but_newline_and_tab(typed: str, kept: str) -> None:
    assert clean_text(typed) == kept


@pytest.mark.parametrize(
    ("name", "blank"),
    [
        ("", True),
        ("   ", True),
        ("\u200b\u200b", True),  # zero-width spaces
        ("\u3164", True),  # Hangul filler
        ("\u2800 \u200d", True),
        ("\u0301", True),  # a combining accent on nothing
        ("Anna", False),
        ("\u200bAnna", False),
        ("李", False),
    ],
)
def test_names_that_show_nothing(name: str, blank: bool) -> None:
    assert is_blank(name) is blank
    if blank:
        with pytest.raises(Refused):
            clean_name(name)
    else:
        assert clean_name(name) == name


@pytest.mark.parametrize("name", ["፩", "²", "٣", "12345", "-.-", "😀"])
def test_a_name_has_letters(name: str) -> None:
    with pytest.raises(Refused):
        clean_name(name)


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("01.12.2026 18:00", datetime(2026, 12, 1, 16, 0, tzinfo=UTC)),
        ("01.12.2026 18.00", datetime(2026, 12, 1, 16, 0, tzinfo=UTC)),
        ("1.7.2026 9:05", datetime(2026, 7, 1, 6, 5, tzinfo=UTC)),
        ("  01.12.2026   18:00 ", datetime(2026, 12, 1, 16, 0, tzinfo=UTC)),
        ("29.03.2026 02:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        ("29.03.2026 04:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("25.10.2026 02:59", datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        ("25.10.2026 04:00", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        ("25.10.2026 03:30 +03:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("25.10.2026 03:30 +02:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("25.10.2026 03:30 +0200", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_typed_times(typed: str, moment: datetime) -> None:
    parsed = parse_local_time(typed, RIGA)
    assert parsed == moment
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("29.03.2026 03:00", NonexistentTime),
        ("29.03.2026 03:30", NonexistentTime),
        ("29.03.2026 03:59", NonexistentTime),
        ("25.10.2026 03:00", AmbiguousTime),
        ("25.10.2026 03:30", AmbiguousTime),
        ("25.10.2026 03:30 +04:00", WrongOffset),
        ("01.12.2026 18:00 +03:00", WrongOffset),
        ("31.02.2026 18:00", NoSuchDate),
        ("01.12.2026 24:00", NoSuchDate),
        ("01.12.2026", TimeNotUnderstood),
        ("18:00", TimeNotUnderstood),
        ("2026-12-01 18:00", TimeNotUnderstood),
        ("²1.12.2026 18:00", TimeNotUnderstood),
        ("01.12.2026 ፲8:00", TimeNotUnderstood),
        ("01.01.0001 00:30", TimeNotUnderstood),
        ("01.12.2026 18:00 +25:00", TimeNotUnderstood),
        ("", TimeNotUnderstood),
    ],
)
def test_times_that_are_refused(typed: str, problem: type[Exception]) -> None:
    with pytest.raises(problem):
        parse_local_time(typed, RIGA)


def test_a_time_that_happens_twice_is_chosen_by_fold() -> None:
    with pytest.raises(AmbiguousTime) as twice:
        parse_local_time("25.10.2026 03:30", RIGA)
    earlier, later = twice.value.choices
    assert (earlier.tzname(), later.tzname()) == ("EEST", "EET")
    assert later.astimezone(UTC) - earlier.astimezone(UTC) == timedelta(hours=1)
    assert parse_local_time("25.10.2026 03:30", RIGA, fold=0) == earlier.astimezone(UTC)
    assert parse_local_time("25.10.2026 03:30", RIGA, fold=1) == later.astimezone(UTC)
    # How to choose, for the command line and survey files.
    assert '"25.10.2026 03:30 +03:00" for the first' in str(twice.value)


def test_times_beyond_two_years_are_refused_with_the_limit() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    near = parse_local_time("30.11.2028 12:00", RIGA)
    assert check_horizon(near, now) == near
    for typed in ("02.12.2028 12:00", "31.12.9999 23:00"):
        with pytest.raises(TooFar) as far:
            check_horizon(parse_local_time(typed, RIGA), now)
        assert far.value.limit == now + timedelta(days=730)


@pytest.mark.parametrize(
    ("typed", "day"),
    [("01.11.2026", date(2026, 11, 1)), (" 1.1.2027 ", date(2027, 1, 1))],
)
def test_typed_days(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["31.11.2026", "01.11.26", "²1.11.2026", "1.11.2026 10:00"])
def test_typed_days_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)


@pytest.mark.parametrize("typed", ["\u1369", "²", "²)", "١", "99999999999999999999"])
def test_option_numbers_in_other_scripts_choose_nothing(typed: str) -> None:
    options = [["Alsviķu pagasts", "unit:alsviku"], ["Annas pagasts", "unit:annas"]]
    assert match_option(typed, options) is None
    assert match_option("2)", options) == "unit:annas"


def test_a_survey_file_time_that_happens_twice_says_how_to_choose() -> None:
    content = (
        "title: Ceļi\n"
        "opens: 25.10.2026 03:30\n"
        "closes: 28.03.2027 03:30\n"
        "questions:\n"
        "  - type: yesno\n"
        "    text: Vai?\n"
    )
    with pytest.raises(SurveyFileError) as refused:
        parse_survey_file(content, name="s.yaml", timezone=RIGA)
    problems = "\n".join(refused.value.problems)
    assert '"25.10.2026 03:30 +03:00" for the first (summer time)' in problems
    assert "28.03.2027 03:30 does not exist: the clocks go forward an hour" in problems


# --------------------------------------------------------------- what people see


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def next_clock_change(month: int) -> str:
    """The next night the clocks change in Riga (March forward, October back), as typed."""
    today = datetime.now(RIGA).date()
    day = last_sunday(today.year, month)
    if day <= today:
        day = last_sunday(today.year + 1, month)
    return day.strftime("%d.%m.%Y")


@asynccontextmanager
async def running(database_url: str, api: FakeTelegramAPI) -> AsyncIterator[RunningBot]:
    settings = telegram_settings(
        database_url,
        api.base_url or "",
        admins=f"tg:{COORDINATOR}",
        quiet_hours="off",
        telegram_admin_chat_id=ADMIN_CHAT,
    )
    async with polling_bot(api, settings) as bot:
        yield bot


async def no_error_report(bot: RunningBot) -> None:
    await bot.settle()
    assert bot.api.messages_to(ADMIN_CHAT) == []


async def test_odd_digits_and_forged_buttons_get_short_answers_and_no_error_report(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA)
        await bot.onboard(COORDINATOR)
        not_understood = lv("I did not understand that. Please choose from the menu.")
        for typed in ("\u1369", "²", "99999999999999999999999"):
            [reply] = await bot.send(ANNA, typed)
            assert reply["text"].startswith(not_understood), typed
            assert payloads(reply)  # the menu

        forged = [
            "ideaitem:9999999999999999999999999",
            "bcx:²",
            "nomcshow:\u1369",
            "svres:2147483648",
            "revoke:١",
        ]
        for data in forged:
            [refused] = await bot.press(ANNA, data)
            assert refused["text"] == lv("Sorry, you are not allowed to do that."), data
            assert payloads(refused) == ["menu"]
        async with bot.app.sessionmaker() as session:
            written = list(
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "refused").order_by(AuditEntry.id)
                )
            )
        assert [entry.details["button"] for entry in written] == [
            "ideaitem",
            "bcx",
            "nomcshow",
            "svres",
            "revoke",
        ]

        # Where a coordinator types a number, another script's digit is asked again.
        await bot.press(COORDINATOR, "rndnew")
        await bot.press(COORDINATOR, "rndall")
        await bot.press(COORDINATOR, "rndstart:now")
        await bot.press(COORDINATOR, "rndend:14")
        await bot.press(COORDINATOR, "rndset:supporters")
        [again] = await bot.send(COORDINATOR, "\u1369")
        assert again["text"].split("\n\n")[0] == lv(
            "Please write a number from {low} to {high}.",
            low="1",
            high=Translator("lv", timezone=RIGA).number(1000),
        )
        [settings] = await bot.send(COORDINATOR, "12.")
        assert lv("Supporters needed: {n}", n=12) in settings["text"]
        await no_error_report(bot)


async def test_a_nul_in_an_idea_is_dropped_and_the_idea_kept(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA)
        await submit(bot, ANNA, "Bedre\x00 uz ceļa\x07 pie skolas")
        async with bot.app.sessionmaker() as session:
            [idea] = list(await session.scalars(select(Idea)))
        assert idea.text == "Bedre uz ceļa pie skolas"
        await no_error_report(bot)


async def ask_when(bot: RunningBot) -> None:
    """Compose a council message up to the question when it should go."""
    await bot.send(COORDINATOR, "/announce")
    await bot.send(COORDINATOR, "Ūdens nebūs.")
    await bot.press(COORDINATOR, "bcaud")
    await bot.press(COORDINATOR, "bcto:all")
    await bot.press(COORDINATOR, "bcurg:n")


async def test_broadcast_times_across_clock_changes_and_beyond_two_years(
    database_url: str,
) -> None:
    spring, autumn = next_clock_change(3), next_clock_change(10)
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await ask_when(bot)

        [skipped] = await bot.send(COORDINATOR, f"{spring} 03:30")
        # Why, then the question again with its buttons.
        assert skipped["text"].startswith(
            f"That night the clocks go forward an hour, so {spring} 03:30 does not exist. "
            "Please write another time.\n\nWhen should it go?"
        )
        [far] = await bot.send(COORDINATOR, "31.12.9999 23:00")
        assert far["text"].startswith("That is too far ahead. Please choose a time before ")
        [which] = await bot.send(COORDINATOR, f"{autumn} 03:30")
        assert which["text"] == (
            f"That night the clocks go back an hour, so {autumn} 03:30 happens twice. "
            "Which one do you mean?"
        )
        assert labels(which)[:2] == ["03:30 (summer time, EEST)", "03:30 (winter time, EET)"]
        assert payloads(which)[:2] == ["bcat:twice:0", "bcat:twice:1"]
        # and the way back of the question it answers
        assert len(payloads(which)) == 3 and labels(which)[2] in ("Cancel", "Back")
        *_, summary = await bot.press(COORDINATOR, "bcat:twice:1", replies=3)
        assert f"{autumn} 03:30" in summary["text"]
        # 18.00 is read as 18:00.
        await bot.press(COORDINATOR, "bcdrop")
        await ask_when(bot)
        *_, summary = await bot.send(COORDINATOR, f"{spring} 18.00", replies=3)
        assert f"{spring} 18:00" in summary["text"]
        await no_error_report(bot)


async def test_a_round_starting_in_year_9999_is_refused_not_crashing(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.press(COORDINATOR, "rndnew")
        await bot.press(COORDINATOR, "rndall")
        [far] = await bot.send(COORDINATOR, "31.12.9999 23:00")
        assert far["text"].startswith("That is too far ahead. Please choose a time before ")
        [past] = await bot.send(COORDINATOR, "01.01.2020 10:00")
        assert past["text"].startswith("That time has already passed. Please choose a later one.")
        assert payloads(past) == ["rndstart:now", "rndstart:tomorrow", "nomc"]
        autumn = next_clock_change(10)
        [which] = await bot.send(COORDINATOR, f"{autumn} 03:30")
        assert payloads(which) == ["rndtwice:start:0", "rndtwice:start:1", "nomc"]
        [end] = await bot.press(COORDINATOR, "rndtwice:start:0")
        assert payloads(end) == ["rndend:14", "rndend:30", "nomc"]
        [settings] = await bot.press(COORDINATOR, "rndend:14")
        assert f"Nominating from {autumn} 03:30 to " in settings["text"]
        await no_error_report(bot)


async def test_an_edited_message_is_answered_in_a_private_chat_only(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA)
        before = len(api.messages_to(ANNA))
        api.push_edit(ANNA, "Labots teksts")
        [answer] = (await api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        assert answer["text"] == lv(
            "I do not read changes to messages already sent. If you corrected something, "
            "please send it again as a new message."
        )
        assert labels(answer) == [lv("Main menu")] and payloads(answer) == ["menu"]
        # The state is kept: the menu still answers as before.
        [menu] = await bot.press(ANNA, "menu")
        assert menu["buttons"]
        api.push_edit(ANNA, "Grupā", chat_id=GROUP, chat_type="group")
        await bot.settle()
        assert api.messages_to(GROUP) == []
        await no_error_report(bot)


async def test_a_shared_contact_without_plus_is_taken_as_international(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA)
        await bot.press(ANNA, "phone")
        [saved] = await bot.send(ANNA, None, contact="37061234567")
        assert saved["text"].startswith(lv("Thank you, your phone number is saved."))
        async with bot.app.sessionmaker() as session:
            identity = await find_identity(session, "telegram", str(ANNA))
            assert identity is not None
            resident = await session.get(Resident, identity.resident_id)
            assert resident is not None and resident.phone == "+37061234567"


def test_command_line_times(database_url: str, tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_text("Sapulce piektdien.", encoding="utf-8")
    autumn, spring = next_clock_change(10), next_clock_change(3)

    def send_at(at: str):
        return run_padome(
            ["broadcast", "send", "--text-file", str(text), "--at", at],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )

    twice = send_at(f"{autumn} 03:30")
    assert twice.returncode == 1
    assert f'"{autumn} 03:30 +02:00" for the second (winter time)' in twice.stderr
    skipped = send_at(f"{spring} 03:30")
    assert skipped.returncode == 1 and "does not exist" in skipped.stderr
    far = send_at("31.12.9999 23:00")
    assert far.returncode == 1 and "too far ahead: at most two years from now, before" in far.stderr
    chosen = send_at(f"{autumn} 03:30 +02:00")
    assert chosen.returncode == 0, chosen.stderr
    assert f"scheduled for {autumn} 03:30" in chosen.stdout


async def test_on_sms_control_characters_are_dropped_and_odd_digits_answered(
    database_url: str,
) -> None:
    from tests.test_twilio import ANNA as PHONE
    from tests.test_twilio import onboard, running, say

    async with running(database_url) as (fake, bot):
        menu = await onboard(fake, bot, "sms", PHONE)
        second = menu.split("2) ", 1)[1].split("\n", 1)[0]
        not_understood = lv("I did not understand that. Please choose from the menu.")
        [hint, *_] = await say(fake, bot, "sms", PHONE, "\u1369")
        assert hint.body.startswith(not_understood)
        # "2" with a NUL after it is the second option, as "2" is.
        chosen = " ".join(m.body for m in await say(fake, bot, "sms", PHONE, "2\x00"))
        assert not chosen.startswith(not_understood), second
        assert "Atvainojiet" not in chosen


async def test_a_survey_closing_beyond_two_years_is_not_scheduled(app: Any) -> None:
    far = (datetime.now(RIGA) + timedelta(days=800)).strftime("%d.%m.%Y 18:00")
    content = f"title: Ceļi\ncloses: {far}\nquestions:\n  - type: yesno\n    text: Vai?\n"
    spec = parse_survey_file(content, name="s.yaml", timezone=RIGA)
    async with app.sessionmaker() as session, session.begin():
        audience = await resolve_audience(session, spec, name="s.yaml")
        now = datetime.now(UTC)
        # The limit is told in Riga's time, as the file's times are written.
        limit = (now + timedelta(days=730)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
        with pytest.raises(ValueError, match=f"'closes' is too far ahead: .* before {limit}"):
            await create_survey(session, spec=spec, audience=audience, now=now)
