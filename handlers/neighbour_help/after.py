"""Notices of new offers a resident asked for, and after the date: posts closed, and the
two of each match asked once whether it happened."""

from __future__ import annotations

from sqlalchemy import select

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.menu import show_menu
from handlers.neighbour_help.common import Done, Subscribe, Unsubscribe
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
from models.territory import list_localities, list_units

router = Router()

SUBSCRIPTIONS_MAX = 6


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
            await send_notice(
                session,
                settings=context.settings,
                resident_ids=list(representatives),
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
