"""Quick polls: one question with answer buttons, written in chat in Latvian (and in
Russian and English if the author likes), opened at once for a unit or everyone."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import IN_LANGUAGE, LANGUAGE_NAMES
from broadcasts.quiet_hours import goes_at
from handlers.menu import choose_one, show_menu
from handlers.surveys.lifecycle import open_survey
from handlers.surveys.listing import main_menu, may_poll, may_run_surveys, results_button
from handlers.surveys.payloads import (
    PollAudience,
    PollBack,
    PollCancel,
    PollDays,
    PollLanguage,
    PollScreen,
    PollStart,
    PollVersion,
)
from models.roles import Role
from models.survey_file import Audience as SurveyAudience
from models.survey_file import QuestionSpec, SurveySpec, create_survey
from models.surveys import (
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    QUESTION_MAX,
    Kind,
    QuestionKind,
    Visibility,
)
from models.territory import list_units

router = Router()


class State(enum.StrEnum):
    POLL_QUESTION = "surveys.poll_question"
    POLL_OPTIONS = "surveys.poll_options"
    POLL_CHOOSE = "surveys.poll_choose"  # a screen of the poll answered with its buttons
    POLL_VERSION = "surveys.poll_version"  # the question in another language
    POLL_VERSION_OPTIONS = "surveys.poll_version_options"


POLL_DAYS = (1, 3, 7)


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
        name = t._(IN_LANGUAGE[language.value])
        label = (
            t._("Replace the version {in_language}", in_language=name)
            if language.value in versions
            else t._("Add a version {in_language}", in_language=name)
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
            "Write the question {in_language}:\n{question}",
            in_language=ctx.t._(IN_LANGUAGE[press.language.value]),
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
                    "Now the {n} option {in_language}, in the same order, each on its own "
                    "line or separated by ;",
                    "Now the {n} options {in_language}, in the same order, each on its own "
                    "line or separated by ;",
                    len(flow["options"]),
                    in_language=ctx.t._(IN_LANGUAGE[flow["language"]]),
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
        ctx.ask_again(choose_one(ctx))


async def _ask_audience(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    units = await list_units(ctx.session)
    buttons = []
    if may_run_surveys(ctx.roles):
        buttons.append(Button(t._("All parishes and the town"), PollAudience()))
        buttons.extend(Button(unit.label_in(t.language), PollAudience(unit.id)) for unit in units)
    else:
        mine = ctx.roles.units_as(Role.REPRESENTATIVE)
        buttons.extend(
            Button(unit.label_in(t.language), PollAudience(unit.id))
            for unit in units
            if unit.id in mine
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
    # One short screen: the poll as residents get it, a line for each other version, and
    # whom it goes to until when.
    lines = [
        t._("Start this poll?"),
        "",
        flow["wording"],
        *[f"• {option}" for option in flow["options"]],
    ]
    versions = flow.get("versions", {})
    if versions:
        lines.append("")
    for language, version in versions.items():
        options = " / ".join(version["options"])
        lines.append(f"{LANGUAGE_NAMES[language]}: {version['question']} ({options})")
    if flow["units"] is None:
        audience = t._("All parishes and the town")
    else:
        audience = ", ".join(
            unit.name_in(t.language)
            for unit in await list_units(ctx.session)
            if unit.id in flow["units"]
        )
    lines.extend(
        [
            "",
            t._(
                "For: {audience}. Open until {time}. Answers are anonymous; residents can see "
                "the results while the poll runs.",
                audience=audience,
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
    ctx.reply(text, [results_button(ctx, survey), main_menu(ctx)])


router.flow(
    {
        State.POLL_QUESTION: Step(poll_question, free_text=True),
        State.POLL_OPTIONS: Step(poll_options, free_text=True),
        State.POLL_CHOOSE: poll_typed_on_buttons,
        State.POLL_VERSION: Step(poll_version_question, free_text=True),
        State.POLL_VERSION_OPTIONS: Step(poll_version_options, free_text=True),
    }
)
