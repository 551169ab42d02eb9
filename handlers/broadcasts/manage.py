"""Following one's council messages in chat: their progress, cancelling, sending again."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from broadcasts.compose import (
    may_broadcast,
    may_cancel,
    may_follow,
    send_again_to_unknown,
    stop_broadcast,
    unknown_to_resend,
)
from broadcasts.dispatcher import RESEND_UNKNOWN, report_text
from broadcasts.quiet_hours import goes_at, held
from handlers.broadcasts.compose import may_send
from handlers.broadcasts.unreached import call_list_report
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.broadcasts import (
    Broadcast,
    DeliveryStatus,
    Status,
    delivery_counts,
    first_line,
    get_broadcast,
    list_broadcasts,
)

router = Router()


class Yes(enum.StrEnum):
    YES = "yes"


@payload("bcx")
class CancelBroadcast(Payload):
    broadcast_id: int


@payload("bcr")
class BroadcastReport(Payload):
    broadcast_id: int


@payload(RESEND_UNKNOWN)
class ResendUnknown(Payload):
    """Send again to the residents a crash left unknown: asked first, done on `yes`."""

    broadcast_id: int
    answer: Yes | None = None


STATUS_LABELS = {
    Status.SCHEDULED.value: N_("scheduled"),
    Status.SENDING.value: N_("sending"),
    Status.DONE.value: N_("sent"),
    Status.CANCELLED.value: N_("cancelled"),
}

add_menu_entry(MenuEntry(N_("My messages to residents"), "bcs", order=161, visible=may_send))
add_help("broadcasts", N_("follow or cancel your messages to residents"), may_send)


@router.command("broadcasts")
@router.payload("bcs")
async def my_broadcasts(ctx: Context) -> None:
    """The sender's latest messages (all of them for staff), with a Cancel button each."""
    if not may_broadcast(ctx.roles):
        await ctx.refuse("broadcasts")
        return
    assert ctx.resident is not None
    items = [
        item
        for item in await list_broadcasts(ctx.session, limit=50, with_notices=False)
        if ctx.roles.is_staff or item.created_by_id == ctx.resident.id
    ][:10]
    if not items:
        show_menu(ctx, ctx.t._("There are no messages yet."))
        return
    lines = []
    buttons = []
    for item in items:
        counts = await delivery_counts(ctx.session, item.id)
        delivered = counts[DeliveryStatus.DELIVERED.value]
        total = sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value]
        status = ctx.t._(STATUS_LABELS[item.status])
        when = item.started_at or item.due_at
        if item.status == Status.SCHEDULED.value:
            when = goes_at(ctx.settings, due_at=item.due_at, urgent=item.urgent, now=ctx.now)
        elif item.status == Status.SENDING.value and held(
            ctx.settings, urgent=item.urgent, moment=ctx.now
        ):
            status = ctx.t._("waiting for the quiet hours to end")
            when = goes_at(ctx.settings, due_at=ctx.now, urgent=item.urgent, now=ctx.now)
        lines.append(
            ctx.t._(
                "#{id} {status}, {time}: {delivered} of {total} delivered. {text}",
                id=item.id,
                status=status,
                time=ctx.t.datetime(when),
                delivered=ctx.t.number(delivered),
                total=ctx.t.number(total),
                text=first_line(item, 60),
            )
        )
        if item.status in (Status.SCHEDULED.value, Status.SENDING.value):
            buttons.append(Button(ctx.t._("Cancel #{id}", id=item.id), CancelBroadcast(item.id)))
        if item.status in (Status.SENDING.value, Status.DONE.value):
            buttons.append(Button(ctx.t._("Report #{id}", id=item.id), BroadcastReport(item.id)))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(CancelBroadcast)
async def cancel_one(ctx: Context, press: CancelBroadcast) -> None:
    """Cancel a scheduled or running message: its sender or staff only."""
    broadcast_id = press.broadcast_id
    broadcast = await get_broadcast(ctx.session, broadcast_id)
    assert ctx.resident is not None
    if broadcast is None or not may_follow(ctx.roles, ctx.resident.id, broadcast):
        await ctx.refuse("broadcast_cancel", broadcast=broadcast_id)
        return
    if not may_cancel(broadcast):
        show_menu(ctx, ctx.t._("Message #{id} can no longer be cancelled.", id=broadcast.id))
        return
    stopped = await stop_broadcast(ctx.session, broadcast)
    await ctx.audit("broadcast_cancelled", broadcast=broadcast.id)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "Message #{id} is cancelled; {n} resident will not get it.",
            "Message #{id} is cancelled; {n} residents will not get it.",
            stopped,
            id=broadcast.id,
        ),
    )


def _may_follow(ctx: Context, broadcast: Broadcast) -> bool:
    """Staff, or the message's own sender while they may still send messages."""
    assert ctx.resident is not None
    return may_follow(ctx.roles, ctx.resident.id, broadcast)


@router.button(BroadcastReport)
async def show_report(ctx: Context, press: BroadcastReport) -> None:
    """A message's report: its rows by outcome and what its call list brought."""
    broadcast = await get_broadcast(ctx.session, press.broadcast_id)
    if broadcast is None or not _may_follow(ctx, broadcast):
        await ctx.refuse("broadcast_report", broadcast=press.broadcast_id)
        return
    counts = await delivery_counts(ctx.session, broadcast.id)
    finished = broadcast.status == Status.DONE.value
    lines = [report_text(ctx.t, broadcast.id, counts, finished=finished)]
    lines += await call_list_report(ctx.session, ctx.t, broadcast)
    buttons = [Button(ctx.t._("My messages to residents"), "bcs")]
    if counts[DeliveryStatus.UNKNOWN.value] and broadcast.status == Status.DONE.value:
        buttons.insert(0, Button(ctx.t._("Send again…"), ResendUnknown(broadcast.id)))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(ResendUnknown)
async def resend_unknown_ones(ctx: Context, press: ResendUnknown) -> None:
    """Send a message again to the residents a crash left unknown, once the sender confirms."""
    broadcast_id = press.broadcast_id
    broadcast = await get_broadcast(ctx.session, broadcast_id)
    if broadcast is None or not _may_follow(ctx, broadcast):
        await ctx.refuse("broadcast_resend", broadcast=broadcast_id)
        return
    unknown = await unknown_to_resend(ctx.session, broadcast)
    if not unknown:
        show_menu(ctx, ctx.t._("Message #{id} has nobody to send it again to.", id=broadcast.id))
        return
    if press.answer is not Yes.YES:
        ctx.reply(
            ctx.t.ngettext(
                "Sending message #{id} was interrupted while it was on its way to {n} "
                "resident. They may already have it: if you send it again, they may get it "
                "twice. Send it again?",
                "Sending message #{id} was interrupted while it was on its way to {n} "
                "residents. They may already have it: if you send it again, they may get it "
                "twice. Send it again?",
                unknown,
                id=broadcast.id,
            ),
            [
                Button(ctx.t._("Send again"), ResendUnknown(broadcast.id, Yes.YES)),
                Button(ctx.t._("Do not send"), "menu"),
            ],
        )
        return
    assert ctx.resident is not None
    again = await send_again_to_unknown(ctx.session, broadcast, actor_id=ctx.resident.id)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "Message #{id} goes again to {n} resident.",
            "Message #{id} goes again to {n} residents.",
            again,
            id=broadcast.id,
        ),
    )
