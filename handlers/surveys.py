"""Surveys in chat: answering one question at a time, quick polls, paper questionnaires,
results with a chart, and exports for staff.

Written for any channel: options are buttons (numbered options where there are no buttons),
free text is typed. Every button says which survey and question it is about, and each press
is checked against the survey's state and the person's rights when it arrives.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from bot.i18n import N_
from bot.parsing import parse_id
from broadcasts.quiet_hours import goes_at
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.survey_lifecycle import open_survey
from models.personal_data import add_section
from models.roles import Role, Roles
from models.survey_file import Audience as SurveyAudience
from models.survey_file import QuestionSpec, SurveySpec, create_survey
from models.surveys import (
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    QUESTION_MAX,
    AlreadyAnswered,
    Kind,
    NotOpen,
    Origin,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Status,
    Survey,
    Visibility,
    answers_of,
    compute_results,
    end_survey_now,
    erase_survey_data,
    first_unanswered,
    get_survey,
    is_answered,
    list_surveys,
    open_surveys_for,
    participated,
    record_answer,
    response_of,
    send_response,
    start_paper_response,
    start_response,
    survey_data_of,
    text_in,
    visible_questions,
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


def _int(value: str | None) -> int:
    return parse_id(value) or 0


def _arg(ctx: Context, index: int) -> str | None:
    return ctx.args[index] if len(ctx.args) > index else None


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
                    Button(t._("Results: {title}", title=_short(title)), f"survey:r:{survey.id}")
                )
            continue
        response = await response_of(ctx.session, survey.id, ctx.resident.id)
        done = await participated(ctx.session, survey.id, ctx.resident.id)
        until = t.datetime(survey.closes_at)
        if done:
            lines.append(t._("✓ {title} (answered; open until {time})", title=title, time=until))
            if response is not None:
                buttons.append(
                    Button(
                        t._("My answers: {title}", title=_short(title)), f"survey:open:{survey.id}"
                    )
                )
            elif survey.results_visible_to_residents(ctx.now):
                buttons.append(
                    Button(t._("Results: {title}", title=_short(title)), f"survey:r:{survey.id}")
                )
        else:
            lines.append(t._("• {title} (open until {time})", title=title, time=until))
            label = (
                t._("Continue: {title}", title=_short(title))
                if response is not None and response.draft
                else t._("Answer: {title}", title=_short(title))
            )
            buttons.append(Button(label, f"survey:open:{survey.id}"))
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
            buttons.append(Button(t._("Results #{id}", id=survey.id), f"survey:r:{survey.id}"))
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
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join([heading, *lines]).strip(), buttons)


STATUS_LABELS = {
    Status.SCHEDULED.value: N_("scheduled"),
    Status.OPEN.value: N_("open"),
    Status.CLOSED.value: N_("closed"),
}


# ---------------------------------------------------------------------- answering


@router.payload("survey")
async def survey_button(ctx: Context) -> None:
    """Every button of a survey: open, answer, back, skip, send, results, exports, paper."""
    step = _arg(ctx, 0) or ""
    survey = await get_survey(ctx.session, _int(_arg(ctx, 1)))
    if survey is None:
        show_menu(ctx, ctx.t._("That survey does not exist."))
        return
    if step == "r":
        await _results(ctx, survey)
    elif step == "x":
        await _export(ctx, survey)
    elif step == "paper":
        await _paper(ctx, survey)
    elif step == "close":
        await _close_now(ctx, survey)
    elif step == "open":
        await _open(ctx, survey)
    elif step in ("a", "t", "d", "s", "b", "send", "change", "review"):
        await _answer_step(ctx, survey, step)
    else:
        show_menu(ctx)


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
        buttons.append(Button(t._("See the results"), f"survey:r:{survey.id}"))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.reply(text, buttons)


async def _open(ctx: Context, survey: Survey) -> None:
    """Start, resume, or look at one's answers to a survey."""
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
    count = len(survey.questions)
    parts.append(
        t.ngettext("{n} question.", "{n} questions.", count)
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
        buttons.append(Button(t._("See the results"), f"survey:r:{survey.id}"))
    buttons.append(Button(t._("Main menu"), "menu"))
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
    buttons = [Button(t._("Change my answers"), f"survey:change:{survey.id}")]
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(Button(t._("See the results"), f"survey:r:{survey.id}"))
    buttons.append(Button(t._("Main menu"), "menu"))
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


async def _answer_step(ctx: Context, survey: Survey, step: str) -> None:
    assert ctx.resident is not None
    t = ctx.t
    flow = ctx.flow
    paper = bool(flow.get("paper")) and flow.get("survey") == survey.id
    response = await _current(ctx, survey)
    if paper and response is None:
        show_menu(ctx, t._("That paper questionnaire is no longer being entered."))
        return
    if not paper and not survey.reaches(ctx.resident):
        show_menu(ctx, t._("This survey is not for your parish or town."))
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    if response is None:
        # Not started yet, or an anonymous survey already sent: start, or say so.
        await _open(ctx, survey)
        return
    if response.status == ResponseStatus.SENT.value and not response.draft:
        # Changing a sent named response: its answers become the working copy.
        response.draft = await answers_of(ctx.session, survey, response)
    if step == "change":
        first = visible_questions(survey, response.draft or {})
        _ask(ctx, survey, response, first[0])
        return
    if step == "review":
        _review(ctx, survey, response)
        return
    if step == "send":
        await _send(ctx, survey, response)
        return
    question_id = _int(_arg(ctx, 2))
    if step == "b":
        _back(ctx, survey, response, question_id)
        return
    question = survey.question(question_id)
    draft = response.draft or {}
    if question is None or question not in visible_questions(survey, draft):
        _resume(ctx, survey, response)
        return
    if step == "s":
        if question.required:
            ctx.reply(t._("This question needs an answer."))
            _ask(ctx, survey, response, question)
            return
        record_answer(response, question, {"s": 1})
        _next(ctx, survey, response, question)
        return
    value = _arg(ctx, 3)
    if step == "t" and question.kind == QuestionKind.MULTIPLE.value:
        _toggle(ctx, survey, response, question, _int(value))
        return
    if step == "d" and question.kind == QuestionKind.MULTIPLE.value:
        chosen = (draft.get(str(question.id)) or {}).get("o") or []
        if not chosen:
            if question.required:
                ctx.reply(t._("Please choose at least one option."))
                _ask(ctx, survey, response, question)
                return
            record_answer(response, question, {"s": 1})
        else:
            record_answer(response, question, {"o": chosen, "d": 1})
        _next(ctx, survey, response, question)
        return
    if step == "a" and question.kind == QuestionKind.TEXT.value:
        if value == "keep" and is_answered(draft, question):
            _next(ctx, survey, response, question)
        else:
            _ask(ctx, survey, response, question)
        return
    if step == "a":
        answer = _chosen(question, value)
        if answer is None:
            _ask(ctx, survey, response, question)
            return
        record_answer(response, question, answer)
        _next(ctx, survey, response, question)
        return
    _ask(ctx, survey, response, question)


def _chosen(question: Question, value: str | None) -> dict[str, Any] | None:
    number = _int(value)
    if question.kind == QuestionKind.SCALE.value:
        return {"v": number} if 1 <= number <= (question.scale_max or 5) else None
    if question.kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
        return {"o": [number]} if question.option(number) is not None else None
    return None


def _toggle(
    ctx: Context, survey: Survey, response: Response, question: Question, option_id: int
) -> None:
    draft = response.draft or {}
    chosen = list((draft.get(str(question.id)) or {}).get("o") or [])
    if question.option(option_id) is not None:
        if option_id in chosen:
            chosen.remove(option_id)
        elif len(chosen) >= (question.max_choices or OPTIONS_MAX):
            ctx.reply(
                ctx.t.ngettext(
                    "You can choose at most {n} option. Tap a chosen one to remove it first.",
                    "You can choose at most {n} options. Tap a chosen one to remove it first.",
                    question.max_choices or OPTIONS_MAX,
                )
            )
        else:
            chosen.append(option_id)
    if chosen:
        record_answer(response, question, {"o": chosen})
    else:
        remaining = dict(draft)
        remaining.pop(str(question.id), None)
        response.draft = remaining
    _ask(ctx, survey, response, question)


def _next(ctx: Context, survey: Survey, response: Response, question: Question) -> None:
    """The next shown question after this one, or the review when it was the last."""
    shown = visible_questions(survey, response.draft or {})
    later = [item for item in shown if item.position > question.position]
    if later:
        _ask(ctx, survey, response, later[0])
    else:
        _review(ctx, survey, response)


def _back(ctx: Context, survey: Survey, response: Response, question_id: int) -> None:
    shown = visible_questions(survey, response.draft or {})
    current = survey.question(question_id)
    if current is None:  # from the review: the last question
        _ask(ctx, survey, response, shown[-1])
        return
    earlier = [item for item in shown if item.position < current.position]
    _ask(ctx, survey, response, earlier[-1] if earlier else shown[0])


def _resume(ctx: Context, survey: Survey, response: Response) -> None:
    question = first_unanswered(survey, response.draft or {})
    if question is None:
        _review(ctx, survey, response)
    else:
        _ask(ctx, survey, response, question)


def _ask(ctx: Context, survey: Survey, response: Response, question: Question) -> None:
    """One question in one message: "Question 2 of 5", the text, and its buttons."""
    t = ctx.t
    draft = response.draft or {}
    shown = visible_questions(survey, draft)
    number = shown.index(question) + 1 if question in shown else 1
    answer = draft.get(str(question.id)) or {}
    chosen = set(answer.get("o") or [])
    sid, qid = survey.id, question.id
    lines = []
    if response.origin == Origin.PAPER.value:
        lines.append(t._("Paper questionnaire"))
    lines.append(t._("Question {n} of {total}", n=number, total=len(shown)))
    lines.append("")
    lines.append(text_in(question.texts, t.language))
    rows: list[list[Button]] = []
    kind = question.kind
    if kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
        for option in question.options:
            mark = "✓ " if option.id in chosen else ""
            label = mark + text_in(option.texts, t.language)
            rows.append([Button(label, f"survey:a:{sid}:{qid}:{option.id}")])
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
            rows.append([Button(label, f"survey:t:{sid}:{qid}:{option.id}")])
        rows.append([Button(t._("Done"), f"survey:d:{sid}:{qid}")])
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
            Button(("✓ " if value == n else "") + str(n), f"survey:a:{sid}:{qid}:{n}")
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
            rows.append([Button(t._("Keep this answer"), f"survey:a:{sid}:{qid}:keep")])
    if not question.required:
        lines.append(t._("You may skip this question."))
        rows.append([Button(t._("Skip"), f"survey:s:{sid}:{qid}")])
    if number > 1:
        rows.append([Button(t._("« Back"), f"survey:b:{sid}:{qid}")])
    state = "survey.text" if kind == QuestionKind.TEXT.value else "survey.answer"
    flow: dict[str, Any] = {"survey": sid, "question": qid}
    if _paper_id(response) is not None:
        flow["paper"] = response.id
    ctx.set_state(state, **flow)
    ctx.reply("\n".join(lines), rows)


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


def _review(ctx: Context, survey: Survey, response: Response) -> None:
    """All answers on one page, with Send and Back."""
    t = ctx.t
    draft = response.draft or {}
    lines = [t._("Your answers:"), *_answer_lines(ctx, survey, draft), ""]
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
        Button(label, f"survey:send:{survey.id}"),
        Button(t._("« Back"), f"survey:b:{survey.id}:0"),
    ]
    flow: dict[str, Any] = {"survey": survey.id, "question": 0}
    if _paper_id(response) is not None:
        flow["paper"] = response.id
    ctx.set_state("survey.answer", **flow)
    ctx.reply("\n".join(lines), buttons)


async def _send(ctx: Context, survey: Survey, response: Response) -> None:
    t = ctx.t
    draft = response.draft or {}
    missing = first_unanswered(survey, draft)
    if missing is not None:
        ctx.reply(t._("One question still needs an answer."))
        _ask(ctx, survey, response, missing)
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
        unit_id = response.unit_id or 0
        ctx.clear_state()
        ctx.reply(
            t._("The paper questionnaire is saved and counted."),
            [
                Button(t._("Enter another one"), f"survey:paper:{survey.id}:{unit_id}"),
                Button(t._("See the results"), f"survey:r:{survey.id}"),
                Button(t._("Main menu"), "menu"),
            ],
        )
        return
    text = t._("Thank you! Your answers are sent.")
    if not survey.anonymous:
        text += " " + t._(
            "You can change them until {time} under /surveys.", time=t.datetime(survey.closes_at)
        )
    buttons = []
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(Button(t._("See the results"), f"survey:r:{survey.id}"))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply(text, buttons)


@router.state("survey.text", free_text=True)
async def text_typed(ctx: Context) -> None:
    """A typed answer to a free-text question."""
    flow = ctx.flow
    survey = await get_survey(ctx.session, int(flow.get("survey") or 0))
    if survey is None:
        show_menu(ctx)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    response = await _current(ctx, survey)
    if response is None:
        show_menu(ctx)
        return
    if response.status == ResponseStatus.SENT.value and not response.draft:
        response.draft = await answers_of(ctx.session, survey, response)
    question = survey.question(int(flow.get("question") or 0))
    if question is None or question.kind != QuestionKind.TEXT.value:
        _resume(ctx, survey, response)
        return
    text = " ".join((ctx.incoming.text or "").split())
    limit = question.max_length or 500
    if not text:
        ctx.reply(ctx.t._("Please type your answer."))
        _ask(ctx, survey, response, question)
        return
    if ctx.too_long(text, limit):
        _ask(ctx, survey, response, question)
        return
    record_answer(response, question, {"t": text})
    _next(ctx, survey, response, question)


@router.state("survey.answer")
async def text_instead_of_button(ctx: Context) -> None:
    """Typed text where a button is expected: show the question again."""
    flow = ctx.flow
    survey = await get_survey(ctx.session, int(flow.get("survey") or 0))
    response = await _current(ctx, survey) if survey is not None else None
    if survey is None or response is None:
        show_menu(ctx)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    ctx.reply(ctx.t._("Please tap one of the buttons, or type its number."))
    question = survey.question(int(flow.get("question") or 0))
    if question is None:
        _review(ctx, survey, response)
    else:
        _ask(ctx, survey, response, question)


# ---------------------------------------------------------------------- paper questionnaires


async def _paper(ctx: Context, survey: Survey) -> None:
    """Staff type in a paper questionnaire: first its parish or town, then the questions."""
    assert ctx.resident is not None
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
    unit_id = _int(_arg(ctx, 2))
    if unit_id not in allowed:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("Paper questionnaire: which parish or town is it from?"),
            [
                Button(unit.name, f"survey:paper:{survey.id}:{unit.id}")
                for unit in units
                if unit.id in allowed
            ],
        )
        return
    response = await start_paper_response(
        ctx.session, survey=survey, unit_id=unit_id, entered_by=ctx.resident
    )
    _ask(ctx, survey, response, visible_questions(survey, {})[0])


# ---------------------------------------------------------------------- results and exports


async def _unit_names(ctx: Context) -> dict[int, str]:
    return {unit.id: unit.name for unit in await list_units(ctx.session)}


async def _results(ctx: Context, survey: Survey) -> None:
    """Counts and percentages with a bar chart; for staff also units, rates and free text."""
    assert ctx.resident is not None
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
    results = await compute_results(ctx.session, survey)
    text = results_text(results, t, unit_names=await _unit_names(ctx), staff=staff)
    charts = await asyncio.to_thread(charts_png, results, t)
    buttons = []
    if staff:
        buttons.append(Button(t._("Spreadsheet (XLSX)"), f"survey:x:{survey.id}:xlsx"))
        buttons.append(Button(t._("Table (CSV)"), f"survey:x:{survey.id}:csv"))
        if survey.is_open(ctx.now) and may_run_surveys(ctx.roles):
            buttons.append(Button(t._("Enter a paper questionnaire"), f"survey:paper:{survey.id}"))
        if survey.is_open(ctx.now):
            buttons.append(Button(t._("Close the survey now"), f"survey:close:{survey.id}"))
    buttons.append(Button(t._("Main menu"), "menu"))
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


async def _close_now(ctx: Context, survey: Survey) -> None:
    """Close an open survey early, after a confirmation; staff and the poll's own author."""
    t = ctx.t
    if not _sees_everything(ctx, survey):
        await ctx.refuse("survey_close", survey=survey.id)
        return
    if not survey.is_open(ctx.now):
        await _closed(ctx, survey)
        return
    if _arg(ctx, 2) != "yes":
        ctx.reply(
            t._(
                'Close "{title}" now? Residents can no longer answer, and the results are final.',
                title=_title(ctx, survey),
            ),
            [
                Button(t._("Yes, close it"), f"survey:close:{survey.id}:yes"),
                Button(t._("No"), f"survey:r:{survey.id}"),
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


async def _export(ctx: Context, survey: Survey) -> None:
    if not _sees_everything(ctx, survey):
        await ctx.refuse("survey_export", survey=survey.id)
        return
    results = await compute_results(ctx.session, survey, text_limit=1_000_000)
    names = await _unit_names(ctx)
    if _arg(ctx, 2) == "csv":
        content = results_csv(results, ctx.t, unit_names=names)
        attachment = Attachment(export_name(results, "csv"), content, mime_type=CSV_MIME)
    else:
        content = results_xlsx(results, ctx.t, unit_names=names)
        attachment = Attachment(export_name(results, "xlsx"), content, mime_type=XLSX_MIME)
    await ctx.audit("survey_exported", survey=survey.id)
    ctx.reply(
        ctx.t._('The results of "{title}" as a file.', title=_title(ctx, survey)),
        [Button(ctx.t._("Main menu"), "menu")],
        attachment,
    )


# ---------------------------------------------------------------------- quick polls


@router.command("poll")
@router.payload("poll")
async def poll(ctx: Context) -> None:
    """Start a quick poll (one question, 2-10 options), or take a step of its buttons."""
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    if ctx.payload and ctx.args:
        await _poll_step(ctx)
        return
    ctx.set_state("poll.question")
    ctx.reply(
        ctx.t._(
            "A quick poll: one question with answer buttons. Write the question in Latvian "
            "(at most {limit} characters). /cancel stops.",
            limit=ctx.t.number(QUESTION_MAX),
        )
    )


@router.state("poll.question", free_text=True)
async def poll_question(ctx: Context) -> None:
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    text = " ".join((ctx.incoming.text or "").split())
    if not text or len(text) > QUESTION_MAX:
        ctx.reply(
            ctx.t._(
                "Please write the question: at most {limit} characters.",
                limit=ctx.t.number(QUESTION_MAX),
            )
        )
        return
    ctx.set_state("poll.options", question=text)
    ctx.reply(
        ctx.t._(
            "Now the answer options, {min} to {max}: each on its own line, or separated by ;",
            min=OPTIONS_MIN,
            max=OPTIONS_MAX,
        )
    )


@router.state("poll.options", free_text=True)
async def poll_options(ctx: Context) -> None:
    if not may_poll(ctx.roles):
        await ctx.refuse("poll")
        return
    flow = ctx.flow
    raw = (ctx.incoming.text or "").replace(";", "\n")
    options = [" ".join(line.split()) for line in raw.splitlines() if line.strip()]
    folded = [option.casefold() for option in options]
    if (
        not OPTIONS_MIN <= len(options) <= OPTIONS_MAX
        or any(len(option) > OPTION_MAX for option in options)
        or len(set(folded)) != len(folded)
    ):
        ctx.reply(
            ctx.t._(
                "Please give {min} to {max} different options of at most {limit} characters "
                "each, each on its own line or separated by ;",
                min=OPTIONS_MIN,
                max=OPTIONS_MAX,
                limit=OPTION_MAX,
            )
        )
        return
    flow["options"] = options
    await _poll_audience(ctx, flow)


async def _poll_audience(ctx: Context, flow: dict[str, Any]) -> None:
    units = await list_units(ctx.session)
    buttons = []
    if may_run_surveys(ctx.roles):
        buttons.append(Button(ctx.t._("All parishes and the town"), "poll:to:all"))
        buttons.extend(Button(unit.name, f"poll:to:{unit.id}") for unit in units)
    else:
        mine = ctx.roles.units_as(Role.REPRESENTATIVE)
        buttons.extend(Button(unit.name, f"poll:to:{unit.id}") for unit in units if unit.id in mine)
    ctx.set_state("poll.audience", **flow)
    ctx.reply(ctx.t._("Who should answer?"), buttons)


async def _poll_step(ctx: Context) -> None:
    flow = ctx.flow
    if not (ctx.state or "").startswith("poll.") or "options" not in flow:
        show_menu(ctx, ctx.t._("That poll is no longer being prepared."))
        return
    step = _arg(ctx, 0)
    if step == "to":
        target = _arg(ctx, 1) or ""
        if target == "all" and may_run_surveys(ctx.roles):
            flow["units"] = None
        elif (unit_id := parse_id(target)) is not None and (
            may_run_surveys(ctx.roles) or unit_id in ctx.roles.units_as(Role.REPRESENTATIVE)
        ):
            flow["units"] = [unit_id]
        else:
            await ctx.refuse("poll_audience", target=target)
            return
        ctx.set_state("poll.days", **flow)
        ctx.reply(
            ctx.t._("How long should it run?"),
            [
                Button(ctx.t.ngettext("{n} day", "{n} days", days), f"poll:days:{days}")
                for days in POLL_DAYS
            ],
        )
    elif step == "days" and "units" in flow:
        days = _int(_arg(ctx, 1))
        if days not in POLL_DAYS:
            show_menu(ctx)
            return
        flow["days"] = days
        ctx.set_state("poll.confirm", **flow)
        closes = ctx.now + timedelta(days=days)
        lines = [
            ctx.t._("The poll:"),
            flow["question"],
            *[f"• {option}" for option in flow["options"]],
            "",
            ctx.t._(
                "Open until {time}. Anonymous; residents see the results as they come in.",
                time=ctx.t.datetime(closes),
            ),
        ]
        ctx.reply(
            "\n".join(lines),
            [
                Button(ctx.t._("Start the poll"), "poll:go"),
                Button(ctx.t._("Cancel"), "poll:cancel"),
            ],
        )
    elif step == "go" and ctx.state == "poll.confirm":
        await _poll_start(ctx, flow)
    elif step == "cancel":
        show_menu(ctx, ctx.t._("The poll was not started."))
    else:
        show_menu(ctx)


async def _poll_start(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None
    units = flow.get("units")
    if units is not None and not may_run_surveys(ctx.roles):
        if not set(units) <= ctx.roles.units_as(Role.REPRESENTATIVE):
            await ctx.refuse("poll_audience")
            return
    elif units is None and not may_run_surveys(ctx.roles):
        await ctx.refuse("poll_audience")
        return
    spec = SurveySpec(
        title={"lv": flow["question"]},
        description=None,
        unit_slugs=None,
        locality_names=None,
        opens_at=ctx.now,
        closes_at=ctx.now + timedelta(days=int(flow["days"])),
        anonymous=True,
        visibility=Visibility.LIVE,
        remind_hours=None,
        timezone=ctx.settings.tz,
        questions=[
            QuestionSpec(
                kind=QuestionKind.SINGLE,
                texts={"lv": flow["question"]},
                options=[{"lv": option} for option in flow["options"]],
            )
        ],
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
    show_menu(ctx, text)
