"""The coordinator's home: the latest rounds, ending one early; every step checks the right."""

from __future__ import annotations

from datetime import datetime

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.quiet_hours import goes_at
from handlers.menu import MenuEntry, add_menu_entry
from handlers.nominations.buttons import EndRound, NewRound, UnitList
from models.nominations import (
    NominationRound,
    RoundStatus,
    end_round_now,
    get_round,
    list_rounds,
)
from models.territory import list_units

router = Router()

ROUND_STATUS = {
    RoundStatus.SCHEDULED.value: N_("scheduled"),
    RoundStatus.OPEN.value: N_("open"),
    RoundStatus.CLOSED.value: N_("closed"),
}


def _is_staff(ctx: Context) -> bool:
    return ctx.roles.is_staff


add_menu_entry(MenuEntry(N_("Nominations: coordinator"), "nomc", order=162, visible=_is_staff))


async def may_coordinate(ctx: Context, step: str) -> bool:
    """Whether the person is staff; if not, refused and written down. The right is checked at
    every step, never trusted from the button."""
    if ctx.roles.is_staff:
        return True
    await ctx.refuse("nominations_staff", step=step)
    return False


def home_button(ctx: Context) -> Button:
    return Button(ctx.t._("Back to nominations: coordinator"), "nomc")


@router.payload("nomc")
async def coordinator(ctx: Context) -> None:
    """The coordinator's home: the latest rounds, and what to do."""
    if not await may_coordinate(ctx, "home"):
        return
    t = ctx.t
    lines = [t._("Nominations: coordinator.")]
    units = {unit.id: unit.name_in(t.language) for unit in await list_units(ctx.session)}
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
        if may_end(item, ctx.now)
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
    if not await may_coordinate(ctx, "end"):
        return
    t = ctx.t
    item = await get_round(ctx.session, press.round_id)
    if item is None or not may_end(item, ctx.now):
        await coordinator(ctx)
        return
    started = item.starts_at <= ctx.now
    if not press.sure:
        ctx.reply(
            end_question(t, item, now=ctx.now),
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
        ended_text(t, ctx.settings, round_id=round_id, cancelled=cancelled, now=ctx.now),
        [home_button(ctx), Button(t._("Main menu"), "menu")],
    )


def may_end(item: NominationRound, now: datetime) -> bool:
    """Whether a round can still be ended early (or cancelled, before its start)."""
    return item.status != RoundStatus.CLOSED.value and item.ends_at > now


def end_question(t: Translator, item: NominationRound, *, now: datetime) -> str:
    """The confirmation asked before a round is ended early (or cancelled, before its start)."""
    if item.starts_at <= now:
        return t._(
            "End round #{id} now? Nominating and supporting stop at once, and each "
            "candidate is told their count.",
            id=item.id,
        )
    return t._(
        "Cancel round #{id}? It has not started, and nobody has been told of it yet.",
        id=item.id,
    )


def ended_text(
    t: Translator, settings: Settings, *, round_id: int, cancelled: bool, now: datetime
) -> str:
    """What the coordinator reads once a round is ended early: when the candidates hear."""
    if cancelled:
        return t._("Round #{id} is cancelled.", id=round_id)
    told = goes_at(settings, due_at=now, urgent=False, now=now)
    if told > now:
        return t._(
            "Round #{id} has ended. The candidates are told their counts on {time}, when the "
            "quiet hours are over.",
            id=round_id,
            time=t.datetime(told),
        )
    return t._(
        "Round #{id} has ended. The candidates are told their counts in a moment.", id=round_id
    )
