"""Forwarding an idea or concern: to a council member responsible for its area, or to the
representative of another parish or town when it concerns the neighbouring one. The one
action behind the chat's buttons and the staff console's forms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.notices import send_notice
from handlers.ideas.common import ForwardElsewhere, ForwardIdea, OpenIdea, council_name
from handlers.ideas.inbox import item_buttons, readable_item, tell_author, tell_status
from models.audit import audit
from models.ideas import Idea, forward_idea, unit_representatives, units_with_representatives
from models.residents import Resident
from models.territory import Unit, list_units

router = Router()


async def forward_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    item: Idea,
    to_resident_id: int,
    by: Resident,
    now: datetime,
    unit: Unit | None = None,
) -> None:
    """Forward to a council member responsible for the item's area or, with `unit`, to a
    representative of that other unit; audited, and they and the author are told.
    ValueError when that person is neither."""
    await forward_idea(
        session,
        idea=item,
        to_resident_id=to_resident_id,
        now=now,
        unit_id=unit.id if unit is not None else None,
    )
    await audit(
        session,
        action="idea_forwarded",
        actor_id=by.id,
        idea=item.id,
        to=to_resident_id,
        **({"unit": unit.id} if unit is not None else {}),
    )
    if unit is None:

        def to_member(t: Translator) -> str:
            return t._(
                "Forwarded to you as responsible for {area}: #{id}, {unit}. Open it with the "
                "button or /inbox.",
                id=item.id,
                unit=t.place(item.unit),
                area=item.area.name_in(t.language),
            )

    else:

        def to_member(t: Translator) -> str:
            assert unit is not None
            return t._(
                "Forwarded to you as the representative of {to}: #{id} ({area}), written in "
                "{unit}, as it concerns {to}. Open it with the button or /inbox; your answer "
                "goes to the resident.",
                id=item.id,
                to=t.place(unit),
                unit=t.place(item.unit),
                area=item.area.name_in(t.language),
            )

    await send_notice(
        session,
        settings=settings,
        resident_ids=[to_resident_id],
        write=to_member,
        now=now,
        buttons=[(N_("Open"), OpenIdea(item.id).pack())],
    )
    if unit is None:
        await tell_status(session, settings=settings, item=item, now=now)
        return
    # The resident hears where it went, not only the new status.
    await tell_author(
        session,
        settings=settings,
        item=item,
        now=now,
        write=lambda t: t._(
            "Your idea or concern No. {id} ({area}) concerns {to}, so it is forwarded to the "
            "representative of {to}. Their answer comes here.",
            id=item.id,
            to=t.place(unit),
            area=item.area.name_in(t.language),
        ),
    )


@router.button(ForwardIdea)
async def forward(ctx: Context, press: ForwardIdea) -> None:
    """Forward to a council member responsible for the item's area, or to a representative
    of another unit; who may receive it is checked by the action."""
    item = await readable_item(ctx, press.idea_id, "idea_fwd")
    if item is None:
        return
    assert ctx.resident is not None
    unit = await ctx.session.get(Unit, press.unit_id) if press.unit_id is not None else None
    try:
        if press.unit_id is not None and unit is None:
            raise ValueError("no such unit")
        await forward_and_tell(
            ctx.session,
            settings=ctx.settings,
            item=item,
            to_resident_id=press.to,
            by=ctx.resident,
            now=ctx.now,
            unit=unit,
        )
    except ValueError:
        await ctx.refuse("idea_forward", idea=item.id, to=press.to, unit=press.unit_id)
        return
    member = await ctx.session.get(Resident, press.to)
    name = await council_name(ctx.session, ctx.t, member)
    ctx.clear_state()
    ctx.reply(
        ctx.t._("#{id} is forwarded to {name}.", id=item.id, name=name), item_buttons(ctx.t, item)
    )


@router.button(ForwardElsewhere)
async def forward_elsewhere(ctx: Context, press: ForwardElsewhere) -> None:
    """Choose another unit, then its representative, for a concern of the neighbouring
    parish."""
    item = await readable_item(ctx, press.idea_id, "idea_fwd")
    if item is None:
        return
    t = ctx.t
    back = Button(t._("Back to #{id}", id=item.id), OpenIdea(item.id))
    ctx.clear_state()
    if press.unit_id is None:
        choices = await other_units(ctx.session, item)
        if not choices:
            ctx.reply(t._("No other parish or town has a representative yet."), [back])
            return
        ctx.reply(
            t._("Which parish or town does #{id} concern?", id=item.id),
            [
                *(
                    Button(unit.label_in(t.language), ForwardElsewhere(item.id, unit.id))
                    for unit in choices
                ),
                back,
            ],
        )
        return
    unit = await ctx.session.get(Unit, press.unit_id)
    people = await unit_representatives(ctx.session, unit.id) if unit is not None else []
    if unit is None or unit.id == item.unit_id or not people:
        await ctx.refuse("idea_forward", idea=item.id, unit=press.unit_id)
        return
    buttons = []
    for person in people:
        name = await council_name(ctx.session, t, person)
        buttons.append(
            Button(t._("Forward to {name}", name=name), ForwardIdea(item.id, person.id, unit.id))
        )
    ctx.reply(
        t._(
            "Forward #{id} to the representative of {unit}? They can answer the resident, "
            "and the resident is told where it went.",
            id=item.id,
            unit=t.place(unit),
        ),
        [*buttons, Button(t._("Another parish or town"), ForwardElsewhere(item.id)), back],
    )


async def other_units(session: AsyncSession, item: Idea) -> list[Unit]:
    """The units besides the item's own that have a representative to forward it to."""
    having = await units_with_representatives(session)
    return [
        unit for unit in await list_units(session) if unit.id in having and unit.id != item.unit_id
    ]
