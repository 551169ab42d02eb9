"""Meetings in the staff console, end to end: the coordinator who called a council session
moves it (the invited hear the old and the new time), another coordinator may not; after a
session they tick who came and write the summary (the invited hear it, the idea on its agenda
gets it as its answer); a community meeting takes a head count.

Staff read in English here; residents read Latvian.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from handlers.meetings.schedule import invite
from models.audit import audit_entries
from models.base import utcnow
from models.ideas import Idea, answers_to
from models.meetings import (
    Meeting,
    MeetingKind,
    MeetingPlan,
    MeetingStatus,
    create_meeting,
    put_on_agenda,
)
from models.residents import find_identity
from models.roles import Role
from models.territory import unit_by_slug
from tests.browser import chromium
from tests.test_staff_console import (
    ANNA,
    COORDINATOR,
    Running,
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

OTHER_COORDINATOR = 920


async def _meetings(running: Running, idea_id: int) -> tuple[int, int, int]:
    """A session in three days (invited: Anna, a council member), a session that began two
    hours ago with Anna's idea on its agenda, and a community meeting of Alsviķi parish that
    began an hour ago; all called by the coordinator."""
    bot = running.bot
    now = utcnow()
    async with bot.app.sessionmaker() as session, session.begin():
        coordinator = await find_identity(session, "telegram", str(COORDINATOR))
        alsviku = await unit_by_slug(session, "alsviku")
        assert coordinator is not None and alsviku is not None
        made = []
        for kind, title, unit, days, place in (
            (MeetingKind.SESSION, "Budžets", None, 3, "Dārza iela 11"),
            (MeetingKind.SESSION, "Ceļi", None, 1, "Dārza iela 11"),
            (MeetingKind.COMMUNITY, "Skolas iela", alsviku, 1, "Tautas nams"),
        ):
            meeting = await create_meeting(
                session,
                plan=MeetingPlan(
                    kind=kind,
                    title=title,
                    unit=unit,
                    locality=None,
                    starts_at=now + timedelta(days=days),
                    place=place,
                    agenda=("Budžets 2027",),
                ),
                organiser=coordinator.resident,
                video_base_url="https://meet.example.lv",
                now=now,
            )
            await invite(session, meeting, settings=bot.app.settings, now=now)
            made.append(meeting)
        budget, roads, street = made
        put_on_agenda(roads, idea_id=idea_id, item=f"#{idea_id} Ceļš uz skolu")
        # They have begun: moved into the past here, as time would.
        roads.starts_at = now - timedelta(hours=2)
        street.starts_at = now - timedelta(hours=1)
        return budget.id, roads.id, street.id


async def test_move_a_meeting_then_record_who_came_and_the_summary(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)
        bot = running.bot
        await set_role(bot, ANNA, Role.COUNCIL_MEMBER)
        before = len(running.api.messages_to(ANNA))
        organiser_before = len(running.api.messages_to(COORDINATOR))
        budget, roads, street = await _meetings(running, idea_id)
        # The invitations to the two sessions and to the community meeting; the organiser
        # hears that each goes out, and is invited to the community meeting of his parish.
        await running.api.wait_for(chat_id=ANNA, count=before + 3)
        await running.api.wait_for(chat_id=COORDINATOR, count=organiser_before + 4)

        page = await open_console(browser, await sign_in_link(running))
        await page.goto(f"{running.base_url}/console/meetings/{budget}")
        await check_page(page, running, "meeting-organiser")
        field = page.get_by_label(re.compile('When does "Budžets" begin now'))
        # A date that does not exist is told the chat's way, and what was typed stays.
        await field.fill("30.02.2027 18:00")
        await page.get_by_role("button", name="Move the meeting").click()
        await page.wait_for_load_state()
        assert "There is no such date or time: 30.02.2027 18:00." in await page.inner_text(
            "#move-error"
        )
        assert await field.input_value() == "30.02.2027 18:00"
        await check_page(page, running, "meeting-move-problem")
        new_start = (utcnow() + timedelta(days=5)).astimezone(bot.app.settings.tz)
        typed = new_start.strftime("%d.%m.%Y 18:00")
        before = len(running.api.messages_to(ANNA))
        await field.fill(typed)
        await page.get_by_role("button", name="Move the meeting").click()
        await page.wait_for_load_state()
        assert (
            await page.locator("#done").inner_text()
            == f"The meeting now begins on {typed}; 1 invited person is told."
        )
        [told] = (await running.api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        assert "Budžets" in told["text"] and typed in told["text"]

        # Another coordinator did not call it: no forms, and a forged form is refused.
        await join(bot, OTHER_COORDINATOR, unit="annas", language="en", name="Other")
        await set_role(bot, OTHER_COORDINATOR, Role.COORDINATOR)
        other = await open_console(browser, await sign_in_link(running, OTHER_COORDINATOR))
        await other.goto(f"{running.base_url}/console/meetings/{budget}")
        assert await other.get_by_role("button", name="Move the meeting").count() == 0
        token = await other.locator(
            "form[action='/console/language'] input[name=csrf]"
        ).input_value()
        for action, fields in (("move", {"at": "01.01.2027 18:00"}), ("cancel", {"sure": "1"})):
            response = await other.request.post(
                f"{running.base_url}/console/meetings/{budget}/{action}",
                form={"csrf": token, **fields},
            )
            assert response.status == 403, action
        response = await other.request.post(
            f"{running.base_url}/console/meetings/{roads}/summary",
            form={"csrf": token, "summary": "Nekas.", "present": "1"},
        )
        assert response.status == 403

        # After the session: who came (Anna) and the summary; she hears it, and her idea on
        # the agenda gets it as its answer.
        await page.goto(f"{running.base_url}/console/meetings/{roads}")
        assert await page.get_by_role("button", name="Move the meeting").count() == 0
        await page.get_by_label("Anna", exact=True).check()
        summary = "Ceļu uz skolu salabos līdz maijam."
        await page.get_by_label(re.compile("Write a short summary")).fill(summary)
        await check_page(page, running, "meeting-summary-form")
        before = len(running.api.messages_to(ANNA))
        await page.get_by_role("button", name="Save and send the summary").click()
        await page.wait_for_load_state()
        assert (
            await page.locator("#done").inner_text()
            == "The summary is sent to the invited and shown under News."
        )
        assert await page.locator("#meeting-summary").inner_text() == summary
        assert await page.locator("#meeting-attendance").inner_text() == "1 person took part."
        assert await page.get_by_role("button", name="Save and send the summary").count() == 0
        await check_page(page, running, "meeting-summary-recorded")
        heard = (await running.api.wait_for(chat_id=ANNA, count=before + 2))[before:]
        assert any(summary in message["text"] for message in heard)
        async with bot.app.sessionmaker() as session:
            closed = await session.get(Meeting, roads)
            idea = await session.get(Idea, idea_id)
            assert closed is not None and idea is not None
            assert closed.status == MeetingStatus.CLOSED.value
            assert closed.attendance_count == 1
            assert [answer.text for answer in await answers_to(session, idea_id)] == [summary]
        # A community meeting takes a head count; a count that is no number is told.
        await page.goto(f"{running.base_url}/console/meetings/{street}")
        own_token = await page.locator("form[action$='/summary'] input[name=csrf]").input_value()
        response = await page.request.post(
            f"{running.base_url}/console/meetings/{street}/summary",
            form={"csrf": own_token, "summary": "Par ielu.", "count": "²"},
        )
        assert response.status == 400
        assert "Please write the number of people, like 25." in await response.text()
        await page.get_by_label("How many people came? Write the number.").fill("23")
        await page.get_by_label(re.compile("Write a short summary")).fill("Skolas ielu apgaismos.")
        await page.get_by_role("button", name="Save and send the summary").click()
        await page.wait_for_load_state()
        assert await page.locator("#meeting-attendance").inner_text() == "23 people took part."
        # Sent again (a reload, a second tab): recorded once.
        response = await page.request.post(
            f"{running.base_url}/console/meetings/{street}/summary",
            form={"csrf": own_token, "summary": "Vēlreiz.", "count": "5"},
        )
        assert response.status == 409
        async with bot.app.sessionmaker() as session:
            again = await session.get(Meeting, street)
            assert again is not None and again.summary == "Skolas ielu apgaismos."
            actions = [entry.action for entry in await audit_entries(session)]
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert actions.count("meeting_closed") == 2
        assert "meeting_moved" in actions
        assert sorted(refused) == ["meeting_after", "meeting_cancel", "meeting_move"]
