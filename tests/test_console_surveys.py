"""The console's survey pages end to end: the real bot on the fake Bot API gives the sign-in
link and carries the invitation and the resident's answers, the real web app serves the
console over HTTP, and a real headless Chromium builds, opens and reads the survey.

Staff read in English here; residents in Latvian. Screenshots of the main pages go to
$CONSOLE_SCREENSHOTS when set, else to `<pytest's temporary directory>/console-screenshots`.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import func, select

from bot.i18n import Translator
from models.audit import audit_entries
from models.base import utcnow
from models.personal_data import personal_data
from models.residents import find_identity
from models.roles import Role
from models.survey_drafts import DRAFTS_MAX, SurveyDraft, TooManyDrafts, keep_draft
from models.survey_file import SurveyFileError, parse_survey_file
from models.surveys import Response, Status, Survey
from padome.app import App
from padome.console.survey_draft import (
    Draft,
    Problems,
    apply_action,
    draft_content,
    draft_from_spec,
    file_data,
    survey_yaml,
)
from tests.browser import accessibility_problems, axe_violations, chromium, keyboard_reaches
from tests.chat import Chat
from tests.test_staff_console import (
    ANNA,
    BERTA,
    COORDINATOR,
    Running,
    console_bot,
    join,
    open_console,
    set_role,
    sign_in_link,
)

RIGA = ZoneInfo("Europe/Riga")
CHAIR = 1003


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("CONSOLE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "console-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def check_page(page: Page, running: Running, name: str) -> None:
    """No problem the simple accessibility check finds; a screenshot for reviewers."""
    assert await accessibility_problems(page) == [], name
    await page.screenshot(path=str(running.screenshots / f"surveys-{name}.png"), full_page=True)


def riga(days: int) -> str:
    return (utcnow() + timedelta(days=days)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")


async def console(running: Running, browser: Browser) -> Page:
    """The coordinator's console; charts and files take a while on a busy machine."""
    page = await open_console(browser, await sign_in_link(running))
    page.context.set_default_timeout(20000)
    return page


async def people(running: Running) -> None:
    bot = running.bot
    await join(bot, COORDINATOR, unit="alsviku", language="en", name="Coordinator")
    await set_role(bot, COORDINATOR, Role.COORDINATOR)
    await join(bot, ANNA, unit="alsviku", language="lv", name="Anna")
    await join(bot, BERTA, unit="annas", language="lv", name="Berta")


async def press(page: Page, name: str) -> None:
    await page.get_by_role("button", name=name, exact=True).click()
    await page.wait_for_load_state()


def button(message: dict, label: str) -> str:
    for row in message["buttons"] or []:
        for item in row:
            if item["text"] == label:
                return str(item["callback_data"])
    raise AssertionError(f"no button {label!r} in {message['buttons']}")


async def test_build_open_answer_and_count_a_survey(database_url: str, screenshots: Path) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await people(running)
        page = await console(running, browser)
        assert await keyboard_reaches(page, "a[href='/console/surveys']")
        await page.get_by_role("link", name="Surveys", exact=True).click()
        assert await page.locator("h1").inner_text() == "Surveys"
        await check_page(page, running, "list-empty")
        await page.get_by_role("link", name="New survey").click()
        assert await page.locator("h1").inner_text() == "New survey"

        # Two kinds of question, the second asked only after "Nē" to the first.
        await page.get_by_label("Kind of answer of the new question").select_option("yesno")
        await press(page, "Add a question")
        await page.get_by_label("Kind of answer of the new question").select_option("text")
        await press(page, "Add a question")
        await page.locator("#title_lv").fill("Ielu apgaismojums")
        await page.locator("#title_en").fill("Street lighting")
        await page.get_by_label("Closes").fill(riga(7))
        await page.locator("#q1_text_lv").fill("Vai Jūsu ielā vakaros ir pietiekami gaišs?")
        await page.locator("#q2_text_lv").fill("Kurā vietā trūkst gaismas?")
        await page.locator("#q2_show_if").select_option(
            label='only when question 1 is answered "No"'
        )
        # A third question, several options with a maximum the options do not allow.
        await page.get_by_label("Kind of answer of the new question").select_option("multiple")
        await press(page, "Add a question")
        assert await page.locator("#q1_text_lv").input_value() == (
            "Vai Jūsu ielā vakaros ir pietiekami gaišs?"
        )
        await page.locator("#q3_text_lv").fill("Kas jāuzlabo?")
        await page.locator("#q3_o1_lv").fill("Lampas")
        await page.locator("#q3_o2_lv").fill("Stabi")
        await page.get_by_label("At most this many options may be chosen").fill("5")
        await press(page, "Save the survey")

        # The message is the survey file check's own, next to the field.
        shown = await page.locator("#q3-max-error").inner_text()
        assert shown == "'max' is 5 but there are only 2 options"
        with pytest.raises(SurveyFileError) as raised:
            parse_survey_file(
                "title: A\ncloses: 01.12.2030 18:00\nquestions:\n"
                "  - {type: multiple, text: Q, options: [a, b], max: 5}\n",
                name="survey.yaml",
                timezone=RIGA,
            )
        assert raised.value.problems == [f"survey.yaml, line 4 (question 1): {shown}"]
        assert await page.locator("#q3_max").get_attribute("aria-describedby") == "q3-max-error"
        await check_page(page, running, "builder-problem")
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Survey)) == 0

        # An option added and removed again, then the question removed.
        await press(page, "Add an option")
        assert await page.locator("#q3_o3_lv").count() == 1
        await page.get_by_role("button", name="Remove option 3 of question 3").click()
        await page.wait_for_load_state()
        assert await page.locator("#q3_o3_lv").count() == 0
        await press(page, "Remove question 3")
        assert await page.locator("#q3_text_lv").count() == 0
        assert await page.locator("#q2_show_if").input_value() == "1:2"

        # The preview: the Telegram message with its buttons, numbered for WhatsApp and SMS.
        await page.get_by_label("Preview in").select_option("lv")
        await press(page, "Check and preview")
        assert await page.locator("#no-problems").count() == 1
        bubbles = page.locator("#preview section:first-child .bubble")
        first_question = await bubbles.nth(1).inner_text()
        assert "Jautājums 1 no 2" in first_question
        assert "Vai Jūsu ielā vakaros ir pietiekami gaišs?" in first_question
        assert await bubbles.nth(1).locator(".buttons li").all_inner_texts() == [
            "Jā",
            "Nē",
            "Turpināt vēlāk",
        ]
        whatsapp = await page.locator("#preview section:nth-child(2) .bubble").nth(1).inner_text()
        assert whatsapp.endswith("1) Jā\n2) Nē\n3) Turpināt vēlāk")
        assert "Jautājums 2 no 2" in await bubbles.nth(2).inner_text()
        await check_page(page, running, "builder-preview")
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await check_page(page, running, "builder-phone")
        await page.set_viewport_size({"width": 1280, "height": 800})

        await press(page, "Save the survey")
        assert "The survey is saved" in await page.inner_text("main")
        assert await page.locator("#survey-status").inner_text() == "scheduled"
        survey_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
        await press(page, "Open now")
        assert await page.locator("#survey-status").inner_text() == "open"
        await check_page(page, running, "survey")

        # Anna is invited over the messenger and answers.
        bot = running.bot

        def invited(messages: list[dict]) -> bool:
            return any("Ielu apgaismojums" in (message["text"] or "") for message in messages)

        await bot.api.wait_for(invited, chat_id=ANNA)
        [invitation] = [
            message
            for message in bot.api.messages_to(ANNA)
            if "Ielu apgaismojums" in (message["text"] or "")
        ]
        intro, question = await bot.press(
            ANNA, button(invitation, "Atbildēt uz aptauju"), replies=2
        )
        assert "Ielu apgaismojums" in intro["text"]
        [second] = await bot.press(ANNA, button(question, "Nē"))
        assert "Kurā vietā trūkst gaismas?" in second["text"]
        [review] = await bot.send(ANNA, "Pie skolas")
        [thanks] = await bot.press(ANNA, button(review, "Nosūtīt atbildes"))
        assert "Paldies" in thanks["text"]

        await page.get_by_role("link", name="Results").click()
        assert await page.locator("#responses").inner_text() == "1"
        assert await page.locator("#paper").inner_text() == "0"
        assert "Pie skolas" in await page.locator("#results-text").inner_text()
        address = f"{running.base_url}/console/surveys/{survey_id}"
        chart = await page.request.get(f"{address}/chart-1.png")
        assert chart.status == 200 and (await chart.body()).startswith(b"\x89PNG")
        await check_page(page, running, "results")

        # Two paper sheets: one good, one with an answer that is no option.
        await page.get_by_label("Sheet 1: parish or town").select_option(label="Alsviķi parish")
        await page.get_by_label("Sheet 1: answer to question 1").fill("1")
        await page.get_by_label("Sheet 2: parish or town").select_option(label="Anna parish")
        await page.get_by_label("Sheet 2: answer to question 1").fill("7")
        await press(page, "Save the paper questionnaires")
        assert await page.locator("#paper-saved").inner_text() == (
            "1 paper questionnaire is saved and counted."
        )
        assert "Question 1: 7 is not an answer here" in await page.inner_text("#paper-sheets")
        assert await page.get_by_label("Sheet 1: answer to question 1").input_value() == "7"
        assert await page.locator("#responses").inner_text() == "2"
        assert await page.locator("#paper").inner_text() == "1"
        await check_page(page, running, "results-paper")
        async with running.bot.app.sessionmaker() as session:
            origins = list(
                await session.scalars(
                    select(Response.origin).where(Response.survey_id == survey_id)
                )
            )
        assert sorted(origins) == ["chat", "paper"]

        # The exports, as the chat sends them.
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="Spreadsheet (XLSX)").click()
        assert (await downloading.value).suggested_filename.endswith(".xlsx")
        csv = await page.request.get(f"{address}/export.csv")
        assert csv.status == 200
        assert "gaišs?,No,Alsviķi parish,1," in (await csv.body()).decode("utf-8-sig")

        # Closed from the console: answers are refused from then on.
        await page.get_by_role("link", name="Back to the survey").click()
        await page.get_by_label(re.compile("Yes, close it")).check()
        await press(page, "Close the survey now")
        assert await page.locator("#survey-status").inner_text() == "closed"
        async with running.bot.app.sessionmaker() as session:
            survey = await session.get(Survey, survey_id)
            assert survey is not None and survey.status == Status.CLOSED.value
            actions = [entry.action for entry in await audit_entries(session)]
        for action in (
            "survey_created",
            "survey_opened",
            "survey_paper_entered",
            "survey_exported",
            "survey_closed_early",
        ):
            assert action in actions, action


SURVEY_FILE = """\
title:
  lv: Parka soliņi
  ru: Скамейки в парке
description: Kur vajag soliņus?
audience:
  units: [alsviku]
opens: {opens}
closes: {closes}
anonymous: false
results: live
reminder_hours_before_close: 12
questions:
  - key: need
    type: single
    text: {{lv: "Vai parkā vajag vairāk soliņu?", en: "Does the park need more benches?"}}
    options:
      - {{lv: "Jā, vairāk", en: "Yes, more"}}
      - {{lv: Pietiek, en: Enough}}
  - type: multiple
    text: Kur?
    max: 2
    options: [Pie dīķa, Pie strūklakas, Pie ieejas]
    show_if: {{question: need, answer: 1}}
  - type: scale
    text: Cik bieži ejat uz parku?
    scale: 10
    low: Nekad
    high: Katru dienu
  - type: text
    text: Vēl kas?
    required: false
    max_length: 200
"""


async def test_a_survey_file_exported_and_brought_in_again(
    database_url: str, screenshots: Path, tmp_path: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await people(running)
        page = await console(running, browser)
        await page.goto(f"{running.base_url}/console/surveys/new")

        # A file with a mistake is refused with the file check's message and line.
        wrong = tmp_path / "wrong.yaml"
        wrong.write_text("title: X\ncloses: 31.02.2030 18:00\nquestions: []\n", encoding="utf-8")
        await page.get_by_label("Survey file", exact=True).set_input_files(str(wrong))
        await press(page, "Bring it in")
        problems = await page.locator("#upload-errors").inner_text()
        assert (
            "wrong.yaml, line 3: 'questions' is missing or empty: list at least one question"
            in problems
        )

        original = tmp_path / "benches.yaml"
        original.write_text(SURVEY_FILE.format(opens=riga(1), closes=riga(8)), encoding="utf-8")
        await page.get_by_label("Survey file", exact=True).set_input_files(str(original))
        await press(page, "Bring it in")
        assert await page.locator("#upload-errors").count() == 0, await page.inner_text("main")
        assert await page.locator("#title_lv").input_value() == "Parka soliņi"
        assert await page.locator("#q2_show_if").input_value() == "1:1"
        assert await page.locator("#unit-alsviku").is_checked()
        await check_page(page, running, "builder-imported")
        await press(page, "Save the survey")
        first = int(page.url.rsplit("/", 1)[1].split("?")[0])

        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="Download as a survey file (YAML)").click()
        exported = tmp_path / "exported.yaml"
        await (await downloading.value).save_as(exported)
        exported_spec = parse_survey_file(
            exported.read_text(encoding="utf-8"), name="exported.yaml", timezone=RIGA
        )
        original_spec = parse_survey_file(
            original.read_text(encoding="utf-8"), name="benches.yaml", timezone=RIGA
        )
        assert file_data(draft_from_spec(exported_spec)) == file_data(
            draft_from_spec(original_spec)
        )

        await page.goto(f"{running.base_url}/console/surveys/new")
        await page.get_by_label("Survey file", exact=True).set_input_files(str(exported))
        await press(page, "Bring it in")
        await press(page, "Save the survey")
        second = int(page.url.rsplit("/", 1)[1].split("?")[0])
        assert second != first

        async with running.bot.app.sessionmaker() as session:
            one, two = await session.get(Survey, first), await session.get(Survey, second)
            assert one is not None and two is not None

            def shape(survey: Survey) -> list[tuple]:
                positions = {
                    option.id: (question.position, option.position)
                    for question in survey.questions
                    for option in question.options
                }
                return [
                    (
                        question.kind,
                        question.texts,
                        question.required,
                        question.max_choices,
                        question.scale_max,
                        question.max_length,
                        question.low_texts,
                        question.high_texts,
                        [option.texts for option in question.options],
                        positions.get(question.show_if_option_id or 0),
                    )
                    for question in survey.questions
                ]

            assert shape(one) == shape(two)
            for name in ("title", "description", "unit_ids", "anonymous", "visibility"):
                assert getattr(one, name) == getattr(two, name), name
            assert (one.remind_hours, one.opens_at, one.closes_at) == (
                two.remind_hours,
                two.opens_at,
                two.closes_at,
            )

        await page.goto(f"{running.base_url}/console/surveys")
        rows = page.locator("#survey-list tbody tr")
        assert await rows.count() == 2
        assert "Parka soliņi" in await rows.first.inner_text()
        assert "Alsviķi parish" in await rows.first.inner_text()
        await check_page(page, running, "list")


async def test_the_builder_refuses_whom_it_should(database_url: str, screenshots: Path) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await people(running)
        page = await console(running, browser)
        await page.goto(f"{running.base_url}/console/surveys/new")
        # The builder in Latvian, with a scale question.
        await page.get_by_label("Language").select_option("lv")
        await press(page, "Change")
        assert await page.locator("h1").inner_text() == "Jauna aptauja"
        await page.get_by_label("Jaunā jautājuma atbildes veids").select_option("scale")
        await page.get_by_role("button", name="Pievienot jautājumu", exact=True).click()
        await page.wait_for_load_state()
        assert await page.locator("#q1_scale").input_value() == "5"
        await check_page(page, running, "builder-lv")
        await page.get_by_label("Valoda", exact=True).select_option("en")
        await page.get_by_role("button", name="Mainīt", exact=True).click()
        await page.wait_for_load_state()

        await page.get_by_label("Kind of answer of the new question").select_option("yesno")
        await press(page, "Add a question")
        await page.locator("#title_lv").fill("Bez žetona")
        await page.get_by_label("Closes").fill(riga(3))
        await page.locator("#q1_text_lv").fill("Jā vai nē?")

        # A closing time already past is named at its field, as `surveys create` names it.
        await page.get_by_label("Closes").fill("01.01.2020 10:00")
        await press(page, "Check and preview")
        assert await page.locator("#closes-error").inner_text() == (
            "the closing time has already passed"
        )
        await page.get_by_label("Closes").fill(riga(3))
        # Without its CSRF token the form changes nothing.
        await page.locator("#builder input[name=csrf]").evaluate("field => field.remove()")
        await press(page, "Save the survey")
        assert await page.locator("h1").inner_text() == "Not accepted"
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Survey)) == 0

        # The coordinator is a resident again: the builder is out of reach, and so is saving.
        await page.goto(f"{running.base_url}/console/surveys/new")
        await set_role(running.bot, COORDINATOR, Role.COORDINATOR, granted=False)
        await page.locator("#title_lv").fill("Bez tiesībām")
        await press(page, "Save the survey")
        assert await page.locator("h1").inner_text() == "Not allowed"
        response = await page.goto(f"{running.base_url}/console/surveys/new")
        assert response is not None and response.status in (401, 403)
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Survey)) == 0
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert "console_csrf" in refused and "console" in refused


async def test_a_draft_kept_between_visits_continued_and_created(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await people(running)
        await join(running.bot, CHAIR, unit="annas", language="en", name="Chair")
        await set_role(running.bot, CHAIR, Role.CHAIR)
        page = await console(running, browser)
        await page.goto(f"{running.base_url}/console/surveys/new")

        # Half a survey: a title and one question with its text, then away.
        await page.get_by_label("Kind of answer of the new question").select_option("yesno")
        await press(page, "Add a question")
        assert await page.locator("#draft-kept").count() == 1
        await page.locator("#title_lv").fill("Parka soliņi")
        await page.locator("#q1_text_lv").fill("Vai parkā vajag vairāk soliņu?")
        await press(page, "Keep as a draft and leave")
        assert await page.locator("#done").inner_text() == (
            "The draft is kept. Continue it here whenever you like."
        )
        assert "Parka soliņi" in await page.locator("#drafts").inner_text()
        for language in ("lv", "ru", "en"):
            await page.get_by_label(re.compile("Language|Valoda|Язык")).select_option(language)
            await page.locator("form[action='/console/language'] button").click()
            await page.wait_for_load_state()
            assert await page.locator("html").get_attribute("lang") == language
            await check_page(page, running, f"list-drafts-{language}")
            assert await axe_violations(page) == [], language
        await press(page, "Sign out")

        # Another day, another browser: a new link, and the draft is there.
        page = await console(running, browser)
        await page.goto(f"{running.base_url}/console/surveys")
        await page.get_by_role("link", name="Continue the draft Parka soliņi").click()
        assert await page.locator("#title_lv").input_value() == "Parka soliņi"
        assert await page.locator("#q1_text_lv").input_value() == ("Vai parkā vajag vairāk soliņu?")
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Survey)) == 0
            [kept] = await session.scalars(select(SurveyDraft))
        # Nobody else opens or deletes it, not even the chair who also runs surveys.
        chair_page = await open_console(browser, await sign_in_link(running, CHAIR))
        await chair_page.goto(f"{running.base_url}/console/surveys")
        assert await chair_page.locator("#drafts").count() == 0
        for address in (f"/console/surveys/drafts/{kept.id}", "/console/surveys/drafts/x"):
            response = await chair_page.goto(f"{running.base_url}{address}")
            assert response is not None and response.status == 403, address
        assert "Parka soliņi" not in await chair_page.inner_text("main")

        # Finished and created: a survey now, and no longer a draft.
        await page.get_by_label("Closes").fill(riga(7))
        await press(page, "Save the survey")
        assert "The survey is saved" in await page.inner_text("main")
        async with running.bot.app.sessionmaker() as session:
            [survey] = await session.scalars(select(Survey))
            assert survey.title["lv"] == "Parka soliņi"
            assert survey.questions[0].texts["lv"] == "Vai parkā vajag vairāk soliņu?"
            assert await session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
        await page.goto(f"{running.base_url}/console/surveys")
        assert await page.locator("#drafts").count() == 0

        # Another draft begun, then deleted after a confirmation.
        await page.get_by_role("link", name="New survey").click()
        await page.locator("#title_lv").fill("Atkritumi")
        await press(page, "Keep as a draft and leave")
        await page.get_by_role("button", name="Delete the draft Atkritumi").click()
        await page.wait_for_load_state()
        assert await page.locator("h1").inner_text() == "Delete the draft"
        await check_page(page, running, "draft-delete-confirm")
        await page.locator("form.confirm button").click()
        await page.wait_for_load_state()
        assert await page.locator("#done").inner_text() == "The draft is deleted."
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
            actions = [entry.action for entry in await audit_entries(session)]
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert {"survey_draft_kept", "survey_draft_deleted", "survey_created"} <= set(actions)
        assert refused.count("survey_draft") == 2


def test_the_builder_places_the_file_checks_messages_by_their_setting() -> None:
    content = (
        "title: {ru: Без латышского}\n"
        "closes: 31.02.2030 18:00\n"
        "audience: {units: [nowhere]}\n"
        "questions:\n"
        "  - {type: single, text: Q, options: [a]}\n"
        "  - {type: text, text: R, show_if: {question: 5, answer: 1}}\n"
    )
    with pytest.raises(SurveyFileError) as raised:
        parse_survey_file(content, name="survey.yaml", timezone=RIGA)
    problems = Problems()
    for problem in raised.value.found:
        problems.add(problem)
    assert problems.survey == {
        "title": ["'title' needs a Latvian text (lv)"],
        "closes": ["'closes': there is no 31.02.2030 18:00"],
    }
    assert problems.of(1, "options") == ["a single question needs 2 to 10 options"]
    assert problems.of(2, "show_if") == ["'show_if' must name an earlier question, not 5"]
    # The command line's English, with the lines, is the same text.
    assert problems.written == raised.value.problems
    assert raised.value.problems[0] == "survey.yaml, line 1: 'title' needs a Latvian text (lv)"
    # In Latvian for a coordinator who reads Latvian; the setting's name stays as written.
    latvian = Problems(Translator("lv", timezone=RIGA))
    for problem in raised.value.found:
        latvian.add(problem)
    assert latvian.written[0] == (
        "survey.yaml, 1. rinda: 'title': vajag tekstu latviešu valodā (lv)"
    )


def test_adding_and_removing_keeps_the_conditions_on_their_questions() -> None:
    draft = Draft()
    for kind in ("single", "yesno", "text", "text"):
        assert apply_action(draft, "add_question", kind)
    draft.questions[2].show_if = "2:2"  # after "No" to question 2
    draft.questions[3].show_if = "1:2"  # after option 2 of question 1
    assert apply_action(draft, "remove_question:1", "")
    assert [question.show_if for question in draft.questions] == ["", "1:2", ""]
    assert apply_action(draft, "add_option:9", "") is False  # no question 9
    assert apply_action(draft, "remove_question:x", "") is False
    yaml_text = survey_yaml(draft)
    assert "show_if:\n    question: 1\n    answer: 2" in yaml_text


async def test_a_draft_is_in_mydata_and_erased_with_its_author(chat: Chat, app: App) -> None:
    await chat.onboard("anna")
    async with app.sessionmaker() as session, session.begin():
        anna = await find_identity(session, "console", "anna")
        assert anna is not None

        async def keep(draft_id: int | None = None, *, author: int = anna.resident_id) -> Any:
            return await keep_draft(
                session,
                author_id=author,
                draft_id=draft_id,
                title="Parka soliņi",
                content=draft_content(Draft()),
                now=utcnow(),
            )

        kept = await keep()
        assert kept is not None
        data = await personal_data(session, anna.resident)
        assert [item["title"] for item in data["survey_drafts"]] == ["Parka soliņi"]
        # Someone else's draft is not kept over.
        assert await keep(kept.id, author=anna.resident_id + 1) is None
        # A draft deleted in another window: the next press keeps the form as a new one.
        again = await keep(kept.id + 1000)
        assert again is not None and again.id != kept.id
        # At most DRAFTS_MAX drafts; one more is not kept, and the page says so.
        for _ in range(DRAFTS_MAX - 2):
            await keep()
        with pytest.raises(TooManyDrafts):
            await keep()
    await chat.say("anna", "/forget")
    await chat.say("anna", payload="forget:yes")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
