"""The /surveys list, who may run surveys and polls, and what their screens share."""

from __future__ import annotations

from datetime import timedelta

from bot.dialog.context import Context
from bot.dialog.messages import Button, shorten
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.surveys.payloads import SurveyOpen, SurveyResults
from models.personal_data import add_section
from models.roles import Role, Roles
from models.survey_answers import erase_survey_data, participated, response_of, survey_data_of
from models.surveys import Status, Survey, get_survey, list_surveys, open_surveys_for, text_in

router = Router()


SURVEY_STAFF = (Role.CHAIR, Role.VICE_CHAIR, Role.COORDINATOR, Role.ADMIN)
BUTTON_TITLE_MAX = 40
# Closed surveys stay under /surveys with their results for this long.
RESULTS_LISTED_FOR = timedelta(days=30)


def may_run_surveys(roles: Roles) -> bool:
    """Chair, vice-chair, coordinators and admins: every survey's results, paper entry."""
    return any(roles.has(role) for role in SURVEY_STAFF)


def may_poll(roles: Roles) -> bool:
    return may_run_surveys(roles) or bool(roles.units_as(Role.REPRESENTATIVE))


def _may_poll(ctx: Context) -> bool:
    return may_poll(ctx.roles)


add_menu_entry(MenuEntry(N_("Surveys"), "surveys", order=20))
add_menu_entry(MenuEntry(N_("Ask residents a quick poll"), "poll", order=162, visible=_may_poll))
add_help("surveys", N_("surveys you can answer, and their results"), everyone)
add_help("poll", N_("ask residents a quick question with answer buttons"), _may_poll)
add_section("surveys", survey_data_of, erase_survey_data)


def sees_everything(ctx: Context, survey: Survey) -> bool:
    """Staff, and a representative for the poll they made themselves."""
    if may_run_surveys(ctx.roles):
        return True
    return (
        ctx.resident is not None and survey.created_by_id == ctx.resident.id and may_poll(ctx.roles)
    )


def title_of(ctx: Context, survey: Survey) -> str:
    return text_in(survey.title, ctx.t.language)


def short(text: str) -> str:
    return shorten(text, BUTTON_TITLE_MAX)


def back_to_surveys(ctx: Context) -> Button:
    return Button(ctx.t._("Back to the surveys"), "surveys")


def main_menu(ctx: Context) -> Button:
    return Button(ctx.t._("Main menu"), "menu")


@router.command("surveys")
@router.payload("surveys")
async def surveys(ctx: Context) -> None:
    """List the surveys open for this resident (and, for staff, every recent survey)."""
    assert ctx.resident is not None
    t = ctx.t
    lines: list[str] = []
    buttons: list[Button] = []
    mine = await open_surveys_for(
        ctx.session, ctx.resident, closed_since=ctx.now - RESULTS_LISTED_FOR
    )
    for survey in mine:
        title = title_of(ctx, survey)
        if survey.status == Status.CLOSED.value:
            if survey.results_visible_to_residents(ctx.now):
                buttons.append(
                    Button(t._("Results: {title}", title=short(title)), SurveyResults(survey.id))
                )
            continue
        response = await response_of(ctx.session, survey.id, ctx.resident.id)
        done = await participated(ctx.session, survey.id, ctx.resident.id)
        until = t.datetime(survey.closes_at)
        if done:
            lines.append(t._("✓ {title} (answered; open until {time})", title=title, time=until))
            if response is not None:
                buttons.append(
                    Button(t._("My answers: {title}", title=short(title)), SurveyOpen(survey.id))
                )
            elif survey.results_visible_to_residents(ctx.now):
                buttons.append(
                    Button(t._("Results: {title}", title=short(title)), SurveyResults(survey.id))
                )
        else:
            lines.append(t._("• {title} (open until {time})", title=title, time=until))
            label = (
                t._("Continue: {title}", title=short(title))
                if response is not None and response.draft
                else t._("Answer: {title}", title=short(title))
            )
            buttons.append(Button(label, SurveyOpen(survey.id)))
    if may_poll(ctx.roles):  # staff, and representatives for their own polls
        staff_lines = []
        for survey in await list_surveys(ctx.session, limit=10):
            if not sees_everything(ctx, survey):
                continue
            staff_lines.append(
                t._(
                    "#{id} {title}: {status}, closes {time}",
                    id=survey.id,
                    title=title_of(ctx, survey),
                    status=t._(STATUS_LABELS[survey.status]),
                    time=t.datetime(survey.closes_at),
                )
            )
            buttons.append(Button(t._("Results #{id}", id=survey.id), SurveyResults(survey.id)))
        if staff_lines:
            lines.append("")
            lines.append(t._("Surveys of the council (results for you):"))
            lines.extend(staff_lines)
    if not lines and not buttons:
        show_menu(ctx, t._("There are no open surveys for you right now."))
        return
    heading = (
        t._("Surveys for you:") if mine else t._("There are no open surveys for you right now.")
    )
    buttons.append(main_menu(ctx))
    ctx.clear_state()
    ctx.reply("\n".join([heading, *lines]).strip(), buttons)


STATUS_LABELS = {
    Status.SCHEDULED.value: N_("scheduled"),
    Status.OPEN.value: N_("open"),
    Status.CLOSED.value: N_("closed"),
}


async def find_survey(ctx: Context, survey_id: int) -> Survey | None:
    """The survey a button is about; None (and the menu) when it does not exist."""
    survey = await get_survey(ctx.session, survey_id)
    if survey is None:
        show_menu(ctx, ctx.t._("That survey does not exist."))
    return survey


def results_button(ctx: Context, survey: Survey) -> Button:
    return Button(ctx.t._("See the results"), SurveyResults(survey.id))


async def say_closed(ctx: Context, survey: Survey) -> None:
    """Say the survey does not take answers now, and offer its results where allowed."""
    t = ctx.t
    if survey.status == Status.SCHEDULED.value:
        show_menu(ctx, t._("This survey opens on {time}.", time=t.datetime(survey.opens_at)))
        return
    text = t._(
        "This survey closed on {time}; answers are no longer taken.",
        time=t.datetime(survey.closed_at or survey.closes_at),
    )
    ctx.clear_state()
    buttons = []
    if survey.results_visible_to_residents(ctx.now) or sees_everything(ctx, survey):
        buttons.append(results_button(ctx, survey))
    buttons.extend([back_to_surveys(ctx), main_menu(ctx)])
    ctx.reply(text, buttons)
