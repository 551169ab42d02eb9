"""The printed bulletin of a parish or town: a large-print A4 PDF for residents without a
phone or the internet, left at the library and the client-service point.

It holds the latest council messages and announcements of the unit, the open surveys with
their questions and numbered tick boxes, a slip per survey to cut out and return (staff
enter it as a paper questionnaire, counted as paper for the unit), and how to join by SMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from handlers.surveys.payloads import SurveyOpen
from models.broadcasts import Broadcast, Kind
from models.broadcasts import Status as BroadcastStatus
from models.surveys import QuestionKind, Survey, text_in
from models.surveys import Status as SurveyStatus
from models.territory import Locality, Unit
from reports.nomination_papers import PDF_MIME, font_files

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["PDF_MIME", "Bulletin", "bulletin_pdf", "gather_bulletin"]

BODY = 14  # points: large print
HEADING = 20
SUBHEADING = 16
# Messages printed at most, newest first.
MESSAGES_MAX = 12
# The word residents send by SMS to join (any first message starts the same conversation).
JOIN_WORD = "PADOME"
_PHONE = re.compile(r"\+\d{6,15}")


@dataclass(frozen=True)
class Bulletin:
    unit: Unit
    since: datetime
    messages: list[Broadcast]
    surveys: list[Survey]
    sms_number: str | None
    whatsapp_number: str | None


async def gather_bulletin(
    session: AsyncSession, *, unit: Unit, since: datetime, now: datetime, settings: Settings
) -> Bulletin:
    """What the unit's bulletin prints: its messages since `since`, its open surveys."""
    localities = list(await session.scalars(select(Locality.id).where(Locality.unit_id == unit.id)))
    found = await session.scalars(
        select(Broadcast)
        .where(
            Broadcast.kind != Kind.NOTICE.value,
            Broadcast.status.in_([BroadcastStatus.SENDING.value, BroadcastStatus.DONE.value]),
            Broadcast.started_at >= since,
        )
        .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
    )
    messages = []
    for broadcast in found:
        if broadcast.house_id is not None or broadcast.resident_ids is not None:
            continue  # one house's or named people's message: not for the whole parish
        if broadcast.locality_id is not None:
            if broadcast.locality_id not in localities:
                continue
        elif broadcast.unit_ids is not None and unit.id not in broadcast.unit_ids:
            continue
        if not (broadcast.texts.get("lv") or "").strip():
            continue  # emptied by erasure
        if (broadcast.action_payload or "").startswith(f"{SurveyOpen.kind}:"):
            continue  # a survey's invitation: the survey itself is printed below
        messages.append(broadcast)
        if len(messages) == MESSAGES_MAX:
            break
    open_surveys = await session.scalars(
        select(Survey)
        .where(
            Survey.status == SurveyStatus.OPEN.value,
            Survey.closes_at > now,
        )
        .order_by(Survey.closes_at, Survey.id)
    )
    surveys = [
        survey
        for survey in open_surveys
        if survey.everywhere
        or unit.id in (survey.unit_ids or [])
        or any(locality in localities for locality in survey.locality_ids or [])
    ]
    sms = settings.twilio_sms_from
    whatsapp = (settings.twilio_whatsapp_from or "").removeprefix("whatsapp:") or None
    return Bulletin(
        unit=unit,
        since=since,
        messages=messages,
        surveys=surveys,
        sms_number=sms if sms and _PHONE.fullmatch(sms) else None,
        whatsapp_number=whatsapp,
    )


def bulletin_pdf(bulletin: Bulletin, t: Translator, *, printed_at: datetime) -> bytes:
    """The bulletin as an A4 PDF in the translator's language, body text at 14 pt."""
    # Imported here: fpdf2 takes longer to import than most commands take to run.
    from fpdf import FPDF

    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    place = bulletin.unit.label_in(t.language)
    pdf.set_title(t._("{place}: news of the residents' council", place=place))
    pdf.add_page()
    _text(pdf, t._("{place}: news of the residents' council", place=place), HEADING, bold=True)
    _text(
        pdf,
        t._(
            "Printed on {date}. Messages since {since}.",
            date=t.datetime(printed_at),
            since=t.datetime(bulletin.since).split(" ")[0],
        ),
        BODY,
    )
    _gap(pdf)
    _text(pdf, t._("Messages"), SUBHEADING, bold=True)
    if not bulletin.messages:
        _text(pdf, t._("No messages in this time."), BODY)
    for broadcast in bulletin.messages:
        heading = (
            t._("Announcement: {place}", place=broadcast.place or place)
            if broadcast.kind == Kind.ANNOUNCEMENT.value
            else t._("Message from the residents' council")
        )
        when = t.datetime(broadcast.started_at or broadcast.due_at)
        _text(pdf, f"{when} – {heading}", BODY, bold=True)
        _text(pdf, broadcast.text_for(t.language), BODY)
        _gap(pdf, 3)
    for survey in bulletin.surveys:
        _survey(pdf, t, survey)
    for survey in bulletin.surveys:
        _slip(pdf, t, survey, place)
    _gap(pdf)
    _join(pdf, t, bulletin)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str, size: float, *, bold: bool = False) -> None:
    from fpdf.enums import Align, XPos, YPos

    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _gap(pdf: FPDF, height: float = 6) -> None:
    pdf.ln(height)


def _survey(pdf: FPDF, t: Translator, survey: Survey) -> None:
    _gap(pdf)
    title = text_in(survey.title, t.language)
    _text(pdf, t._("Survey: {title}", title=title), SUBHEADING, bold=True)
    description = text_in(survey.description, t.language)
    if description:
        _text(pdf, description, BODY)
    _text(pdf, t._("Answers are accepted until {time}.", time=t.datetime(survey.closes_at)), BODY)
    for number, question in enumerate(survey.questions, start=1):
        _gap(pdf, 3)
        _text(pdf, f"{number}. {text_in(question.texts, t.language)}", BODY, bold=True)
        kind = QuestionKind(question.kind)
        if kind is QuestionKind.MULTIPLE:
            _text(pdf, t._("Tick one or more."), BODY)
        if question.show_if_option_id is not None:
            _text(pdf, t._("Answer only if it concerns you after your earlier answers."), BODY)
        if question.is_choice:
            for index, option in enumerate(question.options, start=1):
                _text(pdf, f"☐ {index}. {text_in(option.texts, t.language)}", BODY)
        elif kind is QuestionKind.SCALE:
            top = question.scale_max or 5
            low = text_in(question.low_texts, t.language)
            high = text_in(question.high_texts, t.language)
            boxes = "  ".join(f"☐ {value}" for value in range(1, top + 1))
            _text(pdf, boxes, BODY)
            if low or high:
                _text(pdf, f"1 – {low}; {top} – {high}", BODY)
        else:
            _text(pdf, t._("Write your answer:"), BODY)
            for _ in range(2):
                _text(pdf, "_" * 48, BODY)


def _slip(pdf: FPDF, t: Translator, survey: Survey, place: str) -> None:
    """The part to cut off and return: the answers written as the numbers of the boxes."""
    pdf.add_page()
    _text(pdf, "✂ " + "- " * 30, BODY)
    _text(
        pdf,
        t._(
            "Answer slip No. {id}: {title}",
            id=survey.id,
            title=text_in(survey.title, t.language),
        ),
        SUBHEADING,
        bold=True,
    )
    if survey.anonymous:
        # Nobody is asked to sign what is anonymous; the slip still counts for its place.
        _text(pdf, t._("Your answers are anonymous."), BODY)
    else:
        _text(pdf, t._("Name, surname:") + " " + "_" * 30, BODY)
        _text(pdf, t._("House or address:") + " " + "_" * 27, BODY)
    _gap(pdf, 3)
    _text(
        pdf,
        t._("Write the numbers of the boxes you ticked, or your answer in words."),
        BODY,
    )
    for number in range(1, len(survey.questions) + 1):
        _text(pdf, t._("Question {n}:", n=number) + " " + "_" * 30, BODY)
    _gap(pdf, 3)
    _text(
        pdf,
        t._(
            "Cut out this slip and bring it to the library or the client-service point "
            "({place}) before {time}. Staff enter it as a paper questionnaire of the survey; "
            "it is counted as a paper answer from {place}.",
            place=place,
            time=t.datetime(survey.closes_at),
        ),
        BODY,
    )
    _text(pdf, "✂ " + "- " * 30, BODY)


def _join(pdf: FPDF, t: Translator, bulletin: Bulletin) -> None:
    _text(pdf, t._("Get the council's messages on your phone"), SUBHEADING, bold=True)
    if bulletin.sms_number:
        _text(
            pdf,
            t._(
                "Send an SMS with the word {word} to {number}. The assistant answers and asks "
                "your language and your parish or town; the messages then come by SMS.",
                word=JOIN_WORD,
                number=bulletin.sms_number,
            ),
            BODY,
        )
    if bulletin.whatsapp_number:
        _text(
            pdf,
            t._(
                "On WhatsApp: write {word} to {number}.",
                word=JOIN_WORD,
                number=bulletin.whatsapp_number,
            ),
            BODY,
        )
    _text(
        pdf,
        t._(
            "Without a phone: ask your representative or the client-service point to register "
            "you; the council's messages then reach you by post, through a neighbour or in "
            "person."
        ),
        BODY,
    )
