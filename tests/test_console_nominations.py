"""Nominations in the staff console, end to end: a coordinator signed in with the bot's link
opens a round, follows a parish's candidates, types in a paper supporter, verifies one
candidate and rejects another with a reason; the candidates are told over the fake Bot API.

Staff read in English here; residents read Latvian.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.i18n import Translator
from models.audit import audit_entries
from models.base import utcnow
from models.nominations import list_nominations, list_rounds, nominate, supporters_of
from models.nominations.rounds import create_round
from models.nominations.tables import NominationStatus, RoundStatus
from models.residents import find_identity
from models.roles import Role
from models.territory import unit_by_slug
from tests.browser import chromium
from tests.test_staff_console import (
    ANNA,
    BERTA,
    check_page,
    console_bot,
    council,
    join,
    open_console,
    screenshots,
    set_role,
    sign_in_link,
)

__all__ = ["screenshots"]  # the fixture, shared with the other console tests

CHAIR = 930


async def test_rounds_candidates_paper_support_verify_and_reject(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await council(running)  # an open round for every parish; Anna a candidate
        bot = running.bot
        async with bot.app.sessionmaker() as session, session.begin():
            [round_] = await list_rounds(session)
            assert round_.status == RoundStatus.OPEN.value
            berta = await find_identity(session, "telegram", str(BERTA))
            assert berta is not None
            await nominate(
                session,
                round_=round_,
                unit_id=berta.resident.unit_id,
                nominated_by=berta.resident,
                candidate=berta.resident,
                name="Berta Ozola",
                phone=None,
                reason=None,
                now=utcnow(),
            )
        lv = Translator("lv", timezone=bot.app.settings.tz)
        page = await open_console(browser, await sign_in_link(running))
        await page.get_by_role("link", name="Nominations", exact=True).click()
        assert await page.locator("h1").inner_text() == "Nominations of representatives"
        assert (await page.locator(f"#rounds tr[data-round='{round_.id}']").inner_text()).split(
            "\t"
        )[:2] == [f"#{round_.id}", "open"]
        assert await page.locator("#units tr[data-unit='alsviku'] td").inner_text() == "1"
        await check_page(page, running, "nominations")

        # A round for every parish overlaps the open one: told, and what was entered stays.
        await page.get_by_label("In 14 days").check()
        await page.get_by_role("button", name="Open the round").click()
        await page.wait_for_load_state()
        assert f"It overlaps round #{round_.id}" in await page.inner_text("main")
        # A typed date that does not exist is told the chat's way.
        await page.get_by_label("The parishes chosen below").check()
        await page.get_by_label("Ziemeri parish").check()
        await page.locator("input[name=start][value=at]").check()
        await page.get_by_label(re.compile("^Start, like")).fill("30.02.2027 09:00")
        await page.get_by_role("button", name="Open the round").click()
        await page.wait_for_load_state()
        assert "There is no such date or time: 30.02.2027 09:00." in await page.inner_text("main")
        assert await page.get_by_label("Ziemeri parish").is_checked()
        await page.get_by_label(re.compile("^Start, like")).fill("01.03.2027 09:00")
        await page.locator("input[name=end][value=at]").check()
        await page.get_by_label(re.compile("^End, like")).fill("15.03.2027 18:00")
        await page.get_by_label("Supporters needed").fill("12")
        await page.get_by_role("button", name="Open the round").click()
        await page.wait_for_load_state()
        saved = await page.locator("#saved").inner_text()
        assert "is ready: nominating from 01.03.2027 09:00 to 15.03.2027 18:00" in saved
        async with bot.app.sessionmaker() as session:
            rounds = await list_rounds(session)
            new = next(item for item in rounds if item.id != round_.id)
            assert new.supporters_needed == 12 and new.status == RoundStatus.SCHEDULED.value
        await check_page(page, running, "nominations-round-opened")

        # Alsviķi parish: Anna collects support.
        await page.get_by_role("link", name="Alsviķi parish").click()
        row = page.locator("#candidates tbody tr")
        assert (await row.inner_text()).split("\t")[1:] == [
            "Anna Bērziņa",
            "collecting support",
            "0 of 10 supporters",
        ]
        await check_page(page, running, "nominations-unit")
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="Table (CSV)").click()
        download = await downloading.value
        assert download.suggested_filename == "nominations-alsviku.csv"
        saved_to = screenshots / "nominations-alsviku.csv"
        await download.save_as(saved_to)
        assert "Anna Bērziņa" in saved_to.read_bytes().decode("utf-8-sig")
        for address in ("units/0", "units/²", "99999", "units/1/passwords.txt"):
            missing = await page.request.get(f"{running.base_url}/console/nominations/{address}")
            assert missing.status == 404, address

        await row.get_by_role("link").click()
        number = int(page.url.rsplit("/", 1)[1])
        # Embedding the fonts takes a few seconds on a busy machine.
        form = await page.request.get(
            f"{running.base_url}/console/nominations/{number}/form.pdf", timeout=60000
        )
        assert form.headers["content-type"] == "application/pdf"
        assert (await form.body()).startswith(b"%PDF")

        # A paper supporter, typed in.
        await page.get_by_label(re.compile("Name and surname of a supporter")).fill("Jānis Kalniņš")
        await page.get_by_role("button", name="Add the supporter").click()
        await page.wait_for_load_state()
        assert (
            await page.locator("#done").inner_text()
            == "Recorded: Jānis Kalniņš. Anna Bērziņa has 1 of 10 supporters."
        )
        assert await page.locator("#supporters").inner_text() == "Jānis Kalniņš (paper)"

        # A form posted without its CSRF token changes nothing.
        await page.locator("form.inline-form input[name=csrf]").evaluate("f => f.remove()")
        await page.get_by_role("button", name="Mark verified").click()
        await page.wait_for_load_state()
        assert await page.locator("h1").inner_text() == "Not accepted"

        # Verified: Anna is told on Telegram.
        before = len(running.api.messages_to(ANNA))
        await page.goto(f"{running.base_url}/console/nominations/{number}")
        await page.get_by_role("button", name="Mark verified").click()
        await page.wait_for_load_state()
        assert await page.locator("#status").inner_text() == "verified"
        assert await page.locator("#done").inner_text() == "Marked verified; the candidate is told."
        await check_page(page, running, "nomination-verified")
        [told] = (await running.api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        async with bot.app.sessionmaker() as session:
            alsviku = await unit_by_slug(session, "alsviku")
        assert alsviku is not None
        assert told["text"] == lv._(
            "Your nomination as a candidate for {unit} has been checked and verified by "
            "the coordinator.",
            unit=lv.place(alsviku),
        )

        # Berta's nomination is rejected with a reason, after a confirmation.
        async with bot.app.sessionmaker() as session:
            [bertas] = await list_nominations(session, candidate_id=berta.resident_id)
        await page.goto(f"{running.base_url}/console/nominations/{bertas.id}")
        reason = "Deklarētā dzīvesvieta nav Annas pagastā."
        await page.get_by_label(re.compile("Why is the nomination of Berta Ozola rejected")).fill(
            reason
        )
        await page.get_by_role("button", name="Reject").click()
        await page.wait_for_load_state()
        assert "This cannot be undone." in await page.inner_text("main")
        assert await page.locator("#status").inner_text() == "collecting support"
        await check_page(page, running, "nomination-reject-confirm")
        before = len(running.api.messages_to(BERTA))
        await page.get_by_role("button", name="Yes, reject").click()
        await page.wait_for_load_state()
        assert await page.locator("#status").inner_text() == "rejected"
        assert await page.locator("#decision-reason").inner_text() == reason
        assert await page.locator("#done").inner_text() == "Rejected; the candidate is told why."
        [told] = (await running.api.wait_for(chat_id=BERTA, count=before + 1))[before:]
        assert reason in told["text"]
        await check_page(page, running, "nomination-rejected")

        async with bot.app.sessionmaker() as session:
            assert [s.name for s in await supporters_of(session, number)] == ["Jānis Kalniņš"]
            actions = [entry.action for entry in await audit_entries(session)]
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        for action in (
            "nomination_round_created",
            "paper_support_recorded",
            "nomination_verified",
            "nomination_rejected",
            "nominations_exported",
            "nomination_form_printed",
        ):
            assert action in actions, action
        assert refused == ["console_csrf"]


async def test_consent_given_on_paper_and_a_round_ended_early(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await council(running)
        bot = running.bot
        await join(bot, CHAIR, unit="alsviku", language="en", name="Chair")
        await set_role(bot, CHAIR, Role.CHAIR)
        async with bot.app.sessionmaker() as session, session.begin():
            [round_] = await list_rounds(session)
            anna = await find_identity(session, "telegram", str(ANNA))
            berta = await find_identity(session, "telegram", str(BERTA))
            assert anna is not None and berta is not None
            nomination = await nominate(
                session,
                round_=round_,
                unit_id=berta.resident.unit_id,
                nominated_by=anna.resident,
                candidate=berta.resident,
                name="Berta Ozola",
                phone=None,
                reason="Zina, kā strādā pašvaldība.",
                now=utcnow(),
            )
            assert nomination.status == NominationStatus.AWAITING_CONSENT.value
        lv = Translator("lv", timezone=bot.app.settings.tz)

        # The chair uses the console but does not coordinate nominations: refused.
        chair = await open_console(browser, await sign_in_link(running, CHAIR))
        language_form = chair.locator("form[action='/console/language'] input[name=csrf]")
        token = await language_form.input_value()
        for address in (f"{nomination.id}/consent", f"rounds/{round_.id}/end"):
            response = await chair.request.post(
                f"{running.base_url}/console/nominations/{address}",
                form={"csrf": token, "sure": "1"},
            )
            assert response.status == 403, address

        # Berta agreed on paper: the coordinator records it after a confirmation; she hears
        # how to collect support.
        page = await open_console(browser, await sign_in_link(running))
        await page.goto(f"{running.base_url}/console/nominations/{nomination.id}")
        assert await page.locator("#status").inner_text() == "waiting for the candidate's consent"
        await check_page(page, running, "nomination-awaiting-consent")
        await page.get_by_role("button", name="Record consent given offline").click()
        await page.wait_for_load_state()
        assert await page.locator("#question").inner_text() == (
            "Record that Berta Ozola agreed to be a candidate? They then collect support, and "
            "this cannot be undone."
        )
        await check_page(page, running, "nomination-consent-confirm")
        before = len(running.api.messages_to(BERTA))
        await page.get_by_role("button", name="Yes, record the consent").click()
        await page.wait_for_load_state()
        assert await page.locator("#status").inner_text() == "collecting support"
        assert (await page.locator("#done").inner_text()).startswith(
            "Consent recorded. Give the candidate their support code and link:"
        )
        [told] = (await running.api.wait_for(chat_id=BERTA, count=before + 1))[before:]
        assert told["text"].startswith(lv._("Your consent has been recorded."))
        # Sent once more (a second tab): already answered, nothing changes.
        own_token = await page.locator("#reject input[name=csrf]").input_value()
        response = await page.request.post(
            f"{running.base_url}/console/nominations/{nomination.id}/consent",
            form={"csrf": own_token, "sure": "1"},
        )
        assert response.status == 409

        # The open round ended early, after a confirmation; a scheduled one is cancelled.
        async with bot.app.sessionmaker() as session, session.begin():
            later = await create_round(
                session,
                unit_ids=None,
                starts_at=utcnow() + timedelta(days=60),
                ends_at=utcnow() + timedelta(days=70),
                now=utcnow(),
            )
        await page.goto(f"{running.base_url}/console/nominations")
        await page.get_by_role("button", name=f"End round #{round_.id}").click()
        await page.wait_for_load_state()
        assert await page.locator("#question").inner_text() == (
            f"End round #{round_.id} now? Nominating and supporting stop at once, and each "
            "candidate is told their count."
        )
        await check_page(page, running, "nomination-round-end-confirm")
        await page.get_by_role("button", name="Yes, end it").click()
        await page.wait_for_load_state()
        assert await page.locator("#saved").inner_text() == (
            f"Round #{round_.id} has ended. The candidates are told their counts in a moment."
        )
        assert await page.get_by_role("button", name=f"End round #{round_.id}").count() == 0
        await page.get_by_role("button", name=f"End round #{later.id}").click()
        await page.get_by_role("button", name="Yes, cancel it").click()
        await page.wait_for_load_state()
        assert await page.locator("#saved").inner_text() == f"Round #{later.id} is cancelled."
        async with bot.app.sessionmaker() as session:
            [ended] = await list_rounds(session)
            assert ended.id == round_.id and ended.ends_at <= utcnow()
            actions = [entry.action for entry in await audit_entries(session)]
            refused = [
                entry.details.get("step")
                for entry in await audit_entries(session, action="refused")
            ]
        for action in (
            "nomination_consent",
            "nomination_round_ended",
            "nomination_round_cancelled",
        ):
            assert action in actions, action
        assert sorted(refused) == ["consent", "end"]
