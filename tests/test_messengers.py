"""Each messenger declares what it can do once; screens ask the declaration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels import Pacing, deployed, messenger, messengers
from bot.i18n import Translator
from broadcasts.service import JobContext
from handlers.nominations import run_rounds
from models.base import utcnow
from models.nominations import create_round
from models.residents import find_identity, format_identity, parse_identity, phone_channels
from padome.app import open_app
from tests.chat import Chat
from tests.conftest import make_settings
from tests.twilio import twilio_settings

LV = Translator("lv", timezone=ZoneInfo("Europe/Riga"))

# name, prefix, buttons, contact sharing, files, groups, phone accounts
DECLARED = [
    ("telegram", "tg", True, True, True, True, False),
    ("whatsapp", "wa", False, False, True, False, True),
    ("sms", "sms", False, False, False, False, True),
    ("console", "console", False, False, True, False, False),
]


@pytest.mark.parametrize(
    ("name", "prefix", "buttons", "contact", "files", "groups", "phone"), DECLARED
)
def test_what_each_messenger_declares(
    name: str, prefix: str, buttons: bool, contact: bool, files: bool, groups: bool, phone: bool
) -> None:
    declared = messenger(name)
    assert (
        declared.prefix,
        declared.buttons,
        declared.contact_sharing,
        declared.files,
        declared.groups,
        declared.phone_accounts,
    ) == (prefix, buttons, contact, files, groups, phone)
    assert parse_identity(format_identity(name, "42")) == (name, "42")
    assert (name in phone_channels()) is phone
    assert LV._(declared.label)  # shown translated


def test_every_messenger_is_declared_once_and_runs_as_configured() -> None:
    assert set(messengers()) == {name for name, *_ in DECLARED}
    url = "sqlite+aiosqlite:///unused.db"
    plain = make_settings(url)
    assert [item.name for item in deployed(plain)] == ["console"]
    both = twilio_settings(
        url, "http://127.0.0.1:9", telegram_bot_token="1:T", twilio_sms_from=None
    )
    assert sorted(item.name for item in deployed(both)) == ["console", "telegram", "whatsapp"]
    fast = make_settings(url, telegram_messages_per_second=25, sms_messages_per_second=2)
    telegram, sms = messenger("telegram").pacing, messenger("sms").pacing
    assert telegram is not None and sms is not None
    assert telegram(fast) == Pacing(25, 1, 20)
    assert sms(fast) == Pacing(2, 2, 120)
    assert messenger("console").pacing is None


def lv(message: str, **values: Any) -> str:
    return LV._(message, **values)


async def test_the_terminal_offers_only_what_it_can_do(database_url: str) -> None:
    """No contact sharing, no name to tap, and its name translated."""
    settings = twilio_settings(database_url, "http://127.0.0.1:9", telegram_bot_token="1:T")
    async with open_app(settings) as app:
        chat = Chat(app)
        menu = await chat.onboard("anna", language="Latviešu")
        assert "phone" not in [button.payload for button in menu.options]
        phone = await chat.say("anna", "/phone")
        assert phone.text.startswith(
            lv(
                "Your phone number cannot be shared here. Send /phone on {messengers}, which "
                "can share it.",
                messengers="Telegram",
            )
        )
        assert "phone:share" not in [button.payload for button in phone.options]

        async with app.sessionmaker() as session, session.begin():
            identity = await find_identity(session, "console", "anna")
            assert identity is not None
            identity.resident.phone = "+37126000031"
            identity.resident.display_name = "Anna Liepa"
        channels = await chat.say("anna", "/channel")
        labels = [button.label for button in channels.options]
        assert labels[:3] == [lv("Terminal"), "WhatsApp", "SMS"]
        assert "console" not in labels

        now = utcnow()
        async with app.sessionmaker() as session, session.begin():
            await create_round(
                session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=1), now=now
            )
        await run_rounds(JobContext(app.sessionmaker, app.settings, utcnow()))
        await chat.say("anna", "/nominate")
        name = await chat.say("anna", "1")  # herself
        assert name.text == lv(
            "Type your name and surname as they should be on the nomination form."
        )
