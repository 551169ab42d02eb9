"""The chair gives council members their areas of responsibility and names outside
specialists."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_
from bot.parsing import parse_id
from handlers.ideas.common import council_name
from handlers.menu import MenuEntry, add_help, add_menu_entry
from models.ideas import (
    SPECIALIST_MAX,
    IdeaArea,
    area_members,
    assign_area,
    council_people,
    list_areas,
    may_see_all,
    set_specialist,
    unassign_area,
)
from models.residents import Resident

router = Router()


class State(enum.StrEnum):
    SPECIALIST = "areas.specialist"


@payload("areas")
class Areas(Payload):
    """The areas of responsibility; one area when `area_id` is given."""

    area_id: int | None = None


@payload("areamember")
class ToggleAreaMember(Payload):
    area_id: int
    resident_id: int


@payload("areaspec")
class AskSpecialist(Payload):
    area_id: int


def _assigns_areas(ctx: Context) -> bool:
    return may_see_all(ctx.roles)


add_menu_entry(MenuEntry(N_("Areas of responsibility"), "areas", order=163, visible=_assigns_areas))
add_help("areas", N_("give council members their areas; outside specialists"), _assigns_areas)


@router.command("areas")
async def areas_command(ctx: Context) -> None:
    await areas(ctx, Areas())


@router.button(Areas)
async def areas(ctx: Context, press: Areas) -> None:
    """The areas and who is responsible for each; one area when it names one."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    if press.area_id is None:
        await _list_areas(ctx)
        return
    area = await ctx.session.get(IdeaArea, press.area_id)
    if area is None:
        await ctx.refuse("idea_areas", area=press.area_id)
        return
    await _show_area(ctx, area)


@router.button(ToggleAreaMember)
async def toggle_area_member(ctx: Context, press: ToggleAreaMember) -> None:
    """Give a council member the area, or take it away; only the chair and staff may."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    assert ctx.resident is not None
    area = await ctx.session.get(IdeaArea, press.area_id)
    member = await ctx.session.get(Resident, press.resident_id)
    if area is None or member is None:
        await ctx.refuse("idea_area_assign", area=press.area_id)
        return
    if not await unassign_area(ctx.session, area=area, resident_id=member.id):
        try:
            await assign_area(ctx.session, area=area, resident=member, by=ctx.resident)
        except ValueError:
            await ctx.refuse("idea_area_assign", area=area.id, member=member.id)
            return
    await ctx.audit("idea_area_assigned", area=area.id, member=member.id)
    await _show_area(ctx, area)


async def _list_areas(ctx: Context) -> None:
    lines = [ctx.t._("Areas of responsibility. Tap an area to change who is responsible.")]
    buttons = []
    for area in await list_areas(ctx.session):
        members = ", ".join(
            [
                await council_name(ctx.session, ctx.t, member.resident)
                for member in await area_members(ctx.session, area.id)
            ]
        )
        line = f"{area.name_in(ctx.t.language)}: {members or '–'}"
        if area.specialist_name:
            line += " · " + ctx.t._("specialist: {name}", name=area.specialist_name)
        lines.append(line)
        buttons.append(Button(area.name_in(ctx.t.language), Areas(area.id)))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _show_area(ctx: Context, area: IdeaArea) -> None:
    responsible = {member.resident_id for member in await area_members(ctx.session, area.id)}
    lines = [
        area.name_in(ctx.t.language),
        ctx.t._("Tap a council member to give them this area or to take it away."),
    ]
    if area.specialist_name:
        lines.append(
            ctx.t._(
                "Outside specialist for this area: {name}, {contact}",
                name=area.specialist_name,
                contact=area.specialist_contact or "–",
            )
        )
    buttons = [
        Button(
            ("✓ " if person.id in responsible else "")
            + await council_name(ctx.session, ctx.t, person),
            ToggleAreaMember(area.id, person.id),
        )
        for person in await council_people(ctx.session)
    ]
    if not buttons:
        lines.append(ctx.t._("Nobody has a council role yet."))
    buttons.append(Button(ctx.t._("Outside specialist"), AskSpecialist(area.id)))
    buttons.append(Button(ctx.t._("Back to the list"), Areas()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(AskSpecialist)
async def ask_specialist(ctx: Context, press: AskSpecialist) -> None:
    """Ask for the outside specialist of an area."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    area = await ctx.session.get(IdeaArea, press.area_id)
    if area is None:
        await ctx.refuse("idea_areas", area=press.area_id)
        return
    ctx.ask(
        State.SPECIALIST,
        ctx.t._(
            "Write the outside specialist for {area} as: name; contact (phone or e-mail). "
            "Write - to remove the specialist.",
            area=area.name_in(ctx.t.language),
        ),
        limit=SPECIALIST_MAX,
        back=Button(ctx.t._("Back"), Areas(area.id)),
        area=area.id,
    )


async def specialist_written(ctx: Context) -> None:
    """Name the area's outside specialist, or remove them with -."""
    if not may_see_all(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("idea_areas")
        return
    area = await ctx.session.get(IdeaArea, parse_id(ctx.flow.get("area")))
    if area is None:
        await _list_areas(ctx)
        return
    text = (ctx.incoming.text or "").strip()
    name, _, contact = text.partition(";")
    if text != "-" and not name.strip():
        ctx.ask_again(ctx.t._("Please write it as: name; contact."))
        return
    set_specialist(area, name=None if text == "-" else name, contact=contact)
    await ctx.audit("idea_area_specialist", area=area.id)
    await _show_area(ctx, area)


router.flow({State.SPECIALIST: Step(specialist_written, free_text=True)})
