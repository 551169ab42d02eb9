"""Resident surveys and quick polls: questions, responses, answers, and the rules for them.

A response is one resident's (or one paper questionnaire's) set of answers. While it is being
filled in, its answers are kept on the response row as a draft, so a resident can stop and go on
later; when it is sent they become answer rows, one per chosen option (a scale's values are
options too) or text. Results are counted from the answer rows alone with GROUP BY over one
covering index: each row carries the survey, the unit and whether it came on paper, so no join
is needed.

Anonymous surveys: a sent response keeps no resident id and no time; a separate participation
row (survey, resident) keeps the person from answering twice, and nothing links the two.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.residents import Resident

LANGUAGES = ("lv", "ru", "en")
TITLE_MAX = 200
QUESTION_MAX = 500
OPTION_MAX = 100
DESCRIPTION_MAX = 1500
TEXT_ANSWER_MAX = 1000
OPTIONS_MIN = 2
OPTIONS_MAX = 10
SCALES = (5, 10)


class Kind(enum.StrEnum):
    POLL = "poll"  # one question, made in chat
    SURVEY = "survey"  # from a file


class Status(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class Visibility(enum.StrEnum):
    LIVE = "live"  # residents see the results while the survey runs
    AFTER_CLOSE = "after_close"  # residents see them once it has closed
    STAFF = "staff"  # only the council and staff


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    YESNO = "yesno"
    TEXT = "text"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YESNO})


class Origin(enum.StrEnum):
    CHAT = "chat"
    PAPER = "paper"  # a paper questionnaire entered by staff


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"


def text_in(texts: dict[str, str] | None, language: str) -> str:
    """A text in the reader's language, Latvian when there is no version in theirs."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("lv") or next(iter(texts.values()), "")


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # {"lv": "...", "ru": "...", "en": "..."}; Latvian is always there.
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Everyone (both None), residents of these units, or of these localities (or both).
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON)
    locality_ids: Mapped[list[int] | None] = mapped_column(JSON)
    anonymous: Mapped[bool] = mapped_column(default=True)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.AFTER_CLOSE.value)
    # A reminder this many hours before closing to those who have not sent their answers.
    remind_hours: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.SCHEDULED.value, index=True)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="survey",
        order_by="Question.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def everywhere(self) -> bool:
        return self.unit_ids is None and self.locality_ids is None

    def reaches(self, resident: Resident) -> bool:
        """Whether the resident is in the survey's audience."""
        if resident.unit_id is None:
            return False
        if self.everywhere:
            return True
        return resident.unit_id in (self.unit_ids or []) or (
            resident.locality_id is not None and resident.locality_id in (self.locality_ids or [])
        )

    def is_open(self, now: datetime) -> bool:
        return self.status == Status.OPEN.value and now < self.closes_at

    def results_visible_to_residents(self, now: datetime) -> bool:
        if self.visibility == Visibility.LIVE.value:
            return self.status != Status.SCHEDULED.value
        if self.visibility == Visibility.AFTER_CLOSE.value:
            return self.status == Status.CLOSED.value or now >= self.closes_at
        return False

    def question(self, question_id: int) -> Question | None:
        return next((item for item in self.questions if item.id == question_id), None)


class Question(Base):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(default=True)
    # multiple: at most this many options; scale: 5 or 10; text: at most this many characters.
    max_choices: Mapped[int | None]
    scale_max: Mapped[int | None]
    max_length: Mapped[int | None]
    # The labels of a scale's two ends.
    low_texts: Mapped[dict[str, str] | None] = mapped_column(JSON)
    high_texts: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Shown only when this option of an earlier question was chosen.
    show_if_option_id: Mapped[int | None]

    survey: Mapped[Survey] = relationship(back_populates="questions", lazy="raise")
    options: Mapped[list[Option]] = relationship(
        back_populates="question",
        order_by="Option.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    def option(self, option_id: int) -> Option | None:
        return next((item for item in self.options if item.id == option_id), None)


class Option(Base):
    __tablename__ = "survey_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    texts: Mapped[dict[str, str]] = mapped_column(JSON)

    question: Mapped[Question] = relationship(back_populates="options", lazy="raise")


class Response(Base):
    """One resident's answers (or one paper questionnaire's); a draft until sent."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        # One response per resident per survey, also when two submissions race.
        UniqueConstraint("survey_id", "resident_id"),
        # Covers the count of responses by unit and origin.
        Index("ix_survey_responses_counts", "survey_id", "status", "unit_id", "origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # None once an anonymous response is sent, for paper questionnaires, and after erasure.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    # The staff member typing in a paper questionnaire, while it is a draft.
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(8), default=Origin.CHAT.value)
    status: Mapped[str] = mapped_column(String(8), default=ResponseStatus.DRAFT.value)
    # question id (as text) -> {"o": [option ids]} (with "d": 1 once a multiple choice is done)
    # | {"v": scale value} | {"t": text} | {"s": 1} (skipped)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When a named response was sent; never kept for an anonymous one.
    sent_at: Mapped[datetime | None]


class Participation(Base):
    """That a resident has sent their answers to a survey; nothing else, no time."""

    __tablename__ = "survey_participations"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )


class Answer(Base):
    """One chosen option (or scale value) or text of a sent response. Never a resident id.

    A multiple-choice answer also has one row without an option: counting those gives the
    number of respondents of the question without counting distinct responses."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        # Covers the results query: counts by question, option/value, unit and origin.
        Index(
            "ix_survey_answers_results",
            "survey_id",
            "question_id",
            "option_id",
            "unit_id",
            "paper",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_options.id", ondelete="CASCADE")
    )
    text: Mapped[str | None] = mapped_column(String(TEXT_ANSWER_MAX))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    # A paper questionnaire typed in by staff (a bool keeps the index small).
    paper: Mapped[bool] = mapped_column(default=False)


# ------------------------------------------------------------------ reading and audience


async def get_survey(session: AsyncSession, survey_id: int) -> Survey | None:
    return await session.get(Survey, survey_id)


async def list_surveys(session: AsyncSession, *, limit: int = 50) -> list[Survey]:
    return list(await session.scalars(select(Survey).order_by(Survey.id.desc()).limit(limit)))


async def open_surveys_for(
    session: AsyncSession, resident: Resident, *, closed_since: datetime | None = None
) -> list[Survey]:
    """Surveys this resident may answer now, and those closed since `closed_since`."""
    shown = Survey.status == Status.OPEN.value
    if closed_since is not None:
        shown = or_(
            shown, and_(Survey.status == Status.CLOSED.value, Survey.closes_at > closed_since)
        )
    found = await session.scalars(select(Survey).where(shown).order_by(Survey.closes_at, Survey.id))
    return [survey for survey in found if survey.reaches(resident)]


async def response_counts(session: AsyncSession) -> dict[int, int]:
    """Sent responses per survey."""
    rows = await session.execute(
        select(Response.survey_id, func.count())
        .where(Response.status == ResponseStatus.SENT.value)
        .group_by(Response.survey_id)
    )
    return {survey_id: number for survey_id, number in rows}


def audience_filter(survey: Survey) -> Any:
    """The registered residents a survey is for, as a WHERE clause on Resident."""
    registered = and_(
        Resident.consented_at.is_not(None),
        Resident.erased_at.is_(None),
        Resident.unit_id.is_not(None),
    )
    if survey.everywhere:
        return registered
    places = []
    if survey.unit_ids:
        places.append(Resident.unit_id.in_(survey.unit_ids))
    if survey.locality_ids:
        places.append(Resident.locality_id.in_(survey.locality_ids))
    return and_(registered, or_(*places))


def answered(survey_id: int) -> Any:
    """Residents who have sent their answers to a survey, as a WHERE clause on Resident."""
    sent = select(Participation.resident_id).where(Participation.survey_id == survey_id)
    return Resident.id.in_(sent)


async def not_finished(session: AsyncSession, survey: Survey) -> list[int]:
    """Residents of the audience who have not sent their answers (for the reminder)."""
    result = await session.scalars(
        select(Resident.id).where(
            audience_filter(survey), Resident.subscribed.is_(True), ~answered(survey.id)
        )
    )
    return list(result)


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
    session: AsyncSession, *, survey: Survey, unit_id: int, entered_by: Resident
) -> Response:
    response = Response(
        survey_id=survey.id,
        resident_id=None,
        entered_by_id=entered_by.id,
        unit_id=unit_id,
        origin=Origin.PAPER.value,
        status=ResponseStatus.DRAFT.value,
        draft={},
    )
    session.add(response)
    await session.flush()
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
) -> None:
    """Turn the draft into counted answers. Named responses may be sent again until closing
    (the answers are replaced); an anonymous one drops its resident id, and a second
    response of the same resident fails on the participation row: AlreadyAnswered."""
    if not survey.is_open(now):
        raise NotOpen
    unit_id = response.unit_id
    if resident is not None:
        unit_id = resident.unit_id
        if not await participated(session, survey.id, resident.id):
            try:
                async with session.begin_nested():
                    session.add(Participation(survey_id=survey.id, resident_id=resident.id))
                    await session.flush()
            except IntegrityError:
                raise AlreadyAnswered from None
        elif survey.anonymous:
            raise AlreadyAnswered
    await session.execute(delete(Answer).where(Answer.response_id == response.id))
    rows = _rows_for(response, survey, unit_id)
    if rows:
        await session.execute(Answer.__table__.insert(), rows)
    response.unit_id = unit_id
    response.status = ResponseStatus.SENT.value
    response.draft = {}
    if survey.anonymous or response.origin == Origin.PAPER.value:
        response.resident_id = None
        response.entered_by_id = None
        response.sent_at = None
    else:
        response.sent_at = now
    await session.flush()


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


# ------------------------------------------------------------------ opening and closing


def end_survey_now(survey: Survey, now: datetime) -> bool:
    """Bring a survey's closing time to now: the scheduler then closes it as at any close
    (one never opened closes without inviting anybody). False when it is closed already."""
    if survey.status == Status.CLOSED.value or survey.closes_at <= now:
        return False
    survey.closes_at = now
    survey.opens_at = min(survey.opens_at, now)
    return True


async def due_to_open(session: AsyncSession, now: datetime) -> list[int]:
    """Ids of scheduled surveys whose opening time has come."""
    due = Survey.status == Status.SCHEDULED.value, Survey.opens_at <= now
    return list(await session.scalars(select(Survey.id).where(*due).order_by(Survey.id)))


async def due_to_close(session: AsyncSession, now: datetime) -> list[int]:
    """Ids of open surveys whose closing time has come."""
    due = Survey.status == Status.OPEN.value, Survey.closes_at <= now
    return list(await session.scalars(select(Survey.id).where(*due).order_by(Survey.id)))


async def due_for_reminder(session: AsyncSession, now: datetime) -> list[int]:
    """Ids of open surveys within their reminder's hours before closing, not yet reminded."""
    rows = await session.execute(
        select(Survey.id, Survey.closes_at, Survey.remind_hours).where(
            Survey.status == Status.OPEN.value,
            Survey.remind_hours.is_not(None),
            Survey.reminded_at.is_(None),
            Survey.closes_at > now,
        )
    )
    return [
        survey_id
        for survey_id, closes_at, hours in rows
        if closes_at - timedelta(hours=hours or 0) <= now
    ]


async def claim(
    session: AsyncSession, survey: Survey, *, field_name: str, status: str, now: datetime
) -> bool:
    """Mark a step done only if nobody else did it: True for the one that did."""
    column = getattr(Survey, field_name)
    values: dict[str, Any] = {field_name: now}
    where = [Survey.id == survey.id, column.is_(None)]
    if field_name != "reminded_at":
        values["status"] = status
    result = await session.execute(
        update(Survey).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(survey)
    return True


# ------------------------------------------------------------------ results


@dataclass
class OptionCount:
    label_texts: dict[str, str]
    key: int  # the option's position: for a scale, its value
    total: int = 0
    paper: int = 0
    by_unit: dict[int | None, int] = field(default_factory=dict)


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0  # responses with an answer to this question
    answered_paper: int = 0
    answered_by_unit: dict[int | None, int] = field(default_factory=dict)
    counts: list[OptionCount] = field(default_factory=list)
    texts: list[tuple[int | None, str, str]] = field(default_factory=list)  # unit, origin, text


@dataclass
class UnitRate:
    unit_id: int | None
    registered: int = 0
    chat: int = 0
    paper: int = 0

    @property
    def responses(self) -> int:
        return self.chat + self.paper


@dataclass
class Results:
    survey: Survey
    responses: int
    paper: int
    questions: list[QuestionResult]
    units: list[UnitRate]
    registered: int


async def compute_results(
    session: AsyncSession, survey: Survey, *, with_texts: bool = True, text_limit: int = 2000
) -> Results:
    """Counts per question and option (or scale value), by unit and origin, with GROUP BY in
    SQL; response numbers per unit against the registered residents of the audience."""
    # One pass over the covering index: every option (and scale value), and the respondent
    # rows of multiple-choice and free-text questions (no option), by unit and origin.
    counted = (
        await session.execute(
            select(Answer.question_id, Answer.option_id, Answer.unit_id, Answer.paper, func.count())
            .where(Answer.survey_id == survey.id)
            .group_by(Answer.question_id, Answer.option_id, Answer.unit_id, Answer.paper)
        )
    ).all()
    responses = (
        await session.execute(
            select(Response.unit_id, Response.origin, func.count())
            .where(Response.survey_id == survey.id, Response.status == ResponseStatus.SENT.value)
            .group_by(Response.unit_id, Response.origin)
        )
    ).all()
    registered = (
        await session.execute(
            select(Resident.unit_id, func.count())
            .where(audience_filter(survey))
            .group_by(Resident.unit_id)
        )
    ).all()
    text_ids = [q.id for q in survey.questions if q.kind == QuestionKind.TEXT.value]
    texts: list[Any] = []
    if text_ids and with_texts:
        texts = (
            await session.execute(
                select(Answer.question_id, Answer.unit_id, Answer.paper, Answer.text)
                .where(Answer.survey_id == survey.id, Answer.question_id.in_(text_ids))
                .order_by(Answer.id)
                .limit(text_limit)
            )
        ).all()

    results = {q.id: QuestionResult(q) for q in survey.questions}
    slots: dict[tuple[int, int], OptionCount] = {}
    for question in survey.questions:
        result = results[question.id]
        for option in question.options:
            item = OptionCount(option.texts, option.position)
            result.counts.append(item)
            slots[(question.id, option.id)] = item

    def add_answered(result: QuestionResult, unit_id: int | None, paper: bool, n: int) -> None:
        result.answered += n
        if paper:
            result.answered_paper += n
        result.answered_by_unit[unit_id] = result.answered_by_unit.get(unit_id, 0) + n

    for question_id, option_id, unit_id, paper, n in counted:
        result = results.get(question_id)
        if result is None:
            continue
        if option_id is None:
            add_answered(result, unit_id, paper, n)  # respondent rows and texts
            continue
        slot = slots.get((question_id, option_id))
        if slot is not None:
            slot.total += n
            if paper:
                slot.paper += n
            slot.by_unit[unit_id] = slot.by_unit.get(unit_id, 0) + n
        if result.question.kind != QuestionKind.MULTIPLE.value:
            add_answered(result, unit_id, paper, n)
    for question_id, unit_id, paper, text in texts:
        origin = Origin.PAPER.value if paper else Origin.CHAT.value
        results[question_id].texts.append((unit_id, origin, text))

    units: dict[int | None, UnitRate] = {}
    for unit_id, n in registered:
        units.setdefault(unit_id, UnitRate(unit_id)).registered = n
    for unit_id, origin, n in responses:
        rate = units.setdefault(unit_id, UnitRate(unit_id))
        if origin == Origin.PAPER.value:
            rate.paper += n
        else:
            rate.chat += n
    total = sum(rate.responses for rate in units.values())
    paper = sum(rate.paper for rate in units.values())
    return Results(
        survey=survey,
        responses=total,
        paper=paper,
        questions=[results[q.id] for q in survey.questions],
        units=list(units.values()),
        registered=sum(rate.registered for rate in units.values()),
    )


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
        .values(resident_id=None, sent_at=None, draft={})
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Response)
        .where(Response.entered_by_id == resident.id)
        .values(entered_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Participation).where(Participation.resident_id == resident.id))
