"""Preparing a nomination round: parishes, dates, settings; an overlap keeps what was entered."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import Translator
from bot.parsing import parse_number
from bot.settings import Settings
from broadcasts.compose import quick_times
from broadcasts.quiet_hours import goes_at
from handlers.nominations.buttons import (
    NewRound,
    RoundDates,
    RoundEverywhere,
    RoundLength,
    RoundPick,
    RoundSetting,
    RoundSettings,
    RoundStart,
    RoundStep,
    RoundTimeTwice,
    RoundUnitsChosen,
    SaveRound,
    Setting,
    StartPick,
)
from handlers.nominations.coordinator import home_button, may_coordinate
from handlers.onboarding import unit_checklist
from models.nominations import (
    MINIMUM_AGE,
    SUPPORTERS_NEEDED,
    NominationRound,
    Refused,
    create_round,
)

router = Router()


class State(enum.StrEnum):
    UNITS = "round.units"
    START = "round.start"
    END = "round.end"
    SETTINGS = "round.settings"
    NUMBER = "round.number"


ROUND_LENGTHS = (14, 30)
# The time last typed, kept outside the flow for the answer when it happens twice.
_TYPED = "round_time_typed"


def _cancel_round(ctx: Context) -> Button:
    return Button(ctx.t._("Cancel"), "nomc")


@router.button(NewRound)
async def new_round(ctx: Context, press: NewRound) -> None:
    """Ask which parishes a new round is for."""
    if not await may_coordinate(ctx, "round"):
        return
    ctx.set_state(State.UNITS, supporters=SUPPORTERS_NEEDED, age=MINIMUM_AGE, multiple=False)
    ctx.reply(
        ctx.t._("A new nomination round. For which parishes?"),
        [
            Button(ctx.t._("All parishes and the town"), RoundEverywhere()),
            Button(ctx.t._("Choose parishes"), RoundPick()),
            _cancel_round(ctx),
        ],
    )


async def _draft(ctx: Context) -> dict[str, Any] | None:
    """The round being prepared, with the right checked again; None when there is none."""
    if not await may_coordinate(ctx, "round"):
        return None
    if not (ctx.state or "").startswith("round."):
        ctx.clear_state()
        ctx.reply(
            ctx.t._("That round is no longer being prepared."),
            [home_button(ctx), Button(ctx.t._("Main menu"), "menu")],
        )
        return None
    return ctx.flow


async def _dated_draft(ctx: Context) -> dict[str, Any] | None:
    """The round being prepared once its dates are chosen; before that, its start is asked."""
    flow = await _draft(ctx)
    if flow is not None and "end" not in flow:
        _ask_start(ctx, flow)
        return None
    return flow


@router.button(RoundEverywhere)
async def round_everywhere(ctx: Context, press: RoundEverywhere) -> None:
    flow = await _draft(ctx)
    if flow is None:
        return
    flow["units"] = None
    _ask_start(ctx, flow)


@router.button(RoundPick)
async def pick_units(ctx: Context, press: RoundPick) -> None:
    """Tick or untick a parish of the round."""
    flow = await _draft(ctx)
    if flow is None:
        return
    picked = set(flow.get("picked", []))
    if press.unit_id is not None:
        picked ^= {press.unit_id}
    flow["picked"] = sorted(picked)
    ctx.set_state(State.UNITS, **flow)
    buttons = await unit_checklist(ctx, picked, pick=RoundPick.kind, done=RoundUnitsChosen().pack())
    ctx.reply(
        ctx.t._("Tap the parishes of this round, then Continue."), [*buttons, _cancel_round(ctx)]
    )


@router.button(RoundUnitsChosen)
async def units_chosen(ctx: Context, press: RoundUnitsChosen) -> None:
    flow = await _draft(ctx)
    if flow is None:
        return
    if not flow.get("picked"):
        await pick_units(ctx, RoundPick())
        return
    flow["units"] = flow["picked"]
    _ask_start(ctx, flow)


def _example(ctx: Context) -> str:
    return ctx.t.datetime(quick_times(ctx.now, ctx.settings.tz)["tomorrow"])


def _ask_start(ctx: Context, flow: dict[str, Any]) -> None:
    flow.pop("start", None)
    flow.pop("end", None)
    ctx.ask(
        State.START,
        ctx.t._(
            "When does nominating start? Tap a button or type a date and time like {example}.",
            example=_example(ctx),
        ),
        limit=40,
        buttons=[
            Button(ctx.t._("Now"), RoundStart(StartPick.NOW)),
            Button(ctx.t._("Tomorrow at 09:00"), RoundStart(StartPick.TOMORROW)),
        ],
        back=_cancel_round(ctx),
        **flow,
    )


def _ask_end(ctx: Context, flow: dict[str, Any]) -> None:
    flow.pop("end", None)
    ctx.ask(
        State.END,
        ctx.t._(
            "When does it end? Tap a button or type a date and time like {example}.",
            example=_example(ctx),
        ),
        limit=40,
        buttons=[
            Button(ctx.t.ngettext("In {n} day", "In {n} days", days), RoundLength(days))
            for days in ROUND_LENGTHS
        ],
        back=_cancel_round(ctx),
        **flow,
    )


@router.button(RoundStart)
async def start_chosen(ctx: Context, press: RoundStart) -> None:
    flow = await _draft(ctx)
    if flow is None:
        return
    if ctx.state != State.START:
        _ask_start(ctx, flow)
        return
    start = (
        ctx.now
        if press.when is StartPick.NOW
        else quick_times(ctx.now, ctx.settings.tz)[StartPick.TOMORROW.value]
    )
    flow["start"] = start.isoformat()
    _ask_end(ctx, flow)


@router.button(RoundLength)
async def length_chosen(ctx: Context, press: RoundLength) -> None:
    flow = await _draft(ctx)
    if flow is None:
        return
    if "start" not in flow:
        _ask_start(ctx, flow)
        return
    if press.days not in ROUND_LENGTHS or ctx.state != State.END:
        _ask_end(ctx, flow)
        return
    end = round_end_after(datetime.fromisoformat(flow["start"]), press.days, ctx.settings.tz)
    flow["end"] = end.isoformat()
    _show_settings(ctx, flow)


def round_end_after(start: datetime, days: int, timezone: ZoneInfo) -> datetime:
    """The end of a round `days` long: that day's 23:59 in the municipality's time zone."""
    local_start = start.astimezone(timezone)
    return (local_start + timedelta(days=days)).replace(hour=23, minute=59, second=0, microsecond=0)


@router.button(RoundDates)
async def change_dates(ctx: Context, press: RoundDates) -> None:
    flow = await _draft(ctx)
    if flow is None:
        return
    _ask_start(ctx, flow)


@router.button(RoundTimeTwice)
async def time_twice_chosen(ctx: Context, press: RoundTimeTwice) -> None:
    """The answer to which of two equal clock times was meant (the clocks went back)."""
    flow = await _draft(ctx)
    if flow is None:
        return
    typed = ctx.recall(_TYPED)
    if press.fold is None or not typed or ctx.state != f"round.{press.step.value}":
        (_ask_start if press.step is RoundStep.START else _ask_end)(ctx, flow)
        return
    _typed_round_time(ctx, flow, str(typed), fold=int(press.fold.value))


async def round_time_typed(ctx: Context) -> None:
    """A typed start or end time, `dd.mm.yyyy hh:mm` in the municipality's time zone."""
    if not await may_coordinate(ctx, ctx.state or "round"):
        return
    _typed_round_time(ctx, ctx.flow, ctx.incoming.text or "", fold=None)


def _typed_round_time(ctx: Context, flow: dict[str, Any], text: str, *, fold: int | None) -> None:
    step = RoundStep.START if ctx.state == State.START else RoundStep.END
    moment = ctx.read_time(
        text, example=_example(ctx), choose=RoundTimeTwice(step).pack(), fold=fold
    )
    if moment is None:
        ctx.remember(_TYPED, text)
        return
    ctx.remember(_TYPED, None)
    if step is RoundStep.START:
        if moment < ctx.now - timedelta(minutes=1):
            # Said, not silently turned into "now": the coordinator may have mistyped a year.
            ctx.ask_again(ctx.t._("That time has already passed. Please choose a later one."))
            return
        flow["start"] = max(moment, ctx.now).isoformat()
        _ask_end(ctx, flow)
        return
    start = datetime.fromisoformat(flow["start"])
    if moment <= max(start, ctx.now):
        ctx.ask_again(ctx.t._("The end must come after the start and after now. Please try again."))
        return
    flow["end"] = moment.isoformat()
    _show_settings(ctx, flow)


def _show_settings(ctx: Context, flow: dict[str, Any], heading: str | None = None) -> None:
    t = ctx.t
    ctx.set_state(State.SETTINGS, **flow)
    multiple = bool(flow.get("multiple"))
    lines = [heading, ""] if heading else []
    lines += [
        t._(
            "Nominating from {start} to {end}.",
            start=t.datetime(datetime.fromisoformat(flow["start"])),
            end=t.datetime(datetime.fromisoformat(flow["end"])),
        ),
        t._("Supporters needed: {n}", n=t.number(flow["supporters"])),
        t._("Minimum age of supporters: {age}", age=t.number(flow["age"])),
        t._("A resident may support several candidates.")
        if multiple
        else t._("A resident may support only one candidate."),
    ]
    ctx.reply(
        "\n".join(lines),
        [
            Button(t._("Open the round"), SaveRound()),
            Button(t._("Change the dates"), RoundDates()),
            Button(t._("Change the supporters needed"), RoundSetting(Setting.SUPPORTERS)),
            Button(t._("Change the minimum age"), RoundSetting(Setting.AGE)),
            Button(
                t._("Allow only one candidate each")
                if multiple
                else t._("Allow several candidates each"),
                RoundSetting(Setting.MULTIPLE),
            ),
            _cancel_round(ctx),
        ],
    )


@router.button(RoundSettings)
async def round_settings(ctx: Context, press: RoundSettings) -> None:
    flow = await _dated_draft(ctx)
    if flow is not None:
        _show_settings(ctx, flow)


@router.button(RoundSetting)
async def change_setting(ctx: Context, press: RoundSetting) -> None:
    flow = await _dated_draft(ctx)
    if flow is None:
        return
    if press.setting is Setting.MULTIPLE:
        flow["multiple"] = not flow.get("multiple")
        _show_settings(ctx, flow)
        return
    ctx.ask(
        State.NUMBER,
        ctx.t._("How many supporters does a candidate need? Write a number.")
        if press.setting is Setting.SUPPORTERS
        else ctx.t._("The minimum age of supporters? Write a number."),
        limit=10,
        back=Button(ctx.t._("Back"), RoundSettings()),
        **flow,
        setting=press.setting.value,
    )


async def round_number_typed(ctx: Context) -> None:
    if not await may_coordinate(ctx, ctx.state or "round"):
        return
    flow = ctx.flow
    which = flow.pop("setting", Setting.SUPPORTERS.value)
    text = (ctx.incoming.text or "").strip()
    low, high = (1, 1000) if which == Setting.SUPPORTERS.value else (14, 120)
    number = parse_number(text, low=low, high=high)
    if number is None:
        ctx.ask_again(
            ctx.t._(
                "Please write a number from {low} to {high}.",
                low=ctx.t.number(low),
                high=ctx.t.number(high),
            )
        )
        return
    flow["supporters" if which == Setting.SUPPORTERS.value else "age"] = number
    _show_settings(ctx, flow)


@router.button(SaveRound)
async def save_round(ctx: Context, press: SaveRound) -> None:
    """Schedule the round; one that overlaps another keeps what was entered."""
    flow = await _dated_draft(ctx)
    if flow is None:
        return
    if ctx.state != State.SETTINGS:
        _show_settings(ctx, flow)
        return
    assert ctx.resident is not None
    try:
        item = await create_round(
            ctx.session,
            unit_ids=flow.get("units"),
            starts_at=datetime.fromisoformat(flow["start"]),
            ends_at=datetime.fromisoformat(flow["end"]),
            now=ctx.now,
            supporters_needed=int(flow["supporters"]),
            minimum_age=int(flow["age"]),
            multiple_support=bool(flow.get("multiple")),
            created_by_id=ctx.resident.id,
        )
    except Refused as refused:
        if refused.reason == "round_overlap":
            other = refused.details["round"]
            text = ctx.t._(
                "It overlaps round #{id} ({start} – {end}) in the same parishes. Change the "
                "dates, or cancel.",
                id=other.id,
                start=ctx.t.datetime(other.starts_at),
                end=ctx.t.datetime(other.ends_at),
            )
            _show_settings(ctx, flow, text)
            return
        ctx.reply(ctx.t._("The end must come after the start and after now. Please try again."))
        _ask_start(ctx, flow)
        return
    await ctx.audit("nomination_round_created", round=item.id)
    ctx.clear_state()
    text = round_saved_text(ctx.t, ctx.settings, item, now=ctx.now)
    ctx.reply(text, [home_button(ctx), Button(ctx.t._("Main menu"), "menu")])


def round_saved_text(
    t: Translator, settings: Settings, item: NominationRound, *, now: datetime
) -> str:
    """What the coordinator is told once a round is stored (in chat and in the console)."""
    told = goes_at(settings, due_at=item.starts_at, urgent=False, now=now)
    if item.starts_at <= now:
        # Chosen to start now: it opens with the scheduler's next round, within a minute.
        text = (
            t._(
                "Round #{id} opens now: nominating until {end}. The residents are told on "
                "{time}, when the quiet hours are over.",
                id=item.id,
                end=t.datetime(item.ends_at),
                time=t.datetime(told),
            )
            if told > now
            else t._(
                "Round #{id} opens now: nominating until {end}. The residents are told in a "
                "moment.",
                id=item.id,
                end=t.datetime(item.ends_at),
            )
        )
    elif told > max(item.starts_at, now):
        text = t._(
            "Round #{id} is ready: nominating from {start} to {end}. The bot opens and closes "
            "it by itself at those times; the residents are told on {time}, when the quiet hours "
            "are over.",
            id=item.id,
            start=t.datetime(item.starts_at),
            end=t.datetime(item.ends_at),
            time=t.datetime(told),
        )
    else:
        text = t._(
            "Round #{id} is ready: nominating from {start} to {end}. The bot opens and closes "
            "it by itself at those times, and the residents are told when it opens.",
            id=item.id,
            start=t.datetime(item.starts_at),
            end=t.datetime(item.ends_at),
        )
    return text


router.flow(
    {
        State.START: round_time_typed,
        State.END: round_time_typed,
        State.NUMBER: Step(round_number_typed, numbers=True),
    }
)
