"""Nominations for coordinators: open a round, list and check nominations, paperwork.

Every step checks the coordinator's right when it is handled; a resident's crafted button
is refused and written to the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from bot.i18n import N_
from bot.parsing import parse_id, parse_number
from broadcasts.compose import quick_times
from broadcasts.notices import send_notice
from broadcasts.quiet_hours import goes_at
from handlers.menu import MenuEntry, add_menu_entry, show_menu
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
    supporters_of,
)
from models.territory import Unit, list_units
from reports.nomination_papers import PDF_MIME, forms_pdf, nomination_tables, paper_of, unit_papers
from reports.spreadsheets import CSV_MIME, XLSX_MIME, to_csv, to_xlsx

router = Router()

FILTERS = (
    ("all", N_("All")),
    (NominationStatus.AWAITING_CONSENT.value, N_("Waiting for consent")),
    (NominationStatus.CONSENTED.value, N_("Collecting support")),
    (NominationStatus.VERIFIED.value, N_("Verified")),
    (NominationStatus.REJECTED.value, N_("Rejected")),
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


def _arg(ctx: Context, index: int) -> str:
    return ctx.args[index] if len(ctx.args) > index else ""


def _number(ctx: Context, index: int) -> int | None:
    return parse_id(_arg(ctx, index))


@router.payload("nomc")
async def coordinator(ctx: Context) -> None:
    """Every coordinator step; the right is checked here, never trusted from the button."""
    if not ctx.roles.is_staff:
        await ctx.refuse("nominations_staff", step=_arg(ctx, 0) or None)
        return
    steps = {
        "round": _round_step,
        "end": _end_round,
        "units": _choose_unit,
        "unit": _unit_screen,
        "show": _show,
        "verify": _verify,
        "reject": _ask_reject_reason,
        "consent": _offline_consent,
        "paper": _ask_paper_name,
        "csv": _export,
        "xlsx": _export,
        "pdf": _form,
    }
    handler = steps.get(_arg(ctx, 0))
    if handler is None:
        await _home(ctx)
        return
    await handler(ctx)


async def _home(ctx: Context) -> None:
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
        Button(t._("End round #{id}", id=item.id), f"nomc:end:{item.id}")
        for item in rounds
        if item.status != RoundStatus.CLOSED.value and item.ends_at > ctx.now
    ]
    ctx.clear_state()
    ctx.reply(
        "\n".join(lines),
        [
            Button(t._("Open a nomination round"), "nomc:round"),
            Button(t._("Nominations by parish or town"), "nomc:units"),
            *ending,
            Button(t._("Main menu"), "menu"),
        ],
    )


async def _end_round(ctx: Context) -> None:
    """End a round early, after a confirmation: one not started is cancelled."""
    t = ctx.t
    number = _number(ctx, 1)
    item = await get_round(ctx.session, number) if number is not None else None
    if item is None or item.status == RoundStatus.CLOSED.value or item.ends_at <= ctx.now:
        await _home(ctx)
        return
    started = item.starts_at <= ctx.now
    if _arg(ctx, 2) != "yes":
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
                    f"nomc:end:{item.id}:yes",
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
    told = goes_at(ctx.settings, due_at=ctx.now, urgent=False, now=ctx.now)
    if cancelled:
        text = t._("Round #{id} is cancelled.", id=round_id)
    elif told > ctx.now:
        text = t._(
            "Round #{id} has ended. The candidates are told their counts on {time}, when the "
            "quiet hours are over.",
            id=round_id,
            time=t.datetime(told),
        )
    else:
        text = t._(
            "Round #{id} has ended. The candidates are told their counts in a moment.",
            id=round_id,
        )
    show_menu(ctx, text)


# ---------------------------------------------------------------------- the round wizard


async def _round_step(ctx: Context) -> None:
    step = _arg(ctx, 1)
    if not step:
        ctx.set_state(
            "round.units",
            supporters=SUPPORTERS_NEEDED,
            age=MINIMUM_AGE,
            multiple=False,
        )
        ctx.reply(
            ctx.t._("A new nomination round. For which parishes?"),
            [
                Button(ctx.t._("All parishes and the town"), "nomc:round:all"),
                Button(ctx.t._("Choose parishes"), "nomc:round:pick"),
                Button(ctx.t._("Cancel"), "menu"),
            ],
        )
        return
    flow = _draft(ctx)
    if flow is None:
        return
    if step == "all":
        flow["units"] = None
        _ask_start(ctx, flow)
    elif step == "pick":
        await _pick_units(ctx, flow)
    elif step == "units":
        if not flow.get("picked"):
            await _pick_units(ctx, flow)
            return
        flow["units"] = flow["picked"]
        _ask_start(ctx, flow)
    elif step in ("start", "end") and _arg(ctx, 2) == "twice":
        # The answer to which of two equal clock times was meant (the clocks went back).
        fold = parse_number(_arg(ctx, 3), low=0, high=1)
        if fold is None or "typed" not in flow or ctx.state != f"round.{step}":
            (_ask_start if step == "start" else _ask_end)(ctx, flow)
            return
        _typed_round_time(ctx, flow, str(flow["typed"]), fold=fold)
    elif step == "start":
        picks = quick_times(ctx.now, ctx.settings.tz)
        choice = _arg(ctx, 2)
        start = ctx.now if choice == "now" else picks.get(choice)
        if start is None:
            _ask_start(ctx, flow)
            return
        flow["start"] = start.isoformat()
        _ask_end(ctx, flow)
    elif step == "end":
        days = _number(ctx, 2)
        if days not in ROUND_LENGTHS or "start" not in flow:
            _ask_end(ctx, flow)
            return
        local_start = datetime.fromisoformat(flow["start"]).astimezone(ctx.settings.tz)
        end = (local_start + timedelta(days=days)).replace(hour=23, minute=59, second=0)
        flow["end"] = end.isoformat()
        _show_settings(ctx, flow)
    elif step == "set":
        _ask_setting(ctx, flow)
    elif step == "save":
        await _save_round(ctx, flow)
    else:
        _show_settings(ctx, flow)


def _draft(ctx: Context) -> dict[str, Any] | None:
    if not (ctx.state or "").startswith("round."):
        show_menu(ctx, ctx.t._("That round is no longer being prepared."))
        return None
    return ctx.flow


async def _pick_units(ctx: Context, flow: dict[str, Any]) -> None:
    picked = set(flow.get("picked", []))
    unit_id = _number(ctx, 2)
    if unit_id is not None:
        picked ^= {unit_id}
    flow["picked"] = sorted(picked)
    ctx.set_state("round.units", **flow)
    buttons = await unit_checklist(ctx, picked, pick="nomc:round:pick", done="nomc:round:units")
    ctx.reply(ctx.t._("Tap the parishes of this round, then Continue."), buttons)


def _example(ctx: Context) -> str:
    return ctx.t.datetime(quick_times(ctx.now, ctx.settings.tz)["tomorrow"])


def _ask_start(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state("round.start", **flow)
    ctx.reply(
        ctx.t._(
            "When does nominating start? Tap a button or type a date and time like {example}.",
            example=_example(ctx),
        ),
        [
            Button(ctx.t._("Now"), "nomc:round:start:now"),
            Button(ctx.t._("Tomorrow at 09:00"), "nomc:round:start:tomorrow"),
        ],
    )


def _ask_end(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state("round.end", **flow)
    buttons = [
        Button(
            ctx.t.ngettext("In {n} day", "In {n} days", days),
            f"nomc:round:end:{days}",
        )
        for days in ROUND_LENGTHS
    ]
    ctx.reply(
        ctx.t._(
            "When does it end? Tap a button or type a date and time like {example}.",
            example=_example(ctx),
        ),
        buttons,
    )


@router.state("round.start")
@router.state("round.end")
async def round_time_typed(ctx: Context) -> None:
    """A typed start or end time, `dd.mm.yyyy hh:mm` in the municipality's time zone."""
    if not ctx.roles.is_staff:
        await ctx.refuse("nominations_staff", step=ctx.state)
        return
    _typed_round_time(ctx, ctx.flow, ctx.incoming.text or "", fold=None)


def _typed_round_time(ctx: Context, flow: dict[str, Any], text: str, *, fold: int | None) -> None:
    state = ctx.state or "round.start"
    step = state.removeprefix("round.")
    moment = ctx.read_time(
        text, example=_example(ctx), choose=f"nomc:round:{step}:twice", fold=fold
    )
    if moment is None:
        # Kept for the answer when the time happens twice and the coordinator is asked which.
        flow["typed"] = text
        ctx.set_state(state, **flow)
        return
    if state == "round.start":
        if moment < ctx.now - timedelta(minutes=1):
            # Said, not silently turned into "now": the coordinator may have mistyped a year.
            ctx.reply(ctx.t._("That time has already passed. Please choose a later one."))
            return
        flow["start"] = max(moment, ctx.now).isoformat()
        _ask_end(ctx, flow)
        return
    start = datetime.fromisoformat(flow["start"])
    if moment <= max(start, ctx.now):
        ctx.reply(ctx.t._("The end must come after the start and after now. Please try again."))
        return
    flow["end"] = moment.isoformat()
    _show_settings(ctx, flow)


def _show_settings(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    ctx.set_state("round.settings", **flow)
    multiple = bool(flow.get("multiple"))
    lines = [
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
            Button(t._("Open the round"), "nomc:round:save"),
            Button(t._("Change the supporters needed"), "nomc:round:set:supporters"),
            Button(t._("Change the minimum age"), "nomc:round:set:age"),
            Button(
                t._("Allow only one candidate each")
                if multiple
                else t._("Allow several candidates each"),
                "nomc:round:set:multiple",
            ),
            Button(t._("Cancel"), "menu"),
        ],
    )


def _ask_setting(ctx: Context, flow: dict[str, Any]) -> None:
    if "end" not in flow:
        _ask_start(ctx, flow)
        return
    which = _arg(ctx, 2)
    if which == "multiple":
        flow["multiple"] = not flow.get("multiple")
        _show_settings(ctx, flow)
        return
    if which not in ("supporters", "age"):
        _show_settings(ctx, flow)
        return
    ctx.set_state("round.number", **flow, setting=which)
    ctx.reply(
        ctx.t._("How many supporters does a candidate need? Write a number.")
        if which == "supporters"
        else ctx.t._("The minimum age of supporters? Write a number.")
    )


@router.state("round.number", free_text=True)
async def round_number_typed(ctx: Context) -> None:
    if not ctx.roles.is_staff:
        await ctx.refuse("nominations_staff", step=ctx.state)
        return
    flow = ctx.flow
    which = flow.pop("setting", "supporters")
    text = (ctx.incoming.text or "").strip()
    low, high = (1, 1000) if which == "supporters" else (14, 120)
    number = parse_number(text, low=low, high=high)
    if number is None:
        ctx.reply(
            ctx.t._(
                "Please write a number from {low} to {high}.",
                low=ctx.t.number(low),
                high=ctx.t.number(high),
            )
        )
        return
    flow["supporters" if which == "supporters" else "age"] = number
    _show_settings(ctx, flow)


async def _save_round(ctx: Context, flow: dict[str, Any]) -> None:
    if ctx.state != "round.settings" or "end" not in flow:
        show_menu(ctx, ctx.t._("That round is no longer being prepared."))
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
                "It overlaps round #{id} ({start} – {end}) in the same parishes. Choose other "
                "dates or parishes.",
                id=other.id,
                start=ctx.t.datetime(other.starts_at),
                end=ctx.t.datetime(other.ends_at),
            )
        else:
            text = ctx.t._("The end must come after the start and after now. Please try again.")
        show_menu(ctx, text)
        return
    await ctx.audit("nomination_round_created", round=item.id)
    told = goes_at(ctx.settings, due_at=item.starts_at, urgent=False, now=ctx.now)
    if told > max(item.starts_at, ctx.now):
        text = ctx.t._(
            "Round #{id} is ready: nominating from {start} to {end}. It opens and closes on "
            "time; the residents are told on {time}, when the quiet hours are over.",
            id=item.id,
            start=ctx.t.datetime(item.starts_at),
            end=ctx.t.datetime(item.ends_at),
            time=ctx.t.datetime(told),
        )
    else:
        text = ctx.t._(
            "Round #{id} is ready: nominating from {start} to {end}. It opens and closes on "
            "time, and the residents are told when it opens.",
            id=item.id,
            start=ctx.t.datetime(item.starts_at),
            end=ctx.t.datetime(item.ends_at),
        )
    show_menu(ctx, text)


# ---------------------------------------------------------------------- lists and checks


async def _choose_unit(ctx: Context) -> None:
    units = await list_units(ctx.session)
    ctx.clear_state()
    ctx.reply(
        ctx.t._("Nominations of which parish or town?"),
        [Button(unit.name, f"nomc:unit:{unit.id}") for unit in units],
    )


async def _unit(ctx: Context, index: int) -> Unit | None:
    unit_id = _number(ctx, index)
    units = {unit.id: unit for unit in await list_units(ctx.session)}
    return units.get(unit_id) if unit_id is not None else None


async def _unit_screen(ctx: Context) -> None:
    """One unit's nominations, filtered by status, with exports."""
    unit = await _unit(ctx, 1)
    if unit is None:
        await _choose_unit(ctx)
        return
    t = ctx.t
    wanted = _arg(ctx, 2) or "all"
    statuses = None if wanted == "all" else (wanted,)
    found = await list_nominations(ctx.session, unit_id=unit.id, statuses=statuses)
    lines = [t._("Nominations in {unit}:", unit=unit.name)]
    buttons = []
    for item in found:
        supporters = len(await supporters_of(ctx.session, item.id))
        lines.append(
            f"#{item.id} {item.candidate_name or '–'}: {status_label(t, item.status)}, "
            + progress(t, supporters, item.round.supporters_needed)
        )
        buttons.append(Button(f"#{item.id} {item.candidate_name or '–'}", f"nomc:show:{item.id}"))
    if not found:
        lines.append(t._("None."))
    for value, label in FILTERS:
        if value != wanted:
            buttons.append(
                Button(t._("Show: {what}", what=t._(label)), f"nomc:unit:{unit.id}:{value}")
            )
    buttons += [
        Button(t._("Table (CSV)"), f"nomc:csv:{unit.id}"),
        Button(t._("Table (XLSX)"), f"nomc:xlsx:{unit.id}"),
        Button(t._("Back"), "nomc:units"),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _nomination(ctx: Context) -> Nomination | None:
    nomination_id = _number(ctx, 1)
    nomination = (
        await get_nomination(ctx.session, nomination_id) if nomination_id is not None else None
    )
    if nomination is None:
        show_menu(ctx, ctx.t._("That nomination does not exist."))
    return nomination


async def _nomination_in_flow(ctx: Context, *, step: str) -> Nomination | None:
    """The nomination a staff member is typing about, with their right checked again."""
    if not ctx.roles.is_staff:
        await ctx.refuse("nominations_staff", step=step)
        return None
    nomination = await get_nomination(ctx.session, int(ctx.flow.get("nomination") or 0))
    if nomination is None:
        show_menu(ctx, ctx.t._("That nomination does not exist."))
    return nomination


async def _show(ctx: Context, heading: str | None = None) -> None:
    nomination = await _nomination(ctx)
    if nomination is None:
        return
    await _show_nomination(ctx, nomination, heading)


async def _show_nomination(ctx: Context, item: Nomination, heading: str | None = None) -> None:
    t = ctx.t
    supporters = await supporters_of(ctx.session, item.id)
    lines = [heading, ""] if heading else []
    lines += [
        t._("Nomination #{id}, {unit}", id=item.id, unit=item.unit.name),
        t._("Candidate: {name}", name=item.candidate_name or "–"),
        t._("Phone: {phone}", phone=item.candidate_phone or "–"),
        t._("Status: {status}", status=status_label(t, item.status)),
        t._("Nominated themselves.")
        if item.self_nominated
        else t._("Nominated by another resident."),
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
        buttons.append(Button(t._("Record consent given offline"), f"nomc:consent:{item.id}"))
    if item.collecting:
        buttons.append(Button(t._("Add a paper supporter"), f"nomc:paper:{item.id}"))
        if item.status != NominationStatus.VERIFIED.value:
            buttons.append(Button(t._("Mark verified"), f"nomc:verify:{item.id}"))
        buttons.append(Button(t._("Reject"), f"nomc:reject:{item.id}"))
    buttons += [
        Button(t._("Nomination form (PDF)"), f"nomc:pdf:{item.id}"),
        Button(t._("Back"), f"nomc:unit:{item.unit_id}"),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _verify(ctx: Context) -> None:
    nomination = await _nomination(ctx)
    if nomination is None:
        return
    assert ctx.resident is not None
    try:
        decide(nomination, verified=True, reason=None, decided_by_id=ctx.resident.id, now=ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
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


async def _ask_reject_reason(ctx: Context) -> None:
    nomination = await _nomination(ctx)
    if nomination is None:
        return
    ctx.set_state("nomc.reason", nomination=nomination.id)
    ctx.reply(
        ctx.t._(
            "Why is the nomination of {name} rejected? The candidate is told.",
            name=nomination.candidate_name,
        ),
        [Button(ctx.t._("Cancel"), f"nomc:show:{nomination.id}")],
    )


@router.state("nomc.reason", free_text=True)
async def reject_reason_typed(ctx: Context) -> None:
    nomination = await _nomination_in_flow(ctx, step="reject")
    if nomination is None:
        return
    reason = (ctx.incoming.text or "").strip()
    if not reason or len(reason) > REASON_MAX:
        ctx.reply(
            ctx.t._(
                "Please write the reason in at most {limit} characters.",
                limit=ctx.t.number(REASON_MAX),
            )
        )
        return
    assert ctx.resident is not None
    try:
        decide(
            nomination, verified=False, reason=reason, decided_by_id=ctx.resident.id, now=ctx.now
        )
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
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


async def _offline_consent(ctx: Context) -> None:
    """The candidate told the coordinator they agree (they sign the form anyway)."""
    nomination = await _nomination(ctx)
    if nomination is None:
        return
    try:
        record_consent(nomination, agreed=True, origin="offline", now=ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
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


async def _ask_paper_name(ctx: Context) -> None:
    nomination = await _nomination(ctx)
    if nomination is None:
        return
    ctx.set_state("nomc.paper", nomination=nomination.id)
    ctx.reply(
        ctx.t._(
            "Write the name and surname of a supporter of {name} who signed on paper (at most "
            "{limit} characters).",
            name=nomination.candidate_name,
            limit=ctx.t.number(NAME_MAX),
        ),
        [Button(ctx.t._("Cancel"), f"nomc:show:{nomination.id}")],
    )


@router.state("nomc.paper", free_text=True)
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
        ctx.reply(refusal_text(ctx.t, refused, now=ctx.now))
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
            Button(ctx.t._("Add another paper supporter"), f"nomc:paper:{nomination.id}"),
            Button(ctx.t._("Back"), f"nomc:show:{nomination.id}"),
        ],
    )


# ---------------------------------------------------------------------- paperwork


async def _export(ctx: Context) -> None:
    """The unit's nominations and supporters as a CSV or XLSX file."""
    unit = await _unit(ctx, 1)
    if unit is None:
        await _choose_unit(ctx)
        return
    papers = await unit_papers(ctx.session, unit.id)
    nominations, supporters = nomination_tables(ctx.t, papers)
    if _arg(ctx, 0) == "csv":
        attachment = Attachment(
            f"nominations-{unit.slug}.csv", to_csv(nominations), mime_type=CSV_MIME
        )
    else:
        attachment = Attachment(
            f"nominations-{unit.slug}.xlsx",
            to_xlsx([nominations, supporters]),
            mime_type=XLSX_MIME,
        )
    await ctx.audit("nominations_exported", unit=unit.id, format=_arg(ctx, 0))
    ctx.reply(
        ctx.t.ngettext(
            "{unit}: {n} nomination.", "{unit}: {n} nominations.", len(papers), unit=unit.name
        ),
        [Button(ctx.t._("Back"), f"nomc:unit:{unit.id}")],
        attachment=attachment,
    )


async def _form(ctx: Context) -> None:
    """The printable nomination form of one candidate, with the supporters' names."""
    nomination = await _nomination(ctx)
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
        [Button(ctx.t._("Back"), f"nomc:show:{nomination.id}")],
        attachment=Attachment(f"nomination-{nomination.id}.pdf", content, mime_type=PDF_MIME),
    )
