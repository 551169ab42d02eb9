"""Coverage in chat: how many houses of a parish, village or block the council reaches, and
which houses not yet (addresses only, never who lives where)."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.coverage import Place, Scope, coverage_of, coverage_places, sees_coverage
from models.houses import Coverage

router = Router()

# Houses not yet reached, listed a page at a time.
PAGE = 15


@payload("cov")
class Cover(Payload):
    """The coverage of a place; no scope: the places this person may see."""

    scope: Scope | None = None
    place_id: int | None = None
    page: int | None = None


def _sees(ctx: Context) -> bool:
    return sees_coverage(ctx.roles)


add_menu_entry(MenuEntry(N_("Coverage"), "cov", order=164, visible=_sees))
add_help("coverage", N_("how many houses the council reaches"), _sees)


def place_name(t: Translator, place: Place) -> str:
    """What a place whose coverage one may see is called, in chat and in the console."""
    if place.scope is Scope.ELDER:
        return t._("The houses I am house elder of")
    assert place.unit is not None
    if place.locality is not None:
        return f"{place.unit.name_in(t.language)}, {place.locality.name_in(t.language)}"
    return place.unit.label_in(t.language)


async def _places(ctx: Context) -> list[tuple[str, Cover]]:
    """The places this person may see the coverage of: (label, press)."""
    return [
        (place_name(ctx.t, place), Cover(place.scope, place.place_id))
        for place in await coverage_places(ctx.session, ctx.roles)
    ]


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
    assert press.scope is not None
    return await coverage_of(ctx.session, ctx.roles, scope=press.scope, place_id=press.place_id)


def row_name(t: Translator, row: Coverage) -> str:
    """What a row of coverage is about, in chat and in the console."""
    if row.elder:
        return t._("Your houses")
    if row.total:
        return (row.locality or row.unit).label_in(t.language)
    if row.locality is not None:
        return row.locality.label_in(t.language)
    return t._("without a village or neighbourhood")


def _line(ctx: Context, row: Coverage) -> str:
    t = ctx.t
    # A village's row is indented under its parish's total.
    place = row_name(t, row) if row.total else "  " + row_name(t, row)
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
