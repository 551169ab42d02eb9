"""Opening and closing surveys on time, inviting their audience and reminding the late ones.

The scheduler job reads from the database what is due and marks each step done in the same
transaction (a conditional UPDATE), so a restart neither skips nor repeats an invitation.
Every message goes through the broadcast outbox: paced, once, quiet hours respected.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from broadcasts.service import Job, JobContext
from handlers.surveys.payloads import SurveyOpen, SurveyResults
from models.broadcasts import leave_out_when_done
from models.survey_answers import unlink_poll_answers
from models.survey_results import compute_results
from models.surveys import (
    Kind,
    Status,
    Survey,
    answered,
    claim,
    due_for_reminder,
    due_to_close,
    due_to_open,
    not_finished,
    text_in,
)
from models.territory import Locality

logger = logging.getLogger(__name__)

ANSWER_LABEL = N_("Answer the survey")
POLL_ANSWER_LABEL = N_("Answer the poll")
RESULTS_LABEL = N_("See the results")


def _answered_the_survey(packed: str) -> Any:
    press = SurveyOpen.unpack(packed)
    return answered(press.survey_id if press is not None else 0)


# An invitation or a reminder waiting for the end of quiet hours (or for its turn) does not
# go to a resident who has answered meanwhile.
leave_out_when_done(SurveyOpen.kind, _answered_the_survey)


def invitation_text(survey: Survey, t: Translator) -> str:
    title = text_in(survey.title, t.language)
    if survey.kind == Kind.POLL.value:
        # One question: two short lines; its options come with the question itself.
        return "\n".join(
            [
                t._("A quick poll of the residents' council: {question}", question=title),
                t._(
                    "One question; your answer is anonymous. You can answer until {time}.",
                    time=t.datetime(survey.closes_at),
                ),
            ]
        )
    parts = [t._("A survey of the residents' council: {title}", title=title)]
    description = text_in(survey.description, t.language)
    if description:
        parts.append(description)
    parts.append(
        t._(
            "You can answer until {time}. The results are advisory: they help the council, "
            "they do not decide anything.",
            time=t.datetime(survey.closes_at),
        )
    )
    if survey.anonymous:
        parts.append(t._("Your answers are anonymous."))
    return "\n\n".join(parts)


async def open_survey(
    session: AsyncSession, survey: Survey, *, settings: Settings, now: datetime
) -> bool:
    """Open a scheduled survey and invite its audience; False if it was already opened."""
    if not await claim(session, survey, field_name="opened_at", status=Status.OPEN.value, now=now):
        return False
    texts = in_every_language(lambda t: invitation_text(survey, t), timezone=settings.tz)
    label = POLL_ANSWER_LABEL if survey.kind == Kind.POLL.value else ANSWER_LABEL
    action = (label, SurveyOpen(survey.id).pack())
    audiences: list[Audience] = []
    if survey.everywhere:
        audiences.append(Audience())
    else:
        if survey.unit_ids:
            audiences.append(Audience(unit_ids=tuple(survey.unit_ids)))
        for locality_id in survey.locality_ids or []:
            locality = await session.get(Locality, locality_id)
            # A locality inside a chosen unit already has its invitation.
            if locality is not None and locality.unit_id not in (survey.unit_ids or []):
                audiences.append(Audience(locality_id=locality_id))
    for audience in audiences:
        await create_broadcast(
            session,
            roles=None,
            created_by_id=None,
            audience=audience,
            texts=texts,
            due_at=now,
            now=now,
            action=action,
        )
    logger.info("survey %s opened", survey.id)
    return True


async def close_survey(
    session: AsyncSession, survey: Survey, *, settings: Settings, now: datetime
) -> bool:
    """Close an open survey; its creator hears the number of responses."""
    if not await claim(
        session, survey, field_name="closed_at", status=Status.CLOSED.value, now=now
    ):
        return False
    await unlink_poll_answers(session, survey)
    if survey.created_by_id is not None:
        results = await compute_results(session, survey, with_texts=False)
        await send_notice(
            session,
            settings=settings,
            resident_ids=[survey.created_by_id],
            write=lambda t: t.ngettext(
                'The survey "{title}" has closed with {n} response.',
                'The survey "{title}" has closed with {n} responses.',
                results.responses,
                title=text_in(survey.title, t.language),
            ),
            now=now,
            buttons=[(RESULTS_LABEL, SurveyResults(survey.id).pack())],
            personal=False,
        )
    logger.info("survey %s closed", survey.id)
    return True


async def remind(
    session: AsyncSession, survey: Survey, *, settings: Settings, now: datetime
) -> bool:
    """Remind those of the audience who have not sent their answers, once."""
    if not await claim(session, survey, field_name="reminded_at", status=survey.status, now=now):
        return False
    late = await not_finished(session, survey)
    await send_notice(
        session,
        settings=settings,
        resident_ids=late,
        write=lambda t: t._(
            'A reminder: the survey "{title}" closes on {time}. You have not sent your '
            "answers yet; it takes a few minutes.",
            title=text_in(survey.title, t.language),
            time=t.datetime(survey.closes_at),
        ),
        now=now,
        buttons=[(ANSWER_LABEL, SurveyOpen(survey.id).pack())],
        personal=False,
    )
    logger.info("survey %s: reminded %d residents", survey.id, len(late))
    return True


async def run_survey_schedule(context: JobContext) -> None:
    """Open, remind and close what is due, each survey in its own transaction."""
    now = context.now
    async with context.sessionmaker() as session, session.begin():
        opening = await due_to_open(session, now)
    for survey_id in opening:
        async with context.sessionmaker() as session, session.begin():
            survey = await session.get(Survey, survey_id)
            if survey is None or survey.status != Status.SCHEDULED.value:
                continue
            if survey.closes_at <= now:
                # It was due to close before it could open (the bot was down): nobody is
                # invited to a survey that is already over.
                await claim(
                    session, survey, field_name="opened_at", status=Status.OPEN.value, now=now
                )
                await close_survey(session, survey, settings=context.settings, now=now)
                continue
            await open_survey(session, survey, settings=context.settings, now=now)
    async with context.sessionmaker() as session, session.begin():
        reminding = await due_for_reminder(session, now)
        closing = await due_to_close(session, now)
    for survey_id in reminding:
        async with context.sessionmaker() as session, session.begin():
            survey = await session.get(Survey, survey_id)
            if survey is not None:
                await remind(session, survey, settings=context.settings, now=now)
    for survey_id in closing:
        async with context.sessionmaker() as session, session.begin():
            survey = await session.get(Survey, survey_id)
            if survey is not None:
                await close_survey(session, survey, settings=context.settings, now=now)


SURVEY_JOB = Job("surveys", run_survey_schedule)
