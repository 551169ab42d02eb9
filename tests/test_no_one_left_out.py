"""No one left out: residents without a phone registered in chat and by the command line,
their paper questionnaires counted as theirs; a trusted helper linked with two
confirmations, receiving the council's messages for the resident and answering for them,
over the fake Telegram Bot API."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from handlers.helpers.payloads import (
    HelperConfirm,
    HelperEnd,
    HelperEnter,
    HelperScreen,
    HelperStart,
    HelperSurvey,
)
from handlers.offline_residents import OfflineList, OfflineNew
from handlers.surveys.payloads import SurveyPaper
from models.audit import audit_entries
from models.broadcasts import Status
from models.helpers import HelperAct, HelperLink, LinkStatus
from models.personal_data import personal_data
from models.residents import Resident
from models.surveys import Origin, Participation, Response, ResponseStatus
from tests.fakes.telegram_api import payloads
from tests.telegram import fake_telegram_api
from tests.test_broadcasts import CHAIR, has_text, running, schedule, texts_to, until_status
from tests.test_console import run_padome
from tests.test_surveys import invited, make_survey, option, resident_id, results_of, survey_yaml

ANNA, MARTA, JANIS, OTHER = 1001, 1002, 1003, 1004


async def _offline(bot, name: str) -> Resident:  # type: ignore[no-untyped-def]
    async with bot.app.sessionmaker() as session:
        return (await session.scalars(select(Resident).where(Resident.display_name == name))).one()


async def test_resident_without_a_phone_registered_in_chat_and_by_cli_answers_on_paper(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")  # an admin by ADMINS
        await bot.onboard(ANNA, language="en")

        # a resident may not register anyone
        [refused] = await bot.press(ANNA, OfflineNew().pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."

        [asked] = await bot.press(CHAIR, OfflineNew().pack())
        assert "consent must be given on paper" in asked["text"]
        [units] = await bot.send(CHAIR, "Ilga Kalniņa")
        [places] = await bot.press(CHAIR, option(units, "Alsviķi parish"))
        [how] = await bot.press(CHAIR, option(places, "Not known"))
        [details] = await bot.press(CHAIR, option(how, "By post"))
        assert "the address" in details["text"]
        [check] = await bot.send(CHAIR, "Stacijas iela 3, Alsviķi")
        assert "Name: Ilga Kalniņa" in check["text"]
        assert "Reached: By post: Stacijas iela 3, Alsviķi" in check["text"]
        [saved] = await bot.press(CHAIR, option(check, "Consent given on paper: register"))
        ilga = await _offline(bot, "Ilga Kalniņa")
        assert saved["text"].startswith(f"Ilga Kalniņa is registered as No. {ilga.id}.")
        assert ilga.offline_contact == "post"
        assert ilga.paper_consent_by_id == await resident_id(bot, CHAIR)
        assert ilga.consented_at is not None

        done = run_padome(
            [
                "residents", "add-offline", "--name", "Pēteris Ozols", "--unit", "alsviku",
                "--reached", "neighbour", "--details", "Kaimiņiene Ilze, tālr. 20000000",
                "--consent-by", f"tg:{CHAIR}", "--paper-consent",
            ],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        peteris = await _offline(bot, "Pēteris Ozols")
        assert done.stdout.strip() == f"Registered as No. {peteris.id}."
        listed = run_padome(
            ["residents", "offline", "--unit", "alsviku"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert "Ilga Kalniņa" in listed.stdout and "Pēteris Ozols" in listed.stdout
        [in_chat] = await bot.press(CHAIR, OfflineList().pack())
        assert "Pēteris Ozols" in in_chat["text"] and "Through a neighbour" in in_chat["text"]

        # Ilga's paper questionnaire, entered as hers, counted as paper in her parish.
        survey_id = await make_survey(bot, survey_yaml(anonymous=False))
        await invited(api, CHAIR, survey_id)
        [units] = await bot.press(CHAIR, SurveyPaper(survey_id).pack())
        [whose] = await bot.press(CHAIR, option(units, "Alsviķi parish"))
        assert whose["text"] == "Is it the questionnaire of a registered resident without a phone?"
        said, first = await bot.press(CHAIR, option(whose, "Ilga Kalniņa"), replies=2)
        assert said["text"] == f"Paper questionnaire of Ilga Kalniņa, No. {ilga.id}."
        [multiple] = await bot.press(CHAIR, option(first, "Good"))
        [multiple] = await bot.press(CHAIR, option(multiple, "Ietves"))
        [scale] = await bot.press(CHAIR, option(multiple, "Done"))
        [yesno] = await bot.press(CHAIR, option(scale, "3"))
        [review] = await bot.press(CHAIR, option(yesno, "Yes"))
        [saved] = await bot.press(CHAIR, option(review, "Save the questionnaire"))
        assert saved["text"] == "The paper questionnaire is saved and counted."
        async with bot.app.sessionmaker() as session:
            response = (
                await session.scalars(select(Response).where(Response.resident_id == ilga.id))
            ).one()
            assert response.origin == Origin.PAPER.value
            assert response.status == ResponseStatus.SENT.value
            assert await session.get(Participation, (survey_id, ilga.id)) is not None
        # one per survey: she is no longer offered, and a crafted press is told so
        [units] = await bot.press(CHAIR, SurveyPaper(survey_id).pack())
        [whose] = await bot.press(CHAIR, option(units, "Alsviķi parish"))
        assert "Ilga Kalniņa" not in str(whose["buttons"])
        [again] = await bot.press(
            CHAIR, SurveyPaper(survey_id, ilga.unit_id, ilga.id, whose=True).pack()
        )
        assert again["text"] == "Their answers to this survey are already counted."

        _, text = await results_of(bot, CHAIR, survey_id)
        assert "1 response (on paper: 1)" in text["text"]
        assert "Alsviķi parish: 0 of 4 (0 %), on paper: 1" in text["text"]

        # erased on request: gone, an anonymous count stays
        erased = run_padome(
            ["residents", "erase", str(peteris.id), "--yes"],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert erased.returncode == 0, erased.stderr
        async with bot.app.sessionmaker() as session:
            gone = await session.get(Resident, peteris.id)
            assert gone is not None and gone.erased_at is not None
            assert gone.display_name is None and gone.offline_details is None
        [in_chat] = await bot.press(CHAIR, OfflineList().pack())
        assert "Pēteris Ozols" not in in_chat["text"]


async def test_trusted_helper_linked_receives_answers_for_the_resident_until_ended(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")
        await bot.onboard(MARTA, language="en", first_name="Marta")
        await bot.onboard(JANIS, language="en", first_name="Jānis")
        await bot.onboard(OTHER, language="en", first_name="Olga")

        [screen] = await bot.press(MARTA, HelperScreen().pack())
        assert "Someone helps me" in str(screen["buttons"])
        [code_text] = await bot.press(MARTA, HelperStart().pack())
        code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
        assert "It can be used for 30 minutes, until " in code_text["text"]

        [asked] = await bot.press(JANIS, HelperEnter().pack())
        assert asked["text"] == "Type the code the person you help gave you."
        [wrong] = await bot.send(JANIS, "AAAAA3")
        assert wrong["text"].startswith("That code is not valid or has expired.")
        [whose] = await bot.send(JANIS, code.lower())
        assert whose["text"].startswith("The code is from Marta.")
        [thanks] = await bot.press(JANIS, option(whose, "Yes, I help Marta"))
        assert thanks["text"].startswith("Thank you. Marta now confirms you once more")
        await api.wait_for(chat_id=MARTA, predicate=has_text("Jānis typed your code"), timeout=10)
        question = next(m for m in api.messages_to(MARTA) if "Jānis typed" in (m.get("text") or ""))
        async with bot.app.sessionmaker() as session:
            link = (await session.scalars(select(HelperLink))).one()
            assert link.status == LinkStatus.HELPER_CONFIRMED.value  # not active yet
        # the helper cannot confirm for the resident
        [refused] = await bot.press(JANIS, HelperConfirm(link.id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [linked] = await bot.press(MARTA, option(question, "Yes, confirm"))
        assert linked["text"].startswith("Jānis is now your trusted person.")
        await api.wait_for(chat_id=JANIS, predicate=has_text("Marta confirmed you"), timeout=10)
        told = "\n".join(texts_to(api, JANIS))
        assert (
            "Nominations and support for candidates cannot be given through a trusted person"
            in told
        )

        # a council message: Jānis gets his own and one copy for Marta, once
        broadcast_id = await schedule(
            bot, texts={"lv": "Sapulce piektdien.", "en": "Meeting on Friday."}
        )
        await until_status(bot, broadcast_id, Status.DONE.value)
        await api.wait_for(chat_id=JANIS, predicate=has_text("For Marta:"), timeout=10)
        copies = [text for text in texts_to(api, JANIS) if text.startswith("For Marta:")]
        assert copies == ["For Marta:\nMessage from the residents' council\n\nMeeting on Friday."]
        assert not any("For" in text for text in texts_to(api, OTHER))

        # a survey invitation: Jānis answers it for Marta
        survey_id = await make_survey(bot, survey_yaml(anonymous=False))
        await api.wait_for(
            chat_id=JANIS,
            predicate=lambda ms: any(
                HelperSurvey(link.id, survey_id).pack() in payloads(m) for m in ms
            ),
            timeout=15,
        )
        # someone Marta never named cannot answer for her
        [refused] = await bot.press(OTHER, HelperSurvey(link.id, survey_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        intro, first = await bot.press(JANIS, HelperSurvey(link.id, survey_id).pack(), replies=2)
        assert intro["text"] == 'You answer "Ceļi un ietves" for Marta.'
        assert "You answer for Marta" in first["text"]
        [nxt] = await bot.press(JANIS, option(first, "Good"))
        [nxt] = await bot.press(JANIS, option(nxt, "Bedres"))
        [scale] = await bot.press(JANIS, option(nxt, "Done"))
        [yesno] = await bot.press(JANIS, option(scale, "5"))
        [review] = await bot.press(JANIS, option(yesno, "No"))
        assert review["text"].startswith("You answer for Marta")
        [sent] = await bot.press(JANIS, option(review, "Send my answers"))
        assert sent["text"].startswith(
            'Thank you! The answers of Marta to "Ceļi un ietves" are sent, as given through '
            "a trusted person."
        )
        marta_id, janis_id = await resident_id(bot, MARTA), await resident_id(bot, JANIS)
        async with bot.app.sessionmaker() as session:
            response = (
                await session.scalars(select(Response).where(Response.resident_id == marta_id))
            ).one()
            assert response.origin == Origin.HELPER.value
            assert response.helper_id == janis_id
            acts = list(await session.scalars(select(HelperAct)))
            assert [(act.kind, act.item_id) for act in acts] == [("survey", survey_id)]
            answered = await audit_entries(session, action="helper_survey_answered")
            assert [entry.actor_id for entry in answered] == [janis_id]
            refusals = await audit_entries(session, action="refused")
            assert any(entry.details.get("attempted") == "helper_survey" for entry in refusals)
        await api.wait_for(
            chat_id=MARTA,
            predicate=has_text("Jānis, your trusted person, answered the survey"),
            timeout=10,
        )
        _, text = await results_of(bot, CHAIR, survey_id)
        assert "1 response (through a trusted person: 1)" in text["text"]
        assert "through a trusted person: 1" in text["text"].split("Answers in chat by parish")[1]

        # Marta's data shows the link and what was done through it
        async with bot.app.sessionmaker() as session:
            marta = await session.get(Resident, marta_id)
            assert marta is not None
            data = await personal_data(session, marta)
        [helped] = data["trusted_helpers"]
        assert helped["you_are"] == "helped" and helped["other_person_first_name"] == "Jānis"
        assert helped["acts"][0]["kind"] == "survey"

        # Marta ends it; Jānis is told and refused afterwards
        [sure] = await bot.press(MARTA, HelperEnd(link.id).pack())
        assert sure["text"] == "End the help with Jānis?"
        [ended] = await bot.press(MARTA, option(sure, "Yes, end it"))
        assert ended["text"].startswith("The help with Jānis has ended.")
        await api.wait_for(
            chat_id=JANIS,
            predicate=has_text("Marta ended the help: you no longer receive"),
            timeout=10,
        )
        [refused] = await bot.press(JANIS, HelperSurvey(link.id, survey_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."

        # the helper's /forget erases the link and its acts
        [ask] = await bot.send(JANIS, "/forget")
        await bot.press(JANIS, option(ask, "Yes, erase my data"))
        async with bot.app.sessionmaker() as session:
            assert list(await session.scalars(select(HelperLink))) == []
            assert list(await session.scalars(select(HelperAct))) == []
