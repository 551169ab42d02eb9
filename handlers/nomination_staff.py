"""Nominations for coordinators: open a round, list and check nominations, paperwork.

Every step checks the coordinator's right when it is handled; a resident's crafted button
is refused and written to the audit log.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_
from bot.parsing import parse_number
from broadcasts.compose import quick_times
from broadcasts.notices import send_notice
from handlers.menu import MenuEntry, add_menu_entry
from handlers.nominations import (
    progress,
    refusal_text,
    share_text,
    status_label,
    tell_threshold,
)
from handlers.onboarding import unit_checklist
from models.nominations import (
    MINIMUM_AGE,
    NAME_MAX,
    REASON_MAX,
    SUPPORTERS_NEEDED,
    Nomination,
    NominationStatus,
    Refused,
    RoundStatus,
    add_paper_support,
    create_round,
    decide,
    end_round_now,
    get_nomination,
    get_round,
    list_nominations,
    list_rounds,
    record_consent,
    standings,
    supporters_of,
)
from models.territory import Unit, list_units
from reports.nomination_papers import PDF_MIME, forms_pdf, nomination_tables, paper_of, unit_papers
from reports.spreadsheets import CSV_MIME, XLSX_MIME, to_csv, to_xlsx

router = Router()


class State(enum.StrEnum):
    UNITS = "round.units"
    START = "round.start"
    END = "round.end"
    SETTINGS = "round.settings"
    NUMBER = "round.number"
    REASON = "nomc.reason"
    PAPER = "nomc.paper"


class Filter(enum.StrEnum):
    ALL = "all"
    AWAITING = NominationStatus.AWAITING_CONSENT.value
    CONSENTED = NominationStatus.CONSENTED.value
    VERIFIED = NominationStatus.VERIFIED.value
    REJECTED = NominationStatus.REJECTED.value


class StartPick(enum.StrEnum):
    NOW = "now"
    TOMORROW = "tomorrow"


class RoundStep(enum.StrEnum):
    START = "start"
    END = "end"


class Fold(enum.StrEnum):
    """Which of a time that happens twice (the clocks go back): `read_time`'s buttons."""

    EARLIER = "0"
    LATER = "1"


class Setting(enum.StrEnum):
    SUPPORTERS = "supporters"
    AGE = "age"
    MULTIPLE = "multiple"


class TableFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@payload("nomcend")
class EndRound(Payload):
    round_id: int
    sure: bool = False


@payload("rndnew")
class NewRound(Payload):
    """Start preparing a round."""


@payload("rndall")
class RoundEverywhere(Payload):
    """A round for every parish and the town."""


@payload("rndpick")
class RoundPick(Payload):
    """The parish picker; with a unit, tick or untick it."""

    unit_id: int | None = None


@payload("rndunits")
class RoundUnitsChosen(Payload):
    """The ticked parishes are the round's."""


@payload("rndstart")
class RoundStart(Payload):
    when: StartPick


@payload("rndtwice")
class RoundTimeTwice(Payload):
    step: RoundStep
    fold: Fold | None = None


@payload("rndend")
class RoundLength(Payload):
    days: int


@payload("rnddates")
class RoundDates(Payload):
    """Choose the round's dates again, keeping its parishes and settings."""


@payload("rndset")
class RoundSetting(Payload):
    setting: Setting


@payload("rndshow")
class RoundSettings(Payload):
    """The round's settings as prepared so far."""


@payload("rndsave")
class SaveRound(Payload):
    """Schedule the round as prepared."""


@payload("nomcunits")
class UnitList(Payload):
    """The parishes and the town, to see their nominations."""


@payload("nomcunit")
class UnitNominations(Payload):
    unit_id: int
    show: Filter = Filter.ALL


@payload("nomcshow")
class NominationShown(Payload):
    nomination_id: int


@payload("nomcverify")
class VerifyNomination(Payload):
    nomination_id: int


@payload("nomcreject")
class RejectNomination(Payload):
    nomination_id: int


@payload("nomcconsent")
class OfflineConsent(Payload):
    nomination_id: int
    sure: bool = False


@payload("nomcpaper")
class PaperSupporter(Payload):
    nomination_id: int


@payload("nomcexport")
class ExportTable(Payload):
    unit_id: int
    format: TableFormat


@payload("nomcpdf")
class NominationForm(Payload):
    nomination_id: int


FILTERS = (
    (Filter.ALL, N_("All")),
    (Filter.AWAITING, N_("Waiting for consent")),
    (Filter.CONSENTED, N_("Collecting support")),
    (Filter.VERIFIED, N_("Verified")),
    (Filter.REJECTED, N_("Rejected")),
)
ROUND_LENGTHS = (14, 30)
ROUND_STATUS = {
    RoundStatus.SCHEDULED.value: N_("scheduled"),
    RoundStatus.OPEN.value: N_("open"),
    RoundStatus.CLOSED.value: N_("closed"),
}


def _is_staff(ctx: Context) -> bool:
    return ctx.roles.is_staff


add_menu_entry(MenuEntry(N_("Nominations: coordinator"), "nomc", order=62, visible=_is_staff))


async def _may(ctx: Context, step: str) -> bool:
    """Whether the person is staff; if not, refused and written down. The right is checked at
    every step, never trusted from the button."""
    if ctx.roles.is_staff:
        return True
    await ctx.refuse("nominations_staff", step=step)
    return False


def _home_button(ctx: Context) -> Button:
    return Button(ctx.t._("Back to nominations: coordinator"), "nomc")


@router.payload("nomc")
async def coordinator(ctx: Context) -> None:
    """The coordinator's home: the latest rounds, and what to do."""
    if not await _may(ctx, "home"):
        return
    t = ctx.t
    lines = [t._("Nominations: coordinator.")]
    units = {unit.id: unit.name for unit in await list_units(ctx.session)}
    rounds = (await list_rounds(ctx.session))[:5]
    for item in rounds:
        where = (
            t._("all parishes and the town")
            if item.unit_ids is None
            else ", ".join(units.get(unit_id, "?") for unit_id in item.unit_ids)
        )
        lines.append(
            t._(
                "Round #{id} ({status}): {start} – {end}; {where}.",
                id=item.id,
                status=t._(ROUND_STATUS[item.status]),
                start=t.datetime(item.starts_at),
                end=t.datetime(item.ends_at),
                where=where,
            )
        )
    ending = [
        Button(t._("End round #{id}", id=item.id), EndRound(item.id))
        for item in rounds
        if item.status != RoundStatus.CLOSED.value and item.ends_at > ctx.now
    ]
    ctx.clear_state()
    ctx.reply(
        "\n".join(lines),
        [
            Button(t._("Open a nomination round"), NewRound()),
            Button(t._("Nominations by parish or town"), UnitList()),
            *ending,
            Button(t._("Main menu"), "menu"),
        ],
    )


@router.button(EndRound)
async def end_round(ctx: Context, press: EndRound) -> None:
    """End a round early, after a confirmation: one not started is cancelled."""
    if not await _may(ctx, "end"):
        return
    t = ctx.t
    item = await get_round(ctx.session, press.round_id)
    if item is None or item.status == RoundStatus.CLOSED.value or item.ends_at <= ctx.now:
        await coordinator(ctx)
        return
    started = item.starts_at <= ctx.now
    if not press.sure:
        question = (
            t._(
                "End round #{id} now? Nominating and supporting stop at once, and each "
                "candidate is told their count.",
                id=item.id,
            )
            if started
            else t._(
                "Cancel round #{id}? It has not started, and nobody has been told of it yet.",
                id=item.id,
            )
        )
        ctx.reply(
            question,
            [
                Button(
                    t._("Yes, end it") if started else t._("Yes, cancel it"),
                    EndRound(item.id, sure=True),
                ),
                Button(t._("No"), "nomc"),
            ],
        )
        return
    round_id = item.id
    cancelled = await end_round_now(ctx.session, item, ctx.now)
    await ctx.audit(
        "nomination_round_cancelled" if cancelled else "nomination_round_ended", round=round_id
    )
    ctx.reply(
        t._("Round #{id} is cancelled.", id=round_id)
        if cancelled
        else t._(
            "Round #{id} has ended. The candidates are told their counts in a moment.",
            id=round_id,
        ),
        [_home_button(ctx), Button(t._("Main menu"), "menu")],
    )


# ---------------------------------------------------------------------- the round wizard


def _cancel_round(ctx: Context) -> Button:
    return Button(ctx.t._("Cancel"), "nomc")


@router.button(NewRound)
async def new_round(ctx: Context, press: NewRound) -> None:
    """Ask which parishes a new round is for."""
    if not await _may(ctx, "round"):
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
    if not await _may(ctx, "round"):
        return None
    if not (ctx.state or "").startswith("round."):
        ctx.clear_state()
        ctx.reply(
            ctx.t._("That round is no longer being prepared."),
            [_home_button(ctx), Button(ctx.t._("Main menu"), "menu")],
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
        ctx.t._("Tap the parishes of this round, then Continue."),
        [*buttons, _cancel_round(ctx)],
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
    local_start = datetime.fromisoformat(flow["start"]).astimezone(ctx.settings.tz)
    end = (local_start + timedelta(days=press.days)).replace(hour=23, minute=59, second=0)
    flow["end"] = end.isoformat()
    _show_settings(ctx, flow)


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


# The time last typed, kept outside the flow for the answer when it happens twice.
_TYPED = "round_time_typed"


async def round_time_typed(ctx: Context) -> None:
    """A typed start or end time, `dd.mm.yyyy hh:mm` in the municipality's time zone."""
    if not await _may(ctx, ctx.state or "round"):
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
    if not await _may(ctx, ctx.state or "round"):
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
    ctx.reply(
        ctx.t._(
            "Round #{id} is ready: nominating from {start} to {end}. It opens and closes on "
            "time, and the residents are told when it opens.",
            id=item.id,
            start=ctx.t.datetime(item.starts_at),
            end=ctx.t.datetime(item.ends_at),
        ),
        [_home_button(ctx), Button(ctx.t._("Main menu"), "menu")],
    )


# ---------------------------------------------------------------------- lists and checks


@router.button(UnitList)
async def choose_unit(ctx: Context, press: UnitList) -> None:
    if not await _may(ctx, "units"):
        return
    units = await list_units(ctx.session)
    ctx.clear_state()
    ctx.reply(
        ctx.t._("Nominations of which parish or town?"),
        [Button(unit.name, UnitNominations(unit.id)) for unit in units]
        + [_home_button(ctx), Button(ctx.t._("Main menu"), "menu")],
    )


async def _unit(ctx: Context, unit_id: int) -> Unit | None:
    units = {unit.id: unit for unit in await list_units(ctx.session)}
    return units.get(unit_id)


@router.button(UnitNominations)
async def unit_screen(ctx: Context, press: UnitNominations) -> None:
    """One unit's nominations, filtered by status, with exports."""
    if not await _may(ctx, "unit"):
        return
    unit = await _unit(ctx, press.unit_id)
    if unit is None:
        await choose_unit(ctx, UnitList())
        return
    t = ctx.t
    wanted = press.show
    statuses = None if wanted is Filter.ALL else (wanted.value,)
    found = await list_nominations(ctx.session, unit_id=unit.id, statuses=statuses)
    standing = await standings(ctx.session, found)
    lines = [t._("Nominations in {unit}:", unit=unit.name)]
    buttons = []
    for item in found:
        lines.append(
            f"#{item.id} {item.candidate_name or '–'}: {status_label(t, item.status)}, "
            + progress(t, standing[item.id].count, item.round.supporters_needed)
        )
        buttons.append(Button(f"#{item.id} {item.candidate_name or '–'}", NominationShown(item.id)))
    if not found:
        lines.append(t._("None."))
    for value, label in FILTERS:
        if value is not wanted:
            buttons.append(
                Button(t._("Show: {what}", what=t._(label)), UnitNominations(unit.id, value))
            )
    buttons += [
        Button(t._("Table (CSV)"), ExportTable(unit.id, TableFormat.CSV)),
        Button(t._("Table (XLSX)"), ExportTable(unit.id, TableFormat.XLSX)),
        Button(t._("Back"), UnitList()),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _nomination(ctx: Context, nomination_id: int, step: str) -> Nomination | None:
    """The nomination a staff member acts on, with their right checked again."""
    if not await _may(ctx, step):
        return None
    nomination = await get_nomination(ctx.session, nomination_id)
    if nomination is None:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("That nomination does not exist."),
            [Button(ctx.t._("Back"), UnitList()), Button(ctx.t._("Main menu"), "menu")],
        )
    return nomination


async def _nomination_in_flow(ctx: Context, *, step: str) -> Nomination | None:
    """The nomination a staff member is typing about, with their right checked again."""
    return await _nomination(ctx, int(ctx.flow.get("nomination") or 0), step)


@router.button(NominationShown)
async def show(ctx: Context, press: NominationShown) -> None:
    nomination = await _nomination(ctx, press.nomination_id, "show")
    if nomination is None:
        return
    await _show_nomination(ctx, nomination)


async def _show_nomination(ctx: Context, item: Nomination, heading: str | None = None) -> None:
    t = ctx.t
    supporters = await supporters_of(ctx.session, item.id)
    lines = [heading, ""] if heading else []
    lines += [
        t._("Nomination #{id}, {unit}", id=item.id, unit=item.unit.name),
        t._("Name: {name}", name=item.candidate_name or "–"),
        t._("Phone: {phone}", phone=item.candidate_phone or "–"),
        t._("Status: {status}", status=status_label(t, item.status)),
        t._("Self-nomination.") if item.self_nominated else t._("Nominated by another resident."),
        t._("Why / about: {text}", text=item.bio or item.reason or "–"),
        progress(t, len(supporters), item.round.supporters_needed),
    ]
    if item.decision_reason:
        lines.append(t._("Reason given: {reason}", reason=item.decision_reason))
    if item.collecting:
        lines.append(t._("Support code: {code}", code=item.support_code))
    for number, support in enumerate(supporters, start=1):
        origin = t._("paper") if support.origin == "paper" else t._("chat")
        lines.append(f"{number}. {support.name} ({origin})")
    buttons = []
    if item.status == NominationStatus.AWAITING_CONSENT.value:
        buttons.append(Button(t._("Record consent given offline"), OfflineConsent(item.id)))
    if item.collecting:
        buttons.append(Button(t._("Add a paper supporter"), PaperSupporter(item.id)))
        if item.status != NominationStatus.VERIFIED.value:
            buttons.append(Button(t._("Mark verified"), VerifyNomination(item.id)))
        buttons.append(Button(t._("Reject"), RejectNomination(item.id)))
    buttons += [
        Button(t._("Nomination form (PDF)"), NominationForm(item.id)),
        Button(t._("Back"), UnitNominations(item.unit_id)),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(VerifyNomination)
async def verify(ctx: Context, press: VerifyNomination) -> None:
    nomination = await _nomination(ctx, press.nomination_id, "verify")
    if nomination is None:
        return
    assert ctx.resident is not None
    try:
        decide(nomination, verified=True, reason=None, decided_by_id=ctx.resident.id, now=ctx.now)
    except Refused as refused:
        await _show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_verified", nomination=nomination.id)
    unit = nomination.unit.name
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.candidate_id],
        now=ctx.now,
        write=lambda t: t._(
            "Your nomination as a candidate for {unit} has been checked and verified by the "
            "coordinator.",
            unit=unit,
        ),
    )
    await _show_nomination(ctx, nomination, ctx.t._("Marked verified; the candidate is told."))


@router.button(RejectNomination)
async def ask_reject_reason(ctx: Context, press: RejectNomination) -> None:
    nomination = await _nomination(ctx, press.nomination_id, "reject")
    if nomination is None:
        return
    ctx.ask(
        State.REASON,
        ctx.t._(
            "Why is the nomination of {name} rejected? The candidate is told.",
            name=nomination.candidate_name,
        ),
        limit=REASON_MAX,
        back=Button(ctx.t._("Back"), NominationShown(nomination.id)),
        nomination=nomination.id,
    )


async def reject_reason_typed(ctx: Context) -> None:
    nomination = await _nomination_in_flow(ctx, step="reject")
    if nomination is None:
        return
    reason = (ctx.incoming.text or "").strip()
    if not reason:
        ctx.ask_again(ctx.t._("Please write a few words."))
        return
    assert ctx.resident is not None
    try:
        decide(
            nomination, verified=False, reason=reason, decided_by_id=ctx.resident.id, now=ctx.now
        )
    except Refused as refused:
        await _show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_rejected", nomination=nomination.id)
    unit = nomination.unit.name
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.candidate_id],
        now=ctx.now,
        write=lambda t: t._(
            "Your nomination as a candidate for {unit} was not accepted by the coordinator. "
            "Reason: {reason}",
            unit=unit,
            reason=reason,
        ),
    )
    await _show_nomination(ctx, nomination, ctx.t._("Rejected; the candidate is told why."))


@router.button(OfflineConsent)
async def offline_consent(ctx: Context, press: OfflineConsent) -> None:
    """The candidate told the coordinator they agree (they sign the form anyway); recorded
    after a confirmation, since it cannot be undone."""
    nomination = await _nomination(ctx, press.nomination_id, "consent")
    if nomination is None:
        return
    if nomination.status != NominationStatus.AWAITING_CONSENT.value:
        await _show_nomination(
            ctx, nomination, ctx.t._("This nomination has already been answered.")
        )
        return
    if not press.sure:
        ctx.clear_state()
        ctx.reply(
            ctx.t._(
                "Record that {name} agreed to be a candidate? They then collect support, and "
                "this cannot be undone.",
                name=nomination.candidate_name,
            ),
            [
                Button(
                    ctx.t._("Yes, record the consent"), OfflineConsent(nomination.id, sure=True)
                ),
                Button(ctx.t._("Back"), NominationShown(nomination.id)),
            ],
        )
        return
    try:
        record_consent(nomination, agreed=True, origin="offline", now=ctx.now)
    except Refused as refused:
        await _show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_consent", nomination=nomination.id, agreed=True, via="offline")
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.candidate_id],
        now=ctx.now,
        write=lambda t: "\n\n".join(
            [t._("Your consent has been recorded."), share_text(t, ctx.settings, nomination)]
        ),
    )
    await _show_nomination(
        ctx,
        nomination,
        "\n".join(
            [
                ctx.t._("Consent recorded. Give the candidate their support code and link:"),
                share_text(ctx.t, ctx.settings, nomination),
            ]
        ),
    )


@router.button(PaperSupporter)
async def ask_paper_name(ctx: Context, press: PaperSupporter) -> None:
    nomination = await _nomination(ctx, press.nomination_id, "paper")
    if nomination is None:
        return
    ctx.ask(
        State.PAPER,
        ctx.t._(
            "Write the name and surname of a supporter of {name} who signed on paper (at most "
            "{limit} characters).",
            name=nomination.candidate_name,
            limit=ctx.t.number(NAME_MAX),
        ),
        limit=NAME_MAX,
        back=Button(ctx.t._("Back"), NominationShown(nomination.id)),
        nomination=nomination.id,
    )


async def paper_name_typed(ctx: Context) -> None:
    nomination = await _nomination_in_flow(ctx, step="paper")
    if nomination is None:
        return
    assert ctx.resident is not None
    try:
        supported = await add_paper_support(
            ctx.session,
            nomination=nomination,
            name=ctx.incoming.text or "",
            recorded_by_id=ctx.resident.id,
            now=ctx.now,
        )
    except Refused as refused:
        if refused.reason in ("name_empty", "name_long"):
            ctx.ask_again(refusal_text(ctx.t, refused, now=ctx.now))
        else:
            await _show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("paper_support_recorded", nomination=nomination.id)
    if supported.reached_threshold:
        await tell_threshold(ctx, nomination, supported.count)
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "Recorded: {name}. {candidate} has {progress}.",
            name=supported.support.name,
            candidate=nomination.candidate_name,
            progress=progress(ctx.t, supported.count, nomination.round.supporters_needed),
        ),
        [
            Button(ctx.t._("Add another paper supporter"), PaperSupporter(nomination.id)),
            Button(ctx.t._("Back"), NominationShown(nomination.id)),
        ],
    )


# ---------------------------------------------------------------------- paperwork


@router.button(ExportTable)
async def export(ctx: Context, press: ExportTable) -> None:
    """The unit's nominations and supporters as a CSV or XLSX file."""
    if not await _may(ctx, "export"):
        return
    unit = await _unit(ctx, press.unit_id)
    if unit is None:
        await choose_unit(ctx, UnitList())
        return
    papers = await unit_papers(ctx.session, unit.id)
    nominations, supporters = nomination_tables(ctx.t, papers)
    if press.format is TableFormat.CSV:
        attachment = Attachment(
            f"nominations-{unit.slug}.csv", to_csv(nominations), mime_type=CSV_MIME
        )
    else:
        attachment = Attachment(
            f"nominations-{unit.slug}.xlsx",
            to_xlsx([nominations, supporters]),
            mime_type=XLSX_MIME,
        )
    await ctx.audit("nominations_exported", unit=unit.id, format=press.format.value)
    ctx.reply(
        ctx.t.ngettext(
            "{unit}: {n} nomination.", "{unit}: {n} nominations.", len(papers), unit=unit.name
        ),
        [
            Button(ctx.t._("Back"), UnitNominations(unit.id)),
            Button(ctx.t._("Main menu"), "menu"),
        ],
        attachment=attachment,
    )


@router.button(NominationForm)
async def form(ctx: Context, press: NominationForm) -> None:
    """The printable nomination form of one candidate, with the supporters' names."""
    nomination = await _nomination(ctx, press.nomination_id, "pdf")
    if nomination is None:
        return
    content = forms_pdf(
        [await paper_of(ctx.session, nomination)], timezone=ctx.settings.tz, printed_at=ctx.now
    )
    await ctx.audit("nomination_form_printed", nomination=nomination.id)
    ctx.reply(
        ctx.t._(
            "The nomination form of {name}: print it; the candidate and the supporters sign it.",
            name=nomination.candidate_name,
        ),
        [
            Button(ctx.t._("Back"), NominationShown(nomination.id)),
            Button(ctx.t._("Main menu"), "menu"),
        ],
        attachment=Attachment(f"nomination-{nomination.id}.pdf", content, mime_type=PDF_MIME),
    )


router.flow(
    {
        State.START: round_time_typed,
        State.END: round_time_typed,
        State.NUMBER: Step(round_number_typed, free_text=True),
        State.REASON: Step(reject_reason_typed, free_text=True),
        State.PAPER: Step(paper_name_typed, free_text=True),
    }
)
