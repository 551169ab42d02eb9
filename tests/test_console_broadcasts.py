"""Messages to residents in the staff console, end to end: the real bot on the fake Bot API
gives the sign-in link, a real headless Chromium composes, previews, sends and cancels, and
the residents get (or do not get) the message over the fake Bot API.

Staff read in English here; residents read Latvian. Screenshots go where the other console
tests put theirs (`<pytest's temporary directory>/console-screenshots`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page
from sqlalchemy import func, select, update

from bot.i18n import Translator
from broadcasts.compose import TIME_FORMAT, Audience, create_broadcast
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Status, create_deliveries
from models.residents import find_identity, register_resident
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from tests.browser import chromium
from tests.test_broadcasts import until_status
from tests.test_staff_console import (
    ANNA,
    BERTA,
    COORDINATOR,
    Running,
    check_page,
    console_bot,
    join,
    open_console,
    screenshots,
    set_role,
    sign_in_link,
)

__all__ = ["screenshots"]  # the fixture, shared with the other console tests

REPRESENTATIVE = 1003  # Alsviķu pagasts
# 69 letters with Latvian ones: with its heading the message is two UCS-2 segments by SMS.
TEXT = "Svētdien no 9:00 līdz 12:00 nebūs ūdens. Lūdzu, sagatavojiet to iepriekš."
NOW_TEXT = "Šodien bibliotēka strādā līdz 19:00."
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def residents(running: Running) -> None:
    """A coordinator, Anna and Berta on Telegram, and a resident reached by SMS."""
    bot = running.bot
    await join(bot, COORDINATOR, unit="alsviku", language="en", name="Coordinator")
    await set_role(bot, COORDINATOR, Role.COORDINATOR)
    await join(bot, ANNA, unit="alsviku", language="lv", name="Anna")
    await join(bot, BERTA, unit="annas", language="lv", name="Berta")
    async with bot.app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        assert alsviku is not None
        by_sms = await register_resident(
            session, channel="sms", external_id="+37120000001", language="lv", display_name="Ilze"
        )
        by_sms.unit_id = alsviku.id


async def compose(
    page: Page, running: Running, *, text: str, at: str | None, file: bytes | None = None
) -> None:
    await page.goto(f"{running.base_url}/console/broadcasts/new")
    await page.get_by_label("The message in Latvian").fill(text)
    if file is not None:
        await page.get_by_label(re.compile("One photo")).set_input_files(
            files=[{"name": "grafiks.pdf", "mimeType": "application/pdf", "buffer": file}]
        )
    if at is None:
        await page.get_by_label("Send now").check()
    else:
        await page.get_by_label("At the date and time below").check()
        await page.get_by_label(re.compile("Date and time, like")).fill(at)
    await page.get_by_role("button", name="Show the preview").click()
    await page.wait_for_load_state()


async def test_compose_preview_send_and_cancel(database_url: str, screenshots: Path) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await residents(running)
        page = await open_console(browser, await sign_in_link(running))
        await page.get_by_role("link", name="Messages to residents").click()
        assert await page.locator("h1").inner_text() == "Messages to residents"
        await page.get_by_role("link", name="Write a new message").click()
        await check_page(page, running, "broadcast-compose")

        # A mistyped time is told the chat's way, and what was written stays.
        await compose(page, running, text=TEXT, at="31.02.2027 10:00")
        assert "There is no such date or time: 31.02.2027 10:00." in await page.inner_text("main")
        assert await page.get_by_label("The message in Latvian").input_value() == TEXT

        later = (utcnow() + timedelta(days=2)).astimezone(running.bot.app.settings.tz)
        at = later.replace(hour=10, minute=0).strftime(TIME_FORMAT)
        await compose(page, running, text=TEXT, at=at)
        assert await page.locator("h1").inner_text() == "This is how residents will see it"
        facts = await page.locator("#facts").inner_text()
        assert "It goes to 4 residents." in facts
        # The chat's own figures: one resident by SMS, two segments, 0.07 EUR each.
        assert "By SMS to 1 resident, SMS segments each: 2, about 0.14 EUR." in facts
        assert f"It goes on {at}." in facts
        assert await page.locator("#sms-lv .sms-count").inner_text() == "2 SMS segments"
        telegram = await page.locator("#telegram-lv").inner_text()
        lv = Translator("lv", timezone=running.bot.app.settings.tz)
        assert lv._("Message from the residents' council") in telegram and TEXT in telegram
        assert TEXT in await page.locator("#whatsapp-lv").inner_text()
        await check_page(page, running, "broadcast-preview")
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await check_page(page, running, "broadcast-preview-phone")
        await page.set_viewport_size({"width": 1280, "height": 800})

        await page.get_by_role("button", name="Send").click()
        await page.wait_for_load_state()
        assert re.fullmatch(r".*/console/broadcasts/\d+\?created=1", page.url)
        number = int(page.url.rsplit("/", 1)[1].split("?")[0])
        assert await page.locator("#status").inner_text() == "scheduled"
        await check_page(page, running, "broadcast-scheduled")

        await page.get_by_role("link", name="Cancel this message…").click()
        assert await page.locator("h1").inner_text() == f"Cancel message #{number}?"
        assert "4 residents have not got it yet" in await page.inner_text("main")
        await check_page(page, running, "broadcast-cancel")
        await page.get_by_role("button", name="Yes, cancel the message").click()
        await page.wait_for_load_state()
        assert await page.locator("#status").inner_text() == "cancelled"
        assert (
            f"Message #{number} is cancelled; 4 residents will not get it."
            in await page.inner_text("main")
        )
        assert await page.get_by_role("link", name="Cancel this message…").count() == 0
        await check_page(page, running, "broadcast-cancelled")

        # Its time comes, and still nobody gets it.
        before = {user: len(running.api.messages_to(user)) for user in (ANNA, BERTA)}
        async with running.bot.app.sessionmaker() as session, session.begin():
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == number)
                .values(due_at=utcnow() - timedelta(minutes=1))
            )
        await asyncio.sleep(1)
        assert {user: len(running.api.messages_to(user)) for user in (ANNA, BERTA)} == before
        async with running.bot.app.sessionmaker() as session:
            rows = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.broadcast_id == number)
            )
            assert rows == 0
            actions = [
                (entry.action, entry.details.get("broadcast"))
                for entry in await audit_entries(session)
            ]
        assert ("broadcast_created", number) in actions
        assert ("broadcast_cancelled", number) in actions

        # Sent now: the progress page follows it by itself up to the final report.
        await compose(page, running, text=NOW_TEXT, at=None, file=PDF)
        assert "It goes now." in await page.locator("#facts").inner_text()
        assert "📎 grafiks.pdf" in await page.locator("#telegram-lv").inner_text()
        # By SMS the file is a link to it.
        assert (
            f"📎 grafiks.pdf: {running.base_url}/media/"
            in await page.locator("#sms-lv").inner_text()
        )
        await page.get_by_role("button", name="Send").click()
        await page.wait_for_load_state()
        await page.locator("#report").wait_for(timeout=15000)
        report = await page.locator("#report").inner_text()
        assert "Delivered: 3" in report and "Failed: 0" in report
        assert await page.locator("#count-sent .figure").inner_text() == "3"
        assert await page.locator("#count-pending .figure").inner_text() == "0"
        await check_page(page, running, "broadcast-report")
        [message] = [m for m in running.api.messages_to(ANNA) if NOW_TEXT in (m["text"] or "")]
        assert message["text"].startswith(lv._("Message from the residents' council"))
        # The file goes to each of the three; uploaded once, then sent by Telegram's file id.
        documents = [
            message["document"]
            for user in (COORDINATOR, ANNA, BERTA)
            for message in running.api.messages_to(user)
            if message["document"]
        ]
        assert len(documents) == 3
        assert {"filename": "grafiks.pdf", "content": PDF} in [
            {"filename": item["filename"], "content": item["content"]} for item in documents
        ]

        await page.get_by_role("link", name="Back to the messages").click()
        rows_shown = await page.locator("#broadcasts tbody tr").all_inner_texts()
        assert [row.split("\t")[:2] for row in rows_shown] == [
            [f"#{number + 1}", "sent"],
            [f"#{number}", "cancelled"],
        ]
        await check_page(page, running, "broadcasts")


async def test_what_the_console_refuses_in_messages(database_url: str, screenshots: Path) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await residents(running)
        await join(running.bot, REPRESENTATIVE, unit="alsviku", language="en", name="Rita")
        async with running.bot.app.sessionmaker() as session, session.begin():
            alsviku = await unit_by_slug(session, "alsviku")
            annas = await unit_by_slug(session, "annas")
            assert alsviku is not None and annas is not None
            identity = await find_identity(session, "telegram", str(REPRESENTATIVE))
            assert identity is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
            )

        # A representative signs in and is offered their own parish only, without urgency.
        page = await open_console(browser, await sign_in_link(running, REPRESENTATIVE))
        await page.goto(f"{running.base_url}/console/broadcasts/new")
        options = await page.locator("#audience option").all_inner_texts()
        assert options and all("Alsviķi" in option for option in options)
        assert await page.get_by_label(re.compile("Urgent")).count() == 0
        await check_page(page, running, "broadcast-compose-representative")

        # A form forged to reach another parish is refused by the server and written down.
        await page.get_by_label("The message in Latvian").fill(TEXT)
        await page.locator("#audience option").first.evaluate(
            f"option => option.value = 'unit:{annas.id}'"
        )
        await page.get_by_role("button", name="Show the preview").click()
        await page.wait_for_load_state()
        assert await page.locator("h1").inner_text() == "Not allowed"
        # Straight to "Send", as a script would: refused too, and nothing stored.
        await page.goto(f"{running.base_url}/console/broadcasts/new")
        token = await page.locator("form.compose input[name=csrf]").input_value()
        response = await page.request.post(
            f"{running.base_url}/console/broadcasts/send",
            multipart={
                "csrf": token,
                "text_lv": TEXT,
                "audience": f"unit:{annas.id}",
                "when": "now",
            },
        )
        assert response.status == 403
        response = await page.request.post(
            f"{running.base_url}/console/broadcasts/send",
            multipart={
                "csrf": token,
                "text_lv": TEXT,
                "audience": f"unit:{alsviku.id}",
                "urgent": "1",
                "when": "now",
            },
        )
        assert response.status == 403

        # Their own parish goes, as an announcement of Alsviķi parish.
        await page.goto(f"{running.base_url}/console/broadcasts/new")
        await page.get_by_label("The message in Latvian").fill(TEXT)
        await page.get_by_role("button", name="Show the preview").click()
        await page.wait_for_load_state()
        assert "It goes to 4 residents." in await page.locator("#facts").inner_text()

        # A form sent without its CSRF token changes nothing.
        await page.locator("form.confirm input[name=csrf]").evaluate("field => field.remove()")
        await page.get_by_role("button", name="Send").click()
        await page.wait_for_load_state()
        assert await page.locator("h1").inner_text() == "Not accepted"
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert refused.count("broadcast_audience") == 2
        assert refused.count("broadcast_urgent") == 1
        assert "console_csrf" in refused

        # The coordinator's message is not the representative's to follow or cancel.
        coordinator = await open_console(browser, await sign_in_link(running))
        await compose(coordinator, running, text=NOW_TEXT, at=None)
        await coordinator.get_by_role("button", name="Send").click()
        await coordinator.wait_for_load_state()
        number = int(coordinator.url.rsplit("/", 1)[1].split("?")[0])
        response = await page.goto(f"{running.base_url}/console/broadcasts/{number}")
        assert response is not None and response.status == 404
        await page.goto(f"{running.base_url}/console/broadcasts")
        assert await page.locator("#broadcasts").count() == 0
        # Nominations are for coordinators: no link, and the pages refuse.
        assert await page.get_by_role("link", name="Nominations").count() == 0
        for address in ("/console/nominations", f"/console/nominations/units/{alsviku.id}"):
            response = await page.goto(f"{running.base_url}{address}")
            assert response is not None and response.status == 403, address

        # The language switched on a preview opens the form again, in Latvian.
        await compose(page, running, text=TEXT, at=None)
        await page.get_by_label("Language").select_option("lv")
        await page.locator("form[action='/console/language'] button").click()
        await page.wait_for_load_state()
        assert page.url.endswith("/console/broadcasts/new")
        lv = Translator("lv", timezone=running.bot.app.settings.tz)
        assert await page.locator("h1").inner_text() == lv._("A new message to residents")
        await check_page(page, running, "broadcast-compose-lv")
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await check_page(page, running, "broadcast-compose-lv-phone")


async def test_sending_again_to_the_residents_a_crash_left_unknown(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        bot = running.bot
        coordinator = await join(
            bot, COORDINATOR, unit="alsviku", language="en", name="Coordinator"
        )
        await set_role(bot, COORDINATOR, Role.COORDINATOR)
        await join(bot, ANNA, unit="alsviku", language="lv", name="Anna")
        await join(bot, BERTA, unit="annas", language="lv", name="Berta")
        await join(bot, REPRESENTATIVE, unit="alsviku", language="en", name="Rita")
        async with bot.app.sessionmaker() as session, session.begin():
            alsviku = await unit_by_slug(session, "alsviku")
            identity = await find_identity(session, "telegram", str(REPRESENTATIVE))
            assert alsviku is not None and identity is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
            )
        # The coordinator's message as a crash leaves it: going out, Anna's and Berta's rows
        # were on their way when the process died (marked "unknown" when it came back), the
        # others not sent yet.
        now = utcnow()
        async with bot.app.sessionmaker() as session, session.begin():
            broadcast = await create_broadcast(
                session,
                roles=None,
                created_by_id=coordinator,
                audience=Audience(),
                texts={"lv": NOW_TEXT},
                due_at=now,
                now=now,
                report_to=("telegram", str(COORDINATOR)),
            )
            broadcast.status = Status.SENDING.value
            broadcast.started_at = now
            await create_deliveries(session, broadcast, channels={"telegram"})
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.broadcast_id == broadcast.id,
                    Delivery.chat_id.in_([str(ANNA), str(BERTA)]),
                )
                .values(
                    status=DeliveryStatus.UNKNOWN.value,
                    attempts=1,
                    error="interrupted",
                    finished_at=now,
                )
            )
            number = broadcast.id
        await until_status(bot, number, Status.DONE.value)

        def got() -> dict[int, int]:
            return {
                user: sum(NOW_TEXT in (m["text"] or "") for m in running.api.messages_to(user))
                for user in (COORDINATOR, ANNA, BERTA, REPRESENTATIVE)
            }

        assert got() == {COORDINATOR: 1, ANNA: 0, BERTA: 0, REPRESENTATIVE: 1}

        page = await open_console(browser, await sign_in_link(running))
        await page.goto(f"{running.base_url}/console/broadcasts/{number}")
        assert "Unknown (interrupted while on its way, maybe not received): 2" in (
            await page.locator("#report").inner_text()
        )
        choice = page.get_by_role(
            "link", name="Send again to these 2 residents (they may already have it)…"
        )
        assert await choice.count() == 1
        await check_page(page, running, "broadcast-unknown")

        # A representative may not follow the coordinator's message, so may not send it
        # again either, not even with a form made by hand.
        other = await open_console(browser, await sign_in_link(running, REPRESENTATIVE))
        response = await other.goto(f"{running.base_url}/console/broadcasts/{number}/resend")
        assert response is not None and response.status == 404
        await other.goto(f"{running.base_url}/console/broadcasts")
        token = await other.locator("form.inline input[name=csrf]").first.input_value()
        response = await other.request.post(
            f"{running.base_url}/console/broadcasts/{number}/resend",
            form={"csrf": token, "sure": "1"},
        )
        assert response.status == 404

        # The coordinator is asked first, then it goes to the two, once.
        await choice.click()
        assert await page.locator("h1").inner_text() == f"Send message #{number} again?"
        question = await page.locator("#question").inner_text()
        assert "on its way to 2 residents" in question and "They may already have it" in question
        await check_page(page, running, "broadcast-resend-confirm")
        await page.get_by_role("button", name="Yes, send it again").click()
        await page.wait_for_load_state()
        assert page.url.endswith(f"/console/broadcasts/{number}?resent=2")
        assert f"Message #{number} goes again to 2 residents." in await page.inner_text("main")
        await until_status(bot, number, Status.DONE.value)
        await _until_got(got, {COORDINATOR: 1, ANNA: 1, BERTA: 1, REPRESENTATIVE: 1})

        # Sent a second time (an old tab): nobody is left, nothing goes.
        token = await page.locator("form.inline input[name=csrf]").first.input_value()
        response = await page.request.post(
            f"{running.base_url}/console/broadcasts/{number}/resend",
            form={"csrf": token, "sure": "1"},
        )
        assert response.status == 409
        await page.goto(f"{running.base_url}/console/broadcasts/{number}")
        assert await page.locator("#unknown").count() == 0
        assert "Delivered: 4" in await page.locator("#report").inner_text()
        await asyncio.sleep(0.5)
        assert got() == {COORDINATOR: 1, ANNA: 1, BERTA: 1, REPRESENTATIVE: 1}
        async with bot.app.sessionmaker() as session:
            resent = await audit_entries(session, action="broadcast_resent_unknown")
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert [entry.details for entry in resent] == [
            {"broadcast": number, "rows": 2, "via": "console"}
        ]
        assert refused.count("broadcast_resend") == 2


async def _until_got(
    got: Callable[[], dict[int, int]], expected: dict[int, int], seconds: float = 10
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while got() != expected:
        assert asyncio.get_running_loop().time() < deadline, got()
        await asyncio.sleep(0.05)
