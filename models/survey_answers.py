"""Answering a survey: a resident's (or a paper questionnaire's) draft, which questions it
shows, sending it as counted answers once per person, and the person's own survey data.

Anonymous surveys: a sent response keeps no resident id and no time; a separate participation
row (survey, resident) keeps the person from answering twice, and nothing links the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.residents import Resident
from models.surveys import (
    TEXT_ANSWER_MAX,
    Answer,
    Origin,
    Participation,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Survey,
    get_survey,
    text_in,
)

# ------------------------------------------------------------------ answering


class AlreadyAnswered(Exception):
    """The resident has already sent answers to this (anonymous) survey."""


class NotOpen(Exception):
    """The survey is not open (not yet, or closed)."""


def visible_questions(survey: Survey, draft: dict[str, Any]) -> list[Question]:
    """The questions shown given the answers so far: a conditional question appears once the
    option it depends on is chosen (and that question itself is shown)."""
    chosen: set[int] = set()
    shown: list[Question] = []
    for question in survey.questions:
        if question.show_if_option_id is not None and question.show_if_option_id not in chosen:
            continue
        shown.append(question)
        answer = draft.get(str(question.id)) or {}
        chosen.update(answer.get("o", []))
    return shown


def is_answered(draft: dict[str, Any], question: Question) -> bool:
    """Answered, skipped, or (multiple choice) confirmed with Done; options ticked without
    Done stay saved, and the question is asked again when the resident comes back."""
    answer = draft.get(str(question.id))
    if not answer:
        return False
    if question.kind == QuestionKind.MULTIPLE.value:
        return bool(answer.get("d") or answer.get("s"))
    return True


@dataclass(frozen=True)
class Progress:
    """Where a person is in a survey, as the intro and every question show it."""

    number: int  # of the question among those shown so far; 0 for the intro
    total: int  # every question of the survey, also those asked only after certain answers
    conditional: bool  # some questions are asked only after certain answers


def progress(survey: Survey, draft: dict[str, Any], question: Question | None = None) -> Progress:
    """One count for the intro and every question: the total never changes while a person
    answers (a conditional question shown or dropped moves only the numbers after it)."""
    shown = visible_questions(survey, draft)
    number = shown.index(question) + 1 if question is not None and question in shown else 0
    return Progress(
        number=number,
        total=len(survey.questions),
        conditional=any(item.show_if_option_id is not None for item in survey.questions),
    )


def first_unanswered(survey: Survey, draft: dict[str, Any]) -> Question | None:
    return next(
        (item for item in visible_questions(survey, draft) if not is_answered(draft, item)), None
    )


async def participated(session: AsyncSession, survey_id: int, resident_id: int) -> bool:
    found = await session.get(Participation, (survey_id, resident_id))
    return found is not None


async def response_of(session: AsyncSession, survey_id: int, resident_id: int) -> Response | None:
    return await session.scalar(
        select(Response).where(Response.survey_id == survey_id, Response.resident_id == resident_id)
    )


async def start_response(session: AsyncSession, *, survey: Survey, resident: Resident) -> Response:
    """The resident's response to go on with: their draft, their sent named response, or a
    new draft. AlreadyAnswered for an anonymous survey they have sent answers to."""
    existing = await response_of(session, survey.id, resident.id)
    if existing is not None:
        return existing
    if await participated(session, survey.id, resident.id):
        raise AlreadyAnswered
    response = Response(
        survey_id=survey.id,
        resident_id=resident.id,
        unit_id=resident.unit_id,
        origin=Origin.CHAT.value,
        status=ResponseStatus.DRAFT.value,
        draft={},
    )
    try:
        async with session.begin_nested():
            session.add(response)
            await session.flush()
    except IntegrityError:
        # The same resident started at the same moment elsewhere: go on with that one.
        found = await response_of(session, survey.id, resident.id)
        if found is None:
            raise
        return found
    return response


async def start_paper_response(
    session: AsyncSession,
    *,
    survey: Survey,
    unit_id: int,
    entered_by: Resident,
    for_resident: Resident | None = None,
) -> Response:
    """A paper questionnaire to type in; `for_resident`: a registered resident without a
    phone whose questionnaire it is (one per survey: AlreadyAnswered for a second)."""
    if for_resident is not None:
        if await participated(session, survey.id, for_resident.id):
            raise AlreadyAnswered
        existing = await response_of(session, survey.id, for_resident.id)
        if existing is not None:
            if (
                existing.origin != Origin.PAPER.value
                or existing.status != ResponseStatus.DRAFT.value
            ):
                raise AlreadyAnswered
            # A questionnaire of theirs left half typed in: go on with it.
            existing.entered_by_id = entered_by.id
            await session.flush()
            return existing
    response = Response(
        survey_id=survey.id,
        resident_id=for_resident.id if for_resident is not None else None,
        entered_by_id=entered_by.id,
        unit_id=for_resident.unit_id if for_resident is not None else unit_id,
        origin=Origin.PAPER.value,
        status=ResponseStatus.DRAFT.value,
        draft={},
    )
    try:
        async with session.begin_nested():
            session.add(response)
            await session.flush()
    except IntegrityError:
        raise AlreadyAnswered from None
    return response


def record_answer(response: Response, question: Question, answer: dict[str, Any]) -> None:
    """Keep one answer on the draft (a sent named response is edited as a draft copy)."""
    draft = dict(response.draft or {})
    draft[str(question.id)] = answer
    response.draft = draft


def _rows_for(response: Response, survey: Survey, unit_id: int | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    draft = response.draft or {}
    for question in visible_questions(survey, draft):
        answer = draft.get(str(question.id)) or {}
        base = {
            "response_id": response.id,
            "survey_id": survey.id,
            "question_id": question.id,
            "unit_id": unit_id,
            "paper": response.origin == Origin.PAPER.value,
            "option_id": None,
            "text": None,
        }
        if answer.get("o"):
            rows.extend({**base, "option_id": option_id} for option_id in answer["o"])
            if question.kind == QuestionKind.MULTIPLE.value:
                # One row without an option counts the respondents of the question.
                rows.append(base)
        elif answer.get("v") is not None:
            value = int(answer["v"])
            if 1 <= value <= len(question.options):
                rows.append({**base, "option_id": question.options[value - 1].id})
        elif answer.get("t"):
            rows.append({**base, "text": str(answer["t"])[:TEXT_ANSWER_MAX]})
    return rows


async def send_response(
    session: AsyncSession,
    *,
    survey: Survey,
    response: Response,
    resident: Resident | None,
    now: datetime,
    helper_id: int | None = None,
) -> None:
    """Turn the draft into counted answers. Named responses and quick polls may be sent again
    until closing (the answers are replaced); an anonymous survey's drops its resident id, and
    a second response of the same resident fails on the participation row: AlreadyAnswered.

    A paper questionnaire of a registered resident without a phone counts as their
    participation; `helper_id`: the trusted helper who answers for `resident`."""
    if not survey.is_open(now):
        raise NotOpen
    unit_id = response.unit_id
    paper_of = response.resident_id if response.origin == Origin.PAPER.value else None
    if paper_of is not None:
        try:
            async with session.begin_nested():
                session.add(Participation(survey_id=survey.id, resident_id=paper_of))
                await session.flush()
        except IntegrityError:
            raise AlreadyAnswered from None
    if resident is not None and response.origin != Origin.PAPER.value:
        response.origin = Origin.HELPER.value if helper_id is not None else Origin.CHAT.value
        response.helper_id = helper_id
    if resident is not None:
        unit_id = resident.unit_id
        if not await participated(session, survey.id, resident.id):
            try:
                async with session.begin_nested():
                    session.add(Participation(survey_id=survey.id, resident_id=resident.id))
                    await session.flush()
            except IntegrityError:
                raise AlreadyAnswered from None
        elif not survey.answer_changeable or response.resident_id != resident.id:
            raise AlreadyAnswered
    await session.execute(delete(Answer).where(Answer.response_id == response.id))
    rows = _rows_for(response, survey, unit_id)
    if rows:
        await session.execute(Answer.__table__.insert(), rows)
    response.unit_id = unit_id
    response.status = ResponseStatus.SENT.value
    response.draft = {}
    if response.origin == Origin.PAPER.value:
        # Linked to the resident without a phone only where the survey is named.
        if survey.anonymous:
            response.resident_id = None
        response.entered_by_id = None
        response.sent_at = None
    elif survey.anonymous and not survey.answer_changeable:
        response.resident_id = None
        response.helper_id = None
        response.entered_by_id = None
        response.sent_at = None
    elif survey.anonymous:
        # A quick poll's answer stays changeable until it closes; no time is kept.
        response.sent_at = None
    else:
        response.sent_at = now
    await session.flush()


async def unlink_poll_answers(session: AsyncSession, survey: Survey) -> None:
    """When an anonymous quick poll closes, its answers lose who gave them."""
    if not survey.anonymous:
        return
    await session.execute(
        update(Response)
        .where(Response.survey_id == survey.id, Response.status == ResponseStatus.SENT.value)
        .values(resident_id=None, helper_id=None, draft={})
        .execution_options(synchronize_session=False)
    )


async def answers_of(session: AsyncSession, survey: Survey, response: Response) -> dict[str, Any]:
    """A sent named response's answers in draft form, to be shown or changed."""
    rows = await session.execute(
        select(Answer.question_id, Answer.option_id, Answer.text)
        .where(Answer.response_id == response.id)
        .order_by(Answer.id)
    )
    draft: dict[str, Any] = {}
    for question_id, option_id, text in rows:
        key = str(question_id)
        question = survey.question(question_id)
        if question is not None and question.kind == QuestionKind.SCALE.value:
            option = question.option(option_id or 0)
            if option is not None:
                draft[key] = {"v": option.position}
        elif option_id is not None:
            draft.setdefault(key, {"o": [], "d": 1})["o"].append(option_id)
        elif text is not None:
            draft[key] = {"t": text}
        else:  # the respondent row of a multiple-choice answer
            draft.setdefault(key, {"o": [], "d": 1})
    return draft


# ------------------------------------------------------------------ personal data


async def survey_data_of(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    """For /mydata: the surveys the person took part in, and their named answers."""
    items: list[dict[str, Any]] = []
    surveys = await session.scalars(
        select(Survey)
        .join(Participation, Participation.survey_id == Survey.id)
        .where(Participation.resident_id == resident.id)
        .order_by(Survey.id)
    )
    for survey in surveys:
        entry: dict[str, Any] = {
            "survey": survey.id,
            "title": text_in(survey.title, resident.language),
            "anonymous": survey.anonymous,
        }
        response = await response_of(session, survey.id, resident.id)
        if response is not None and response.status == ResponseStatus.SENT.value:
            entry["answers"] = _readable(
                survey, await answers_of(session, survey, response), resident.language
            )
        items.append(entry)
    drafts = await session.scalars(
        select(Response).where(
            Response.resident_id == resident.id, Response.status == ResponseStatus.DRAFT.value
        )
    )
    for draft in drafts:
        survey = await get_survey(session, draft.survey_id)
        if survey is not None:
            items.append(
                {
                    "survey": survey.id,
                    "title": text_in(survey.title, resident.language),
                    "not_sent_yet": _readable(survey, draft.draft or {}, resident.language),
                }
            )
    return items


def _readable(survey: Survey, draft: dict[str, Any], language: str) -> list[dict[str, Any]]:
    lines = []
    for question in survey.questions:
        answer = draft.get(str(question.id))
        if not answer:
            continue
        if answer.get("o"):
            shown: Any = [
                text_in(o.texts, language) for o in question.options if o.id in answer["o"]
            ]
        elif answer.get("v") is not None:
            shown = answer["v"]
        elif answer.get("t"):
            shown = answer["t"]
        else:
            shown = None
        lines.append({"question": text_in(question.texts, language), "answer": shown})
    return lines


async def erase_survey_data(session: AsyncSession, resident: Resident) -> None:
    """For /forget: drafts go; a named survey's sent answers stay counted without the link to
    the person, except free text (what they wrote), which is removed; participation rows go."""
    await session.execute(
        delete(Response).where(
            Response.resident_id == resident.id, Response.status == ResponseStatus.DRAFT.value
        )
    )
    sent = select(Response.id).where(Response.resident_id == resident.id).scalar_subquery()
    await session.execute(
        delete(Answer).where(Answer.response_id.in_(sent), Answer.text.is_not(None))
    )
    await session.execute(
        update(Response)
        .where(Response.resident_id == resident.id)
        .values(resident_id=None, helper_id=None, sent_at=None, draft={})
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Response)
        .where(Response.helper_id == resident.id)
        .values(helper_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Response)
        .where(Response.entered_by_id == resident.id)
        .values(entered_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Participation).where(Participation.resident_id == resident.id))
