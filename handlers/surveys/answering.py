"""Answering a survey one question at a time, on any channel: options are buttons
(numbered options where there are no buttons), free text is typed. Every button says which
survey and question it is about, and each press is checked against the survey's state and the
person's rights when it arrives.

Over 600 lines on purpose: every step of answering, on which the others build, in one place.
"""

from __future__ import annotations

import enum
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import BUTTON_LABEL_MAX, Button, shorten
from bot.dialog.router import Router, Step
from bot.i18n import Translator
from broadcasts.notices import send_notice
from handlers.menu import choose_one, show_menu
from handlers.surveys.listing import (
    back_to_surveys,
    find_survey,
    main_menu,
    may_run_surveys,
    results_button,
    say_closed,
    title_of,
)
from handlers.surveys.payloads import (
    SurveyBack,
    SurveyChange,
    SurveyChoice,
    SurveyDone,
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
from models.helpers import ActKind, HelperLink, active_link, first_name, record_act
from models.survey_answers import (
    AlreadyAnswered,
    NotOpen,
    answers_of,
    first_unanswered,
    is_answered,
    progress,
    record_answer,
    response_of,
    send_response,
    start_response,
    visible_questions,
)
from models.surveys import (
    OPTIONS_MAX,
    Kind,
    Origin,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Survey,
    get_survey,
    text_in,
)

router = Router()


class State(enum.StrEnum):
    TEXT = "surveys.text"  # a typed answer to a free-text question
    ANSWER = "surveys.answer"  # a question answered with its buttons


"""Surveys in chat: answering one question at a time, quick polls, paper questionnaires,
results with a chart, and exports for staff.

Written for any channel: options are buttons (numbered options where there are no buttons),
free text is typed. Every button says which survey and question it is about, and each press
is checked against the survey's state and the person's rights when it arrives.
"""


@router.button(SurveyOpen)
async def open_one(ctx: Context, press: SurveyOpen) -> None:
    """Start, resume, or look at one's answers to a survey."""
    survey = await find_survey(ctx, press.survey_id)
    if survey is not None:
        await _open(ctx, survey)


async def _open(ctx: Context, survey: Survey) -> None:
    assert ctx.resident is not None
    t = ctx.t
    if not survey.reaches(ctx.resident):
        show_menu(ctx, t._("This survey is not for your parish or town."))
        return
    if not survey.is_open(ctx.now):
        await say_closed(ctx, survey)
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
    if _is_quick_poll(survey, response):
        # One question: it is the whole poll, asked at once, without an introduction.
        ask_question(ctx, survey, response, survey.questions[0])
        return
    if not draft:
        ctx.reply(_intro(ctx, survey))
    else:
        ctx.reply(t._("Welcome back: let us go on from where you stopped."))
    question = first_unanswered(survey, draft)
    if question is None:
        _review(ctx, survey, response)
    else:
        ask_question(ctx, survey, response, question)


def _is_quick_poll(survey: Survey, response: Response) -> bool:
    """A quick poll answered by a resident: one question, answered with one choice and sent at
    once (a paper questionnaire of it is still checked before it is saved)."""
    return (
        survey.kind == Kind.POLL.value
        and len(survey.questions) == 1
        and response.origin != Origin.PAPER.value
    )


def _intro(ctx: Context, survey: Survey) -> str:
    t = ctx.t
    parts = [title_of(ctx, survey)]
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
        + t._(
            'Your answers are saved as you go: you can stop and come back later under "Surveys" '
            "in the menu."
        )
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
        buttons.append(results_button(ctx, survey))
    buttons.extend([back_to_surveys(ctx), main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(t._("You have already sent your answers to this survey. Thank you!"), buttons)


async def _show_sent(ctx: Context, survey: Survey, response: Response) -> None:
    t = ctx.t
    draft = await answers_of(ctx.session, survey, response)
    if _is_quick_poll(survey, response):
        _poll_answered(
            ctx,
            survey,
            t._(
                'Your answer to "{question}": "{answer}".',
                question=text_in(survey.questions[0].texts, t.language),
                answer=", ".join(_answer_lines(ctx, survey, draft, answers_only=True)),
            ),
        )
        return
    text = "\n".join(
        [
            t._('Your answers to "{title}":', title=title_of(ctx, survey)),
            *_answer_lines(ctx, survey, draft),
            "",
            t._("You can change them until {time}.", time=t.datetime(survey.closes_at)),
        ]
    )
    buttons = [Button(t._("Change my answers"), SurveyChange(survey.id))]
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(results_button(ctx, survey))
    buttons.extend([back_to_surveys(ctx), main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(text, buttons)


async def _current(ctx: Context, survey: Survey) -> Response | None:
    """The response this person is filling in: a paper questionnaire they are typing in, or
    their own."""
    assert ctx.resident is not None
    flow = ctx.flow
    if flow.get("for") and flow.get("survey") == survey.id:
        link = await helped_link(ctx)
        if link is None:
            return None
        return await response_of(ctx.session, survey.id, link.resident_id)
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


async def helped_link(ctx: Context) -> HelperLink | None:
    """The active link through which this helper answers now (the flow's), else None."""
    assert ctx.resident is not None
    link_id = ctx.flow.get("for")
    if not isinstance(link_id, int):
        return None
    return await active_link(ctx.session, link_id=link_id, helper=ctx.resident)


def _helper_flow(ctx: Context, response: Response) -> dict[str, Any]:
    """What a helper's flow keeps: the link they answer through and the resident's name
    (nothing where nobody answers, as in the console's preview)."""
    flow = ctx.flow
    if ctx.resident is None:
        return {}
    if flow.get("for") and response.resident_id not in (None, ctx.resident.id):
        return {"for": flow["for"], "for_name": flow.get("for_name", "")}
    return {}


def _answering_for(t: Translator, name: str) -> str:
    """Whom a helper answers for; without a name where the resident gave none."""
    if name:
        return t._("You answer for {name}", name=name)
    return t._("You answer for the person you help")


async def _working_copy(ctx: Context, survey_id: int) -> tuple[Survey, Response] | None:
    """The survey and the response a step of answering works on, checked as the press
    arrives; None when the step cannot be taken (the person is told why)."""
    assert ctx.resident is not None
    t = ctx.t
    survey = await find_survey(ctx, survey_id)
    if survey is None:
        return None
    flow = ctx.flow
    paper = bool(flow.get("paper")) and flow.get("survey") == survey.id
    helping = bool(flow.get("for")) and flow.get("survey") == survey.id
    response = await _current(ctx, survey)
    if paper and response is None:
        show_menu(ctx, t._("That paper questionnaire is no longer being entered."))
        return None
    if helping and response is None:
        show_menu(ctx, t._("You no longer answer for this person."))
        return None
    if not paper and not helping and not survey.reaches(ctx.resident):
        show_menu(ctx, t._("This survey is not for your parish or town."))
        return None
    if not survey.is_open(ctx.now):
        await say_closed(ctx, survey)
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
        ask_question(ctx, survey, response, visible_questions(survey, response.draft or {})[0])


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
        ask_question(ctx, survey, response, shown[-1])
        return
    earlier = [item for item in shown if item.position < current.position]
    ask_question(ctx, survey, response, earlier[-1] if earlier else shown[0])


@router.button(SurveySkip)
async def skip(ctx: Context, press: SurveySkip) -> None:
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.required:
        ask_question(ctx, survey, response, question, why=ctx.t._("This question needs an answer."))
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
        ask_question(ctx, survey, response, question)
        return
    draft = response.draft or {}
    chosen = list((draft.get(str(question.id)) or {}).get("o") or [])
    why = None
    if question.option(press.option_id) is not None:
        if press.option_id in chosen:
            chosen.remove(press.option_id)
        elif len(chosen) >= (question.max_choices or OPTIONS_MAX):
            why = ctx.t.ngettext(
                "You can choose at most {n} option. To change it, first choose the ticked one "
                "again to remove it.",
                "You can choose at most {n} options. To change them, first choose a ticked one "
                "again to remove it.",
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
    ask_question(ctx, survey, response, question, why=why)


@router.button(SurveyDone)
async def done(ctx: Context, press: SurveyDone) -> None:
    """A multiple-choice question answered with the options ticked."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    if question.kind != QuestionKind.MULTIPLE.value:
        ask_question(ctx, survey, response, question)
        return
    chosen = ((response.draft or {}).get(str(question.id)) or {}).get("o") or []
    if not chosen:
        if question.required:
            why = ctx.t._("Please choose at least one option.")
            ask_question(ctx, survey, response, question, why=why)
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
        ask_question(ctx, survey, response, question)


@router.button(SurveyChoice)
async def choose(ctx: Context, press: SurveyChoice) -> None:
    """An option of a single-choice or yes/no question, or a value of a scale."""
    found = await _shown_question(ctx, press.survey_id, press.question_id)
    if found is None:
        return
    survey, response, question = found
    answer = _chosen(question, press.value)
    if answer is None:
        ask_question(ctx, survey, response, question)
        return
    record_answer(response, question, answer)
    if _is_quick_poll(survey, response):
        await _send(ctx, survey, response)
        return
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
        ask_question(ctx, survey, response, later[0])
    else:
        _review(ctx, survey, response)


def _resume(ctx: Context, survey: Survey, response: Response) -> None:
    question = first_unanswered(survey, response.draft or {})
    if question is None:
        _review(ctx, survey, response)
    else:
        ask_question(ctx, survey, response, question)


def ask_question(
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
    poll = _is_quick_poll(survey, response)
    if response.origin == Origin.PAPER.value:
        lines.append(t._("Paper questionnaire"))
    helping = _helper_flow(ctx, response)
    if helping:
        lines.append(_answering_for(t, helping["for_name"]))
    if poll:
        lines.append(t._("A quick poll of the residents' council:"))
    else:
        lines.append(t._("Question {n} of {total}", n=place.number, total=place.total))
        lines.append("")
    lines.append(text_in(question.texts, t.language))
    options = {option.id: text_in(option.texts, t.language) for option in question.options}
    if any(len(label) > BUTTON_LABEL_MAX - 2 for label in options.values()):
        # Too long for a button: the buttons show the first words, the text each in full.
        lines.append("")
        lines.extend(f"• {label}" for label in options.values())
    if poll:
        lines.append("")
        lines.append(
            t._(
                "Choose your answer: it is sent at once, and nobody sees which answer is yours. "
                "You can change it until {time}.",
                time=t.datetime(survey.closes_at),
            )
        )
    rows: list[list[Button]] = []
    kind = question.kind
    if kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
        for option in question.options:
            mark = "✓ " if option.id in chosen else ""
            label = mark + shorten(options[option.id], BUTTON_LABEL_MAX - len(mark))
            rows.append([Button(label, SurveyChoice(sid, qid, option.id))])
    elif kind == QuestionKind.MULTIPLE.value:
        top = question.max_choices or len(question.options)
        lines.append(
            t.ngettext(
                "Choose up to {n} option, then choose Done.",
                "Choose up to {n} options, then choose Done.",
                top,
            )
        )
        for option in question.options:
            mark = "✓ " if option.id in chosen else ""
            label = mark + shorten(options[option.id], BUTTON_LABEL_MAX - len(mark))
            rows.append([Button(label, SurveyTick(sid, qid, option.id))])
        rows.append([Button(t._("Done"), SurveyDone(sid, qid))])
    elif kind == QuestionKind.SCALE.value:
        top = question.scale_max or 5
        lines.append(
            t._(
                '1 means "{low}", {top} means "{high}".',
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
                "Write your answer in one message (at most {limit} characters).",
                limit=t.number(question.max_length or 500),
            )
        )
        if answer.get("t"):
            lines.append(t._("Your answer now: {text}", text=answer["t"]))
            rows.append([Button(t._("Keep this answer"), SurveyKeep(sid, qid))])
    if not question.required:
        # Where the answer is typed, a number typed is the answer (a house number, a
        # count), so the options are not numbered: the text names the word that skips.
        skip = t._("Skip")
        lines.append(
            t._('If you do not want to answer, choose or write "{skip}".', skip=skip)
            if kind == QuestionKind.TEXT.value
            else t._("You may skip this question.")
        )
        rows.append([Button(skip, SurveySkip(sid, qid))])
    if place.number > 1:
        rows.append([Button(t._("« Back"), SurveyBack(sid, qid))])
    flow: dict[str, Any] = {"survey": sid, "question_id": qid, **helping}
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
    if _is_quick_poll(survey, response) or _helper_flow(ctx, response):
        return main_menu(ctx)
    return Button(ctx.t._("Continue later"), "surveys")


def _answer_lines(
    ctx: Context, survey: Survey, draft: dict[str, Any], *, answers_only: bool = False
) -> list[str]:
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
        asked = text_in(question.texts, t.language)
        lines.append(shown if answers_only else f"{number}. {asked}\n   {shown}")
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
        Button(label, SurveySend(survey.id)),
        Button(t._("« Back"), SurveyBack(survey.id)),
    ]
    helping = _helper_flow(ctx, response)
    if helping:
        lines.insert(0, _answering_for(t, helping["for_name"]))
    flow: dict[str, Any] = {"survey": survey.id, "question_id": 0, **helping}
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
        ask_question(ctx, survey, response, missing, why=t._("One question still needs an answer."))
        return
    paper = response.origin == Origin.PAPER.value
    link = await helped_link(ctx) if _helper_flow(ctx, response) else None
    if link is not None:
        await _send_for(ctx, survey, response, link)
        return
    try:
        await send_response(
            ctx.session,
            survey=survey,
            response=response,
            resident=None if paper else ctx.resident,
            now=ctx.now,
        )
    except NotOpen:
        await say_closed(ctx, survey)
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
                results_button(ctx, survey),
                main_menu(ctx),
            ],
        )
        return
    assert ctx.resident is not None
    # An invitation or a reminder still waiting to go to them is not sent after all.
    await cancel_done_action(
        ctx.session, resident_id=ctx.resident.id, action_payload=SurveyOpen(survey.id).pack()
    )
    if _is_quick_poll(survey, response):
        answer = ", ".join(_answer_lines(ctx, survey, draft, answers_only=True))
        _poll_answered(
            ctx, survey, t._('Thank you! Your answer "{answer}" is sent.', answer=answer)
        )
        return
    text = t._("Thank you! Your answers are sent.")
    if not survey.anonymous:
        text += " " + t._(
            'You can change them until {time} under "Surveys" in the menu.',
            time=t.datetime(survey.closes_at),
        )
    buttons = []
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(results_button(ctx, survey))
    buttons.extend([back_to_surveys(ctx), main_menu(ctx)])
    ctx.clear_state()
    ctx.reply(text, buttons)


async def _send_for(ctx: Context, survey: Survey, response: Response, link: HelperLink) -> None:
    """A helper sends the answers of the resident they help: stored as through a helper,
    written down as an act of the link and in the audit log, and the resident is told."""
    assert ctx.resident is not None
    t = ctx.t
    name = first_name(link.resident)
    try:
        await send_response(
            ctx.session,
            survey=survey,
            response=response,
            resident=link.resident,
            now=ctx.now,
            helper_id=ctx.resident.id,
        )
    except NotOpen:
        await say_closed(ctx, survey)
        return
    except AlreadyAnswered:
        show_menu(
            ctx,
            t._("{name} has already sent answers to this survey.", name=name)
            if name
            else t._("The person you help has already sent answers to this survey."),
        )
        return
    await record_act(ctx.session, link=link, kind=ActKind.SURVEY, item_id=survey.id, now=ctx.now)
    await ctx.audit(
        "helper_survey_answered", link=link.id, resident=link.resident_id, survey=survey.id
    )
    await cancel_done_action(
        ctx.session, resident_id=link.resident_id, action_payload=SurveyOpen(survey.id).pack()
    )
    helper = first_name(ctx.resident)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[link.resident_id],
        write=lambda tr: (
            tr._(
                '{helper}, your trusted person, answered the survey "{title}" for you.',
                helper=helper,
                title=text_in(survey.title, tr.language),
            )
            if helper
            else tr._(
                'Your trusted person answered the survey "{title}" for you.',
                title=text_in(survey.title, tr.language),
            )
        ),
        now=ctx.now,
        personal=False,
    )
    show_menu(
        ctx,
        t._(
            'Thank you! The answers of {name} to "{title}" are sent, as given through a '
            "trusted person.",
            name=name,
            title=title_of(ctx, survey),
        )
        if name
        else t._(
            'Thank you! The answers of the person you help to "{title}" are sent, as given '
            "through a trusted person.",
            title=title_of(ctx, survey),
        ),
    )


def _poll_answered(ctx: Context, survey: Survey, said: str) -> None:
    """A quick poll's answer as it stands, and a way to change it while the poll is open."""
    t = ctx.t
    buttons = [Button(t._("Change my answer"), SurveyChange(survey.id))]
    if survey.results_visible_to_residents(ctx.now):
        buttons.append(results_button(ctx, survey))
    buttons.append(main_menu(ctx))
    ctx.clear_state()
    ctx.reply(
        "\n".join(
            [said, t._("You can change it until {time}.", time=t.datetime(survey.closes_at))]
        ),
        buttons,
    )


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
        await say_closed(ctx, survey)
        return
    ctx.ask_again(choose_one(ctx))


router.flow(
    {
        # A survey's free answer may be a number ("3"): typed numbers are answers here.
        # An option is chosen there by its whole label only ("Izlaist"), so that an answer
        # that is one of its words is still an answer.
        State.TEXT: Step(text_typed, numbers=True, free_text=True),
        State.ANSWER: text_instead_of_button,
    }
)
