"""Survey charts Telegram accepts: a long survey's charts split into images within Telegram's
photo limits, and the results text with the staff buttons arriving even when a photo is not."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from handlers.surveys.payloads import (
    FileFormat,
    SurveyClose,
    SurveyFile,
    SurveyOpen,
    SurveyPaper,
    SurveyResults,
    SurveySend,
)
from models.base import utcnow
from models.survey_results import OptionCount, QuestionResult, Results
from models.surveys import Question, Survey
from reports.surveys import charts_png
from tests.fakes.telegram_api import PhotoLimits, image_size, payloads
from tests.telegram import RunningBot, fake_telegram_api
from tests.test_broadcasts import CHAIR, running
from tests.test_surveys import ANNA, answer_all, invited, make_survey, option, survey_yaml

QUESTIONS = 20
RIGA = ZoneInfo("Europe/Riga")
# What Telegram accepts as a photo; the charts keep well inside it.
TELEGRAM = PhotoLimits()
CHART_HEIGHT_MAX = 2000


def scale_survey_yaml(questions: int = QUESTIONS) -> str:
    items = "\n".join(
        f"""  - type: scale
    text:
      lv: "Cik apmierināts esat ar pakalpojumu nr. {n}?"
      en: "How satisfied are you with service {n}?"
    scale: 10
    low: {{lv: "Nemaz", en: "not at all"}}
    high: {{lv: "Ļoti", en: "very"}}"""
        for n in range(1, questions + 1)
    )
    return f"""
title: Pakalpojumu vērtējums
audience: all
closes: {(utcnow() + timedelta(days=365)):%d.%m.%Y} 18:00
results: live
questions:
{items}
"""


def within_telegram_limits(png: bytes) -> tuple[int, int]:
    size = image_size(png)
    assert size is not None
    width, height = size
    assert width + height <= TELEGRAM.side_sum
    assert max(width, height) / min(width, height) <= TELEGRAM.ratio
    assert len(png) <= TELEGRAM.size
    return width, height


def charted_questions(caption: str) -> list[int]:
    """The question numbers a chart's caption names: "question 4" or "questions 1–3"."""
    found = re.search(r"questions? (\d+)(?:–(\d+))?$", caption)
    assert found is not None, caption
    first = int(found.group(1))
    return list(range(first, int(found.group(2) or first) + 1))


async def results_screen(bot: RunningBot, chat: int, survey_id: int) -> list[dict[str, Any]]:
    """Open the results and return what arrives, up to the message with the buttons."""
    before = len(bot.api.messages_to(chat))
    bot.api.push_callback(chat, SurveyResults(survey_id).pack())
    # Drawing the charts of a long survey takes seconds on a busy machine.
    await bot.settle(timeout=60)
    return bot.api.messages_to(chat)[before:]


# --------------------------------------------------------------------------- the images


def scale_result(number: int, *, text: str | None = None) -> QuestionResult:
    question = Question(
        kind="scale",
        texts={"lv": text or f"Jautājums {number}", "en": text or f"Question {number}"},
        scale_max=10,
        low_texts={"lv": "Nemaz", "en": "not at all"},
        high_texts={"lv": "Ļoti", "en": "very"},
    )
    counts = [
        OptionCount(label_texts={"lv": str(value)}, key=value, total=(value * number) % 7)
        for value in range(1, 11)
    ]
    return QuestionResult(question=question, answered=sum(c.total for c in counts), counts=counts)


def test_a_long_survey_is_charted_in_images_telegram_accepts() -> None:
    long_text = "Cik apmierināts esat ar ceļu uzturēšanu ziemā un vasarā jūsu pagastā? " * 7
    questions = [scale_result(n, text=long_text if n in (3, 4) else None) for n in range(1, 21)]
    questions.insert(5, QuestionResult(question=Question(kind="text", texts={"lv": "Kāpēc?"})))
    survey = Survey(title={"lv": "Pakalpojumu vērtējums " * 9})
    results = Results(
        survey=survey, responses=7, paper=0, questions=questions, units=[], registered=10
    )

    charts = charts_png(results, Translator("lv", timezone=RIGA))

    assert len(charts) > 1
    for chart in charts:
        width, height = within_telegram_limits(chart.png)
        assert width == 850 and height <= CHART_HEIGHT_MAX
    drawn = [number for chart in charts for number in chart.questions]
    assert drawn == [n for n in range(1, 22) if n != 6]  # every one but the free-text question


def test_a_short_survey_is_one_image() -> None:
    results = Results(
        survey=Survey(title={"lv": "Īsa aptauja"}),
        responses=3,
        paper=0,
        questions=[scale_result(1), scale_result(2)],
        units=[],
        registered=5,
    )
    [chart] = charts_png(results, Translator("lv", timezone=RIGA))
    assert chart.questions == (1, 2)
    within_telegram_limits(chart.png)


# --------------------------------------------------------------------------- over Telegram


async def test_staff_see_a_long_surveys_charts_and_can_press_every_button(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")  # an admin by ADMINS
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, scale_survey_yaml())
        await invited(api, ANNA, survey_id)
        [_, question] = await bot.press(ANNA, SurveyOpen(survey_id).pack(), replies=2)
        for number in range(1, QUESTIONS + 1):
            [question] = await bot.press(ANNA, option(question, str(number % 8 + 2)))
        [thanks] = await bot.press(ANNA, SurveySend(survey_id).pack())
        assert SurveyResults(survey_id).pack() in payloads(thanks)

        screen = await results_screen(bot, CHAIR, survey_id)

        charts = [message for message in screen if message["method"] == "sendPhoto"]
        texts = screen[len(charts) :]  # the charts first, then the text, the buttons last
        assert len(charts) > 1 and texts
        assert all(message["method"] == "sendMessage" for message in texts)
        assert all(call.status == 200 for call in api.calls_to("sendPhoto"))
        covered: list[int] = []
        for part, chart in enumerate(charts, start=1):
            assert chart["method"] == "sendPhoto"
            assert chart["text"].startswith(f"Chart {part}/{len(charts)}: question")
            within_telegram_limits(chart["photo"]["content"])
            [size] = chart["raw"]["photo"]
            assert size["height"] <= CHART_HEIGHT_MAX
            covered.extend(charted_questions(chart["text"]))
        assert covered == list(range(1, QUESTIONS + 1))
        assert texts[0]["text"].startswith("Results: Pakalpojumu vērtējums")
        assert "20. How satisfied are you with service 20?" in texts[-1]["text"]
        results = texts[-1]
        assert payloads(results) == [
            SurveyFile(survey_id, FileFormat.XLSX).pack(),
            SurveyFile(survey_id, FileFormat.CSV).pack(),
            SurveyPaper(survey_id).pack(),
            SurveyClose(survey_id).pack(),
            "surveys",
            "menu",
        ]

        for data in payloads(results):
            bot.api.push_callback(CHAIR, data, message_id=results["message_id"])
            await bot.settle(timeout=30)
        answers = [m for m in api.messages_to(CHAIR) if m["message_id"] > results["message_id"]]
        assert answers[0]["text"] == 'The results of "Pakalpojumu vērtējums" as a file.'
        assert answers[1]["document"]["filename"].endswith(".xlsx")
        assert answers[3]["document"]["filename"].endswith(".csv")
        assert answers[4]["text"] == "Paper questionnaire: which parish or town is it from?"
        assert answers[5]["text"].startswith('Close "Pakalpojumu vērtējums" now?')
        assert answers[6]["text"].startswith("Surveys for you:")
        assert answers[7]["text"] == "Main menu: choose what you want to do."
        assert len(answers) == 8


async def test_results_and_buttons_arrive_when_telegram_refuses_the_chart(
    database_url: str,
) -> None:
    strict = PhotoLimits(side_sum=1000)  # every chart is refused as too large
    async with fake_telegram_api(photo_limits=strict) as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")
        await bot.onboard(ANNA, language="en")
        survey_id = await make_survey(bot, survey_yaml(results="live"))
        await invited(api, ANNA, survey_id)
        await answer_all(bot, ANNA, survey_id)

        [results] = await results_screen(bot, CHAIR, survey_id)
        [refused] = api.calls_to("sendPhoto")
        assert refused.status == 400
        assert results["text"].startswith("Results: Ceļi un ietves")
        assert SurveyClose(survey_id).pack() in payloads(results)
        [ask] = await bot.press(CHAIR, SurveyClose(survey_id).pack())
        assert ask["text"].startswith('Close "Ceļi un ietves" now?')

        # A resident looking at live results gets the text and the menu button too.
        [seen] = await results_screen(bot, ANNA, survey_id)
        assert seen["text"].startswith("Results: Ceļi un ietves")
        assert payloads(seen) == ["surveys", "menu"]


# --------------------------------------------------------------------------- WhatsApp and SMS


async def test_whatsapp_gets_the_charts_as_pictures_and_sms_as_links(database_url: str) -> None:
    from models.residents import find_identity
    from models.roles import Role, grant_role
    from tests.test_twilio import ANNA as WHATSAPP_USER
    from tests.test_twilio import ILZE as SMS_USER
    from tests.test_twilio import lv, onboard, say
    from tests.test_twilio import running as on_twilio

    async with on_twilio(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", WHATSAPP_USER)
        await onboard(fake, bot, "sms", SMS_USER)
        async with bot.app.sessionmaker() as session, session.begin():
            for channel, phone in (("whatsapp", WHATSAPP_USER), ("sms", SMS_USER)):
                identity = await find_identity(session, channel, phone)
                assert identity is not None
                await grant_role(session, resident=identity.resident, role=Role.CHAIR)
        survey_id = await make_survey(bot, scale_survey_yaml(7))
        captions = [
            lv("Chart {part}/{parts}: questions {first}–{last}", part=1, parts=3, first=1, last=3),
            lv("Chart {part}/{parts}: questions {first}–{last}", part=2, parts=3, first=4, last=6),
            lv("Chart {part}/{parts}: question {number}", part=3, parts=3, number=7),
        ]

        for channel, phone in (("whatsapp", WHATSAPP_USER), ("sms", SMS_USER)):
            listed = " ".join(m.body for m in await say(fake, bot, channel, phone, "/surveys"))
            [number] = re.findall(rf"(\d+)\) {lv('Results #{id}', id=survey_id)}", listed)
            screen = await say(fake, bot, channel, phone, number)
            charts, rest = screen[:3], screen[3:]
            if channel == "whatsapp":
                assert [m.body for m in charts] == captions
                for message in charts:
                    [png] = message.media
                    within_telegram_limits(png)
                    assert message.media_types == ["image/png"]
            else:
                for caption, message in zip(captions, charts, strict=True):
                    assert message.body.startswith(caption)
                    assert f"survey-{survey_id}-" in message.body
                    assert "https://padome.example.lv/media/" in message.body
            assert not any(message.media for message in rest)
            last = rest[-1].body
            assert lv("Spreadsheet (XLSX)") in last and lv("Main menu") in last
