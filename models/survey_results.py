"""Survey results: counts per question and option by unit and origin, counted in SQL over
the answers' covering index, and response rates against the registered audience."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.residents import Resident
from models.surveys import (
    Answer,
    Origin,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Survey,
    audience_filter,
)

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
    helper: int = 0  # answered for the resident by their trusted helper

    @property
    def responses(self) -> int:
        return self.chat + self.paper + self.helper


@dataclass
class Results:
    survey: Survey
    responses: int
    paper: int
    questions: list[QuestionResult]
    units: list[UnitRate]
    registered: int
    helper: int = 0  # responses given through a trusted helper


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
        elif origin == Origin.HELPER.value:
            rate.helper += n
        else:
            rate.chat += n
    total = sum(rate.responses for rate in units.values())
    paper = sum(rate.paper for rate in units.values())
    return Results(
        survey=survey,
        responses=total,
        paper=paper,
        helper=sum(rate.helper for rate in units.values()),
        questions=[results[q.id] for q in survey.questions],
        units=list(units.values()),
        registered=sum(rate.registered for rate in units.values()),
    )
