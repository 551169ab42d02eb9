"""An idea or concern forwarded to the representative of another parish, in the staff
console (real Chromium) and in chat (the real bot on the fake Bot API): the unit, then its
representative; checked on the server; the representative answers it; the resident is told
where it went."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from handlers.ideas.common import ForwardElsewhere, ForwardIdea, OpenIdea
from handlers.ideas.inbox import AnswerIdea
from models.audit import audit_entries
from models.ideas import Idea
from models.residents import find_identity
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from tests.browser import chromium
from tests.fakes.telegram_api import payloads
from tests.telegram import RunningBot
from tests.test_console_surveys import button
from tests.test_staff_console import (
    ANNA,
    BERTA,
    COORDINATOR,
    check_page,
    console_bot,
    council,
    join,
    open_console,
    resident_id,
    screenshots,
    sign_in_link,
)

__all__ = ["screenshots"]  # the fixture, shared with the other console tests

LV = Translator("lv", timezone=ZoneInfo("Europe/Riga"))
REP_ALSVIKU = 1004


async def representative(bot: RunningBot, user: int, slug: str) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(user))
        unit = await unit_by_slug(session, slug)
        assert identity is not None and unit is not None
        await grant_role(session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit)


async def test_an_idea_forwarded_to_another_parish_s_representative_who_answers_it(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)  # Anna's, of Alsviķu pagasts
        bot = running.bot
        await representative(bot, BERTA, "annas")
        berta = await resident_id(running, BERTA)
        anna = await resident_id(running, ANNA)
        async with bot.app.sessionmaker() as session:
            annas = await unit_by_slug(session, "annas")
            alsviku = await unit_by_slug(session, "alsviku")
            assert annas is not None and alsviku is not None

        # The console: the unit first, then its representative.
        page = await open_console(browser, await sign_in_link(running))
        await page.goto(f"{running.base_url}/console/ideas/{idea_id}")
        units = await page.locator("#forward-unit option").all_inner_texts()
        assert "Anna parish" in units and "Alsviķi parish" not in units
        await page.get_by_label("Or, when it concerns another parish or town").select_option(
            str(annas.id)
        )
        await page.get_by_role("button", name="Choose the representative").click()
        await page.wait_for_load_state()
        assert await page.locator("#forward-representative option").all_inner_texts() == ["Berta"]
        for language in ("lv", "ru", "en"):
            await page.get_by_label(re.compile("Language|Valoda|Язык")).select_option(language)
            await page.locator("form[action='/console/language'] button").click()
            await page.goto(f"{running.base_url}/console/ideas/{idea_id}?forward_unit={annas.id}")
            assert await page.locator("html").get_attribute("lang") == language
            assert await page.locator("#forward-representative").count() == 1
            await check_page(page, running, f"idea-forward-representative-{language}")

        # A forged form: to someone who is not that parish's representative, or to the
        # item's own parish: refused, nothing changes.
        for to, unit in ((anna, annas.id), (berta, alsviku.id), (berta, 99999)):
            await page.locator("#forward-representative-form input[name=unit]").evaluate(
                f"field => field.value = '{unit}'"
            )
            await page.locator("#forward-representative").evaluate(
                f"field => field.options[0].value = '{to}'"
            )
            await page.get_by_role("button", name="Forward to the representative").click()
            await page.wait_for_load_state()
            assert await page.locator("h1").inner_text() == "Not allowed"
            await page.go_back()
            await page.reload()
        async with bot.app.sessionmaker() as session:
            item = await session.get(Idea, idea_id)
            assert item is not None and item.forwarded_to_id is None

        to_berta = len(running.api.messages_to(BERTA))
        to_anna = len(running.api.messages_to(ANNA))
        await page.get_by_role("button", name="Forward to the representative").click()
        await page.wait_for_load_state()
        assert await page.locator("#done").inner_text() == f"#{idea_id} is forwarded."
        assert await page.locator("#forwarded-to").inner_text() == "Berta"

        # The representative of Annas pagasts hears of it and answers from chat.
        [notice] = (await running.api.wait_for(chat_id=BERTA, count=to_berta + 1))[to_berta:]
        assert f"Nr. {idea_id}" in notice["text"] and "Annas pagasta pārstāvim" in notice["text"]
        assert OpenIdea(idea_id).pack() in payloads(notice)
        [told] = (await running.api.wait_for(chat_id=ANNA, count=to_anna + 1))[to_anna:]
        assert told["text"] == LV._(
            "Your idea or concern No. {id} ({area}) concerns {to}, so it is forwarded to the "
            "representative of {to}. Their answer comes here.",
            id=idea_id,
            to=LV.place(annas),
            area="Ceļi un transports",
        )
        [shown] = await bot.press(BERTA, OpenIdea(idea_id).pack())
        assert "Ceļš uz skolu ir pilns ar bedrēm." in shown["text"]
        await bot.press(BERTA, AnswerIdea(idea_id).pack())
        await bot.send(BERTA, "Šis ceļš ir Annas pagasta ceļš; salabosim nedēļas laikā.")
        answered = await running.api.wait_for(
            chat_id=ANNA,
            predicate=lambda messages: any(
                "salabosim" in (message["text"] or "") for message in messages
            ),
        )
        assert answered

        # In chat, the coordinator forwards another way round: the unit, then the person.
        await join(bot, REP_ALSVIKU, unit="alsviku", language="en", name="Rep Alsviķi")
        await representative(bot, REP_ALSVIKU, "alsviku")
        [item_screen] = await bot.press(COORDINATOR, OpenIdea(idea_id).pack())
        ask = button(item_screen, "Forward to another parish's or town's representative")
        assert ask == ForwardElsewhere(idea_id).pack()
        [which] = await bot.press(COORDINATOR, ask)
        assert which["text"] == f"Which parish or town does #{idea_id} concern?"
        assert button(which, "Anna parish") == ForwardElsewhere(idea_id, annas.id).pack()
        # Only units with a representative, not the item's own.
        assert "Alsviķi parish" not in [b["text"] for row in which["buttons"] for b in row]
        [whom] = await bot.press(COORDINATOR, ForwardElsewhere(idea_id, annas.id).pack())
        assert button(whom, "Forward to Berta") == ForwardIdea(idea_id, berta, annas.id).pack()
        [done] = await bot.press(COORDINATOR, ForwardIdea(idea_id, berta, annas.id).pack())
        assert done["text"] == f"#{idea_id} is forwarded to Berta."
        # Anna is told again; that notice comes before her crafted presses below.
        await running.api.wait_for(
            chat_id=ANNA,
            predicate=lambda messages: (
                sum(message["text"] == told["text"] for message in messages) == 2
            ),
        )

        # Crafted buttons: a resident who may not read the item, a unit that is the item's
        # own, someone who is not the unit's representative: refused.
        rep_alsviku = await resident_id(running, REP_ALSVIKU)
        for user, crafted in (
            (ANNA, ForwardElsewhere(idea_id).pack()),
            (COORDINATOR, ForwardElsewhere(idea_id, alsviku.id).pack()),
            (COORDINATOR, ForwardIdea(idea_id, rep_alsviku, annas.id).pack()),
            (COORDINATOR, ForwardIdea(idea_id, anna, annas.id).pack()),
        ):
            [refusal] = await bot.press(user, crafted)
            assert "not allowed" in refusal["text"].lower() or "nav atļauts" in refusal["text"]

        async with bot.app.sessionmaker() as session:
            forwarded = [
                entry.details for entry in await audit_entries(session, action="idea_forwarded")
            ]
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert {"idea": idea_id, "to": berta, "unit": annas.id} in forwarded
        assert refused.count("idea_forward") == 6 and refused.count("idea_fwd") == 1
