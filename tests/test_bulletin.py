"""The printed bulletin: a unit's messages, open surveys with numbered boxes, the slip."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from handlers.broadcasts.bulletin import PrintBulletin
from models.broadcasts import Status
from models.residents import Identity
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from tests.fakes.telegram_api import payloads
from tests.telegram import fake_telegram_api
from tests.test_broadcasts import REPRESENTATIVE, running, schedule, until_status
from tests.test_call_list import LV
from tests.test_console import run_padome
from tests.test_surveys import make_survey, survey_yaml, until_survey

MESSAGE = "Talka sestdien pie kultūras nama."


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Lines wrap where the page ends: read it as one run of words.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def slips(text: str, *survey_ids: int) -> list[str]:
    """The text of each survey's answer slip, between its scissors lines."""
    found = []
    for survey_id in survey_ids:
        start = text.index(f"{LV._('Answer slip No. {id}: {title}', id=survey_id, title='')}")
        found.append(text[start : text.index("✂", start)])
    return found


def font_sizes(content: bytes) -> set[float]:
    sizes: set[float] = set()

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.add(round(size * tm[0], 1))

    for page in PdfReader(io.BytesIO(content)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


async def test_the_bulletin_prints_messages_surveys_and_the_slip(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(REPRESENTATIVE, language="lv", unit="alsviku")
        await bot.onboard(1001, language="lv", unit="alsviku")
        async with bot.app.sessionmaker() as session, session.begin():
            identity = (
                await session.scalars(
                    select(Identity).where(Identity.external_id == str(REPRESENTATIVE))
                )
            ).one()
            alsviku = await unit_by_slug(session, "alsviku")
            annas = await unit_by_slug(session, "annas")
            assert alsviku is not None and annas is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
            )
        message = await schedule(bot, texts={"lv": MESSAGE})
        await until_status(bot, message, Status.DONE.value)
        survey_id = await make_survey(bot, survey_yaml())
        await until_survey(bot, survey_id, "open")
        named_id = await make_survey(bot, survey_yaml(anonymous=False))
        await until_survey(bot, named_id, "open")

        # A representative gets their own parish's bulletin at once.
        await bot.settle()
        await bot.send(REPRESENTATIVE, "/bulletin")
        messages = await api.wait_for(
            chat_id=REPRESENTATIVE,
            predicate=lambda found: any(m["method"] == "sendDocument" for m in found),
        )
        [sent] = [m for m in messages if m["method"] == "sendDocument"]
        content = sent["document"]["content"]
        text = pdf_text(content)
        assert "Alsviķu pagasts" in text
        assert MESSAGE in text
        assert "Kā vērtējat ceļus?" in text
        assert "1. Labi" in text and "2. Slikti" in text
        assert "3. Apgaismojums" in text
        # The anonymous survey's slip asks for no name or address; the named one's does.
        anonymous_slip, named_slip = slips(text, survey_id, named_id)
        assert LV._("Name, surname:") not in anonymous_slip
        assert LV._("House or address:") not in anonymous_slip
        assert LV._("Your answers are anonymous.") in anonymous_slip
        assert "Alsviķu pagasts" in anonymous_slip  # still counted for its parish
        assert LV._("Name, surname:") in named_slip
        assert LV._("House or address:") in named_slip
        assert LV._("Your answers are anonymous.") not in named_slip
        assert "PADOME" not in text  # no SMS number in this deployment
        assert min(font_sizes(content)) >= 14
        assert "menu" in payloads(sent)

        # Another parish's bulletin is refused.
        # (the survey's invitation may reach either of them around the same time)
        refusal = LV._("Sorry, you are not allowed to do that.")

        def documents_sent() -> int:
            sent = api.messages_to(REPRESENTATIVE)
            return len([m for m in sent if m["method"] == "sendDocument"])

        documents = documents_sent()
        api.push_callback(REPRESENTATIVE, PrintBulletin(annas.id).pack())
        await api.wait_for(
            chat_id=REPRESENTATIVE,
            predicate=lambda found: any(m.get("text") == refusal for m in found),
        )
        await bot.settle()
        assert documents_sent() == documents
        await bot.send(1001, "/bulletin")
        await api.wait_for(
            chat_id=1001, predicate=lambda found: any(m.get("text") == refusal for m in found)
        )
        assert not any(m["method"] == "sendDocument" for m in api.messages_to(1001))

    output = tmp_path / "alsviku.pdf"
    printed = run_padome(
        ["bulletin", "--unit", "alsviku", "--language", "lv", "-o", str(output)],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_SMS_FROM="+37120000001",
        PUBLIC_BASE_URL="https://padome.example.lv",
    )
    assert printed.returncode == 0, printed.stderr
    assert "1 messages, 2 open surveys" in printed.stdout
    text = pdf_text(output.read_bytes())
    assert MESSAGE in text and "Kā vērtējat ceļus?" in text
    assert "PADOME" in text and "+37120000001" in text
    refused = run_padome(
        ["bulletin", "--unit", "alsviku", "--from", "31.02.2026"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert refused.returncode != 0 and "DD.MM.YYYY" in refused.stderr + refused.stdout
