"""Resident surveys and quick polls: questions, responses, answers, and the rules for them.

A response is one resident's (or one paper questionnaire's) set of answers. While it is being
filled in, its answers are kept on the response row as a draft, so a resident can stop and go on
later; when it is sent they become answer rows, one per chosen option (a scale's values are
options too) or text. Results are counted from the answer rows alone with GROUP BY over one
covering index: each row carries the survey, the unit and whether it came on paper, so no join
is needed.

Anonymous surveys: a sent response keeps no resident id and no time; a separate participation
row (survey, resident) keeps the person from answering twice, and nothing links the two.

Here: the tables, the audience, and opening and closing on time; answering is in
`models.survey_answers`, counting the results in `models.survey_results`.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    update,
)
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
    HELPER = "helper"  # answered for the resident by their trusted helper


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

    @property
    def answer_changeable(self) -> bool:
        """Whether a sent answer may be changed while the survey is open: always where it is
        named; in an anonymous quick poll too, by keeping who answered (shown to nobody)
        until it closes, when that is dropped (`unlink_poll_answers`)."""
        return not self.anonymous or self.kind == Kind.POLL.value


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
    # The trusted helper who answered for the resident (models.helpers); dropped with the
    # resident's id where that is dropped. No foreign key: a column added later on SQLite.
    helper_id: Mapped[int | None]
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
