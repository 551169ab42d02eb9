"""The console's coverage page end to end: the real bot gives the sign-in links, the real web
app serves the console, a real headless Chromium reads the figures as `padome houses
coverage` and the chat's "Coverage" give them, and axe-core checks the page in three languages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from models.audit import audit_entries
from models.coverage import Scope, coverage_of, coverage_places, sees_coverage
from models.houses import House, coverage, import_houses
from models.residents import find_identity
from models.roles import Role, Roles, grant_role, list_grants_of
from models.territory import add_locality, unit_by_slug
from padome.app import App
from tests.browser import chromium, keyboard_reaches
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

MADE_UP = Path(__file__).parent / "data" / "made-up-address-register-alsviku.csv"


async def houses_and_people(running: Running) -> tuple[int, int, int]:
    """Alsviķu pagasts with its made-up houses, Anna living in the block Parka iela 1, Berta
    the deputy of the village Alsviķi; the ids of the parish, the village and the block."""
    bot = running.bot
    await join(bot, COORDINATOR, unit="alsviku", language="en", name="Coordinator")
    await set_role(bot, COORDINATOR, Role.COORDINATOR)
    await join(bot, ANNA, unit="alsviku", language="lv", name="Anna Bērziņa")
    await join(bot, BERTA, unit="annas", language="en", name="Berta")
    async with bot.app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        village = await add_locality(session, unit=unit, name="Alsviķi")
        await import_houses(session, unit=unit, content=MADE_UP.read_bytes())
        block = await session.scalar(select(House).where(House.address_code == "900000001"))
        anna = await find_identity(session, "telegram", str(ANNA))
        berta = await find_identity(session, "telegram", str(BERTA))
        assert block is not None and anna is not None and berta is not None
        anna.resident.house_id = block.id
        await grant_role(session, resident=berta.resident, role=Role.DEPUTY, locality=village)
        return unit.id, village.id, block.id


def row(table: str, place: str) -> str:
    return f"#{table} tr[data-place='{place}']"


async def test_coverage_per_parish_village_and_block_for_those_who_may_see_it(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        unit_id, village_id, block_id = await houses_and_people(running)

        # The coordinator: every parish with known houses, then one parish chosen.
        page = await open_console(browser, await sign_in_link(running))
        assert await keyboard_reaches(page, "a[href='/console/coverage']")
        await page.get_by_role("link", name="Coverage", exact=True).click()
        assert await page.locator("h1").inner_text() == "Coverage: houses the council reaches"
        cells = page.locator(f"{row('coverage', 'Alsviķi parish')} td")
        assert await cells.all_inner_texts() == ["5", "1 (20 %)", "1 of 36 (3 %)"]
        assert await page.locator("#not-reached").count() == 0
        await check_page(page, running, "coverage-all-en")
        await page.get_by_label("Place").select_option(f"unit-{unit_id}")
        await page.get_by_role("button", name="Show").click()
        village = page.locator(f"{row('coverage', 'Alsviķi')} td")
        assert await village.all_inner_texts() == ["3", "1 (33 %)", "1 of 36 (3 %)"]
        without = page.locator(f"{row('coverage', 'without a village or neighbourhood')} td")
        assert await without.all_inner_texts() == ["2", "0 (0 %)", "–"]
        listed = await page.locator("#not-reached li").all_inner_texts()
        assert sorted(listed) == ["Kalnmaļi", "Lejasmaļi", "Parka iela 3", "Skolas iela 2"]
        assert "Bērziņa" not in await page.inner_text("main")
        # The same figures as the chat's and the command line's.
        async with running.bot.app.sessionmaker() as session:
            unit = await unit_by_slug(session, "alsviku")
            assert unit is not None
            [total, *_] = await coverage(session, units=[unit])
        assert (total.houses, total.reached, total.flats_reached) == (5, 1, 1)
        for language in ("en", "lv", "ru"):
            if language != "en":
                await page.get_by_label(re.compile("Language|Valoda|Язык")).select_option(language)
                await page.locator("form[action='/console/language'] button").click()
                await page.goto(f"{running.base_url}/console/coverage?place=unit-{unit_id}")
            assert await page.locator("html").get_attribute("lang") == language
            await check_page(page, running, f"coverage-unit-{language}")

        # The village deputy: their village only, its houses not reached; another parish
        # asked for by a made-up address is refused and written down.
        deputy = await open_console(browser, await sign_in_link(running, BERTA))
        await deputy.get_by_role("link", name="Coverage", exact=True).click()
        assert await deputy.locator("#filter-place").count() == 0
        assert await deputy.locator("#coverage tbody tr").count() == 1
        assert await deputy.locator(f"{row('coverage', 'Alsviķi')} td").all_inner_texts() == [
            "3",
            "1 (33 %)",
            "1 of 36 (3 %)",
        ]
        assert sorted(await deputy.locator("#not-reached li").all_inner_texts()) == [
            "Parka iela 3",
            "Skolas iela 2",
        ]
        for forged in (f"unit-{unit_id}", "elder", "unit-x", "loc-99999"):
            response = await deputy.goto(f"{running.base_url}/console/coverage?place={forged}")
            assert response is not None and response.status == 403, forged
            assert "Kalnmaļi" not in await deputy.inner_text("main")

        # Made the house elder of the block as well: the block is one more place to choose.
        async with running.bot.app.sessionmaker() as session, session.begin():
            berta = await find_identity(session, "telegram", str(BERTA))
            block = await session.get(House, block_id)
            assert berta is not None and block is not None
            await grant_role(session, resident=berta.resident, role=Role.HOUSE_ELDER, house=block)
        await deputy.goto(f"{running.base_url}/console/coverage")
        assert await deputy.locator("#filter-place option").all_inner_texts() == [
            "All",
            "Alsviķi parish, Alsviķi",
            "The houses I am house elder of",
        ]
        await deputy.get_by_label("Place").select_option("elder")
        await deputy.get_by_role("button", name="Show").click()
        assert await deputy.locator(f"{row('coverage', 'Your houses')} td").all_inner_texts() == [
            "1",
            "1 (100 %)",
            "1 of 24 (4 %)",
        ]
        assert await deputy.locator("#all-reached").count() == 1
        await check_page(deputy, running, "coverage-elder-en")
        await deputy.goto(f"{running.base_url}/console/coverage?place=loc-{village_id}")
        assert await deputy.locator("#not-reached li").count() == 2

        async with running.bot.app.sessionmaker() as session:
            refused = [
                entry.details
                for entry in await audit_entries(session)
                if entry.action == "refused" and entry.details.get("attempted") == "coverage"
            ]
        assert len(refused) == 4


ELDER = 1004  # lives in Alsviķu pagasts, house elder of the block Parka iela 1


async def test_a_house_elder_signs_in_and_sees_only_the_coverage_of_their_block(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        unit_id, _, block_id = await houses_and_people(running)
        await join(running.bot, ELDER, unit="alsviku", language="en", name="Elza")
        async with running.bot.app.sessionmaker() as session, session.begin():
            elder = await find_identity(session, "telegram", str(ELDER))
            block = await session.get(House, block_id)
            assert elder is not None and block is not None
            await grant_role(session, resident=elder.resident, role=Role.HOUSE_ELDER, house=block)
            elder_id = elder.resident_id

        # The link from /console in chat opens the coverage of their block, and the menu
        # offers nothing else.
        page = await open_console(browser, await sign_in_link(running, ELDER))
        assert page.url == f"{running.base_url}/console/coverage"
        assert await page.locator("header nav a").all_inner_texts() == ["Coverage"]
        assert await page.locator("header button").all_inner_texts() == ["Change", "Sign out"]
        assert await page.locator("h1").inner_text() == "Coverage: houses the council reaches"
        assert await page.locator("#filter-place").count() == 0
        assert await page.locator("#coverage tbody tr").count() == 1
        assert await page.locator(f"{row('coverage', 'Your houses')} td").all_inner_texts() == [
            "1",
            "1 (100 %)",
            "1 of 24 (4 %)",
        ]
        assert await page.locator("#all-reached").count() == 1
        assert "Kalnmaļi" not in await page.inner_text("main")
        assert await keyboard_reaches(page, "a[href='/console/coverage']")
        await check_page(page, running, "coverage-house-elder-en")

        # Every other page is refused, with the way back to the coverage.
        pages = ("/console", "/console/ideas", "/console/people", "/console/meetings")
        for address in (*pages, "/console/broadcasts", "/console/audit", "/console/surveys"):
            response = await page.goto(f"{running.base_url}{address}")
            assert response is not None and response.status == 403, address
            assert await page.locator("h1").inner_text() == "Not allowed"
            assert await page.locator("header nav a").all_inner_texts() == ["Coverage"]
        await check_page(page, running, "coverage-house-elder-refused")
        await page.get_by_role("link", name="Back to coverage").click()
        assert page.url == f"{running.base_url}/console/coverage"
        # Another place asked for by a made-up address is refused as well.
        response = await page.goto(f"{running.base_url}/console/coverage?place=unit-{unit_id}")
        assert response is not None and response.status == 403
        assert "Kalnmaļi" not in await page.inner_text("main")
        # A form of another page, sent with the session's own token, changes nothing: not
        # even the role of coordinator given to oneself.
        await page.goto(f"{running.base_url}/console/coverage")
        token = await page.locator("form.inline input[name=csrf]").first.input_value()
        response = await page.request.post(
            f"{running.base_url}/console/people/{elder_id}/grant",
            form={"csrf": token, "role": "coordinator", "sure": "1"},
        )
        assert response.status == 403

        # The language switch works for them too; the page in Latvian and Russian.
        for language in ("lv", "ru"):
            await page.get_by_label(re.compile("Language|Valoda|Язык")).select_option(language)
            await page.locator("form[action='/console/language'] button").click()
            await page.wait_for_load_state()
            assert page.url == f"{running.base_url}/console/coverage"
            assert await page.locator("html").get_attribute("lang") == language
            assert await page.locator("header nav a").count() == 1
            await check_page(page, running, f"coverage-house-elder-{language}")

        async with running.bot.app.sessionmaker() as session:
            refused = [
                (entry.details.get("attempted"), entry.details.get("path"))
                for entry in await audit_entries(session, action="refused")
                if entry.actor_id == elder_id
            ]
            grants = await list_grants_of(session, elder_id)
        assert [path for attempted, path in refused if attempted == "console_page"] == [
            *pages,
            "/console/broadcasts",
            "/console/audit",
            "/console/surveys",
            f"/console/people/{elder_id}/grant",
        ]
        assert ("coverage", "/console/coverage") in refused
        assert [grant.role for grant in grants] == [Role.HOUSE_ELDER.value]

        # Signing out works as for everyone.
        await page.locator("form[action='/console/signout'] button").click()
        await page.wait_for_load_state()
        response = await page.goto(f"{running.base_url}/console/coverage")
        assert response is not None and response.status == 401


# Who sees the coverage of which place: (roles, the parish, the village, another parish,
# the elder's houses). "unit"/"other" stand for Alsviķu and Annas pagasts, "village" for
# the village Alsviķi; the grants are written with those words and filled in below.
RIGHTS = [
    ((("coordinator", None, None),), (), True, True, True, False),
    ((("admin", None, None),), (), True, True, True, False),
    ((("chair", None, None),), (), True, True, True, False),
    ((("vice_chair", None, None),), (), False, False, False, False),
    ((("representative", "unit", None),), (), True, True, False, False),
    ((("representative", "other", None),), (), False, False, True, False),
    ((("deputy", "unit", "village"),), (), False, True, False, False),
    ((), ("block",), False, False, False, True),
    ((), (), False, False, False, False),
]


@pytest.mark.parametrize(("grants", "houses", "unit", "village", "other", "elder"), RIGHTS)
async def test_who_sees_the_coverage_of_which_place(
    app: App,
    grants: tuple[tuple[str, str | None, str | None], ...],
    houses: tuple[str, ...],
    unit: bool,
    village: bool,
    other: bool,
    elder: bool,
) -> None:
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        annas = await unit_by_slug(session, "annas")
        assert alsviku is not None and annas is not None
        alsviki = await add_locality(session, unit=alsviku, name="Alsviķi")
        await import_houses(session, unit=alsviku, content=MADE_UP.read_bytes())
        block = await session.scalar(select(House).where(House.address_code == "900000001"))
        assert block is not None
        ids = {"unit": alsviku.id, "other": annas.id, "village": alsviki.id, None: None}
        roles = Roles(
            grants=tuple((Role(role), ids[of], ids[within]) for role, of, within in grants),
            elder_houses=frozenset(block.id for _ in houses),
        )
        seen = {
            name: await coverage_of(session, roles, scope=scope, place_id=place_id) is not None
            for name, scope, place_id in (
                ("unit", Scope.UNIT, alsviku.id),
                ("village", Scope.LOCALITY, alsviki.id),
                ("other", Scope.UNIT, annas.id),
                ("elder", Scope.ELDER, None),
            )
        }
        assert seen == {"unit": unit, "village": village, "other": other, "elder": elder}
        assert sees_coverage(roles) == any(seen.values())
        # The places offered are exactly those it would show.
        offered = {(place.scope, place.place_id) for place in await coverage_places(session, roles)}
        for scope, place_id in offered:
            assert await coverage_of(session, roles, scope=scope, place_id=place_id) is not None
