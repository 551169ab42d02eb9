"""Surveys in chat: answering one question at a time, quick polls, paper questionnaires,
results with a chart, and exports for staff.

Written for any channel: options are buttons (numbered options where there are no buttons),
free text is typed. Every button says which survey and question it is about, and each press
is checked against the survey's state and the person's rights when it arrives.
"""

from __future__ import annotations

import asyncio
import enum
from datetime import timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router, Step
from bot.i18n import LANGUAGE_NAMES, N_
from broadcasts.quiet_hours import goes_at
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.surveys.lifecycle import open_survey
from handlers.surveys.payloads import (
    FileFormat,
    PollAudience,
    PollBack,
    PollCancel,
    PollDays,
    PollLanguage,
    PollScreen,
    PollStart,
    PollVersion,
    SurveyBack,
    SurveyChange,
    SurveyChoice,
    SurveyClose,
    SurveyDone,
    SurveyFile,
    SurveyKeep,
    SurveyOpen,
    SurveyPaper,
    SurveyResults,
    SurveyReview,
    SurveySend,
    SurveySkip,
    SurveyTick,
)
from models.broadcasts import cancel_done_action
from models.personal_data import add_section
from models.roles import Role, Roles
from models.survey_answers import (
    AlreadyAnswered,
    NotOpen,
    answers_of,
    erase_survey_data,
    first_unanswered,
    is_answered,
    participated,
    progress,
    record_answer,
    response_of,
    send_response,
    start_paper_response,
    start_response,
    survey_data_of,
    visible_questions,
)
from models.survey_file import Audience as SurveyAudience
from models.survey_file import QuestionSpec, SurveySpec, create_survey
from models.survey_results import compute_results
from models.surveys import (
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    QUESTION_MAX,
    Kind,
    Origin,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Status,
    Survey,
    Visibility,
    end_survey_now,
    get_survey,
    list_surveys,
    open_surveys_for,
    text_in,
)
from models.territory import Locality, list_units
from reports.spreadsheets import CSV_MIME, XLSX_MIME
from reports.surveys import (
    Chart,
    charts_png,
    export_name,
    results_csv,
    results_text,
    results_xlsx,
)

router = Router()

SURVEY_STAFF = (Role.CHAIR, Role.VICE_CHAIR, Role.COORDINATOR, Role.ADMIN)
POLL_DAYS = (1, 3, 7)
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
add_menu_entry(MenuEntry(N_("Ask residents a quick poll"), "poll", order=62, visible=_may_poll))
add_help("surveys", N_("surveys you can answer, and their results"), everyone)
add_help("poll", N_("ask residents a quick question with answer buttons"), _may_poll)
add_section("surveys", survey_data_of, erase_survey_data)


def _sees_everything(ctx: Context, survey: Survey) -> bool:
    """Staff, and a representative for the poll they made themselves."""
    if may_run_surveys(ctx.roles):
        return True
    return (
        ctx.resident is not None and survey.created_by_id == ctx.resident.id and may_poll(ctx.roles)
    )


def _title(ctx: Context, survey: Survey) -> str:
    return text_in(survey.title, ctx.t.language)


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_TITLE_MAX else text[: BUTTON_TITLE_MAX - 1] + "…"


class State(enum.StrEnum):
    TEXT = "surveys.text"  # a typed answer to a free-text question
    ANSWER = "surveys.answer"  # a question answered with its buttons
    POLL_QUESTION = "surveys.poll_question"
    POLL_OPTIONS = "surveys.poll_options"
    POLL_CHOOSE = "surveys.poll_choose"  # a screen of the poll answered with its buttons
    POLL_VERSION = "surveys.poll_version"  # the question in another language
    POLL_VERSION_OPTIONS = "surveys.poll_version_options"


def _back_to_surveys(ctx: Context) -> Button:
    return Button(ctx.t._("Back to the surveys"), "surveys")


def _main_menu(ctx: Context) -> Button:
    return Button(ctx.t._("Main menu"), "menu")


# ---------------------------------------------------------------------- the list


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
        title = _title(ctx, survey)
        if survey.status == Status.CLOSED.value:
            if survey.results_visible_to_residents(ctx.now):
                buttons.append(
                    Button(t._("Results: {title}", title=_short(title)), SurveyResults(survey.id))
                )
            continue
        response = await response_of(ctx.session, survey.id, ctx.resident.id)
        done = await participated(ctx.session, survey.id, ctx.resident.id)
        until = t.datetime(survey.closes_at)
        if done:
            lines.append(t._("✓ {title} (answered; open until {time})", title=title, time=until))
            if response is not None:
                buttons.append(
                    Button(t._("My answers: {title}", title=_short(title)), SurveyOpen(survey.id))
                )
            elif survey.results_visible_to_residents(ctx.now):
                buttons.append(
                    Button(t._("Results: {title}", title=_short(title)), SurveyResults(survey.id))
                )
        else:
            lines.append(t._("• {title} (open until {time})", title=title, time=until))
            label = (
                t._("Continue: {title}", title=_short(title))
                if response is not None and response.draft
                else t._("Answer: {title}", title=_short(title))
            )
            buttons.append(Button(label, SurveyOpen(survey.id)))
    if may_poll(ctx.roles):  # staff, and representatives for their own polls
        staff_lines = []
        for survey in await list_surveys(ctx.session, limit=10):
            if not _sees_everything(ctx, survey):
                continue
            staff_lines.append(
                t._(
                    "#{id} {title}: {status}, closes {time}",
                    id=survey.id,
                    title=_title(ctx, survey),
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
    buttons.append(_main_menu(ctx))
    ctx.clear_state()
    ctx.reply("\n".join([heading, *lines]).strip(), buttons)


STATUS_LABELS = {
    Status.SCHEDULED.value: N_("scheduled"),
    Status.OPEN.value: N_("open"),
    Status.CLOSED.value: N_("closed"),
}


# ---------------------------------------------------------------------- answering


async def _survey(ctx: Context, survey_id: int) -> Survey | None:
    """The survey a button is about; None (and the menu) when it does not exist."""
    survey = await get_survey(ctx.session, survey_id)
    if survey is None:
        show_menu(ctx, ctx.t._("That survey does not exist."))
    return survey


def _results_button(ctx: Context, survey: Survey) -> Button:
    return Button(ctx.t._("See the results"), SurveyResults(survey.id))


async def _closed(ctx: Context, survey: Survey) -> None:
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
    if survey.results_visible_to_residents(ctx.now) or _sees_everything(ctx, survey):
        buttons.append(_results_button(ctx, survey))
    buttons.extend([_back_to_surveys(ctx), _main_menu(ctx)])
    ctx.reply(text, buttons)


@router.button(SurveyOpen)
async def open_one(ctx: Context, press: SurveyOpen) -> None:
    """Start, resume, or look at one's answers to a survey."""
    survey = await _survey(ctx, press.survey_id)
    if survey is not None:
        await _open(ctx, survey)


async def _open(ctx: Context, survey: Survey) -> None:
    assert ctx.resident is not None
    t = ctx.t
    if not survey.reaches(ctx.resident):
        show_menu(ctx, t._("This survey is not for your parish or town."))
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    try:
        response = await start_response(ctx.session, survey=survey, resident=ctx.resident)
    except AlreadyAnswered:
        _already_sent(ctx, survey)
        return
    if response.status == ResponseStatus.SENT.value and not response.draft:
        await _show_sent(ctx, survey, response)
        return
    draft = response.draft or {}
    if not draft:
        ctx.reply(_intro(ctx, survey))
    else:
        ctx.reply(t._("Welcome back: we go on where you stopped."))
    question = first_unanswered(survey, draft)
    if question is None:
        _review(ctx, survey, response)
    else:
        _ask(ctx, survey, response, question)


def _intro(ctx: Context, survey: Survey) -> str:
    t = ctx.t
    parts = [_title(ctx, survey)]
    description = text_in(survey.description, t.language)
    if description:
        parts.append(description)
    count = progress(survey, {})
    size = (
        t.ngettext(
            "At most {n} question: some are asked only after certain answers.",
            "At most {n} questions: some are asked only after certain answers.",
            count.total,
        )
        if count.conditional
        else t.ngettext("{n} question.", "{n} questions.", count.total)
    )
    parts.append(
        size
        + " "
        + t._("Your answers are saved as you go: you can stop and come back later with /surveys.")
    )
    if survey.anonymous:
        parts.append(t._("The survey is anonymous: your answers are not linked to you."))
    parts.append(
        t._("The results are advisory: they help the council, they do not decide anything.")
    )
    return "\n\n".join(parts)


def _already_sent(ctx: Context, survey: Survey) -> None:
    t = ctx.t
    buttons = []
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(_results_button(ctx, survey))
    buttons.extend([_back_to_surveys(ctx), _main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(t._("You have already sent your answers to this survey. Thank you!"), buttons)


async def _show_sent(ctx: Context, survey: Survey, response: Response) -> None:
    t = ctx.t
    draft = await answers_of(ctx.session, survey, response)
    text = "\n".join(
        [
            t._('Your answers to "{title}":', title=_title(ctx, survey)),
            *_answer_lines(ctx, survey, draft),
            "",
            t._("You can change them until {time}.", time=t.datetime(survey.closes_at)),
        ]
    )
    buttons = [Button(t._("Change my answers"), SurveyChange(survey.id))]
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(_results_button(ctx, survey))
    buttons.extend([_back_to_surveys(ctx), _main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(text, buttons)


async def _current(ctx: Context, survey: Survey) -> Response | None:
    """The response this person is filling in: a paper questionnaire they are typing in, or
    their own."""
    assert ctx.resident is not None
    flow = ctx.flow
    if flow.get("paper") and flow.get("survey") == survey.id:
        response = await ctx.session.get(Response, flow["paper"])
        if (
            response is not None
            and response.origin == Origin.PAPER.value
            and response.entered_by_id == ctx.resident.id
            and response.status == ResponseStatus.DRAFT.value
            and may_run_surveys(ctx.roles)
        ):
            return response
        return None
    return await response_of(ctx.session, survey.id, ctx.resident.id)


def _paper_id(response: Response) -> int | None:
    return response.id if response.origin == Origin.PAPER.value else None


async def _working_copy(ctx: Context, survey_id: int) -> tuple[Survey, Response] | None:
    """The survey and the response a step of answering works on, checked as the press
    arrives; None when the step cannot be taken (the person is told why)."""
    assert ctx.resident is not None
    t = ctx.t
    survey = await _survey(ctx, survey_id)
    if survey is None:
        return None
    flow = ctx.flow
    paper = bool(flow.get("paper")) and flow.get("survey") == survey.id
    response = await _current(ctx, survey)
    if paper and response is None:
        show_menu(ctx, t._("That paper questionnaire is no longer being entered."))
        return None
    if not paper and not survey.reaches(ctx.resident):
        show_menu(ctx, t._("This survey is not for your parish or town."))
        return None
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return None
    if response is None:
        # Not started yet, or an anonymous survey already sent: start, or say so.
        await _open(ctx, survey)
        return None
    if response.status == ResponseStatus.SENT.value and not response.draft:
        # Changing a sent named response: its answers become the working copy.
        response.draft = await answers_of(ctx.session, survey, response)
    return survey, response


async def _shown_question(
    ctx: Context, survey_id: int, question_id: int
) -> tuple[Survey, Response, Question] | None:
    """The working copy and the question a button answers, if that question is shown."""
    found = await _working_copy(ctx, survey_id)
    if found is None:
        return None
    survey, response = found
    question = survey.question(question_id)
    if question is None or question not in visible_questions(survey, response.draft or {}):
        _resume(ctx, survey, response)
        return None
    return survey, response, question


@router.button(SurveyChange)
async def change_answers(ctx: Context, press: SurveyChange) -> None:
    """Go through one's sent answers again, from the first question."""
    found = await _working_copy(ctx, press.survey_id)
    if found is not None:
        survey, response = found
        _ask(ctx, survey, response, visible_questions(survey, response.draft or {})[0])


@router.button(SurveyReview)
async def review(ctx: Context, press: SurveyReview) -> None:
    found = await _working_copy(ctx, press.survey_id)
    if found is not None:
        _review(ctx, *found)


@router.button(SurveySend)
async def send(ctx: Context, press: SurveySend) -> None:
    found = await _working_copy(ctx, press.survey_id)
    if found is not None:
        await _send(ctx, *found)


@router.button(SurveyBack)
async def back(ctx: Context, press: SurveyBack) -> None:
    """The question before this one; from the review, the last one."""
    found = await _working_copy(ctx, press.survey_id)
    if found is None:
        return
    survey, response = found
    shown = visible_questions(survey, response.draft or {})
    current = survey.question(press.question_id or 0)
    if current is None:
        _ask(ctx, survey, response, shown[-1])
        return
    earlier = [item for item in shown if item.position < current.position]
    _ask(ctx, survey, response, earlier[-1] if earlier else shown[0])


@router.button(SurveySkip)
async def skip(ctx: Context, press: SurveySkip) -> None:
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.required:
        _ask(ctx, survey, response, question, why=ctx.t._("This question needs an answer."))
        return
    record_answer(response, question, {"s": 1})
    _next(ctx, survey, response, question)


@router.button(SurveyTick)
async def tick(ctx: Context, press: SurveyTick) -> None:
    """Tick or untick an option of a multiple-choice question."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.kind != QuestionKind.MULTIPLE.value:
        _ask(ctx, survey, response, question)
        return
    draft = response.draft or {}
    chosen = list((draft.get(str(question.id)) or {}).get("o") or [])
    why = None
    if question.option(press.option_id) is not None:
        if press.option_id in chosen:
            chosen.remove(press.option_id)
        elif len(chosen) >= (question.max_choices or OPTIONS_MAX):
            why = ctx.t.ngettext(
                "You can choose at most {n} option. Tap a chosen one to remove it first.",
                "You can choose at most {n} options. Tap a chosen one to remove it first.",
                question.max_choices or OPTIONS_MAX,
            )
        else:
            chosen.append(press.option_id)
    if chosen:
        record_answer(response, question, {"o": chosen})
    else:
        remaining = dict(draft)
        remaining.pop(str(question.id), None)
        response.draft = remaining
    _ask(ctx, survey, response, question, why=why)


@router.button(SurveyDone)
async def done(ctx: Context, press: SurveyDone) -> None:
    """A multiple-choice question answered with the options ticked."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.kind != QuestionKind.MULTIPLE.value:
        _ask(ctx, survey, response, question)
        return
    chosen = ((response.draft or {}).get(str(question.id)) or {}).get("o") or []
    if not chosen:
        if question.required:
            why = ctx.t._("Please choose at least one option.")
            _ask(ctx, survey, response, question, why=why)
            return
        record_answer(response, question, {"s": 1})
    else:
        record_answer(response, question, {"o": chosen, "d": 1})
    _next(ctx, survey, response, question)


@router.button(SurveyKeep)
async def keep(ctx: Context, press: SurveyKeep) -> None:
    """Keep the typed answer a free-text question already has."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.kind == QuestionKind.TEXT.value and is_answered(response.draft or {}, question):
        _next(ctx, survey, response, question)
    else:
        _ask(ctx, survey, response, question)


@router.button(SurveyChoice)
async def choose(ctx: Context, press: SurveyChoice) -> None:
    """An option of a single-choice or yes/no question, or a value of a scale."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    answer = _chosen(question, press.value)
    if answer is None:
        _ask(ctx, survey, response, question)
        return
    record_answer(response, question, answer)
    _next(ctx, survey, response, question)


def _chosen(question: Question, value: int) -> dict[str, Any] | None:
    if question.kind == QuestionKind.SCALE.value:
        return {"v": value} if 1 <= value <= (question.scale_max or 5) else None
    if question.kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
        return {"o": [value]} if question.option(value) is not None else None
    return None


def _next(ctx: Context, survey: Survey, response: Response, question: Question) -> None:
    """The next shown question after this one, or the review when it was the last."""
    shown = visible_questions(survey, response.draft or {})
    later = [item for item in shown if item.position > question.position]
    if later:
        _ask(ctx, survey, response, later[0])
    else:
        _review(ctx, survey, response)


def _resume(ctx: Context, survey: Survey, response: Response) -> None:
    question = first_unanswered(survey, response.draft or {})
    if question is None:
        _review(ctx, survey, response)
    else:
        _ask(ctx, survey, response, question)


def _ask(
    ctx: Context,
    survey: Survey,
    response: Response,
    question: Question,
    *,
    why: str | None = None,
) -> None:
    """One question in one message: "Question 2 of 5", the text, and its buttons; `why`
    first when the last answer was not taken."""
    t = ctx.t
    draft = response.draft or {}
    place = progress(survey, draft, question)
    answer = draft.get(str(question.id)) or {}
    chosen = set(answer.get("o") or [])
    sid, qid = survey.id, question.id
    lines = [why, ""] if why else []
    if response.origin == Origin.PAPER.value:
        lines.append(t._("Paper questionnaire"))
    lines.append(t._("Question {n} of {total}", n=place.number, total=place.total))
    lines.append("")
    lines.append(text_in(question.texts, t.language))
    rows: list[list[Button]] = []
    kind = question.kind
    if kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
        for option in question.options:
            mark = "✓ " if option.id in chosen else ""
            label = mark + text_in(option.texts, t.language)
            rows.append([Button(label, SurveyChoice(sid, qid, option.id))])
    elif kind == QuestionKind.MULTIPLE.value:
        top = question.max_choices or len(question.options)
        lines.append(
            t.ngettext(
                "Choose up to {n} option, then tap Done.",
                "Choose up to {n} options, then tap Done.",
                top,
            )
        )
        for option in question.options:
            mark = "✓ " if option.id in chosen else ""
            label = mark + text_in(option.texts, t.language)
            rows.append([Button(label, SurveyTick(sid, qid, option.id))])
        rows.append([Button(t._("Done"), SurveyDone(sid, qid))])
    elif kind == QuestionKind.SCALE.value:
        top = question.scale_max or 5
        lines.append(
            t._(
                "1 means {low}, {top} means {high}.",
                low=text_in(question.low_texts, t.language),
                top=top,
                high=text_in(question.high_texts, t.language),
            )
        )
        value = answer.get("v")
        numbers = [
            Button(("✓ " if value == n else "") + str(n), SurveyChoice(sid, qid, n))
            for n in range(1, top + 1)
        ]
        rows.extend(numbers[i : i + 5] for i in range(0, len(numbers), 5))
    else:
        lines.append(
            t._(
                "Type your answer (at most {limit} characters).",
                limit=t.number(question.max_length or 500),
            )
        )
        if answer.get("t"):
            lines.append(t._("Your answer now: {text}", text=answer["t"]))
            rows.append([Button(t._("Keep this answer"), SurveyKeep(sid, qid))])
    if not question.required:
        lines.append(t._("You may skip this question."))
        rows.append([Button(t._("Skip"), SurveySkip(sid, qid))])
    if place.number > 1:
        rows.append([Button(t._("« Back"), SurveyBack(sid, qid))])
    flow: dict[str, Any] = {"survey": sid, "question_id": qid}
    if _paper_id(response) is not None:
        flow["paper"] = response.id
    text_answer = kind == QuestionKind.TEXT.value
    ctx.ask(
        State.TEXT if text_answer else State.ANSWER,
        "\n".join(lines),
        limit=(question.max_length or 500) if text_answer else None,
        buttons=rows,
        back=_leave_button(ctx, survey, response),
        **flow,
    )


def _leave_button(ctx: Context, survey: Survey, response: Response) -> Button:
    """The way out of answering: the answers so far are kept."""
    if response.origin == Origin.PAPER.value:
        return Button(ctx.t._("Back to the results"), SurveyResults(survey.id))
    return Button(ctx.t._("Continue later"), "surveys")


def _answer_lines(ctx: Context, survey: Survey, draft: dict[str, Any]) -> list[str]:
    t = ctx.t
    lines = []
    for number, question in enumerate(visible_questions(survey, draft), start=1):
        answer = draft.get(str(question.id)) or {}
        if answer.get("o"):
            shown = ", ".join(
                text_in(option.texts, t.language)
                for option in question.options
                if option.id in answer["o"]
            )
        elif answer.get("v") is not None:
            shown = str(answer["v"])
        elif answer.get("t"):
            shown = answer["t"]
        elif answer.get("s"):
            shown = t._("(skipped)")
        else:
            shown = t._("(not answered yet)")
        lines.append(f"{number}. {text_in(question.texts, t.language)}\n   {shown}")
    return lines


def _review(ctx: Context, survey: Survey, response: Response, *, why: str | None = None) -> None:
    """All answers on one page, with Send and Back."""
    t = ctx.t
    draft = response.draft or {}
    lines = [why, ""] if why else []
    lines.extend([t._("Your answers:"), *_answer_lines(ctx, survey, draft), ""])
    if response.origin == Origin.PAPER.value:
        lines.append(t._("Check them against the paper, then save."))
    elif survey.anonymous:
        lines.append(
            t._(
                "Once sent, the answers cannot be changed: they are not linked to you. "
                "Check them, then send."
            )
        )
    else:
        lines.append(
            t._(
                "You can change them until {time}, also after sending.",
                time=t.datetime(survey.closes_at),
            )
        )
    label = (
        t._("Save the questionnaire")
        if response.origin == Origin.PAPER.value
        else t._("Send my answers")
    )
    buttons = [
        Button(label, SurveySend(survey.id)),
        Button(t._("« Back"), SurveyBack(survey.id)),
    ]
    flow: dict[str, Any] = {"survey": survey.id, "question_id": 0}
    if _paper_id(response) is not None:
        flow["paper"] = response.id
    ctx.ask(
        State.ANSWER,
        "\n".join(lines),
        buttons=buttons,
        back=_leave_button(ctx, survey, response),
        **flow,
    )


async def _send(ctx: Context, survey: Survey, response: Response) -> None:
    t = ctx.t
    draft = response.draft or {}
    missing = first_unanswered(survey, draft)
    if missing is not None:
        _ask(ctx, survey, response, missing, why=t._("One question still needs an answer."))
        return
    paper = response.origin == Origin.PAPER.value
    try:
        await send_response(
            ctx.session,
            survey=survey,
            response=response,
            resident=None if paper else ctx.resident,
            now=ctx.now,
        )
    except NotOpen:
        await _closed(ctx, survey)
        return
    except AlreadyAnswered:
        _already_sent(ctx, survey)
        return
    if paper:
        await ctx.audit("survey_paper_entered", survey=survey.id)
        ctx.clear_state()
        ctx.reply(
            t._("The paper questionnaire is saved and counted."),
            [
                Button(t._("Enter another one"), SurveyPaper(survey.id, response.unit_id)),
                _results_button(ctx, survey),
                _main_menu(ctx),
            ],
        )
        return
    assert ctx.resident is not None
    # An invitation or a reminder still waiting to go to them is not sent after all.
    await cancel_done_action(
        ctx.session, resident_id=ctx.resident.id, action_payload=SurveyOpen(survey.id).pack()
    )
    text = t._("Thank you! Your answers are sent.")
    if not survey.anonymous:
        text += " " + t._(
            "You can change them until {time} under /surveys.", time=t.datetime(survey.closes_at)
        )
    buttons = []
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(_results_button(ctx, survey))
    buttons.extend([_back_to_surveys(ctx), _main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(text, buttons)


async def text_typed(ctx: Context) -> None:
    """A typed answer to a free-text question."""
    flow = ctx.flow
    found = await _working_copy(ctx, int(flow.get("survey") or 0))
    if found is None:
        return
    survey, response = found
    question = survey.question(int(flow.get("question_id") or 0))
    if question is None or question.kind != QuestionKind.TEXT.value:
        _resume(ctx, survey, response)
        return
    text = " ".join((ctx.incoming.text or "").split())
    if not text:
        ctx.ask_again(ctx.t._("Please type your answer."))
        return
    record_answer(response, question, {"t": text})
    _next(ctx, survey, response, question)


async def text_instead_of_button(ctx: Context) -> None:
    """Typed text where a button is expected: the question again, after a hint."""
    flow = ctx.flow
    survey = await get_survey(ctx.session, int(flow.get("survey") or 0))
    response = await _current(ctx, survey) if survey is not None else None
    if survey is None or response is None:
        show_menu(ctx)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    ctx.ask_again(ctx.t._("Please tap one of the buttons, or type its number."))


# ---------------------------------------------------------------------- paper questionnaires


@router.button(SurveyPaper)
async def paper(ctx: Context, press: SurveyPaper) -> None:
    """Staff type in a paper questionnaire: first its parish or town, then the questions."""
    assert ctx.resident is not None
    survey = await _survey(ctx, press.survey_id)
    if survey is None:
        return
    if not may_run_surveys(ctx.roles):
        await ctx.refuse("survey_paper", survey=survey.id)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
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
                Button(unit.name, SurveyPaper(survey.id, unit.id))
                for unit in units
                if unit.id in allowed
            ]
            + [Button(ctx.t._("Back to the results"), SurveyResults(survey.id))],
        )
        return
    response = await start_paper_response(
        ctx.session, survey=survey, unit_id=press.unit_id, entered_by=ctx.resident
    )
    _ask(ctx, survey, response, visible_questions(survey, {})[0])


# ---------------------------------------------------------------------- results and exports


async def _unit_names(ctx: Context) -> dict[int, str]:
    return {unit.id: unit.name for unit in await list_units(ctx.session)}


@router.button(SurveyResults)
async def results(ctx: Context, press: SurveyResults) -> None:
    """Counts and percentages with a bar chart; for staff also units, rates and free text."""
    assert ctx.resident is not None
    survey = await _survey(ctx, press.survey_id)
    if survey is None:
        return
    t = ctx.t
    staff = _sees_everything(ctx, survey)
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
    buttons.extend([_back_to_surveys(ctx), _main_menu(ctx)])
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
        return t._("Chart: {title}", title=_title(ctx, survey))
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


@router.button(SurveyClose)
async def close_now(ctx: Context, press: SurveyClose) -> None:
    """Close an open survey early, after a confirmation; staff and the poll's own author."""
    survey = await _survey(ctx, press.survey_id)
    if survey is None:
        return
    t = ctx.t
    if not _sees_everything(ctx, survey):
        await ctx.refuse("survey_close", survey=survey.id)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    if not press.sure:
        ctx.reply(
            t._(
                'Close "{title}" now? Residents can no longer answer, and the results are final.',
                title=_title(ctx, survey),
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
            title=_title(ctx, survey),
        ),
    )


@router.button(SurveyFile)
async def results_file(ctx: Context, press: SurveyFile) -> None:
    """The results as a spreadsheet or a table, then back to them."""
    survey = await _survey(ctx, press.survey_id)
    if survey is None:
        return
    if not _sees_everything(ctx, survey):
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
        ctx.t._('The results of "{title}" as a file.', title=_title(ctx, survey)),
        [
            Button(ctx.t._("Back to the results"), SurveyResults(survey.id)),
            _back_to_surveys(ctx),
            _main_menu(ctx),
        ],
        attachment,
    )


# ---------------------------------------------------------------------- quick polls


def _poll_cancel(ctx: Context) -> Button:
    return Button(ctx.t._("Cancel"), PollCancel())


@router.command("poll")
@router.payload("poll")
async def poll(ctx: Context) -> None:
    """Start a quick poll: one question with 2-10 options, first in Latvian."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    _ask_poll_question(ctx, {})


def _ask_poll_question(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.ask(
        State.POLL_QUESTION,
        ctx.t._(
            "A quick poll: one question with answer buttons. Write the question in Latvian "
            "(at most {limit} characters).",
            limit=ctx.t.number(QUESTION_MAX),
        ),
        limit=QUESTION_MAX,
        back=_poll_cancel(ctx),
        **flow,
    )


def _poll_draft(ctx: Context, *needed: str) -> dict[str, Any] | None:
    """The poll being prepared, with the values its next step needs; None (and a note)
    when there is none any more."""
    flow = ctx.flow
    if not (ctx.state or "").startswith("surveys.poll") or any(key not in flow for key in needed):
        show_menu(ctx, ctx.t._("That poll is no longer being prepared."))
        return None
    return flow


def _options_from(text: str) -> list[str]:
    raw = text.replace(";", "\n")
    return [" ".join(line.split()) for line in raw.splitlines() if line.strip()]


def _options_problem(ctx: Context, options: list[str], *, count: int | None = None) -> str | None:
    """Why these typed options cannot be the poll's (None when they can): `count` of them
    when they translate options already written."""
    folded = [option.casefold() for option in options]
    if count is not None and len(options) != count:
        return ctx.t.ngettext(
            "Please write {n} option, in the same order as in Latvian.",
            "Please write {n} options, in the same order as in Latvian.",
            count,
        )
    if (
        not OPTIONS_MIN <= len(options) <= OPTIONS_MAX
        or any(len(option) > OPTION_MAX for option in options)
        or len(set(folded)) != len(folded)
    ):
        return ctx.t._(
            "Please give {min} to {max} different options of at most {limit} characters "
            "each, each on its own line or separated by ;",
            min=OPTIONS_MIN,
            max=OPTIONS_MAX,
            limit=OPTION_MAX,
        )
    return None


# A poll's options typed in one message: every option at its longest, and a separator each.
OPTIONS_TYPED_MAX = OPTIONS_MAX * (OPTION_MAX + 1)


async def poll_question(ctx: Context) -> None:
    """Keep the Latvian question, then ask for the options."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx)
    if flow is None:
        return
    text = " ".join((ctx.incoming.text or "").split())
    if not text:
        ctx.ask_again(ctx.t._("Please write the question."))
        return
    flow["wording"] = text
    _ask_poll_options(ctx, flow)


def _ask_poll_options(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.ask(
        State.POLL_OPTIONS,
        ctx.t._(
            "Now the answer options, {min} to {max}: each on its own line, or separated by ;",
            min=OPTIONS_MIN,
            max=OPTIONS_MAX,
        ),
        limit=OPTIONS_TYPED_MAX,
        buttons=[Button(ctx.t._("« Back"), PollBack(PollScreen.QUESTION))],
        back=_poll_cancel(ctx),
        **flow,
    )


async def poll_options(ctx: Context) -> None:
    """Keep the Latvian options, then offer the versions in other languages."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx, "wording")
    if flow is None:
        return
    options = _options_from(ctx.incoming.text or "")
    problem = _options_problem(ctx, options)
    if problem is not None:
        ctx.ask_again(problem)
        return
    flow["options"] = options
    # Other versions follow the Latvian options one to one: new options drop them.
    flow["versions"] = {}
    _ask_versions(ctx, flow)


def _ask_versions(ctx: Context, flow: dict[str, Any]) -> None:
    """Offer the poll in Russian and English too, as messages to residents do."""
    t = ctx.t
    versions = flow.get("versions", {})
    buttons = []
    for language in PollLanguage:
        name = LANGUAGE_NAMES[language.value]
        label = (
            t._("Replace the version in {language}", language=name)
            if language.value in versions
            else t._("Add a version in {language}", language=name)
        )
        buttons.append(Button(label, PollVersion(language)))
    buttons.append(Button(t._("Continue"), PollBack(PollScreen.AUDIENCE)))
    buttons.append(Button(t._("« Back"), PollBack(PollScreen.OPTIONS)))
    ctx.ask(
        State.POLL_CHOOSE,
        t._(
            "Each resident gets the poll in their language, in Latvian when there is no "
            "version in theirs. Add another version?"
        ),
        buttons=buttons,
        back=_poll_cancel(ctx),
        **flow,
    )


@router.button(PollVersion)
async def poll_version(ctx: Context, press: PollVersion) -> None:
    """Ask for the poll's question in another language."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx, "options")
    if flow is None:
        return
    ctx.ask(
        State.POLL_VERSION,
        ctx.t._(
            "Write the question in {language}:\n{question}",
            language=LANGUAGE_NAMES[press.language.value],
            question=flow["wording"],
        ),
        limit=QUESTION_MAX,
        back=Button(ctx.t._("« Back"), PollBack(PollScreen.LANGUAGES)),
        **{**flow, "language": press.language.value},
    )


async def poll_version_question(ctx: Context) -> None:
    """Keep the question in the other language, then ask for its options."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx, "options", "language")
    if flow is None:
        return
    text = " ".join((ctx.incoming.text or "").split())
    if not text:
        ctx.ask_again(ctx.t._("Please write the question."))
        return
    flow["translated"] = text
    ctx.ask(
        State.POLL_VERSION_OPTIONS,
        "\n".join(
            [
                ctx.t.ngettext(
                    "Now the {n} option in {language}, in the same order, each on its own "
                    "line or separated by ;",
                    "Now the {n} options in {language}, in the same order, each on its own "
                    "line or separated by ;",
                    len(flow["options"]),
                    language=LANGUAGE_NAMES[flow["language"]],
                ),
                *[f"• {option}" for option in flow["options"]],
            ]
        ),
        limit=OPTIONS_TYPED_MAX,
        back=Button(ctx.t._("« Back"), PollBack(PollScreen.LANGUAGES)),
        **flow,
    )


async def poll_version_options(ctx: Context) -> None:
    """Keep the options in the other language, then back to the languages."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx, "options", "language", "translated")
    if flow is None:
        return
    options = _options_from(ctx.incoming.text or "")
    problem = _options_problem(ctx, options, count=len(flow["options"]))
    if problem is not None:
        ctx.ask_again(problem)
        return
    language = flow.pop("language")
    question = flow.pop("translated")
    flow["versions"] = {
        **flow.get("versions", {}),
        language: {"question": question, "options": options},
    }
    _ask_versions(ctx, flow)


async def poll_typed_on_buttons(ctx: Context) -> None:
    """Typed text where the poll's buttons are expected: the same screen again."""
    if _poll_draft(ctx) is not None:
        ctx.ask_again(ctx.t._("Please tap one of the buttons, or type its number."))


async def _ask_audience(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    units = await list_units(ctx.session)
    buttons = []
    if may_run_surveys(ctx.roles):
        buttons.append(Button(t._("All parishes and the town"), PollAudience()))
        buttons.extend(Button(unit.name, PollAudience(unit.id)) for unit in units)
    else:
        mine = ctx.roles.units_as(Role.REPRESENTATIVE)
        buttons.extend(
            Button(unit.name, PollAudience(unit.id)) for unit in units if unit.id in mine
        )
    buttons.append(Button(t._("« Back"), PollBack(PollScreen.LANGUAGES)))
    ctx.ask(
        State.POLL_CHOOSE,
        t._("Who should answer?"),
        buttons=buttons,
        back=_poll_cancel(ctx),
        **flow,
    )


def _ask_days(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    buttons = [
        Button(t.ngettext("{n} day", "{n} days", days), PollDays(days)) for days in POLL_DAYS
    ]
    buttons.append(Button(t._("« Back"), PollBack(PollScreen.AUDIENCE)))
    ctx.ask(
        State.POLL_CHOOSE,
        t._("How long should it run?"),
        buttons=buttons,
        back=_poll_cancel(ctx),
        **flow,
    )


@router.button(PollBack)
async def poll_back(ctx: Context, press: PollBack) -> None:
    """A screen of the poll being prepared again, what was written kept."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = _poll_draft(ctx)
    if flow is None:
        return
    flow.pop("language", None)
    flow.pop("translated", None)
    if press.to is PollScreen.QUESTION:
        _ask_poll_question(ctx, flow)
    elif press.to is PollScreen.OPTIONS and "wording" in flow:
        _ask_poll_options(ctx, flow)
    elif press.to is PollScreen.LANGUAGES and "options" in flow:
        _ask_versions(ctx, flow)
    elif press.to is PollScreen.AUDIENCE and "options" in flow:
        await _ask_audience(ctx, flow)
    elif press.to is PollScreen.DAYS and "units" in flow:
        _ask_days(ctx, flow)
    else:
        show_menu(ctx, ctx.t._("That poll is no longer being prepared."))


def _may_ask(ctx: Context, units: list[int] | None) -> bool:
    """Whether this person may poll these units (every unit when None)."""
    if may_run_surveys(ctx.roles):
        return True
    return units is not None and set(units) <= ctx.roles.units_as(Role.REPRESENTATIVE)


@router.button(PollAudience)
async def poll_audience(ctx: Context, press: PollAudience) -> None:
    flow = _poll_draft(ctx, "options")
    if flow is None:
        return
    units = None if press.unit_id is None else [press.unit_id]
    if not _may_ask(ctx, units):
        await ctx.refuse("poll_audience", target=press.unit_id or "all")
        return
    flow["units"] = units
    _ask_days(ctx, flow)


@router.button(PollDays)
async def poll_days(ctx: Context, press: PollDays) -> None:
    """Show the poll as it will start, in every version written."""
    flow = _poll_draft(ctx, "options", "units")
    if flow is None:
        return
    if press.days not in POLL_DAYS:
        _ask_days(ctx, flow)
        return
    t = ctx.t
    flow["days"] = press.days
    closes = ctx.now + timedelta(days=press.days)
    lines = [t._("The poll:"), flow["wording"], *[f"• {option}" for option in flow["options"]]]
    for language, version in flow.get("versions", {}).items():
        lines.extend(["", f"{LANGUAGE_NAMES[language]}:", version["question"]])
        lines.extend(f"• {option}" for option in version["options"])
    lines.extend(
        [
            "",
            t._(
                "Open until {time}. Anonymous; residents see the results as they come in.",
                time=t.datetime(closes),
            ),
        ]
    )
    ctx.ask(
        State.POLL_CHOOSE,
        "\n".join(lines),
        buttons=[
            Button(t._("Start the poll"), PollStart()),
            Button(t._("« Back"), PollBack(PollScreen.DAYS)),
        ],
        back=_poll_cancel(ctx),
        **flow,
    )


@router.button(PollCancel)
async def poll_cancel(ctx: Context, press: PollCancel) -> None:
    show_menu(ctx, ctx.t._("The poll was not started."))


@router.button(PollStart)
async def poll_start(ctx: Context, press: PollStart) -> None:
    """Open the poll at once and invite its residents."""
    assert ctx.resident is not None
    flow = _poll_draft(ctx, "options", "units", "days")
    if flow is None:
        return
    units = flow["units"]
    if not _may_ask(ctx, units):
        await ctx.refuse("poll_audience")
        return
    versions: dict[str, dict[str, Any]] = flow.get("versions", {})
    titles = {"lv": flow["wording"]} | {
        language: version["question"] for language, version in versions.items()
    }
    options = [
        {"lv": option}
        | {language: version["options"][index] for language, version in versions.items()}
        for index, option in enumerate(flow["options"])
    ]
    spec = SurveySpec(
        title=titles,
        description=None,
        unit_slugs=None,
        locality_names=None,
        opens_at=ctx.now,
        closes_at=ctx.now + timedelta(days=int(flow["days"])),
        anonymous=True,
        visibility=Visibility.LIVE,
        remind_hours=None,
        timezone=ctx.settings.tz,
        questions=[QuestionSpec(kind=QuestionKind.SINGLE, texts=titles, options=options)],
    )
    survey = await create_survey(
        ctx.session,
        spec=spec,
        audience=SurveyAudience(units, None),
        now=ctx.now,
        kind=Kind.POLL,
        created_by_id=ctx.resident.id,
    )
    await open_survey(ctx.session, survey, settings=ctx.settings, now=ctx.now)
    await ctx.audit("poll_created", survey=survey.id)
    invited = goes_at(ctx.settings, due_at=ctx.now, urgent=False, now=ctx.now)
    text = ctx.t._(
        "Poll #{id} is open; the residents are being invited. /surveys shows its results.",
        id=survey.id,
    )
    if invited > ctx.now:
        text = ctx.t._(
            "Poll #{id} is open; the residents get the invitation on {time}, when the quiet "
            "hours are over. /surveys shows its results.",
            id=survey.id,
            time=ctx.t.datetime(invited),
        )
    ctx.clear_state()
    ctx.reply(text, [_results_button(ctx, survey), _main_menu(ctx)])


router.flow(
    {
        State.TEXT: Step(text_typed, free_text=True),
        State.ANSWER: text_instead_of_button,
        State.POLL_QUESTION: Step(poll_question, free_text=True),
        State.POLL_OPTIONS: Step(poll_options, free_text=True),
        State.POLL_CHOOSE: poll_typed_on_buttons,
        State.POLL_VERSION: Step(poll_version_question, free_text=True),
        State.POLL_VERSION_OPTIONS: Step(poll_version_options, free_text=True),
    }
)
