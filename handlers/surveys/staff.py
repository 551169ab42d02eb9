"""What staff do with a running survey: type in paper questionnaires, close it early."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from handlers.menu import show_menu
from handlers.surveys.answering import ask_question
from handlers.surveys.listing import (
    find_survey,
    may_run_surveys,
    say_closed,
    sees_everything,
    title_of,
)
from handlers.surveys.payloads import SurveyClose, SurveyPaper, SurveyResults
from models.offline_residents import get_offline, list_offline
from models.survey_answers import (
    AlreadyAnswered,
    participated,
    start_paper_response,
    visible_questions,
)
from models.surveys import end_survey_now
from models.territory import Locality, list_units

router = Router()


@router.button(SurveyPaper)
async def paper(ctx: Context, press: SurveyPaper) -> None:
    """Staff type in a paper questionnaire: first its parish or town, then the questions."""
    assert ctx.resident is not None
    survey = await find_survey(ctx, press.survey_id)
    if survey is None:
        return
    if not may_run_surveys(ctx.roles):
        await ctx.refuse("survey_paper", survey=survey.id)
        return
    if not survey.is_open(ctx.now):
        await say_closed(ctx, survey)
        return
    units = await list_units(ctx.session)
    allowed = {unit.id for unit in units}
    if not survey.everywhere:
        allowed = set(survey.unit_ids or [])
        for locality_id in survey.locality_ids or []:
            locality = await ctx.session.get(Locality, locality_id)
            if locality is not None:
                allowed.add(locality.unit_id)
    if press.unit_id is None or press.unit_id not in allowed:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("Paper questionnaire: which parish or town is it from?"),
            [
                Button(unit.label_in(ctx.t.language), SurveyPaper(survey.id, unit.id))
                for unit in units
                if unit.id in allowed
            ]
            + [Button(ctx.t._("Back to the results"), SurveyResults(survey.id))],
        )
        return
    waiting = [
        item
        for item in await list_offline(ctx.session, roles=None, unit_id=press.unit_id)
        if survey.reaches(item) and not await participated(ctx.session, survey.id, item.id)
    ]
    if not press.whose and waiting:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("Is it the questionnaire of a registered resident without a phone?"),
            [
                Button(
                    item.display_name or ctx.t._("No. {id}", id=item.id),
                    SurveyPaper(survey.id, press.unit_id, item.id, whose=True),
                )
                for item in waiting[:30]
            ]
            + [
                Button(
                    ctx.t._("Someone not registered"),
                    SurveyPaper(survey.id, press.unit_id, whose=True),
                ),
                Button(ctx.t._("Back to the results"), SurveyResults(survey.id)),
            ],
        )
        return
    offline = None
    if press.resident_id is not None:
        offline = await get_offline(ctx.session, press.resident_id)
        if offline is None or offline.unit_id != press.unit_id or not survey.reaches(offline):
            await ctx.refuse("survey_paper", survey=survey.id, resident=press.resident_id)
            return
    try:
        response = await start_paper_response(
            ctx.session,
            survey=survey,
            unit_id=press.unit_id,
            entered_by=ctx.resident,
            for_resident=offline,
        )
    except AlreadyAnswered:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("Their answers to this survey are already counted."),
            [
                Button(ctx.t._("Enter another one"), SurveyPaper(survey.id, press.unit_id)),
                Button(ctx.t._("Back to the results"), SurveyResults(survey.id)),
            ],
        )
        return
    if offline is not None:
        ctx.reply(
            ctx.t._(
                "Paper questionnaire of {name}, No. {id}.",
                name=offline.display_name or "",
                id=offline.id,
            )
        )
    ask_question(ctx, survey, response, visible_questions(survey, response.draft or {})[0])


@router.button(SurveyClose)
async def close_now(ctx: Context, press: SurveyClose) -> None:
    """Close an open survey early, after a confirmation; staff and the poll's own author."""
    survey = await find_survey(ctx, press.survey_id)
    if survey is None:
        return
    t = ctx.t
    if not sees_everything(ctx, survey):
        await ctx.refuse("survey_close", survey=survey.id)
        return
    if not survey.is_open(ctx.now):
        await say_closed(ctx, survey)
        return
    if not press.sure:
        ctx.reply(
            t._(
                'Close "{title}" now? Residents can no longer answer, and the results are final.',
                title=title_of(ctx, survey),
            ),
            [
                Button(t._("Yes, close it"), SurveyClose(survey.id, sure=True)),
                Button(t._("No"), SurveyResults(survey.id)),
            ],
        )
        return
    end_survey_now(survey, ctx.now)
    await ctx.audit("survey_closed_early", survey=survey.id)
    show_menu(
        ctx,
        t._(
            '"{title}" is closed. You will get the number of responses in a moment.',
            title=title_of(ctx, survey),
        ),
    )
