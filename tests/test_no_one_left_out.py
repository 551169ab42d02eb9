"""No one left out: residents without a phone registered in chat and by the command line,
their paper questionnaires counted as theirs; a trusted helper linked with two
confirmations, receiving the council's messages for the resident and answering for them,
over the fake Telegram Bot API."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.helpers.payloads import (
    HelperConfirm,
    HelperEnd,
    HelperEnter,
    HelperFor,
    HelperMeeting,
    HelperMeetingAsk,
    HelperScreen,
    HelperStart,
    HelperSurvey,
)
from handlers.meetings.payloads import Choice, MeetingView
from handlers.offline_residents import OfflineList, OfflineNew
from handlers.surveys.payloads import SurveyPaper
from models.audit import audit_entries
from models.broadcasts import Status
from models.helpers import HelperAct, HelperCodeTry, HelperLink, LinkStatus
from models.meetings import MeetingAnswer, MeetingKind
from models.personal_data import personal_data
from models.residents import Resident
from models.surveys import Origin, Participation, Response, ResponseStatus
from tests.fakes.telegram_api import payloads
from tests.telegram import fake_telegram_api
from tests.test_broadcasts import (
    CHAIR,
    broadcasting,
    has_text,
    running,
    schedule,
    texts_to,
    until_status,
)
from tests.test_console import run_padome
from tests.test_meetings import invitation, make_meeting, texts_arrive, with_payload
from tests.test_surveys import invited, make_survey, option, resident_id, results_of, survey_yaml
from tests.test_twilio import ANNA as ANNA_PHONE
from tests.test_twilio import ILZE as ILZE_PHONE
from tests.test_twilio import lv, onboard, say, stored, text_of
from tests.test_twilio import running as twilio_running

ANNA, MARTA, JANIS, OTHER = 1001, 1002, 1003, 1004
RIGA = ZoneInfo("Europe/Riga")


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
            ADMINS=f"tg:{CHAIR}",  # the same deployment: the chair is an admin here too
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


async def _link(bot, api, *, resident: int, helper: int, name: str) -> int:  # type: ignore[no-untyped-def]
    """The resident names the helper, both confirm; returns the link's id."""
    [code_text] = await bot.press(resident, HelperStart().pack())
    code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
    await bot.press(helper, HelperEnter().pack())
    [whose] = await bot.send(helper, code)
    await bot.press(helper, option(whose, f"Yes, I help {name}"))
    await api.wait_for(chat_id=resident, predicate=has_text("typed your code"), timeout=10)
    question = [m for m in api.messages_to(resident) if "typed your code" in (m.get("text") or "")]
    [linked] = await bot.press(resident, option(question[-1], "Yes, confirm"))
    assert "is now your trusted person" in linked["text"]
    await api.wait_for(chat_id=helper, predicate=has_text(f"{name} confirmed you"), timeout=10)
    async with bot.app.sessionmaker() as session:
        link = await session.scalar(
            select(HelperLink)
            .where(HelperLink.status == LinkStatus.ACTIVE.value)
            .order_by(HelperLink.id.desc())
        )
        assert link is not None
        return link.id


async def _forget(bot, chat: int) -> None:  # type: ignore[no-untyped-def]
    """/forget, confirmed (a notice may arrive along with the question)."""
    before = len(bot.api.messages_to(chat))
    bot.api.push_message(chat, "/forget")

    def asked(messages: list) -> bool:  # type: ignore[type-arg]
        return any("Yes, erase my data" in str(m.get("buttons")) for m in messages[before:])

    messages = await bot.api.wait_for(chat_id=chat, predicate=asked, timeout=10)
    ask = next(m for m in messages[before:] if "Yes, erase my data" in str(m.get("buttons")))
    await bot.press(chat, option(ask, "Yes, erase my data"))


async def test_a_trusted_person_answers_from_the_menu_and_the_meeting_answer_says_so(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")
        await bot.onboard(MARTA, language="en", first_name="Marta")
        await bot.onboard(JANIS, language="en", first_name="Jānis")
        await bot.onboard(OTHER, language="en", first_name="Olga")
        link_id = await _link(bot, api, resident=MARTA, helper=JANIS, name="Marta")

        # No second link between the same two people, active or waiting for confirmation.
        [code_text] = await bot.press(MARTA, HelperStart().pack())
        code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
        await bot.press(JANIS, HelperEnter().pack())
        [twice] = await bot.send(JANIS, code)
        assert twice["text"].startswith("You already help this person, or wait for their")
        await bot.press(OTHER, HelperEnter().pack())
        [whose] = await bot.send(OTHER, code)
        await bot.press(OTHER, option(whose, "Yes, I help Marta"))  # waits for Marta now
        [code_text] = await bot.press(MARTA, HelperStart().pack())
        code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
        await bot.press(OTHER, HelperEnter().pack())
        [twice] = await bot.send(OTHER, code)
        assert twice["text"].startswith("You already help this person, or wait for their")
        async with bot.app.sessionmaker() as session:
            links = list(await session.scalars(select(HelperLink).order_by(HelperLink.id)))
            assert [(link.helper_id is not None, link.status) for link in links] == [
                (True, LinkStatus.ACTIVE.value),
                (True, LinkStatus.HELPER_CONFIRMED.value),
                (False, LinkStatus.CODE.value),
            ]
            refusals = await audit_entries(session, action="helper_link_twice")
            assert len(refusals) == 2

        # A survey and a community meeting for Marta's parish; Jānis finds both himself.
        survey_id = await make_survey(bot, survey_yaml(anonymous=False))
        meeting_id = await make_meeting(
            bot,
            kind=MeetingKind.COMMUNITY,
            title="Ciema sapulce",
            unit_slug="alsviku",
            organiser_chat=CHAIR,
        )
        # Everything sent on its own has come before the presses below.
        for chat in (MARTA, JANIS, OTHER):
            await invited(api, chat, survey_id)
            await invitation(api, chat, meeting_id)
        for copy in (
            HelperSurvey(link_id, survey_id),
            HelperMeeting(link_id, meeting_id, Choice.NO),
        ):
            await api.wait_for(chat_id=JANIS, predicate=with_payload(copy.pack()), timeout=15)
        # The invitation's copy says the question is about Marta, not about Jānis.
        [meeting_copy] = [
            m["text"]
            for m in api.messages_to(JANIS)
            if HelperMeeting(link_id, meeting_id, Choice.NO).pack() in payloads(m)
        ]
        assert meeting_copy.startswith(
            "For Marta:\nThe question below is about Marta: your answer is given for them.\n"
        )
        await texts_arrive(api, CHAIR, "are going out to")
        [menu] = await bot.press(JANIS, HelperEnter().pack())
        assert "Choose whom you answer for" in menu["text"]
        [listed] = await bot.press(JANIS, option(menu, "Answer for Marta"))
        assert listed["text"].startswith("What Marta can answer now:")
        assert "Ceļi un ietves (open until" in listed["text"]
        assert "Ciema sapulce, " in listed["text"]
        # someone Marta never named cannot see or answer it
        [refused] = await bot.press(OTHER, HelperFor(link_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [refused] = await bot.press(OTHER, HelperMeetingAsk(link_id, meeting_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."

        [meeting] = await bot.press(JANIS, option(listed, "Meeting: Ciema sapulce"))
        assert meeting["text"].startswith("You answer for Marta.")
        [done] = await bot.press(JANIS, option(meeting, "I will come"))
        assert "given through a trusted person" in done["text"]
        [listed] = await bot.press(JANIS, HelperFor(link_id).pack())
        assert "Ciema sapulce, " in listed["text"] and "— I will come" in listed["text"]
        intro, _first = await bot.press(JANIS, option(listed, "Answer: Ceļi un ietves"), replies=2)
        assert intro["text"] == 'You answer "Ceļi un ietves" for Marta.'

        marta_id, janis_id = await resident_id(bot, MARTA), await resident_id(bot, JANIS)
        async with bot.app.sessionmaker() as session:
            answer = (await session.scalars(select(MeetingAnswer))).one()
            assert (answer.resident_id, answer.helper_id, answer.through_helper) == (
                marta_id,
                janis_id,
                True,
            )
        # The organiser sees it marked, in chat and at the command line.
        [view] = await bot.press(CHAIR, MeetingView(meeting_id).pack())
        assert (
            "I will come: 1 · online: 0 · maybe: 0 · cannot: 0 (through a trusted person: 1)"
            in (view["text"])
        )
        assert "Marta (through a trusted person)" in view["text"]
        shown = run_padome(
            ["meetings", "show", str(meeting_id)],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert shown.returncode == 0, shown.stderr
        assert "answers: yes 1, maybe 0, no 0, online 0 (through a trusted person: 1)" in (
            shown.stdout
        )

        # Erasure of either leaves no id of them on the answer; the count stays marked.
        await _forget(bot, JANIS)
        async with bot.app.sessionmaker() as session:
            answer = (await session.scalars(select(MeetingAnswer))).one()
            assert (answer.resident_id, answer.helper_id, answer.through_helper) == (
                marta_id,
                None,
                True,
            )
        await _forget(bot, MARTA)
        async with bot.app.sessionmaker() as session:
            answer = (await session.scalars(select(MeetingAnswer))).one()
            assert (answer.resident_id, answer.helper_id, answer.through_helper) == (
                None,
                None,
                True,
            )
        [view] = await bot.press(CHAIR, MeetingView(meeting_id).pack())
        assert "(through a trusted person: 1)" in view["text"]
        assert "Marta" not in view["text"]


async def test_wrong_codes_are_refused_for_an_hour_also_after_a_restart(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        async with running(database_url, api) as bot:
            await bot.onboard(MARTA, language="en", first_name="Marta")
            await bot.onboard(OTHER, language="en", first_name="Olga")
            [code_text] = await bot.press(MARTA, HelperStart().pack())
            code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
            await bot.press(OTHER, HelperEnter().pack())
            for _ in range(5):
                [wrong] = await bot.send(OTHER, "AAAAA3")
                assert wrong["text"].startswith("That code is not valid or has expired.")
            [blocked] = await bot.send(OTHER, "AAAAA3")
            async with bot.app.sessionmaker() as session:
                tries = list(
                    await session.scalars(select(HelperCodeTry.at).order_by(HelperCodeTry.at))
                )
            assert len(tries) == 6
            until = (tries[0] + timedelta(hours=1)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
            assert blocked["text"] == (
                f"Too many wrong codes in the last hour. You can type a code again from {until}."
            )
            # even the right code is refused until then
            await bot.press(OTHER, HelperEnter().pack())
            [refused] = await bot.send(OTHER, code)
            assert refused["text"] == blocked["text"]
        async with running(database_url, api) as bot:
            await bot.press(OTHER, HelperEnter().pack())
            [refused] = await bot.send(OTHER, code)
            assert refused["text"] == blocked["text"]
            async with bot.app.sessionmaker() as session:
                assert len(list(await session.scalars(select(HelperCodeTry)))) == 6
                assert (await session.scalars(select(HelperLink))).one().helper_id is None


def _number(text: str, label: str) -> str:
    """The number a WhatsApp or SMS reader types for the option ending with `label`."""
    for line in text.split("\n"):
        found = re.match(r"\s*(\d+)\) (.*)$", line)
        if found and found.group(2).strip().endswith(label):
            return found.group(1)
    raise AssertionError(f"no option {label!r} in {text!r}")


async def _arrives(fake, phone: str, fragment: str) -> str:  # type: ignore[no-untyped-def]
    """The first message to `phone` containing `fragment`, once it has come."""
    found = await fake.wait_until(
        lambda: [m.body for m in fake.messages_to(phone) if fragment in m.body] or None,
        timeout=15,
    )
    return str(found[0])


async def test_the_whole_trusted_person_flow_over_whatsapp_and_sms(database_url: str) -> None:
    """A resident on WhatsApp names a neighbour who uses SMS: numbered choices all the way,
    through the real twilio client and signed webhooks."""
    name = "Test"  # the resident's WhatsApp profile name, as the fake sends it
    wa, sms = ("whatsapp", ILZE_PHONE), ("sms", ANNA_PHONE)
    async with twilio_running(database_url) as (fake, bot), broadcasting(bot):  # type: ignore[arg-type]

        async def say_(who: tuple[str, str], text: str) -> str:
            return text_of(await say(fake, bot, who[0], who[1], text))

        async def choose(who: tuple[str, str], text: str, label: str) -> str:
            return await say_(who, _number(text, label))

        await onboard(fake, bot, *wa)
        await onboard(fake, bot, *sms)

        screen = await choose(wa, await say_(wa, "0"), lv("Trusted person"))
        code_text = await choose(wa, screen, lv("Someone helps me"))
        code = re.search(r": ([A-Z0-9]{6})\b", code_text).group(1)  # type: ignore[union-attr]

        screen = await choose(sms, await say_(sms, "0"), lv("Trusted person"))
        asked = await choose(sms, screen, lv("I help someone"))
        assert lv("Type the code the person you help gave you.") in asked
        whose = await say_(sms, code.lower())
        assert lv("The code is from {name}.", name=name) in whose
        thanks = await choose(sms, whose, lv("Yes, I help {name}", name=name))
        assert lv("Thank you. {name} now confirms you once more; you will be told.", name=name) in (
            thanks
        )
        question = await _arrives(fake, ILZE_PHONE, lv("Yes, confirm"))
        await asyncio.sleep(0.3)  # the notice's row is recorded with its options
        linked = await choose(wa, question, lv("Yes, confirm"))
        assert lv("Main menu: choose what you want to do.") in linked
        await _arrives(fake, ANNA_PHONE, lv("Trusted person"))
        anna = await stored(bot, "sms", ANNA_PHONE)  # type: ignore[arg-type]
        ilze = await stored(bot, "whatsapp", ILZE_PHONE)  # type: ignore[arg-type]
        assert anna is not None and ilze is not None
        async with bot.app.sessionmaker() as session:
            link = (await session.scalars(select(HelperLink))).one()
            assert link.status == LinkStatus.ACTIVE.value and link.helper_id == anna.id

        # A council message: the neighbour gets their own and a copy for the resident.
        broadcast_id = await schedule(bot, texts={"lv": "Sapulce piektdien."})  # type: ignore[arg-type]
        await until_status(bot, broadcast_id, Status.DONE.value)  # type: ignore[arg-type]
        copy = await _arrives(fake, ANNA_PHONE, lv("For {name}:", name=name))
        assert copy.startswith(lv("For {name}:", name=name)) and "Sapulce piektdien." in copy

        # A survey: answered by the neighbour for the resident, by numbers.
        await make_survey(bot, survey_yaml(anonymous=False))  # type: ignore[arg-type]
        invitation_copy = await _arrives(fake, ANNA_PHONE, lv("Answer the survey for them"))
        assert invitation_copy.startswith(lv("For {name}:", name=name))
        # Without the copy: "I help someone" lists whom they help, then what is open.
        screen = await choose(sms, await say_(sms, "0"), lv("Trusted person"))
        helping = await choose(sms, screen, lv("I help someone"))
        listed = await choose(sms, helping, lv("Answer for {name}", name=name))
        assert "• Ceļi un ietves (" in listed
        first = await choose(sms, listed, lv("Answer: {title}", title="Ceļi un ietves"))
        assert lv('You answer "{title}" for {name}.', title="Ceļi un ietves", name=name) in first
        assert lv("Question {n} of {total}", n=1, total=5) in first
        road = await say_(sms, "slikti")
        assert lv("Question {n} of {total}", n=2, total=5) in road
        await say_(sms, "Dzirnavu iela")
        await say_(sms, "Bedres")
        matters = await say_(sms, "Ietves")
        scale = await choose(sms, matters, lv("Done"))
        assert lv("Question {n} of {total}", n=4, total=5) in scale
        await say_(sms, "4")
        review = await say_(sms, "1")  # Jā
        sent = await choose(sms, review, lv("Send my answers"))
        assert (
            lv(
                'Thank you! The answers of {name} to "{title}" are sent, as given through a '
                "trusted person.",
                name=name,
                title="Ceļi un ietves",
            )
            in sent
        )
        await _arrives(
            fake,
            ILZE_PHONE,
            # The SMS neighbour gave no name: the text needs none.
            lv(
                'Your trusted person answered the survey "{title}" for you.', title="Ceļi un ietves"
            ),
        )
        async with bot.app.sessionmaker() as session:
            response = (
                await session.scalars(select(Response).where(Response.resident_id == ilze.id))
            ).one()
            assert response.origin == Origin.HELPER.value and response.helper_id == anna.id
            assert response.status == ResponseStatus.SENT.value

        # The neighbour ends it, by numbers; the resident is told; nothing is copied after.
        screen = await choose(sms, await say_(sms, "0"), lv("Trusted person"))
        sure = await choose(sms, screen, lv("End the help: {name}", name=name))
        ended = await choose(sms, sure, lv("Yes, end it"))
        assert lv("The help with {name} has ended. {name} is told.", name=name) in ended
        await _arrives(
            fake, ILZE_PHONE, lv("Your trusted person ended the help and no longer helps you.")
        )
        async with bot.app.sessionmaker() as session:
            link = (await session.scalars(select(HelperLink))).one()
            assert link.status == LinkStatus.ENDED.value
        later = await schedule(bot, texts={"lv": "Vēl viena ziņa."})  # type: ignore[arg-type]
        await until_status(bot, later, Status.DONE.value)  # type: ignore[arg-type]
        await _arrives(fake, ANNA_PHONE, "Vēl viena ziņa.")
        assert not any(
            "Vēl viena ziņa." in text and text.startswith(lv("For {name}:", name=name))
            for text in fake.texts_to(ANNA_PHONE)
        )


def _labels(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [button["text"] for row in message["buttons"] for button in row]


NAMELESS, NAMELESS_HELPER = 1011, 1012


async def test_nameless_people_see_texts_without_a_name_and_confirm_from_the_screen(
    database_url: str,
) -> None:
    """Neither side gave a name (as on the console or by SMS): no dash stands in for one;
    the resident confirms or declines a waiting trusted person from the screen itself."""
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")
        await bot.onboard(NAMELESS, language="en", first_name="\u3164")
        await bot.onboard(NAMELESS_HELPER, language="lv", first_name="\u3164")
        await bot.onboard(MARTA, language="en", first_name="Marta")
        await bot.onboard(JANIS, language="en", first_name="Jānis")

        [screen] = await bot.press(NAMELESS, HelperScreen().pack())
        assert _labels(screen) == ["Someone helps me", "I help someone", "Main menu"]
        [code_text] = await bot.press(NAMELESS, HelperStart().pack())
        code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
        await bot.press(NAMELESS_HELPER, HelperEnter().pack())
        [whose] = await bot.send(NAMELESS_HELPER, code)
        assert whose["text"].startswith(
            lv("The code is from a resident of {unit}.", unit="x").split("{")[0][:20]
        )
        assert "—" not in whose["text"] and "Alsviķ" in whose["text"]
        assert _labels(whose)[0] == lv("Yes, I help")
        [thanks] = await bot.press(NAMELESS_HELPER, option(whose, lv("Yes, I help")))
        assert thanks["text"].startswith(
            lv("Thank you. The person you help now confirms you once more; you will be told.")
        )
        await api.wait_for(
            chat_id=NAMELESS, predicate=has_text("Someone typed your code"), timeout=10
        )

        # The notice is left behind; the screen still offers the answer.
        await bot.send(NAMELESS, "hello")
        [screen] = await bot.press(NAMELESS, HelperScreen().pack())
        assert "The person who typed your code waits for your confirmation." in screen["text"]
        assert "—" not in screen["text"]
        assert _labels(screen) == [
            "Someone helps me",
            "I help someone",
            "Confirm",
            "Decline",
            "Main menu",
        ]
        async with bot.app.sessionmaker() as session:
            link = (await session.scalars(select(HelperLink))).one()
        # only the resident confirms: the helper's crafted press is refused
        [refused] = await bot.press(NAMELESS_HELPER, HelperConfirm(link.id).pack())
        assert refused["text"] == lv("Sorry, you are not allowed to do that.")
        [linked] = await bot.press(NAMELESS, option(screen, "Confirm"))
        assert linked["text"].startswith("You have confirmed your trusted person.")
        await api.wait_for(
            chat_id=NAMELESS_HELPER,
            predicate=has_text(
                lv(
                    "The person whose code you typed confirmed you as their trusted person. You "
                    "will receive the council's messages for them, marked as for the person you "
                    "help, and may answer surveys and meeting invitations for them."
                )
            ),
            timeout=10,
        )
        # a confirmed link cannot be confirmed again from an old screen
        [again] = await bot.press(NAMELESS, option(screen, "Confirm"))
        assert again["text"].startswith("There is nothing to confirm now.")

        [screen] = await bot.press(NAMELESS, HelperScreen().pack())
        assert "Your trusted person helps you." in screen["text"]
        assert _labels(screen) == [
            "Someone helps me",
            "I help someone",
            "End the help of your trusted person",
            "Main menu",
        ]
        [helper_screen] = await bot.press(NAMELESS_HELPER, HelperScreen().pack())
        assert lv("You help a resident.") in helper_screen["text"]
        assert _labels(helper_screen)[:3] == [
            lv("Someone helps me"),
            lv("I help someone"),
            lv("End your help"),
        ]
        [enter] = await bot.press(NAMELESS_HELPER, HelperEnter().pack())
        assert any(
            label.startswith(lv("Answer for a resident of {unit}", unit="")[:10])
            for label in _labels(enter)
        )

        # the council's message reaches the helper marked without a name
        broadcast_id = await schedule(
            bot, texts={"lv": "Sapulce piektdien.", "en": "Meeting on Friday."}
        )
        await until_status(bot, broadcast_id, Status.DONE.value)
        marked = lv("For the person you help:")
        await api.wait_for(chat_id=NAMELESS_HELPER, predicate=has_text(marked), timeout=10)
        [copy] = [text for text in texts_to(api, NAMELESS_HELPER) if text.startswith(marked)]
        assert "Sapulce piektdien." in copy

        # the resident ends it; the helper is told without a dash
        [sure] = await bot.press(NAMELESS, HelperEnd(link.id).pack())
        assert sure["text"] == "End the help of your trusted person?"
        await bot.press(NAMELESS, option(sure, "Yes, end it"))
        told = lv(
            "The person you helped ended the help: you no longer receive messages for them "
            "and cannot answer for them."
        )
        await api.wait_for(chat_id=NAMELESS_HELPER, predicate=has_text(told), timeout=10)
        for chat in (NAMELESS, NAMELESS_HELPER):
            assert not any(": —" in text or text.startswith("—") for text in texts_to(api, chat))

        # a named pair: the resident declines from the screen; Jānis is told
        [code_text] = await bot.press(MARTA, HelperStart().pack())
        code = re.search(r"helps you: (\w+)", code_text["text"]).group(1)  # type: ignore[union-attr]
        await bot.press(JANIS, HelperEnter().pack())
        [whose] = await bot.send(JANIS, code)
        await bot.press(JANIS, option(whose, "Yes, I help Marta"))
        await api.wait_for(chat_id=MARTA, predicate=has_text("Jānis typed your code"), timeout=10)
        [screen] = await bot.press(MARTA, HelperScreen().pack())
        assert "Jānis waits for your confirmation." in screen["text"]
        assert _labels(screen)[:4] == [
            "Someone helps me",
            "I help someone",
            "Confirm: Jānis",
            "Decline: Jānis",
        ]
        [declined] = await bot.press(MARTA, option(screen, "Decline: Jānis"))
        assert declined["text"].startswith("Jānis is not your trusted person.")
        await api.wait_for(
            chat_id=JANIS, predicate=has_text("Marta did not confirm you"), timeout=10
        )
        async with bot.app.sessionmaker() as session:
            statuses = {
                item.helper_id: item.status for item in await session.scalars(select(HelperLink))
            }
        assert sorted(statuses.values()) == [LinkStatus.ENDED.value, LinkStatus.ENDED.value]


async def test_a_name_without_letters_a_plain_resident_and_no_way_to_reach_are_refused(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")  # an admin by ADMINS
        await bot.onboard(ANNA, language="en")

        await bot.press(CHAIR, OfflineNew().pack())
        for no_name in ("²", "፩", "😀", "12 34"):
            [again] = await bot.send(CHAIR, no_name)
            assert again["text"].startswith("Please write their name."), no_name
        [units] = await bot.send(CHAIR, "Ilga Kalniņa")
        assert units["text"] == "Which parish or town do they live in?"

        def add(*args: str):  # type: ignore[no-untyped-def]
            return run_padome(
                [
                    "residents", "add-offline", "--unit", "alsviku", "--paper-consent", *args,
                ],
                stdin="",
                database_url=database_url,
                cwd=tmp_path,
                ADMINS=f"tg:{CHAIR}",
            )  # fmt: skip

        for no_name in ("²", "፩", "😀"):
            refused = add(
                "--name", no_name, "--reached", "in_person", "--consent-by", f"tg:{CHAIR}"
            )
            assert refused.returncode == 1, refused.stdout
            assert "--name takes their name in letters" in refused.stderr
        plain = add(
            "--name", "Pēteris Ozols", "--reached", "post", "--details", "Stacijas iela 3",
            "--consent-by", f"tg:{ANNA}",
        )  # fmt: skip
        assert plain.returncode == 1, plain.stdout
        assert f"tg:{ANNA} may not register residents there" in plain.stderr
        for reached in ("post", "neighbour"):
            nowhere = add(
                "--name", "Pēteris Ozols", "--reached", reached, "--details", " ",
                "--consent-by", f"tg:{CHAIR}",
            )  # fmt: skip
            assert nowhere.returncode == 1, nowhere.stdout
            assert f"--reached {reached} needs --details" in nowhere.stderr
        async with bot.app.sessionmaker() as session:
            assert not list(
                await session.scalars(select(Resident).where(Resident.offline_contact.is_not(None)))
            )
        met = add(
            "--name", "Pēteris Ozols", "--reached", "in_person", "--consent-by", f"tg:{CHAIR}"
        )
        assert met.returncode == 0, met.stderr
        assert (await _offline(bot, "Pēteris Ozols")).offline_details is None
