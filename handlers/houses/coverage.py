"""Coverage in chat: how many houses of a parish, village or block the council reaches, and
which houses not yet (addresses only, never who lives where)."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.houses import Coverage, coverage
from models.roles import Role, Roles
from models.territory import Unit, list_units, locality_by_id

router = Router()

# Houses not yet reached, listed a page at a time.
PAGE = 15


class Scope(enum.StrEnum):
    UNIT = "unit"
    LOCALITY = "loc"
    ELDER = "elder"  # the houses the person is house elder of


@payload("cov")
class Cover(Payload):
    """The coverage of a place; no scope: the places this person may see."""

    scope: Scope | None = None
    place_id: int | None = None
    page: int | None = None


def sees_coverage(roles: Roles) -> bool:
    return (
        roles.is_staff
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
        or bool(roles.elder_houses)
    )


def _sees(ctx: Context) -> bool:
    return sees_coverage(ctx.roles)


add_menu_entry(MenuEntry(N_("Coverage"), "cov", order=64, visible=_sees))
add_help("coverage", N_("how many houses the council reaches"), _sees)


async def _places(ctx: Context) -> list[tuple[str, Cover]]:
    """The places this person may see the coverage of: (label, press)."""
    roles = ctx.roles
    language = ctx.t.language
    units = await list_units(ctx.session)
    buttons = []
    for unit in units:
        if roles.is_staff or unit.id in roles.units_as(Role.REPRESENTATIVE):
            buttons.append((unit.label_in(language), Cover(Scope.UNIT, unit.id)))
    for locality_id in sorted(roles.localities_as(Role.DEPUTY)):
        locality = await locality_by_id(ctx.session, locality_id)
        if locality is not None and not roles.may_manage_unit(locality.unit_id):
            label = f"{locality.unit.name_in(language)}, {locality.name_in(language)}"
            buttons.append((label, Cover(Scope.LOCALITY, locality.id)))
    if roles.elder_houses:
        buttons.append((ctx.t._("The houses I am house elder of"), Cover(Scope.ELDER)))
    return buttons


@router.command("coverage")
async def coverage_command(ctx: Context) -> None:
    await show_coverage(ctx, Cover())


@router.button(Cover)
async def show_coverage(ctx: Context, press: Cover) -> None:
    """The coverage of one place this person may see, checked here on every press."""
    if not sees_coverage(ctx.roles):
        await ctx.refuse("coverage")
        return
    if press.scope is None:
        places = await _places(ctx)
        if len(places) == 1:
            await show_coverage(ctx, places[0][1])
            return
        ctx.clear_state()
        ctx.reply(
            ctx.t._("Which place?"),
            [
                *(Button(label, place) for label, place in places),
                Button(ctx.t._("Back to the menu"), "menu"),
            ],
        )
        return
    rows = await _rows(ctx, press)
    if rows is None:
        await ctx.refuse("coverage", scope=press.scope.value, place=press.place_id)
        return
    if not rows or not rows[0].houses:
        show_menu(
            ctx,
            ctx.t._(
                "No houses of this place are known yet. A coordinator imports them from the "
                "State Address Register."
            ),
        )
        return
    lines = [_line(ctx, row) for row in rows]
    total = rows[0]
    missing = total.not_reached
    page = max(press.page or 1, 1)
    shown = missing[(page - 1) * PAGE : page * PAGE]
    if missing:
        lines.append("")
        lines.append(
            ctx.t._(
                "Houses not reached yet ({first}–{last} of {count}):",
                first=ctx.t.number((page - 1) * PAGE + 1 if shown else 0),
                last=ctx.t.number((page - 1) * PAGE + len(shown)),
                count=ctx.t.number(len(missing)),
            )
        )
        lines.extend(house.label for house in shown)
    else:
        lines.append(ctx.t._("Every known house is reached."))
    buttons = []
    if len(missing) > page * PAGE:
        buttons.append(Button(ctx.t._("More houses"), Cover(press.scope, press.place_id, page + 1)))
    if page > 1:
        buttons.append(Button(ctx.t._("First houses"), Cover(press.scope, press.place_id)))
    if len(await _places(ctx)) > 1:
        buttons.append(Button(ctx.t._("Back"), Cover()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _rows(ctx: Context, press: Cover) -> list[Coverage] | None:
    """The coverage rows of the place pressed, or None when this person may not see it."""
    roles = ctx.roles
    if press.scope is Scope.ELDER:
        if not roles.elder_houses or press.place_id is not None:
            return None
        units = await list_units(ctx.session)
        rows = await coverage(ctx.session, units=units, house_ids=sorted(roles.elder_houses))
        return [_merge([row for row in rows if row.houses])] if any(r.houses for r in rows) else []
    if press.place_id is None:
        return None
    if press.scope is Scope.UNIT:
        unit = await ctx.session.get(Unit, press.place_id)
        if unit is None or not (roles.is_staff or unit.id in roles.units_as(Role.REPRESENTATIVE)):
            return None
        return await coverage(ctx.session, units=[unit])
    locality = await locality_by_id(ctx.session, press.place_id)
    if locality is None or not (
        roles.may_manage_unit(locality.unit_id) or locality.id in roles.localities_as(Role.DEPUTY)
    ):
        return None
    rows = await coverage(ctx.session, units=[locality.unit], locality_id=locality.id)
    for row in rows:
        row.total = True
        row.locality = locality
    return rows


def _merge(rows: list[Coverage]) -> Coverage:
    """An elder's houses may lie in several parishes: one total over them."""
    merged = Coverage(unit=rows[0].unit, locality=None, total=True, elder=True)
    for row in rows:
        merged.houses += row.houses
        merged.reached += row.reached
        merged.flats += row.flats
        merged.flats_reached += row.flats_reached
        merged.not_reached.extend(row.not_reached)
    return merged


def _line(ctx: Context, row: Coverage) -> str:
    t = ctx.t
    if row.elder:
        place = t._("Your houses")
    elif row.total:
        place = (row.locality or row.unit).label_in(t.language)
    elif row.locality is not None:
        place = "  " + row.locality.label_in(t.language)
    else:
        place = "  " + t._("without a village or neighbourhood")
    houses = t.ngettext(
        "{place}: {reached} of {n} house reached",
        "{place}: {reached} of {n} houses reached",
        row.houses,
        place=place,
        reached=t.number(row.reached),
    )
    if not row.flats:
        return f"{houses}."
    flats = t.ngettext(
        "flats in apartment blocks: {reached} of {n} reached",
        "flats in apartment blocks: {reached} of {n} reached",
        row.flats,
        reached=t.number(row.flats_reached),
    )
    return f"{houses}; {flats}."
