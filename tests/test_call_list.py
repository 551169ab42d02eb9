"""The call list after an important message: who it missed, marked by the representative,
counted in the sender's report; sent once across a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.i18n import Translator
from broadcasts.compose import Audience, create_broadcast
from broadcasts.service import JobContext
from handlers.broadcasts.manage import BroadcastReport
from handlers.broadcasts.unreached import CallLine, CallList, CallMark, send_call_lists
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Kind, Status, create_deliveries
from models.call_list import Outcome, Reason, unreached_rows
from models.messaging import MessageStatus
from models.residents import Resident, identities_of, register_resident
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from padome.app import App, open_app
from tests.fakes.telegram_api import FailureKind, payloads
from tests.telegram import fake_telegram_api, polling_bot
from tests.test_broadcasts import until_status
from tests.test_console import run_padome
from tests.test_notices import dispatching, lv, settings_for
from tests.twilio import fake_twilio, twilio_bot

CHAIR = 8000
REPRESENTATIVE = 8001
ILZE = 8002  # gets it
BRIGITA = 8003  # has blocked the bot
ULDIS = 8004  # on the wire when the bot died: unknown
ANITA = 8009  # another parish, blocked too
FRICIS = "+37126000021"  # by SMS, Twilio refuses the number
TIJA = "+37126000022"  # WhatsApp, outside the 24 hours: needs a template
NORA = "+37126000023"  # WhatsApp, delivered, never read
RASMA = "+37126000024"  # WhatsApp, delivered and read
TEXT = "Ūdens nebūs rīt no 9 līdz 12."
LV = Translator("lv", timezone=ZoneInfo("Europe/Riga"))


async def people(app: App) -> dict[str, int]:
    """The residents of Alsviķi (and one of Anna) as they registered, and Olga without a
    phone, registered by the representative with her consent on paper."""
    ids: dict[str, int] = {}
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        annas = await unit_by_slug(session, "annas")
        assert alsviku is not None and annas is not None
        accounts: list[tuple[str, str, str, str, Any]] = [
            ("chair", "telegram", str(CHAIR), "Kārlis", annas),
            ("representative", "telegram", str(REPRESENTATIVE), "Pēteris", alsviku),
            ("ilze", "telegram", str(ILZE), "Ilze", alsviku),
            ("brigita", "telegram", str(BRIGITA), "Brigita", alsviku),
            ("uldis", "telegram", str(ULDIS), "Uldis", alsviku),
            ("anita", "telegram", str(ANITA), "Anita", annas),
            ("fricis", "sms", FRICIS, "Fricis", alsviku),
            ("tija", "whatsapp", TIJA, "Tija", alsviku),
            ("nora", "whatsapp", NORA, "Nora", alsviku),
            ("rasma", "whatsapp", RASMA, "Rasma", alsviku),
        ]
        for key, channel, external_id, name, unit in accounts:
            resident = await register_resident(
                session,
                channel=channel,
                external_id=external_id,
                language="en" if key == "chair" else "lv",
                display_name=name,
            )
            resident.unit_id = unit.id
            ids[key] = resident.id
            if key in ("nora", "rasma"):
                # they wrote today: within WhatsApp's 24 hours
                [identity] = await identities_of(session, resident.id)
                identity.last_inbound_at = utcnow()
        representative = await session.get(Resident, ids["representative"])
        assert representative is not None
        await grant_role(session, resident=representative, role=Role.REPRESENTATIVE, unit=alsviku)
        olga = Resident(
            language="lv",
            unit_id=alsviku.id,
            display_name="Olga",
            consented_at=utcnow(),
            offline_contact="post",
            offline_details="Ezera iela 3, Alsviķi",
            paper_consent_by_id=ids["representative"],
        )
        session.add(olga)
        await session.flush()
        ids["olga"] = olga.id
        ids["alsviku"] = alsviku.id
        ids["annas"] = annas.id
    return ids


async def started_with_a_crash(app: App, ids: dict[str, int]) -> int:
    """An important council message started as the scheduler starts it, whose row to Uldis
    was on the wire when the bot died: the next start finds it unknown."""
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        broadcast = await create_broadcast(
            session,
            roles=None,
            created_by_id=ids["chair"],
            audience=Audience(),
            texts={"lv": TEXT},
            due_at=now,
            now=now,
            important=True,
            report_to=("telegram", str(CHAIR)),
        )
        broadcast.status = Status.SENDING.value
        broadcast.started_at = now
        await session.flush()
        await create_deliveries(session, broadcast, channels={"telegram", "whatsapp", "sms"})
        await session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast.id, Delivery.chat_id == str(ULDIS))
            .values(
                status=DeliveryStatus.SENDING.value,
                claimed_by="a process that died",
                claimed_at=now - timedelta(hours=1),
            )
        )
        return broadcast.id


async def until(check: Any, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def statuses(app: App, broadcast_id: int) -> dict[str, str]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(Delivery.chat_id, Delivery.status).where(Delivery.broadcast_id == broadcast_id)
        )
        return dict(rows.all())


async def read_receipt(app: App, phone: str) -> bool:
    async with app.sessionmaker() as session:
        read = await session.scalar(
            select(MessageStatus.read_at)
            .join(Delivery, Delivery.provider_message_id == MessageStatus.message_id)
            .where(Delivery.chat_id == phone)
        )
        return read is not None


async def call_list_notices(app: App) -> int:
    async with app.sessionmaker() as session:
        notices = await session.scalars(
            select(Broadcast).where(Broadcast.kind == Kind.NOTICE.value)
        )
        return sum(1 for notice in notices if (notice.action_payload or "").startswith("unr:"))


async def test_the_call_list_reaches_the_representative_and_the_report(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, fake_twilio() as fake:
        settings = settings_for(database_url, api, fake, admins=f"tg:{CHAIR}")
        async with (
            polling_bot(api, settings) as telegram,
            twilio_bot(fake, settings, app=telegram.app),
        ):
            app = telegram.app
            ids = await people(app)
            api.fail_next(BRIGITA, FailureKind.BLOCKED)
            api.fail_next(ANITA, FailureKind.BLOCKED)
            fake.fail_next(FRICIS, 400)
            for phone in (NORA, RASMA):
                fake.last_inbound[phone] = time.time()
            fake.readers.add(RASMA)
            broadcast_id = await started_with_a_crash(app, ids)
            async with app.sessionmaker() as session:
                started = (await session.get(Broadcast, broadcast_id)).started_at
            async with dispatching(app):
                await until_status(telegram, broadcast_id, Status.DONE.value)

                async def settled() -> bool:
                    rows = await statuses(app, broadcast_id)
                    return (
                        rows[NORA] == DeliveryStatus.DELIVERED.value
                        and rows[TIJA] == DeliveryStatus.NEEDS_TEMPLATE.value
                        and await read_receipt(app, RASMA)
                    )

                await until(settled)
                rows = await statuses(app, broadcast_id)
                assert rows[str(BRIGITA)] == DeliveryStatus.BLOCKED.value
                assert rows[str(ULDIS)] == DeliveryStatus.UNKNOWN.value
                assert rows[FRICIS] == DeliveryStatus.FAILED.value
                assert rows[str(ILZE)] == DeliveryStatus.DELIVERED.value

                # Before a day has passed nobody gets a list.
                context = JobContext(app.sessionmaker, settings, utcnow())
                await send_call_lists(context)
                assert await call_list_notices(app) == 0

                a_day_later = utcnow() + timedelta(days=1, minutes=1)
                await send_call_lists(JobContext(app.sessionmaker, settings, a_day_later))
                messages = await api.wait_for(
                    chat_id=REPRESENTATIVE,
                    predicate=lambda messages: any(
                        "unr:" in " ".join(payloads(m)) for m in messages if m.get("buttons")
                    ),
                )
                notice = messages[-1]
            assert notice["text"] == LV.ngettext(
                "{place}: the important message No. {id} of {date} did not reach {n} resident. "
                "Please tell them what it says, and mark how it went.",
                "{place}: the important message No. {id} of {date} did not reach {n} residents. "
                "Please tell them what it says, and mark how it went.",
                6,
                place="Alsviķu pagasts",
                id=broadcast_id,
                date=LV.datetime(started),
            )
            open_list = CallList(broadcast_id, ids["alsviku"]).pack()
            assert payloads(notice) == [open_list]

        # The bot restarts: the job runs again and sends no second list.
        async with open_app(settings) as restarted:
            await send_call_lists(
                JobContext(restarted.sessionmaker, settings, utcnow() + timedelta(days=2))
            )
            assert await call_list_notices(restarted) == 1
            async with restarted.sessionmaker() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
                assert broadcast is not None
                everyone = await unreached_rows(session, broadcast)
            # the whole municipality: Alsviķi's six and Anita of Anna
            reasons = {row.name: row.reason for row in everyone}
            assert reasons == {
                "Anita": Reason.BLOCKED,
                "Brigita": Reason.BLOCKED,
                "Fricis": Reason.FAILED,
                "Nora": Reason.NOT_READ,
                "Olga": Reason.NO_PHONE,
                "Tija": Reason.NEEDS_TEMPLATE,
                "Uldis": Reason.UNKNOWN,
            }

        async with polling_bot(api, settings) as telegram:
            [page] = await telegram.press(REPRESENTATIVE, open_list)
            text = page["text"]
            for line in (
                "Brigita – " + lv("no phone number known") + " – " + lv("blocked the bot"),
                f"Fricis – {FRICIS} – " + lv("the message could not be delivered"),
                "Olga – " + lv("by post") + ": Ezera iela 3, Alsviķi – " + lv("no phone"),
                "Nora – " + NORA + " – " + lv("delivered on WhatsApp, never read"),
                "Tija – " + TIJA + " – " + lv("WhatsApp did not let it through"),
                "Uldis – "
                + lv("no phone number known")
                + " – "
                + lv("not known whether it arrived"),
            ):
                assert line in text, line
            for reached in ("Ilze", "Rasma", "Anita", "Pēteris"):
                assert reached not in text
            names = [label.split(". ", 1)[1] for label in _labels(page)[:6]]
            assert names == ["Brigita", "Fricis", "Nora", "Olga", "Tija", "Uldis"]

            marks = {"brigita": Outcome.IN_PERSON, "olga": Outcome.BY_PHONE}
            marks["fricis"] = Outcome.UNREACHED
            for who, outcome in marks.items():
                line = CallLine(broadcast_id, ids[who], ids["alsviku"]).pack()
                [shown] = await telegram.press(REPRESENTATIVE, line)
                assert TEXT in shown["text"]
                mark = CallMark(broadcast_id, ids[who], outcome, ids["alsviku"]).pack()
                assert mark in payloads(shown)
                [after] = await telegram.press(REPRESENTATIVE, mark)
            marked_note = lv("Marked: {name} – {mark}.", name="Fricis", mark=lv("could not reach"))
            assert after["text"].startswith(marked_note)
            assert "Olga – " in after["text"] and lv("told by phone") in after["text"]
            # The same press again (a redelivered update or a double tap) changes nothing.
            await telegram.press(REPRESENTATIVE, mark)

            # A line of another parish, or another parish's list: refused and written down.
            forged = CallMark(broadcast_id, ids["anita"], Outcome.IN_PERSON, ids["alsviku"])
            [refused] = await telegram.press(REPRESENTATIVE, forged.pack())
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")
            forged = CallMark(broadcast_id, ids["anita"], Outcome.IN_PERSON, ids["annas"])
            [refused] = await telegram.press(REPRESENTATIVE, forged.pack())
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")
            [refused] = await telegram.press(
                REPRESENTATIVE, CallList(broadcast_id, ids["annas"]).pack()
            )
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")
            # A resident is refused the list of their own parish.
            [refused] = await telegram.press(ILZE, open_list)
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")

            # The sender's report counts what the representative did.
            [report] = await telegram.press(CHAIR, BroadcastReport(broadcast_id).pack())
            assert f"Broadcast #{broadcast_id} finished." in report["text"]
            assert (
                "Not reached: 7. Told in person: 1; by phone: 1; could not reach: 1; "
                "not yet marked: 4." in report["text"]
            )
            # and a resident cannot open it
            [refused] = await telegram.press(ILZE, BroadcastReport(broadcast_id).pack())
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")

            async with telegram.app.sessionmaker() as session:
                refusals = await audit_entries(session, action="refused")
                marked = await audit_entries(session, action="call_list_marked")
            attempted = [entry.details["attempted"] for entry in refusals]
            assert attempted.count("call_mark") == 2 and "call_list" in attempted
            assert len(marked) == 4

    listed = run_padome(
        ["broadcast", "unreached", str(broadcast_id), "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
        COLUMNS="200",
    )
    assert listed.returncode == 0, listed.stderr
    for part in ("Brigita", "told in person", "Olga", "Ezera iela 3", "told by phone", FRICIS):
        assert part in listed.stdout
    assert "Anita" not in listed.stdout
    report = run_padome(
        ["broadcast", "report", str(broadcast_id)],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert "Told in person: 1; by phone: 1; could not reach: 1" in report.stdout


def _labels(message: dict[str, Any]) -> list[str]:
    return [button["text"] for row in message["buttons"] for button in row]
