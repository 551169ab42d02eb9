"""The call list after an important message: a day after it went out, each representative
and deputy gets the residents of their place it did not reach, and marks how each was told.

The scheduler job sets the message's `call_list_at` in the transaction that stores the
notices (a conditional UPDATE), so a restart neither repeats nor skips them. Every button
is checked again when pressed: a line is marked only by the representative of its
resident's unit or the deputy of their locality, and only while it is on the list.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from broadcasts.notices import send_notice
from broadcasts.service import Job, JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.audit import audit
from models.broadcasts import Broadcast, Status, get_broadcast
from models.call_list import (
    CALL_LIST_AFTER,
    Keeper,
    Outcome,
    Reason,
    UnreachedRow,
    claim_call_list,
    due_call_lists,
    keepers_for,
    mark_counts,
    record_mark,
    territory_of,
    unreached_rows,
    with_call_list,
)
from models.residents import Resident
from models.roles import Role, Roles
from models.territory import Locality, Unit, place_label

logger = logging.getLogger(__name__)
router = Router()

PAGE = 8
# Call lists shown under "Residents to tell", newest first.
RECENT = 10

REASONS = {
    Reason.BLOCKED: N_("blocked the bot"),
    Reason.FAILED: N_("the message could not be delivered"),
    Reason.UNKNOWN: N_("not known whether it arrived"),
    Reason.NEEDS_TEMPLATE: N_("WhatsApp did not let it through"),
    Reason.NOT_READ: N_("delivered on WhatsApp, never read"),
    Reason.NO_PHONE: N_("no phone"),
    Reason.NO_ACCOUNT: N_("no messenger the bot can write to"),
}
OUTCOMES = {
    Outcome.IN_PERSON: N_("told in person"),
    Outcome.BY_PHONE: N_("told by phone"),
    Outcome.UNREACHED: N_("could not reach"),
}
MARK_LABELS = {
    Outcome.IN_PERSON: N_("Told in person"),
    Outcome.BY_PHONE: N_("Told by phone"),
    Outcome.UNREACHED: N_("Could not reach"),
}
OFFLINE_CONTACTS = {
    "post": N_("by post"),
    "neighbour": N_("through a neighbour"),
    "in_person": N_("in person"),
}


@payload("unr")
class CallList(Payload):
    """A page of the call list of a message for a unit (representative) or locality (deputy)."""

    broadcast_id: int
    unit_id: int | None = None
    locality_id: int | None = None
    page: int = 0


@payload("unrl")
class CallLine(Payload):
    broadcast_id: int
    resident_id: int
    unit_id: int | None = None
    locality_id: int | None = None
    page: int = 0


@payload("unrm")
class CallMark(Payload):
    broadcast_id: int
    resident_id: int
    outcome: Outcome
    unit_id: int | None = None
    locality_id: int | None = None
    page: int = 0


def keeps_call_lists(ctx: Context) -> bool:
    return bool(ctx.roles.units_as(Role.REPRESENTATIVE) or ctx.roles.localities_as(Role.DEPUTY))


add_menu_entry(
    MenuEntry(N_("Residents to tell in person"), "unrs", order=162, visible=keeps_call_lists)
)
add_help("unreached", N_("residents an important message did not reach"), keeps_call_lists)


def may_see(roles: Roles, unit_id: int | None, locality_id: int | None) -> bool:
    """A representative sees their unit's list, a deputy their locality's."""
    if locality_id is not None:
        return unit_id is None and locality_id in roles.localities_as(Role.DEPUTY)
    return unit_id is not None and unit_id in roles.units_as(Role.REPRESENTATIVE)


async def _place(ctx: Context, unit_id: int | None, locality_id: int | None) -> str:
    if locality_id is not None:
        locality = await ctx.session.get(Locality, locality_id)
        return place_label(locality.unit, locality, ctx.t.language) if locality else ""
    unit = await ctx.session.get(Unit, unit_id) if unit_id is not None else None
    return unit.label_in(ctx.t.language) if unit else ""


def name_of(t: Translator, row: UnreachedRow) -> str:
    return row.name or t._("Resident No. {id}", id=row.resident_id)


def how_to_reach(t: Translator, row: UnreachedRow) -> str:
    """The phone number if known; for a resident without a phone, how they are reached."""
    if row.offline_contact:
        how = t._(OFFLINE_CONTACTS.get(row.offline_contact, N_("in person")))
        return f"{how}: {row.offline_details}" if row.offline_details else how
    return row.phone or t._("no phone number known")


def line_text(t: Translator, number: int, row: UnreachedRow) -> str:
    mark = t._(OUTCOMES[row.outcome]) if row.outcome else t._("not yet marked")
    return (
        f"{number}. {name_of(t, row)} – {how_to_reach(t, row)} – "
        f"{t._(REASONS[row.reason])} – {mark}"
    )


def counts_text(t: Translator, rows: list[UnreachedRow]) -> str:
    marked = {outcome: sum(row.outcome is outcome for row in rows) for outcome in Outcome}
    return t._(
        "Not reached: {total}. Told in person: {in_person}; by phone: {by_phone}; could not "
        "reach: {unreached}; not yet marked: {open}.",
        total=t.number(len(rows)),
        in_person=t.number(marked[Outcome.IN_PERSON]),
        by_phone=t.number(marked[Outcome.BY_PHONE]),
        unreached=t.number(marked[Outcome.UNREACHED]),
        open=t.number(sum(row.outcome is None for row in rows)),
    )


async def _open(ctx: Context, broadcast_id: int) -> Broadcast | None:
    """The message, when it has a call list (it went out and is important or urgent)."""
    broadcast = await get_broadcast(ctx.session, broadcast_id)
    if (
        broadcast is None
        or not with_call_list(broadcast)
        or broadcast.status not in (Status.SENDING.value, Status.DONE.value)
    ):
        return None
    return broadcast


@router.command("unreached")
@router.payload("unrs")
async def call_lists(ctx: Context) -> None:
    """The latest call lists of the person's places."""
    if not keeps_call_lists(ctx):
        await ctx.refuse("call_lists")
        return
    found = list(
        await ctx.session.scalars(
            select(Broadcast)
            .where(Broadcast.call_list_at.is_not(None))
            .order_by(Broadcast.call_list_at.desc(), Broadcast.id.desc())
            .limit(RECENT * 3)
        )
    )
    places = [(unit, None) for unit in sorted(ctx.roles.units_as(Role.REPRESENTATIVE))]
    places += [(None, loc) for loc in sorted(ctx.roles.localities_as(Role.DEPUTY))]
    buttons: list[Button] = []
    for broadcast in found:
        for unit_id, locality_id in places:
            rows = await unreached_rows(
                ctx.session, broadcast, unit_id=unit_id, locality_id=locality_id
            )
            if not rows:
                continue
            label = ctx.t._(
                "No. {id} of {date}, {place}: {open} of {total} to tell",
                id=broadcast.id,
                date=ctx.t.datetime(broadcast.started_at or broadcast.due_at),
                place=await _place(ctx, unit_id, locality_id),
                open=ctx.t.number(sum(row.outcome is None for row in rows)),
                total=ctx.t.number(len(rows)),
            )
            buttons.append(Button(label, CallList(broadcast.id, unit_id, locality_id)))
        if len(buttons) >= RECENT:
            break
    if not buttons:
        show_menu(
            ctx,
            ctx.t._(
                "No important message has missed residents of your place. A call list comes "
                "one day after an important message goes out."
            ),
        )
        return
    ctx.clear_state()
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.reply(ctx.t._("Call lists of important messages:"), buttons[: RECENT + 1])


@router.button(CallList)
async def show_call_list(ctx: Context, press: CallList) -> None:
    """One page of a call list: each resident with how to reach them and their mark."""
    if not may_see(ctx.roles, press.unit_id, press.locality_id):
        await ctx.refuse("call_list", broadcast=press.broadcast_id)
        return
    broadcast = await _open(ctx, press.broadcast_id)
    if broadcast is None:
        show_menu(ctx, ctx.t._("That message has no call list."))
        return
    await _show_page(ctx, broadcast, press.unit_id, press.locality_id, press.page)


async def _show_page(
    ctx: Context,
    broadcast: Broadcast,
    unit_id: int | None,
    locality_id: int | None,
    page: int,
    note: str | None = None,
) -> None:
    rows = await unreached_rows(ctx.session, broadcast, unit_id=unit_id, locality_id=locality_id)
    place = await _place(ctx, unit_id, locality_id)
    heading = ctx.t._(
        "{place}: message No. {id} of {date} did not reach these residents. Please tell them "
        "what it says and mark how it went.",
        place=place,
        id=broadcast.id,
        date=ctx.t.datetime(broadcast.started_at or broadcast.due_at),
    )
    if not rows:
        show_menu(ctx, ctx.t._("{place}: nobody is left on this call list.", place=place))
        return
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(max(page, 0), pages - 1)
    shown = rows[page * PAGE : (page + 1) * PAGE]
    lines = [note] if note else []
    lines += [heading, counts_text(ctx.t, rows)]
    if pages > 1:
        lines.append(ctx.t._("Page {page} of {pages}.", page=ctx.t.number(page + 1), pages=pages))
    lines.append("")
    buttons: list[Button] = []
    for index, row in enumerate(shown, start=page * PAGE + 1):
        lines.append(line_text(ctx.t, index, row))
        buttons.append(
            Button(
                f"{index}. {name_of(ctx.t, row)}",
                CallLine(broadcast.id, row.resident_id, unit_id, locality_id, page),
            )
        )
    if page > 0:
        buttons.append(
            Button(ctx.t._("Previous page"), CallList(broadcast.id, unit_id, locality_id, page - 1))
        )
    if page + 1 < pages:
        buttons.append(
            Button(ctx.t._("Next page"), CallList(broadcast.id, unit_id, locality_id, page + 1))
        )
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _line(ctx: Context, broadcast: Broadcast, resident_id: int) -> UnreachedRow | None:
    """The line of a resident of the person's place still on the message's call list."""
    resident = await ctx.session.get(Resident, resident_id)
    if resident is None or not territory_of(ctx.roles, resident):
        return None
    rows = await unreached_rows(ctx.session, broadcast, unit_id=resident.unit_id)
    return next((row for row in rows if row.resident_id == resident_id), None)


@router.button(CallLine)
async def show_line(ctx: Context, press: CallLine) -> None:
    """One resident of the list, with the marks to choose from."""
    broadcast = await _open(ctx, press.broadcast_id)
    row = await _line(ctx, broadcast, press.resident_id) if broadcast else None
    if broadcast is None or row is None or not may_see(ctx.roles, press.unit_id, press.locality_id):
        await ctx.refuse("call_line", broadcast=press.broadcast_id, resident=press.resident_id)
        return
    lines = [
        name_of(ctx.t, row),
        ctx.t._("How to reach: {how}", how=how_to_reach(ctx.t, row)),
        ctx.t._("Why it did not reach them: {why}", why=ctx.t._(REASONS[row.reason])),
        ctx.t._(
            "Marked: {mark}",
            mark=ctx.t._(OUTCOMES[row.outcome]) if row.outcome else ctx.t._("not yet marked"),
        ),
        "",
        ctx.t._("The message:"),
        broadcast.text_for(ctx.t.language)[:600],
    ]
    back = (press.unit_id, press.locality_id, press.page)
    buttons = [
        Button(
            ctx.t._(label),
            CallMark(broadcast.id, row.resident_id, outcome, *back),
        )
        for outcome, label in MARK_LABELS.items()
    ]
    buttons.append(Button(ctx.t._("Back to the list"), CallList(broadcast.id, *back)))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(CallMark)
async def mark_line(ctx: Context, press: CallMark) -> None:
    """Keep how the resident was told; only for a line of the person's own place."""
    broadcast = await _open(ctx, press.broadcast_id)
    row = await _line(ctx, broadcast, press.resident_id) if broadcast else None
    if broadcast is None or row is None or not may_see(ctx.roles, press.unit_id, press.locality_id):
        await ctx.refuse("call_mark", broadcast=press.broadcast_id, resident=press.resident_id)
        return
    assert ctx.resident is not None
    await record_mark(
        ctx.session,
        broadcast_id=broadcast.id,
        resident_id=row.resident_id,
        outcome=press.outcome,
        marked_by_id=ctx.resident.id,
        now=ctx.now,
    )
    await ctx.audit(
        "call_list_marked",
        broadcast=broadcast.id,
        resident=row.resident_id,
        outcome=press.outcome.value,
    )
    note = ctx.t._(
        "Marked: {name} – {mark}.", name=name_of(ctx.t, row), mark=ctx.t._(OUTCOMES[press.outcome])
    )
    await _show_page(ctx, broadcast, press.unit_id, press.locality_id, press.page, note)


# ---------------------------------------------------------------------- the sender's report


async def call_list_report(session: AsyncSession, t: Translator, broadcast: Broadcast) -> list[str]:
    """The lines of a message's report on its call list: when it goes, and its marks."""
    if not with_call_list(broadcast):
        return []
    if broadcast.call_list_at is None:
        if broadcast.started_at is None:
            return [t._("A day after it goes, its call list goes to the representatives.")]
        return [
            t._(
                "The call list goes to the representatives on {time}.",
                time=t.datetime(broadcast.started_at + CALL_LIST_AFTER),
            )
        ]
    rows = await unreached_rows(session, broadcast)
    counts = await mark_counts(session, broadcast.id)
    return [
        t._("Call list of {date}:", date=t.datetime(broadcast.call_list_at)),
        t._(
            "Not reached: {total}. Told in person: {in_person}; by phone: {by_phone}; could not "
            "reach: {unreached}; not yet marked: {open}.",
            total=t.number(len(rows)),
            in_person=t.number(counts[Outcome.IN_PERSON]),
            by_phone=t.number(counts[Outcome.BY_PHONE]),
            unreached=t.number(counts[Outcome.UNREACHED]),
            open=t.number(sum(row.outcome is None for row in rows)),
        ),
    ]


# ---------------------------------------------------------------------- the scheduler job


async def send_call_lists(context: JobContext) -> None:
    """A day after an important message went out, tell each representative and deputy how
    many residents of their place it missed, with a button to the list; once each."""
    now = context.now
    async with context.sessionmaker() as session:
        due = await due_call_lists(session, now=now)
    for broadcast_id in due:
        async with context.sessionmaker() as session, session.begin():
            if not await claim_call_list(session, broadcast_id, now=now):
                continue
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            told = 0
            for keeper in await keepers_for(session, broadcast):
                rows = await unreached_rows(
                    session, broadcast, unit_id=keeper.unit_id, locality_id=keeper.locality_id
                )
                if not rows:
                    continue
                await _tell_keeper(session, context, broadcast, keeper, len(rows))
                told += 1
            await audit(
                session, action="call_lists_sent", actor_id=None, broadcast=broadcast_id, to=told
            )
        logger.info("broadcast %d: call lists sent to %d people", broadcast_id, told)


async def _tell_keeper(
    session: AsyncSession, context: JobContext, broadcast: Broadcast, keeper: Keeper, count: int
) -> None:
    unit = await session.get(Unit, keeper.unit_id) if keeper.unit_id is not None else None
    locality = (
        await session.get(Locality, keeper.locality_id) if keeper.locality_id is not None else None
    )
    started = broadcast.started_at or broadcast.due_at

    def write(t: Translator) -> str:
        place = place_label(unit, locality, t.language)
        return t.ngettext(
            "{place}: the important message No. {id} of {date} did not reach {n} resident. "
            "Please tell them what it says, and mark how it went.",
            "{place}: the important message No. {id} of {date} did not reach {n} residents. "
            "Please tell them what it says, and mark how it went.",
            count,
            place=place[:1].upper() + place[1:],
            id=broadcast.id,
            date=t.datetime(started),
        )

    await send_notice(
        session,
        settings=context.settings,
        resident_ids=[keeper.resident_id],
        write=write,
        now=context.now,
        buttons=[
            (
                N_("Open the call list"),
                CallList(broadcast.id, keeper.unit_id, keeper.locality_id).pack(),
            )
        ],
        personal=False,
    )


CALL_LIST_JOB = Job("broadcast_call_lists", send_call_lists)
