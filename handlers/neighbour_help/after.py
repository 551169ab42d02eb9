"""Notices of new offers a resident asked for, and after the date: posts closed, and the
two of each match asked once whether it happened."""

from __future__ import annotations

from sqlalchemy import select

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from broadcasts.notices import send_notice, send_to_group
from broadcasts.service import JobContext
from handlers.menu import show_menu
from handlers.neighbour_help.common import Done, Subscribe, Unsubscribe
from models.audit import audit_entries
from models.neighbour_help import (
    claim_month,
    close_past_posts,
    due_for_done_question,
    helped_counts,
    list_destinations,
    month_bounds,
    previous_month,
    subscribe,
    subscriptions_of,
    unsubscribe,
)
from models.roles import Role, RoleGrant
from models.territory import Unit, list_localities, list_units, unit_by_slug

router = Router()

SUBSCRIPTIONS_MAX = 6


@payload("nhshare")
class ShareCount(Payload):
    """A representative posts a month's count of neighbour help in the unit's group."""

    unit: str
    month: str  # "2026-11"


def group_count_text(t: Translator, unit: Unit, month: str, helped: int) -> str:
    """The month's count as the community group reads it: no names, no numbers of posts."""
    return t.ngettext(
        "Neighbour help in {unit}, {month}: neighbours helped each other {n} time. Thank you! "
        "Offer or ask for a ride or a parcel run in a private chat with the assistant.",
        "Neighbour help in {unit}, {month}: neighbours helped each other {n} times. Thank you! "
        "Offer or ask for a ride or a parcel run in a private chat with the assistant.",
        helped,
        unit=t.place(unit),
        month=month,
    )


async def _choices(ctx: Context) -> list[str]:
    """Places one may ask to hear of: the own village first, the unit's destinations."""
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    places = [ctx.resident.locality.name] if ctx.resident.locality else []
    for item in await list_destinations(ctx.session, ctx.resident.unit_id):
        if item.name not in places:
            places.append(item.name)
    if not places:
        places = [item.name for item in await list_localities(ctx.session, ctx.resident.unit_id)]
    return places[:8]


@router.payload("nhsubs")
async def subscriptions(ctx: Context) -> None:
    """The places one hears of new offers for; add or stop one."""
    assert ctx.resident is not None
    ctx.clear_state()
    t = ctx.t
    current = await subscriptions_of(ctx.session, ctx.resident.id)
    taken = {item.label for item in current}
    buttons = [
        Button(t._("Stop: {place}", place=item.label), Unsubscribe(item.id)) for item in current
    ]
    choices = await _choices(ctx)
    if len(current) < SUBSCRIPTIONS_MAX:
        buttons += [
            Button(t._("Tell me of offers for {place}", place=name), Subscribe(index))
            for index, name in enumerate(choices)
            if name not in taken
        ]
    lines = [t._("You get a message when a neighbour offers help to or from a place you chose.")]
    if current:
        lines.append(t._("Now: {places}", places=", ".join(sorted(taken))))
    elif not choices:
        lines.append(t._("Your parish or town has no places to choose yet."))
    buttons += [Button(t._("Back"), "nh"), Button(t._("Main menu"), "menu")]
    ctx.reply("\n".join(lines), buttons)


@router.button(Subscribe)
async def add_subscription(ctx: Context, press: Subscribe) -> None:
    assert ctx.resident is not None
    choices = await _choices(ctx)
    if press.index >= len(choices):
        await ctx.refuse("help_subscribe", index=press.index)
        return
    if len(await subscriptions_of(ctx.session, ctx.resident.id)) < SUBSCRIPTIONS_MAX:
        await subscribe(ctx.session, resident=ctx.resident, label=choices[press.index], now=ctx.now)
    await subscriptions(ctx)


@router.button(Unsubscribe)
async def stop_subscription(ctx: Context, press: Unsubscribe) -> None:
    assert ctx.resident is not None
    if not await unsubscribe(
        ctx.session, resident_id=ctx.resident.id, subscription_id=press.subscription_id
    ):
        show_menu(ctx, ctx.t._("That is no longer on your list."))
        return
    await subscriptions(ctx)


async def after_the_date(context: JobContext) -> None:
    """Close posts whose time has passed; ask the two of each match, once, whether it
    happened."""
    async with context.sessionmaker() as session, session.begin():
        await close_past_posts(session, now=context.now)
        for request in await due_for_done_question(session, now=context.now):
            post = request.post
            for person in (post.author_id, request.asker_id):
                if person is None:
                    continue
                await send_notice(
                    session,
                    settings=context.settings,
                    resident_ids=[person],
                    write=lambda t, post=post: t._(
                        "Did neighbour help No. {id} of {time} happen?",
                        id=post.id,
                        time=t.datetime(post.starts_at),
                    ),
                    now=context.now,
                    buttons=[
                        (N_("Yes, it happened"), Done(request.id, True).pack()),
                        (N_("No"), Done(request.id, False).pack()),
                    ],
                    personal=False,
                )


async def monthly_counts(context: JobContext) -> None:
    """Once a month, each unit's representatives hear how often its neighbours helped each
    other in the month before; the month is recorded, so it never goes twice."""
    month = previous_month(context.now, context.settings.tz)
    async with context.sessionmaker() as session, session.begin():
        if not await claim_month(session, month=month, now=context.now):
            return
        start, end = month_bounds(month, context.settings.tz)
        counts = await helped_counts(session, start=start, end=end)
        shown = start.strftime("%m.%Y")
        for unit in await list_units(session):
            row = counts.get(unit.id)
            if row is None:
                continue
            helped = row["matched"] - row["not_done"]
            representatives = await session.scalars(
                select(RoleGrant.resident_id).where(
                    RoleGrant.role == Role.REPRESENTATIVE.value, RoleGrant.unit_id == unit.id
                )
            )
            share = (
                [(N_("Post it in the community group"), ShareCount(unit.slug, month).pack())]
                if unit.telegram_group_chat_id is not None and helped > 0
                else []
            )
            await send_notice(
                session,
                settings=context.settings,
                resident_ids=list(representatives),
                buttons=share,
                write=lambda t, unit=unit, helped=helped, posts=row["posts"]: t.ngettext(
                    "Neighbour help in {unit}, {month}: neighbours helped each other {n} time "
                    "(offers and requests: {posts}).",
                    "Neighbour help in {unit}, {month}: neighbours helped each other {n} times "
                    "(offers and requests: {posts}).",
                    helped,
                    unit=t.place(unit),
                    month=shown,
                    posts=t.number(posts),
                ),
                now=context.now,
                personal=False,
            )


@router.button(ShareCount)
async def share_count(ctx: Context, press: ShareCount) -> None:
    """Post the month's count in the group, once; the right is checked here."""
    unit = await unit_by_slug(ctx.session, press.unit)
    if unit is None or not ctx.roles.may_manage_unit(unit.id):
        await ctx.refuse("help_count_share", unit=press.unit, month=press.month)
        return
    if unit.telegram_group_chat_id is None:
        show_menu(ctx, ctx.t._("The community group is not linked any more."))
        return
    shared = await audit_entries(ctx.session, action="help_count_shared")
    if any(
        entry.details.get("unit") == unit.slug and entry.details.get("month") == press.month
        for entry in shared
    ):
        show_menu(ctx, ctx.t._("That count is already in the community group."))
        return
    try:
        start, end = month_bounds(press.month, ctx.settings.tz)
    except ValueError:
        await ctx.refuse("help_count_share", unit=press.unit, month=press.month)
        return
    row = (await helped_counts(ctx.session, start=start, end=end)).get(unit.id)
    helped = row["matched"] - row["not_done"] if row is not None else 0
    group = Translator(ctx.settings.default_language, timezone=ctx.settings.tz)
    await send_to_group(
        ctx.session,
        settings=ctx.settings,
        chat_id=unit.telegram_group_chat_id,
        text=group_count_text(group, unit, start.strftime("%m.%Y"), helped),
        now=ctx.now,
    )
    await ctx.audit("help_count_shared", unit=unit.slug, month=press.month)
    show_menu(ctx, ctx.t._("Posted in the community group. Thank you!"))
