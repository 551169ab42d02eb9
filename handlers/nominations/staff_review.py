"""Coordinators check nominations: lists by parish, consent given offline, paper

supporters, verification and rejection. Every step checks the coordinator's right."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.notices import send_notice
from handlers.nominations.buttons import (
    ExportTable,
    Filter,
    NominationForm,
    NominationShown,
    OfflineConsent,
    PaperSupporter,
    RejectNomination,
    TableFormat,
    UnitList,
    UnitNominations,
    VerifyNomination,
)
from handlers.nominations.coordinator import home_button, may_coordinate
from handlers.nominations.support import tell_threshold
from handlers.nominations.texts import progress, refusal_text, share_text, status_label
from models.audit import audit
from models.nominations import (
    NAME_MAX,
    REASON_MAX,
    Nomination,
    NominationStatus,
    Refused,
    add_paper_support,
    decide,
    get_nomination,
    list_nominations,
    record_consent,
    standings,
    supporters_of,
)
from models.residents import Resident
from models.territory import Unit, list_units

router = Router()


class State(enum.StrEnum):
    REASON = "nomc.reason"
    PAPER = "nomc.paper"


FILTERS = (
    (Filter.ALL, N_("All")),
    (Filter.AWAITING, N_("Waiting for consent")),
    (Filter.CONSENTED, N_("Collecting support")),
    (Filter.VERIFIED, N_("Verified")),
    (Filter.REJECTED, N_("Rejected")),
)


@router.button(UnitList)
async def choose_unit(ctx: Context, press: UnitList) -> None:
    if not await may_coordinate(ctx, "units"):
        return
    units = await list_units(ctx.session)
    ctx.clear_state()
    ctx.reply(
        ctx.t._("Nominations of which parish or town?"),
        [Button(unit.label_in(ctx.t.language), UnitNominations(unit.id)) for unit in units]
        + [home_button(ctx), Button(ctx.t._("Main menu"), "menu")],
    )


async def unit_by_id(ctx: Context, unit_id: int) -> Unit | None:
    units = {unit.id: unit for unit in await list_units(ctx.session)}
    return units.get(unit_id)


@router.button(UnitNominations)
async def unit_screen(ctx: Context, press: UnitNominations) -> None:
    """One unit's nominations, filtered by status, with exports."""
    if not await may_coordinate(ctx, "unit"):
        return
    unit = await unit_by_id(ctx, press.unit_id)
    if unit is None:
        await choose_unit(ctx, UnitList())
        return
    t = ctx.t
    wanted = press.show
    statuses = None if wanted is Filter.ALL else (wanted.value,)
    found = await list_nominations(ctx.session, unit_id=unit.id, statuses=statuses)
    standing = await standings(ctx.session, found)
    lines = [t._("Nominations in {unit}:", unit=t.place(unit))]
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
        Button(t._("Table (XLSX)"), ExportTable(unit.id, TableFormat.XLSX)),
        Button(t._("Table (CSV)"), ExportTable(unit.id, TableFormat.CSV)),
        Button(t._("Back"), UnitList()),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def staff_nomination(ctx: Context, nomination_id: int, step: str) -> Nomination | None:
    """The nomination a staff member acts on, with their right checked again."""
    if not await may_coordinate(ctx, step):
        return None
    nomination = await get_nomination(ctx.session, nomination_id)
    if nomination is None:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("That nomination does not exist."),
            [Button(ctx.t._("Back"), UnitList()), Button(ctx.t._("Main menu"), "menu")],
        )
    return nomination


async def nomination_in_flow(ctx: Context, *, step: str) -> Nomination | None:
    """The nomination a staff member is typing about, with their right checked again."""
    return await staff_nomination(ctx, int(ctx.flow.get("nomination") or 0), step)


@router.button(NominationShown)
async def show(ctx: Context, press: NominationShown) -> None:
    nomination = await staff_nomination(ctx, press.nomination_id, "show")
    if nomination is None:
        return
    await show_nomination(ctx, nomination)


async def show_nomination(ctx: Context, item: Nomination, heading: str | None = None) -> None:
    t = ctx.t
    supporters = await supporters_of(ctx.session, item.id)
    lines = [heading, ""] if heading else []
    lines += [
        t._("Nomination #{id}, {unit}", id=item.id, unit=t.place(item.unit)),
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
    nomination = await staff_nomination(ctx, press.nomination_id, "verify")
    if nomination is None:
        return
    await _decide(ctx, nomination, reason=None)


async def _decide(ctx: Context, nomination: Nomination, *, reason: str | None) -> None:
    """Verify the nomination (no reason) or reject it with the reason; the candidate is told."""
    assert ctx.resident is not None
    try:
        told = await decide_and_tell(
            ctx.session,
            settings=ctx.settings,
            nomination=nomination,
            reason=reason,
            by=ctx.resident,
            now=ctx.now,
        )
    except Refused as refused:
        await show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await show_nomination(ctx, nomination, decision_done(ctx.t, nomination, told=told))


async def decide_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    nomination: Nomination,
    reason: str | None,
    by: Resident,
    now: datetime,
) -> bool:
    """Verify a nomination (no reason) or reject it with the reason: stored, audited, and the
    candidate told on commit. Whether the candidate could be told (they use the assistant);
    Refused when the nomination is past deciding. Chat and staff console both act here."""
    verified = reason is None
    decide(nomination, verified=verified, reason=reason, decided_by_id=by.id, now=now)
    await audit(
        session,
        action="nomination_verified" if verified else "nomination_rejected",
        actor_id=by.id,
        nomination=nomination.id,
    )
    unit = nomination.unit

    def write(t: Translator) -> str:
        if verified:
            return t._(
                "Your nomination as a candidate for {unit} has been checked and verified by "
                "the coordinator.",
                unit=t.place(unit),
            )
        return t._(
            "Your nomination as a candidate for {unit} was not accepted by the coordinator. "
            "Reason: {reason}",
            unit=t.place(unit),
            reason=reason,
        )

    told = await send_notice(
        session,
        settings=settings,
        resident_ids=[nomination.candidate_id],
        now=now,
        write=write,
    )
    return told is not None


def decision_done(t: Translator, nomination: Nomination, *, told: bool) -> str:
    """What the coordinator reads once a nomination is verified or rejected."""
    verified = nomination.status == NominationStatus.VERIFIED.value
    if not told:
        # A candidate whose consent was given on paper has no account here.
        if verified:
            return t._(
                "Marked verified. {name} does not use the assistant, so please tell them yourself.",
                name=nomination.candidate_name,
            )
        return t._(
            "Rejected. {name} does not use the assistant, so please tell them the reason yourself.",
            name=nomination.candidate_name,
        )
    if verified:
        return t._("Marked verified; the candidate is told.")
    return t._("Rejected; the candidate is told why.")


@router.button(RejectNomination)
async def ask_reject_reason(ctx: Context, press: RejectNomination) -> None:
    nomination = await staff_nomination(ctx, press.nomination_id, "reject")
    if nomination is None:
        return
    reason = ctx.flow.get("reason")
    if (
        press.sure
        and ctx.state == State.REASON
        and ctx.flow.get("nomination") == nomination.id
        and isinstance(reason, str)
        and reason
    ):
        ctx.clear_state()
        await _decide(ctx, nomination, reason=reason)
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
    nomination = await nomination_in_flow(ctx, step="reject")
    if nomination is None:
        return
    reason = (ctx.incoming.text or "").strip()
    if not reason:
        ctx.ask_again(ctx.t._("Please write a few words."))
        return
    # Rejecting cannot be undone: the coordinator sees the reason once more and confirms.
    ctx.set_state(State.REASON, nomination=nomination.id, reason=reason)
    ctx.reply(
        ctx.t._(
            "Reject the nomination of {name}? The reason they are told: {reason}\n\n"
            "This cannot be undone.",
            name=nomination.candidate_name,
            reason=reason,
        ),
        [
            Button(ctx.t._("Yes, reject"), RejectNomination(nomination.id, sure=True)),
            Button(ctx.t._("Write another reason"), RejectNomination(nomination.id)),
            Button(ctx.t._("Back"), NominationShown(nomination.id)),
        ],
    )


@router.button(OfflineConsent)
async def offline_consent(ctx: Context, press: OfflineConsent) -> None:
    """The candidate told the coordinator they agree (they sign the form anyway); recorded
    after a confirmation, since it cannot be undone."""
    nomination = await staff_nomination(ctx, press.nomination_id, "consent")
    if nomination is None:
        return
    if nomination.status != NominationStatus.AWAITING_CONSENT.value:
        await show_nomination(
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
    assert ctx.resident is not None
    try:
        await consent_offline_and_tell(
            ctx.session, settings=ctx.settings, nomination=nomination, by=ctx.resident, now=ctx.now
        )
    except Refused as refused:
        await show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await show_nomination(ctx, nomination, consent_done(ctx.t, ctx.settings, nomination))


async def consent_offline_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    nomination: Nomination,
    by: Resident,
    now: datetime,
) -> None:
    """Record that the candidate agreed, as they told a coordinator or signed on paper:
    stored, audited, and the candidate (if they use the assistant) told how to collect
    support. Refused when the nomination is not waiting for consent. Chat and staff console
    both act here."""
    record_consent(nomination, agreed=True, origin="offline", now=now)
    await audit(
        session,
        action="nomination_consent",
        actor_id=by.id,
        nomination=nomination.id,
        agreed=True,
        via="offline",
    )
    await send_notice(
        session,
        settings=settings,
        resident_ids=[nomination.candidate_id],
        now=now,
        write=lambda t: "\n\n".join(
            [t._("Your consent has been recorded."), share_text(t, settings, nomination)]
        ),
    )


def consent_done(t: Translator, settings: Settings, nomination: Nomination) -> str:
    """What the coordinator reads once the consent given offline is recorded."""
    return "\n".join(
        [
            t._("Consent recorded. Give the candidate their support code and link:"),
            share_text(t, settings, nomination),
        ]
    )


@router.button(PaperSupporter)
async def ask_paper_name(ctx: Context, press: PaperSupporter) -> None:
    nomination = await staff_nomination(ctx, press.nomination_id, "paper")
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
    nomination = await nomination_in_flow(ctx, step="paper")
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
            await show_nomination(ctx, nomination, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("paper_support_recorded", nomination=nomination.id)
    if supported.reached_threshold:
        await tell_threshold(
            ctx.session,
            settings=ctx.settings,
            nomination=nomination,
            count=supported.count,
            now=ctx.now,
        )
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


router.flow(
    {
        State.REASON: Step(reject_reason_typed, free_text=True),
        State.PAPER: Step(paper_name_typed, free_text=True),
    }
)
