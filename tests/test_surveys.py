"""Surveys end to end: made from a file or in chat, opened and closed by the scheduler,
answered over the fake Telegram Bot API, counted with paper answers, shown and exported."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import func, inspect, select, update

from bot.i18n import IN_LANGUAGE, Translator
from bot.settings import Settings
from handlers.surveys.lifecycle import close_survey
from handlers.surveys.payloads import (
    FileFormat,
    PollAudience,
    PollBack,
    PollCancel,
    PollDays,
    PollScreen,
    PollStart,
    SurveyChange,
    SurveyClose,
    SurveyFile,
    SurveyOpen,
    SurveyPaper,
    SurveyResults,
    SurveySend,
)
from models.audit import audit_entries
from models.base import utcnow
from models.residents import Identity, Resident, find_identity
from models.roles import Role, grant_role
from models.survey_answers import AlreadyAnswered, record_answer, send_response, start_response
from models.survey_file import create_survey, parse_survey_file, resolve_audience
from models.survey_results import compute_results
from models.surveys import (
    Answer,
    Option,
    Participation,
    Question,
    Response,
    ResponseStatus,
    Status,
    Survey,
    end_survey_now,
    get_survey,
)
from models.territory import unit_by_slug
from padome.app import App
from tests.chat import Chat
from tests.fakes.telegram_api import FakeTelegramAPI, labels, payloads
from tests.telegram import RunningBot, fake_telegram_api, telegram_settings
from tests.test_broadcasts import CHAIR, has_text, running, texts_to
from tests.test_console import run_padome
from tests.twilio import TwilioBot

ANNA, BERTA = 1001, 1002
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "survey.yaml"
REPRESENTATIVE = 901

SURVEY = """
title: Ceļi un ietves
description: Padome vēlas zināt, kuri ceļi jāsakārto vispirms.
audience: {audience}
closes: A_YEAR_AHEAD
anonymous: {anonymous}
results: {results}
questions:
  - key: state
    type: single
    text: {{lv: "Kā vērtējat ceļus?", en: "How are the roads?"}}
    options:
      - {{lv: "Labi", en: "Good"}}
      - {{lv: "Slikti", en: "Bad"}}
  - type: text
    text: {{lv: "Kurš ceļš jāsakārto?", en: "Which road first?"}}
    max_length: 50
    show_if: {{question: state, answer: Slikti}}
  - type: multiple
    text: {{lv: "Kas ir svarīgākais?", en: "What matters most?"}}
    max: 2
    options: [Bedres, Ietves, Apgaismojums]
  - type: scale
    text: {{lv: "Cik droši jūtaties?", en: "How safe do you feel?"}}
    scale: 5
    low: {{lv: "Nedroši", en: "unsafe"}}
    high: {{lv: "Droši", en: "safe"}}
  - type: yesno
    text: {{lv: "Vai nāksiet talkā?", en: "Will you join the clean-up?"}}
    required: false
"""
# Surveys are planned at most two years ahead.
SURVEY = SURVEY.replace("A_YEAR_AHEAD", (utcnow() + timedelta(days=365)).strftime("%d.%m.%Y 18:00"))


def survey_yaml(
    *, audience: str = "all", anonymous: bool = True, results: str = "after_close"
) -> str:
    return SURVEY.format(
        audience=audience, anonymous="true" if anonymous else "false", results=results
    )


async def make_survey(bot: RunningBot | TwilioBot, text: str, **changes: Any) -> int:
    """Store a survey from YAML as the CLI does, due to open at once."""
    spec = parse_survey_file(text, name="survey.yaml", timezone=bot.settings.tz)
    async with bot.app.sessionmaker() as session, session.begin():
        audience = await resolve_audience(session, spec, name="survey.yaml")
        survey = await create_survey(session, spec=spec, audience=audience, now=utcnow())
        for key, value in changes.items():
            setattr(survey, key, value)
        return survey.id


async def until_survey(bot: RunningBot, survey_id: int, status: str) -> Survey:
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with bot.app.sessionmaker() as session:
            survey = await get_survey(session, survey_id)
            assert survey is not None
            if survey.status == status:
                return survey
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"survey {survey_id} is still {survey.status}")
        await asyncio.sleep(0.05)


async def set_times(bot: RunningBot, survey_id: int, **times: Any) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        await session.execute(update(Survey).where(Survey.id == survey_id).values(**times))


async def invited(api: FakeTelegramAPI, chat: int, survey_id: int) -> dict[str, Any]:
    messages = await api.wait_for(
        chat_id=chat,
        predicate=lambda ms: any(SurveyOpen(survey_id).pack() in payloads(m) for m in ms),
    )
    return next(m for m in messages if SurveyOpen(survey_id).pack() in payloads(m))


def option(message: dict[str, Any], label: str) -> str:
    """The payload of the button whose label ends with `label` (a ✓ may precede it)."""
    for row in message["buttons"]:
        for button in row:
            if button["text"].removeprefix("✓ ") == label:
                return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {message['buttons']}")


async def results_of(bot: RunningBot, chat: int, survey_id: int) -> list[dict[str, Any]]:
    """Press Results and return the chart and the text: drawing the chart takes seconds on
    a busy machine."""
    before = len(bot.api.messages_to(chat))
    bot.api.push_callback(chat, SurveyResults(survey_id).pack())
    return (await bot.api.wait_for(chat_id=chat, count=before + 2, timeout=60))[before:]


async def resident_id(bot: RunningBot, chat: int) -> int:
    async with bot.app.sessionmaker() as session:
        identity = (
            await session.scalars(select(Identity).where(Identity.external_id == str(chat)))
        ).one()
        return identity.resident_id


async def count(bot: RunningBot, model: type, *where: Any) -> int:
    async with bot.app.sessionmaker() as session:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)
        return int(await session.scalar(query) or 0)


async def scale_answers(bot: RunningBot) -> list[int]:
    """The values chosen on scale questions, as stored."""
    async with bot.app.sessionmaker() as session:
        result = await session.scalars(
            select(Option.position)
            .join(Answer, Answer.option_id == Option.id)
            .join(Question, Question.id == Option.question_id)
            .where(Question.kind == "scale")
        )
        return list(result)


async def answer_all(bot: RunningBot, chat: int, survey_id: int, *, road: str = "Good") -> None:
    """Answer every question with buttons and send."""
    [_, first] = await bot.press(chat, SurveyOpen(survey_id).pack(), replies=2)
    [nxt] = await bot.press(chat, option(first, road))
    if road == "Bad":
        [nxt] = await bot.send(chat, "Dzirnavu iela")
    await bot.press(chat, option(nxt, "Bedres"))
    [done] = await bot.press(chat, option(nxt, "Ietves"))
    [scale] = await bot.press(chat, option(done, "Done"))
    [yesno] = await bot.press(chat, option(scale, "4"))
    await bot.press(chat, option(yesno, "Yes"))
    await bot.press(chat, SurveySend(survey_id).pack())


# --------------------------------------------------------------------------- from a file


async def test_survey_from_file_opens_on_time_invites_and_closes(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "survey.yaml"
    path.write_text(survey_yaml(audience="{units: [alsviku]}"), encoding="utf-8")
    later = (
        (utcnow() + timedelta(days=3))
        .astimezone(ZoneInfo("Europe/Riga"))
        .strftime("%d.%m.%Y %H:%M")
    )
    text = path.read_text(encoding="utf-8").replace("closes:", f"opens: {later}\ncloses:")
    path.write_text(text, encoding="utf-8")
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en", unit="alsviku")
        await bot.onboard(BERTA, language="en", unit="annas")
        created = await asyncio.to_thread(
            run_padome,
            ["surveys", "create", str(path)],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert created.returncode == 0, created.stderr
        assert 'Survey #1 "Ceļi un ietves" scheduled: 5 questions' in created.stdout
        await asyncio.sleep(0.3)  # a few scheduler ticks: not due yet
        async with bot.app.sessionmaker() as session:
            survey = await get_survey(session, 1)
        assert survey is not None and survey.status == Status.SCHEDULED.value
        assert not any(SurveyOpen(1).pack() in payloads(m) for m in api.messages_to(ANNA))

        await set_times(bot, 1, opens_at=utcnow())
        invitation = await invited(api, ANNA, 1)
        assert invitation["text"].startswith("Message from the residents' council")
        assert "A survey of the residents' council: Ceļi un ietves" in invitation["text"]
        assert "The results are advisory" in invitation["text"]
        assert invitation["buttons"][0][0]["text"] == "Answer the survey"
        await until_survey(bot, 1, Status.OPEN.value)
        assert not any(SurveyOpen(1).pack() in payloads(m) for m in api.messages_to(BERTA))

        [listed] = await bot.send(ANNA, "/surveys")
        assert "Ceļi un ietves" in listed["text"] and SurveyOpen(1).pack() in payloads(listed)
        [_, first] = await bot.press(ANNA, SurveyOpen(1).pack(), replies=2)

        # Closed early from the command line; the running bot closes it on its next tick.
        closing = await asyncio.to_thread(
            run_padome, ["surveys", "close", "1"], stdin="", database_url=database_url, cwd=tmp_path
        )
        assert closing.returncode == 0 and "Survey #1 closes now." in closing.stdout
        await until_survey(bot, 1, Status.CLOSED.value)
        again = await asyncio.to_thread(
            run_padome, ["surveys", "close", "1"], stdin="", database_url=database_url, cwd=tmp_path
        )
        assert again.returncode == 1 and "Survey #1 has already closed." in again.stderr
        [refused] = await bot.press(ANNA, option(first, "Good"))
        assert "This survey closed on" in refused["text"]
        [refused] = await bot.press(ANNA, SurveySend(1).pack())
        assert "answers are no longer taken" in refused["text"]
        assert await count(bot, Answer) == 0

        def padome(*args: str) -> str:
            done = run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            return done.stdout

        listed = await asyncio.to_thread(padome, "surveys", "list")
        assert "closed" in listed and "Ceļi un" in listed  # a narrow table wraps
        shown = await asyncio.to_thread(padome, "surveys", "show", "1")
        assert shown.startswith("Rezultāti: Ceļi un ietves\n0 atbilžu")


async def test_a_survey_file_with_mistakes_is_refused_naming_line_and_question(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "survey.yaml"
    path.write_text(
        survey_yaml()
        .replace("scale: 5", "scale: 7")
        .replace("answer: Slikti", "answer: Varbūt")
        .replace("audience: all", "audience: {units: [nekur]}"),
        encoding="utf-8",
    )
    result = run_padome(
        ["surveys", "create", str(path)], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "survey.yaml, line 18 (question 2): 'show_if': the earlier question has no option" in (
        result.stderr
    )
    assert "line 25 (question 4): 'scale' is 5 (1-5) or 10 (1-10), not 7" in result.stderr
    path.write_text(survey_yaml().replace("audience: all", "audience: {units: [nekur]}"))
    result = run_padome(
        ["surveys", "create", str(path)], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "survey.yaml, line 4: no parish or town with the slug 'nekur'" in result.stderr
    example = EXAMPLE
    checked = run_padome(
        ["surveys", "create", str(example), "--check"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stderr
    assert "survey.yaml is fine: 6 questions." in checked.stdout


# --------------------------------------------------------------------------- answering


async def test_answering_with_back_conditional_resume_and_change(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="lv")
        survey_id = await make_survey(bot, survey_yaml(anonymous=False))
        await invited(api, ANNA, survey_id)

        intro, first = await bot.press(ANNA, SurveyOpen(survey_id).pack(), replies=2)
        # One count in the intro and on every question, the conditional one included.
        assert "5 jautājumi" in intro["text"]
        assert first["text"].startswith("Jautājums 1 no 5")
        # "Slikti" brings in the conditional question
        [conditional] = await bot.press(ANNA, option(first, "Slikti"))
        assert conditional["text"].startswith("Jautājums 2 no 5")
        assert "Kurš ceļš jāsakārto?" in conditional["text"]
        # Too long: the limit named and the same question again, in one message.
        [too_long] = await bot.send(ANNA, "x" * 60)
        assert "50" in too_long["text"] and "Kurš ceļš jāsakārto?" in too_long["text"]
        assert payloads(too_long) == payloads(conditional)
        # back: the first question again, the answer marked
        [again] = await bot.press(ANNA, option(conditional, "« Atpakaļ"))
        assert "✓ Slikti" in [b["text"] for row in again["buttons"] for b in row]
        # "Labi" drops the conditional question
        [multiple] = await bot.press(ANNA, option(again, "Labi"))
        assert multiple["text"].startswith("Jautājums 2 no 5")
        await bot.press(ANNA, option(multiple, "Bedres"))
        # stop here, come back later: /surveys offers to continue where it stopped
        [listed] = await bot.send(ANNA, "/surveys")
        assert SurveyOpen(survey_id).pack() in payloads(listed)
        _, resumed = await bot.press(ANNA, SurveyOpen(survey_id).pack(), replies=2)
        assert resumed["text"].startswith("Jautājums 2 no 5")
        assert "✓ Bedres" in [b["text"] for row in resumed["buttons"] for b in row]
        [scale] = await bot.press(ANNA, option(resumed, "Turpināt"))
        assert "1 nozīmē „Nedroši”, 5 nozīmē „Droši”." in scale["text"]
        [yesno] = await bot.press(ANNA, option(scale, "2"))
        [review] = await bot.press(ANNA, option(yesno, "Izlaist"))
        assert "(izlaists)" in review["text"]
        [sent] = await bot.press(ANNA, SurveySend(survey_id).pack())
        assert "Paldies" in sent["text"]

        anna = await resident_id(bot, ANNA)
        async with bot.app.sessionmaker() as session:
            response = await session.scalar(select(Response))
            assert response is not None and response.status == ResponseStatus.SENT.value
            assert response.resident_id == anna
        assert await scale_answers(bot) == [2]

        # change until closing
        [mine] = await bot.press(ANNA, SurveyOpen(survey_id).pack())
        assert "Bedres" in mine["text"]
        [first] = await bot.press(ANNA, SurveyChange(survey_id).pack())
        [multiple] = await bot.press(ANNA, option(first, "Labi"))
        [scale] = await bot.press(ANNA, option(multiple, "Turpināt"))
        [yesno] = await bot.press(ANNA, option(scale, "5"))
        [review] = await bot.press(ANNA, option(yesno, "Jā"))
        await bot.press(ANNA, SurveySend(survey_id).pack())
        assert await scale_answers(bot) == [5]
        assert await count(bot, Response) == 1


async def test_typed_numbers_answer_like_buttons(database_url: str) -> None:
    """On a channel without buttons the same flow works with numbered options."""
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml())
        await invited(api, ANNA, survey_id)
        await bot.press(ANNA, SurveyOpen(survey_id).pack(), replies=2)
        [multiple] = await bot.send(ANNA, "1")  # Good
        assert multiple["text"].startswith("Question 2 of 5")
        [same] = await bot.send(ANNA, "something else")
        assert same["text"] == ("Please tap one of the buttons below.\n\n" + multiple["text"])
        assert payloads(same) == payloads(multiple)


# --------------------------------------------------------------------------- one response each


async def test_concurrent_submissions_leave_one_response(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml())
        await invited(api, ANNA, survey_id)
        anna = await resident_id(bot, ANNA)

        async def attempt() -> str:
            try:
                async with bot.app.sessionmaker() as session, session.begin():
                    survey = await get_survey(session, survey_id)
                    resident = await session.get(Resident, anna)
                    assert survey is not None and resident is not None
                    response = await start_response(session, survey=survey, resident=resident)
                    first = survey.questions[0]
                    record_answer(response, first, {"o": [first.options[0].id]})
                    for question in survey.questions[2:4]:
                        if question.options:
                            record_answer(response, question, {"o": [question.options[0].id]})
                        else:
                            record_answer(response, question, {"v": 3})
                    await send_response(
                        session, survey=survey, response=response, resident=resident, now=utcnow()
                    )
                return "sent"
            except AlreadyAnswered:
                return "refused"

        outcomes = await asyncio.gather(*(attempt() for _ in range(50)), return_exceptions=True)
        assert outcomes.count("sent") == 1, outcomes
        assert all(outcome in ("sent", "refused") for outcome in outcomes), outcomes
        assert await count(bot, Participation) == 1
        assert await count(bot, Response) == 1
        assert await count(bot, Answer) == 4  # single, multiple and its respondent row, scale

        # pressing Send twice in a row in chat changes nothing either
        [again] = await bot.press(ANNA, SurveySend(survey_id).pack())
        assert again["text"].startswith("You have already sent your answers")
        assert await count(bot, Response) == 1


async def test_anonymous_answers_carry_no_link_to_the_person(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml(anonymous=True))
        await invited(api, ANNA, survey_id)
        await answer_all(bot, ANNA, survey_id, road="Bad")
        async with bot.app.sessionmaker() as session:
            columns = await session.run_sync(
                lambda sync: {
                    c["name"] for c in inspect(sync.connection()).get_columns("survey_answers")
                }
            )
            [response] = list(await session.scalars(select(Response)))
            participants = list(await session.scalars(select(Participation.resident_id)))
        assert "resident_id" not in columns
        assert response.resident_id is None and response.sent_at is None and response.draft == {}
        assert participants == [await resident_id(bot, ANNA)]
        assert await count(bot, Answer) == 7  # road, text, two options and respondent, scale, yes
        [again] = await bot.press(ANNA, SurveyOpen(survey_id).pack())
        assert again["text"] == "You have already sent your answers to this survey. Thank you!"


# --------------------------------------------------------------------------- paper, results


async def test_paper_answers_count_and_show_separately_with_chart_and_exports(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")  # an admin by ADMINS
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml())
        await invited(api, ANNA, survey_id)
        await answer_all(bot, ANNA, survey_id)

        # a resident may not enter paper questionnaires or export
        [refused] = await bot.press(ANNA, SurveyPaper(survey_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [refused] = await bot.press(ANNA, SurveyFile(survey_id, FileFormat.XLSX).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."

        [units] = await bot.press(CHAIR, SurveyPaper(survey_id).pack())
        [first] = await bot.press(CHAIR, option(units, "Anna parish"))
        assert first["text"].startswith("Paper questionnaire\nQuestion 1 of 5")
        await bot.press(CHAIR, option(first, "Bad"))
        [multiple] = await bot.send(CHAIR, "Stacijas iela")
        [multiple] = await bot.press(CHAIR, option(multiple, "Apgaismojums"))
        [scale] = await bot.press(CHAIR, option(multiple, "Done"))
        [yesno] = await bot.press(CHAIR, option(scale, "1"))
        [review] = await bot.press(CHAIR, option(yesno, "No"))
        [saved] = await bot.press(CHAIR, option(review, "Save the questionnaire"))
        assert saved["text"] == "The paper questionnaire is saved and counted."

        chart, text = await results_of(bot, CHAIR, survey_id)
        assert chart["text"] == "Chart: Ceļi un ietves"
        assert "2 responses (on paper: 1)" in text["text"]
        assert "• Good: 1 (50 %)" in text["text"]
        assert "• Bad: 1 (50 %) on paper: 1" in text["text"]
        assert "Stacijas iela (paper)" in text["text"]
        assert "Anna parish: 0 of 0 (0 %), on paper: 1" in text["text"]
        assert "Alsviķi parish: 1 of 2 (50 %)" in text["text"]  # the chair and Anna
        assert "advisory" in text["text"]
        assert chart["method"] == "sendPhoto"
        assert chart["photo"]["content"].startswith(b"\x89PNG")

        said, xlsx = await bot.press(
            CHAIR, SurveyFile(survey_id, FileFormat.XLSX).pack(), replies=2
        )
        # After the file, the way back to the results it came from.
        assert SurveyResults(survey_id).pack() in payloads(said) + payloads(xlsx)
        workbook = load_workbook(io.BytesIO(xlsx["document"]["content"]))
        assert workbook.sheetnames == [
            "Results",
            "By parish or town",
            "Response rate",
            "Free-text answers",
        ]
        rows = list(workbook["Results"].iter_rows(values_only=True))
        assert rows[0] == (
            "#", "Question", "Answer", "Responses", "%", "Of them on paper", "Average"
        )  # fmt: skip
        assert (1, "How are the roads?", "Bad", 1, 0.5, 1, None) in rows  # 0.5 shown as 50.0%
        texts = list(workbook["Free-text answers"].iter_rows(values_only=True))
        assert (2, "Which road first?", "Anna parish", "paper", "Stacijas iela") in texts
        _, table = await bot.press(CHAIR, SurveyFile(survey_id, FileFormat.CSV).pack(), replies=2)
        parsed = list(csv.reader(io.StringIO(table["document"]["content"].decode("utf-8-sig"))))
        assert parsed[0] == [
            "#", "Question", "Answer", "Parish or town", "Responses", "%", "Average"
        ]  # fmt: skip
        assert ["1", "How are the roads?", "Good", "All", "1", "50", ""] in parsed

        exported = await asyncio.to_thread(
            run_padome,
            ["surveys", "export", str(survey_id), "--format", "xlsx", "--output", "r.xlsx"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert exported.returncode == 0, exported.stderr
        book = load_workbook(tmp_path / "r.xlsx")
        assert next(book["Rezultāti"].iter_rows(values_only=True))[1] == "Jautājums"
        texts = list(book["Brīvās atbildes"].iter_rows(values_only=True))
        assert texts[1][2] == "Annas pagasts"  # in Latvian, the default language

        # In Russian: headings, parish names and the separator Russian-language Excel expects.
        exported = await asyncio.to_thread(
            run_padome,
            ["surveys", "export", str(survey_id), "--format", "csv", "--language", "ru"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert exported.returncode == 0, exported.stderr
        written = (tmp_path / f"survey-{survey_id}-results.csv").read_bytes().decode("utf-8-sig")
        parsed = list(csv.reader(io.StringIO(written), delimiter=";"))
        assert parsed[0] == [
            "#", "Вопрос", "Ответ", "Волость или город", "Ответы", "%", "Среднее"
        ]  # fmt: skip
        # The survey has no Russian text: its questions and answers come in Latvian.
        assert ["1", "Kā vērtējat ceļus?", "Labi", "Все", "1", "50", ""] in parsed
        assert any(row[3] == "Аннинская волость" for row in parsed), parsed
        refused = await asyncio.to_thread(
            run_padome,
            ["surveys", "export", str(survey_id), "--language", "de"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert refused.returncode != 0 and "--language is lv, ru or en." in refused.stderr

        # A Russian-speaking chair reads the parishes as Russian-language media name them.
        await bot.send(CHAIR, "/language")
        await bot.press(CHAIR, "lang:ru")
        _, text = await results_of(bot, CHAIR, survey_id)
        assert "Аннинская волость: 0 из 0 (0 %), на бумаге: 1" in text["text"]
        assert "Алсвикская волость: 1 из 2 (50 %)" in text["text"]
        assert "pagasts" not in text["text"]


async def test_results_visibility_for_residents(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        staff_only = await make_survey(bot, survey_yaml(results="staff"))
        after = await make_survey(bot, survey_yaml(results="after_close"))
        live = await make_survey(bot, survey_yaml(results="live"))
        for survey_id in (staff_only, after, live):
            await invited(api, ANNA, survey_id)

        [hidden] = await bot.press(ANNA, SurveyResults(staff_only).pack())
        assert hidden["text"].startswith("The results of this survey are for the council only.")
        [later] = await bot.press(ANNA, SurveyResults(after).pack())
        assert later["text"].startswith("The results will be shown after the survey closes")
        chart, text = await results_of(bot, ANNA, live)
        assert text["text"].startswith("Results: Ceļi un ietves")
        assert "by parish or town" not in text["text"]  # the breakdown is for staff
        assert chart["photo"]["content"].startswith(b"\x89PNG")

        await set_times(bot, after, closes_at=utcnow())
        await set_times(bot, staff_only, closes_at=utcnow())
        await until_survey(bot, after, Status.CLOSED.value)
        await until_survey(bot, staff_only, Status.CLOSED.value)
        _, text = await results_of(bot, ANNA, after)
        assert text["text"].startswith("Results: Ceļi un ietves")
        [hidden] = await bot.press(ANNA, SurveyResults(staff_only).pack())
        assert hidden["text"].startswith("The results of this survey are for the council only.")


# --------------------------------------------------------------------------- quick polls


async def test_representative_runs_a_quick_poll_for_their_unit_only(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(REPRESENTATIVE, language="en", unit="alsviku")
        await bot.onboard(ANNA, language="en", unit="alsviku")
        await bot.onboard(BERTA, language="en", unit="annas")
        [refused] = await bot.send(ANNA, "/poll")
        assert refused["text"] == "Sorry, you are not allowed to do that."
        async with bot.app.sessionmaker() as session, session.begin():
            identity = (
                await session.scalars(select(Identity).where(Identity.external_id == "901"))
            ).one()
            alsviku = await unit_by_slug(session, "alsviku")
            annas = await unit_by_slug(session, "annas")
            assert alsviku is not None and annas is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
            )

        await bot.send(REPRESENTATIVE, "/poll")
        await bot.send(REPRESENTATIVE, "Kad rīkot talku?")
        [too_few] = await bot.send(REPRESENTATIVE, "Sestdien")
        assert "2 to 10" in too_few["text"]
        [languages] = await bot.send(REPRESENTATIVE, "Sestdien; Svētdien; Nākamnedēļ")
        assert "Add a version in Russian" in labels(languages)
        [audience] = await bot.press(REPRESENTATIVE, option(languages, "Continue"))
        # The audience screen has a way back and a way out, like every screen of the poll.
        assert payloads(audience) == [
            PollAudience(alsviku.id).pack(),
            PollBack(PollScreen.LANGUAGES).pack(),
            PollCancel().pack(),
        ]
        [again] = await bot.press(REPRESENTATIVE, option(audience, "« Back"))
        assert again["text"] == languages["text"]
        [audience] = await bot.press(REPRESENTATIVE, option(again, "Continue"))
        for crafted in (PollAudience(annas.id), PollAudience()):
            [refused] = await bot.press(REPRESENTATIVE, crafted.pack())
            assert refused["text"] == "Sorry, you are not allowed to do that."
        [days] = await bot.press(REPRESENTATIVE, PollAudience(alsviku.id).pack())
        assert PollBack(PollScreen.AUDIENCE).pack() in payloads(days)
        [preview] = await bot.press(REPRESENTATIVE, PollDays(3).pack())
        assert "• Svētdien" in preview["text"]
        assert PollBack(PollScreen.DAYS).pack() in payloads(preview)
        [started] = await bot.press(REPRESENTATIVE, PollStart().pack())
        assert "Poll #1 is open" in started["text"]
        assert payloads(started) == [SurveyResults(1).pack(), "menu"]

        invitation = await invited(api, ANNA, 1)
        # Two short lines under the council's heading, and one button.
        assert (
            "A quick poll of the residents' council: Kad rīkot talku?\n"
            "One question; your answer is anonymous. You can answer until "
        ) in invitation["text"]
        assert invitation["text"].count("\n\n") == 1
        assert labels(invitation) == ["Answer the poll"]
        # The poll is one message with its options; the option chosen is the answer, sent.
        [question] = await bot.press(ANNA, SurveyOpen(1).pack())
        assert question["text"].startswith(
            "A quick poll of the residents' council:\nKad rīkot talku?\n\n"
            "Choose your answer: it is sent at once, and nobody sees which answer is yours. "
            "You can change it until "
        )
        assert labels(question) == ["Sestdien", "Svētdien", "Nākamnedēļ", "Main menu"]
        [thanks] = await bot.press(ANNA, option(question, "Sestdien"))
        assert thanks["text"].startswith('Thank you! Your answer "Sestdien" is sent.')
        assert labels(thanks) == ["Change my answer", "See the results", "Main menu"]
        [again] = await bot.press(ANNA, option(thanks, "Change my answer"))
        assert labels(again)[:2] == ["✓ Sestdien", "Svētdien"]
        [thanks] = await bot.press(ANNA, option(again, "Svētdien"))
        assert thanks["text"].startswith('Thank you! Your answer "Svētdien" is sent.')
        assert SurveyResults(1).pack() in payloads(thanks)  # a poll's results are live
        chart, text = await results_of(bot, REPRESENTATIVE, 1)
        assert chart["method"] == "sendPhoto"
        assert "• Svētdien: 1 (100 %)" in text["text"]
        assert SurveyClose(1).pack() in payloads(text)
        await asyncio.sleep(0.3)
        assert not any(SurveyOpen(1).pack() in payloads(m) for m in api.messages_to(BERTA))

        # The representative closes the poll early; a resident's crafted button cannot.
        [refused] = await bot.press(ANNA, SurveyClose(1, sure=True).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [ask] = await bot.press(REPRESENTATIVE, SurveyClose(1).pack())
        assert 'Close "Kad rīkot talku?" now?' in ask["text"]
        assert payloads(ask) == [SurveyClose(1, sure=True).pack(), SurveyResults(1).pack()]
        [closed] = await bot.press(REPRESENTATIVE, SurveyClose(1, sure=True).pack())
        assert '"Kad rīkot talku?" is closed.' in closed["text"]
        await until_survey(bot, 1, Status.CLOSED.value)
        await api.wait_for(
            chat_id=REPRESENTATIVE,
            predicate=has_text('The survey "Kad rīkot talku?" has closed with 1 response.'),
        )
        [late] = await bot.press(ANNA, SurveyOpen(1).pack())
        assert "answers are no longer taken" in late["text"]
        async with bot.app.sessionmaker() as session:
            refusals = await audit_entries(session, action="refused")
            [early] = await audit_entries(session, action="survey_closed_early")
        assert len(refusals) == 4 and refusals[-1].details["attempted"] == "survey_close"
        assert early.details == {"survey": 1}


# --------------------------------------------------------------------------- reminders, erasure


async def test_reminder_reaches_only_those_who_have_not_sent(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        await bot.onboard(BERTA, language="en")
        survey_id = await make_survey(bot, survey_yaml(), remind_hours=2)
        await invited(api, ANNA, survey_id)
        await answer_all(bot, ANNA, survey_id)
        seen = len(api.messages_to(ANNA))
        await set_times(bot, survey_id, closes_at=utcnow() + timedelta(hours=1))
        await api.wait_for(chat_id=BERTA, predicate=has_text("A reminder: the survey"))
        await asyncio.sleep(0.5)
        assert len(api.messages_to(ANNA)) == seen
        reminders = [t for t in texts_to(api, BERTA) if t.startswith("A reminder")]
        assert len(reminders) == 1


def quiet_now(settings: Settings) -> str:
    """Quiet hours from an hour ago to an hour ahead."""
    local = utcnow().astimezone(settings.tz)
    return f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"


async def test_invitation_and_reminder_held_by_quiet_hours_skip_who_answered_meanwhile(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        probe = telegram_settings(database_url, api.base_url or "")
        async with running(database_url, api, quiet_hours=quiet_now(probe)) as bot:
            await bot.onboard(ANNA, language="en")
            await bot.onboard(BERTA, language="en")
            survey_id = await make_survey(bot, survey_yaml(), remind_hours=2)
            await until_survey(bot, survey_id, Status.OPEN.value)
            # The invitation waits for the morning; Anna finds the survey under /surveys.
            [listed] = await bot.send(ANNA, "/surveys")
            assert SurveyOpen(survey_id).pack() in payloads(listed)
            await answer_all(bot, ANNA, survey_id)
            await set_times(bot, survey_id, closes_at=utcnow() + timedelta(hours=1))
            deadline = asyncio.get_running_loop().time() + 10
            while (await until_survey(bot, survey_id, Status.OPEN.value)).reminded_at is None:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.05)
            seen = len(api.messages_to(ANNA))

            bot.settings.quiet_hours = ""  # the morning
            await invited(api, BERTA, survey_id)
            await api.wait_for(chat_id=BERTA, predicate=has_text("A reminder: the survey"))
            await asyncio.sleep(0.5)
            assert api.messages_to(ANNA)[seen:] == []


async def test_a_poll_written_in_three_languages_reaches_each_resident_in_theirs(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")  # an admin by ADMINS
        await bot.onboard(ANNA, language="ru")
        await bot.onboard(BERTA, language="en")
        await bot.send(CHAIR, "/poll")
        await bot.send(CHAIR, "Kad rīkot talku?")
        [languages] = await bot.send(CHAIR, "Sestdien; Svētdien")
        [ask] = await bot.press(CHAIR, option(languages, "Add a version in Russian"))
        assert "Kad rīkot talku?" in ask["text"]
        [ask] = await bot.send(CHAIR, "Когда проводить субботник?")
        assert "• Sestdien" in ask["text"]
        [wrong] = await bot.send(CHAIR, "В субботу")
        assert wrong["text"].startswith("Please write 2 options, in the same order as in Latvian.")
        [languages] = await bot.send(CHAIR, "В субботу; В воскресенье")
        assert "Replace the version in Russian" in labels(languages)
        [ask] = await bot.press(CHAIR, option(languages, "Add a version in English"))
        await bot.send(CHAIR, "When shall we hold the clean-up?")
        [languages] = await bot.send(CHAIR, "On Saturday\nOn Sunday")
        [audience] = await bot.press(CHAIR, option(languages, "Continue"))
        [days] = await bot.press(CHAIR, option(audience, "All parishes and the town"))
        [preview] = await bot.press(CHAIR, option(days, "3 days"))
        # One short screen: the poll, a line for each other version, whom and until when.
        lines = preview["text"].split("\n")
        assert lines[:9] == [
            "Start this poll?",
            "",
            "Kad rīkot talku?",
            "• Sestdien",
            "• Svētdien",
            "",
            "Русский: Когда проводить субботник? (В субботу / В воскресенье)",
            "English: When shall we hold the clean-up? (On Saturday / On Sunday)",
            "",
        ]
        assert lines[9].startswith("For: All parishes and the town. Open until ")
        assert len(lines) == 10
        [started] = await bot.press(CHAIR, option(preview, "Start the poll"))
        assert "Poll #1 is open" in started["text"]

        russian = await invited(api, ANNA, 1)
        assert "Когда проводить субботник?" in russian["text"]
        [question] = await bot.press(ANNA, SurveyOpen(1).pack())
        assert "Когда проводить субботник?" in question["text"]
        assert labels(question)[:2] == ["В субботу", "В воскресенье"]
        english = await invited(api, BERTA, 1)
        assert "When shall we hold the clean-up?" in english["text"]
        [question] = await bot.press(BERTA, SurveyOpen(1).pack())
        assert labels(question)[:2] == ["On Saturday", "On Sunday"]


async def test_forget_unlinks_named_answers_and_removes_free_text(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml(anonymous=False))
        await invited(api, ANNA, survey_id)
        await answer_all(bot, ANNA, survey_id, road="Bad")
        _, file = await bot.send(ANNA, "/mydata", replies=2)
        data = json.loads(file["document"]["content"].decode("utf-8"))
        assert data["surveys"][0]["answers"][1] == {
            "question": "Which road first?",
            "answer": "Dzirnavu iela",
        }
        await bot.send(ANNA, "/forget")
        await bot.press(ANNA, "forget:yes")
        async with bot.app.sessionmaker() as session:
            [response] = list(await session.scalars(select(Response)))
            texts = list(await session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
        assert response.resident_id is None
        assert texts == []
        assert await count(bot, Answer) == 6  # the choices still count, without the person
        assert await count(bot, Participation) == 0


def test_a_language_is_named_in_the_sentences_own_language_and_case() -> None:
    """Not "valodā: Русский": the language inflected as the sentence needs it."""
    riga = ZoneInfo("Europe/Riga")
    cases = [
        ("lv", "ru", "Uzrakstiet ziņas tekstu krievu valodā."),
        ("lv", "en", "Uzrakstiet ziņas tekstu angļu valodā."),
        ("ru", "lv", "Напишите текст сообщения на латышском языке."),
        ("en", "ru", "Write the text of the message in Russian."),
    ]
    for reader, language, expected in cases:
        t = Translator(reader, timezone=riga)
        written = t._(
            "Write the text of the message {in_language}.", in_language=t._(IN_LANGUAGE[language])
        )
        assert written == expected


async def test_a_quick_poll_is_answered_with_one_typed_number_where_options_are_numbered(
    app: App,
) -> None:
    """On the console, as on WhatsApp and SMS: the poll's question with numbered options, and
    the number typed is the answer, sent; the coordinator's check is one short screen."""
    chat = Chat(app)
    await chat.onboard("coordinator")
    await chat.onboard("anna")
    async with app.sessionmaker() as session, session.begin():
        coordinator = await find_identity(session, "console", "coordinator")
        assert coordinator is not None
        await grant_role(session, resident=coordinator.resident, role=Role.COORDINATOR)

    await chat.say("coordinator", "/poll")
    await chat.say("coordinator", "Kad rīkot talku?")
    await chat.say("coordinator", "Sestdien; Svētdien")
    await chat.say("coordinator", payload=PollBack(PollScreen.AUDIENCE).pack())
    await chat.say("coordinator", payload=PollAudience().pack())
    preview = await chat.say("coordinator", payload=PollDays(3).pack())
    assert preview.text.startswith("Start this poll?\n\nKad rīkot talku?\n• Sestdien\n• Svētdien\n")
    assert "For: All parishes and the town. Open until " in preview.text
    started = await chat.say("coordinator", payload=PollStart().pack())
    assert "Poll #1 is open" in started.text

    question = await chat.say("anna", payload=SurveyOpen(1).pack())
    assert question.text.startswith("A quick poll of the residents' council:\nKad rīkot talku?")
    assert "Question 1 of 1" not in question.text
    assert [option.label for option in question.options] == ["Sestdien", "Svētdien", "Main menu"]
    thanks = await chat.say("anna", "2")
    assert thanks.text.startswith(
        'Thank you! Your answer "Svētdien" is sent.\nYou can change it until '
    )
    assert [option.label for option in thanks.options] == [
        "Change my answer",
        "See the results",
        "Main menu",
    ]
    # Opened again, the poll shows the answer and offers to change it, while it is open.
    again = await chat.say("anna", payload=SurveyOpen(1).pack())
    assert again.text.startswith('Your answer to "Kad rīkot talku?": "Svētdien".\n')
    asked = await chat.say("anna", "1")  # Change my answer
    assert [option.label for option in asked.options][:2] == ["Sestdien", "✓ Svētdien"]
    changed = await chat.say("anna", "1")
    assert changed.text.startswith('Thank you! Your answer "Sestdien" is sent.')
    async with app.sessionmaker() as session:
        survey = await get_survey(session, 1)
        assert survey is not None
        results = await compute_results(session, survey)
        [response] = list(await session.scalars(select(Response)))
    # one answer for one resident, the new one
    assert results.responses == 1
    assert [(item.label_texts["lv"], item.total) for item in results.questions[0].counts] == [
        ("Sestdien", 1),
        ("Svētdien", 0),
    ]
    assert response.resident_id is not None  # kept, shown to nobody, while the poll is open

    # When the poll closes, its answers lose who gave them and can no longer be changed.
    async with app.sessionmaker() as session, session.begin():
        survey = await get_survey(session, 1)
        assert survey is not None
        end_survey_now(survey, utcnow())
    async with app.sessionmaker() as session, session.begin():
        survey = await get_survey(session, 1)
        assert survey is not None
        assert await close_survey(session, survey, settings=app.settings, now=utcnow())
    async with app.sessionmaker() as session:
        [response] = list(await session.scalars(select(Response)))
    assert response.resident_id is None
    late = await chat.say("anna", payload=SurveyChange(1).pack())
    assert "no longer" in late.text


async def test_a_poll_option_too_long_for_a_button_is_cut_between_words(app: App) -> None:
    """The button shows the first words and "…", never half a word; the question lists the
    options in full."""
    chat = Chat(app)
    await chat.onboard("coordinator", language="Latviešu")
    await chat.onboard("anna", language="Latviešu")
    async with app.sessionmaker() as session, session.begin():
        coordinator = await find_identity(session, "console", "coordinator")
        assert coordinator is not None
        await grant_role(session, resident=coordinator.resident, role=Role.COORDINATOR)
    long = "Jā, atbalstu jauna bērnu rotaļu laukuma izveidi pie skolas"
    await chat.say("coordinator", "/poll")
    await chat.say("coordinator", "Vai atbalstāt rotaļu laukumu?")
    await chat.say("coordinator", f"{long}; Nē")
    await chat.say("coordinator", payload=PollBack(PollScreen.AUDIENCE).pack())
    await chat.say("coordinator", payload=PollAudience().pack())
    await chat.say("coordinator", payload=PollDays(3).pack())
    await chat.say("coordinator", payload=PollStart().pack())

    question = await chat.say("anna", payload=SurveyOpen(1).pack())
    first = question.options[0].label
    assert first == "Jā, atbalstu jauna bērnu rotaļu laukuma…"
    assert f"• {long}\n• Nē" in question.text


def test_the_example_survey_speaks_each_language_and_addresses_the_reader_formally() -> None:
    """Operators copy the example: every text is in Latvian, Russian and English, so no
    Russian or English reader meets Latvian, and the reader is addressed as Jūs / Вы."""
    from models.survey_file import parse_survey_file

    spec = parse_survey_file(
        EXAMPLE.read_text(encoding="utf-8"), name="survey.yaml", timezone=ZoneInfo("Europe/Riga")
    )
    texts = [spec.title, spec.description]
    for question in spec.questions:
        texts += [question.texts, *question.options]
        texts += [t for t in (question.low, question.high) if t is not None]
    for text in texts:
        assert text is not None and set(text) == {"lv", "ru", "en"}, text
        assert text["ru"] != text["lv"] and text["en"] != text["lv"], text
    every = "\n".join(text[language] for text in texts for language in ("lv", "ru"))
    assert "Kas Jums ir svarīgākais?" in every and " jums " not in every
    assert "Vai Jūs piedalītos talkā?" in every and "gatavs" not in every
    assert "Как Вы оцениваете состояние дорог в Вашем посёлке?" in every
