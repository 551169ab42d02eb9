"""A survey's results: counts with bar charts in chat, and files for staff."""

from __future__ import annotations

import asyncio

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from handlers.menu import show_menu
from handlers.surveys.listing import (
    back_to_surveys,
    find_survey,
    main_menu,
    may_run_surveys,
    sees_everything,
    title_of,
)
from handlers.surveys.payloads import (
    FileFormat,
    SurveyClose,
    SurveyFile,
    SurveyPaper,
    SurveyResults,
)
from models.survey_results import compute_results
from models.surveys import Survey, Visibility
from models.territory import list_units
from reports.spreadsheets import CSV_MIME, XLSX_MIME
from reports.surveys import Chart, charts_png, export_name, results_csv, results_text, results_xlsx

router = Router()


async def _unit_names(ctx: Context) -> dict[int, str]:
    return {unit.id: unit.label_in(ctx.t.language) for unit in await list_units(ctx.session)}


@router.button(SurveyResults)
async def results(ctx: Context, press: SurveyResults) -> None:
    """Counts and percentages with a bar chart; for staff also units, rates and free text."""
    assert ctx.resident is not None
    survey = await find_survey(ctx, press.survey_id)
    if survey is None:
        return
    t = ctx.t
    staff = sees_everything(ctx, survey)
    if not staff:
        if not survey.reaches(ctx.resident) or survey.visibility == Visibility.STAFF.value:
            show_menu(ctx, t._("The results of this survey are for the council only."))
            return
        if not survey.results_visible_to_residents(ctx.now):
            show_menu(
                ctx,
                t._(
                    "The results will be shown after the survey closes on {time}.",
                    time=t.datetime(survey.closes_at),
                ),
            )
            return
    outcome = await compute_results(ctx.session, survey)
    text = results_text(outcome, t, unit_names=await _unit_names(ctx), staff=staff)
    charts = await asyncio.to_thread(charts_png, outcome, t)
    buttons = []
    if staff:
        buttons.append(Button(t._("Spreadsheet (XLSX)"), SurveyFile(survey.id, FileFormat.XLSX)))
        buttons.append(Button(t._("Table (CSV)"), SurveyFile(survey.id, FileFormat.CSV)))
        if survey.is_open(ctx.now) and may_run_surveys(ctx.roles):
            buttons.append(Button(t._("Enter a paper questionnaire"), SurveyPaper(survey.id)))
        if survey.is_open(ctx.now):
            buttons.append(Button(t._("Close the survey now"), SurveyClose(survey.id)))
    buttons.extend([back_to_surveys(ctx), main_menu(ctx)])
    ctx.clear_state()
    # The charts go first, each a message of its own, and the buttons under the text last:
    # a chart the messenger refuses leaves the text and the buttons in place.
    for part, chart in enumerate(charts, start=1):
        ctx.reply(
            _chart_caption(ctx, survey, chart, part=part, parts=len(charts)),
            attachment=Attachment(
                f"survey-{survey.id}-{part}.png", chart.png, kind="photo", mime_type="image/png"
            ),
        )
    ctx.reply(text, buttons)


def _chart_caption(ctx: Context, survey: Survey, chart: Chart, *, part: int, parts: int) -> str:
    """Which of the images this is, and the questions it shows, so none seems missing."""
    t = ctx.t
    if parts == 1:
        return t._("Chart: {title}", title=title_of(ctx, survey))
    if len(chart.questions) == 1:
        return t._(
            "Chart {part}/{parts}: question {number}",
            part=t.number(part),
            parts=t.number(parts),
            number=t.number(chart.questions[0]),
        )
    return t._(
        "Chart {part}/{parts}: questions {first}–{last}",
        part=t.number(part),
        parts=t.number(parts),
        first=t.number(chart.questions[0]),
        last=t.number(chart.questions[-1]),
    )


@router.button(SurveyFile)
async def results_file(ctx: Context, press: SurveyFile) -> None:
    """The results as a spreadsheet or a table, then back to them."""
    survey = await find_survey(ctx, press.survey_id)
    if survey is None:
        return
    if not sees_everything(ctx, survey):
        await ctx.refuse("survey_export", survey=survey.id)
        return
    outcome = await compute_results(ctx.session, survey, text_limit=1_000_000)
    names = await _unit_names(ctx)
    if press.file_format is FileFormat.CSV:
        content = results_csv(outcome, ctx.t, unit_names=names)
        attachment = Attachment(export_name(outcome, "csv"), content, mime_type=CSV_MIME)
    else:
        content = results_xlsx(outcome, ctx.t, unit_names=names)
        attachment = Attachment(export_name(outcome, "xlsx"), content, mime_type=XLSX_MIME)
    await ctx.audit("survey_exported", survey=survey.id)
    ctx.reply(
        ctx.t._('The results of "{title}" as a file.', title=title_of(ctx, survey)),
        [
            Button(ctx.t._("Back to the results"), SurveyResults(survey.id)),
            back_to_surveys(ctx),
            main_menu(ctx),
        ],
        attachment,
    )
