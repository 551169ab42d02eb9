"""A resident says which house they live in: the street then the number, or a typed
address or rural house name; optional, changeable, erased with /forget."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_
from bot.parsing import parse_number
from handlers.menu import (
    MenuEntry,
    add_help,
    add_menu_entry,
    everyone,
    no_such_option,
    show_menu,
)
from handlers.onboarding import add_follow_up
from models.houses import House, house_by_id, houses_of, match_address, set_house

router = Router()

# Streets (or houses of a street) one screen shows; "More" shows the next ones.
PAGE = 8
ADDRESS_MAX = 120


class State(enum.StrEnum):
    HOUSE = "houses.mine"


@payload("hstreets")
class Streets(Payload):
    """The streets of the resident's place, a page at a time (1 the first)."""

    page: int | None = None


@payload("hstreet")
class Street(Payload):
    """The houses of one street, named by one of its houses (a street has no id)."""

    house_id: int
    page: int | None = None


@payload("hnamed")
class Named(Payload):
    """Houses with a name and no street (rural houses), a page at a time."""

    page: int | None = None


@payload("hpick")
class Pick(Payload):
    house_id: int


@payload("hclear")
class Clear(Payload):
    """Forget which house the resident lives in."""


add_menu_entry(MenuEntry(N_("My house"), "house", order=82))
add_help("house", N_("say which house you live in (optional)"), everyone)


async def _houses(ctx: Context) -> list[House]:
    """The houses the resident chooses from: of their village when it has any, else of
    their whole parish or town."""
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    if ctx.resident.locality_id is not None:
        own = await houses_of(
            ctx.session, unit_id=ctx.resident.unit_id, locality_id=ctx.resident.locality_id
        )
        if own:
            return own
    return await houses_of(ctx.session, unit_id=ctx.resident.unit_id)


def _streets(houses: list[House]) -> list[House]:
    """One house per street (its first), in order."""
    seen: set[str] = set()
    firsts = []
    for house in houses:
        if house.street and house.street not in seen:
            seen.add(house.street)
            firsts.append(house)
    return firsts


def _page(items: list[House], page: int | None) -> tuple[list[House], int, bool]:
    number = max(page or 1, 1)
    start = (number - 1) * PAGE
    return items[start : start + PAGE], number, len(items) > start + PAGE


def _why(ctx: Context) -> str:
    return ctx.t._(
        "It is optional. It helps your representative see which houses the council already "
        "reaches; nobody is shown who lives where."
    )


async def _current(ctx: Context) -> House | None:
    assert ctx.resident is not None
    house = await house_by_id(ctx.session, ctx.resident.house_id)
    if house is not None and house.unit_id != ctx.resident.unit_id:
        # A house of the parish the resident has left is no longer theirs.
        await set_house(ctx.session, ctx.resident, None)
        return None
    return house


async def _ask(
    ctx: Context, text: str, houses: list[House], *, page: int | None, after_onboarding: bool
) -> None:
    """The streets (a page of them), the named houses, and the ways out."""
    streets, number, more = _page(_streets(houses), page)
    buttons = [Button(house.street or "", Street(house.id)) for house in streets]
    if more:
        buttons.append(Button(ctx.t._("More streets"), Streets(number + 1)))
    if number > 1:
        buttons.append(Button(ctx.t._("First streets"), Streets()))
    if any(not house.street for house in houses):
        buttons.append(Button(ctx.t._("A house with a name, no street"), Named()))
    if ctx.resident is not None and ctx.resident.house_id is not None:
        buttons.append(Button(ctx.t._("Remove my house"), Clear()))
    buttons.append(
        Button(ctx.t._("Skip") if after_onboarding else ctx.t._("Back to the menu"), "menu")
    )
    ctx.set_state(State.HOUSE)
    ctx.reply(text, buttons)


def _question(ctx: Context, houses: list[House]) -> str:
    if any(house.street for house in houses):
        return ctx.t._(
            "Which house do you live in? Choose your street, or type your address "
            '(like "{example}") or the name of your house.',
            example=_example(houses),
        )
    return ctx.t._("Which house do you live in? Type the name of your house or choose it below.")


def _example(houses: list[House]) -> str:
    first = next((house for house in houses if house.street), None)
    return first.label if first is not None else ""


async def offer_after_onboarding(ctx: Context, saved: str) -> bool:
    """Once the village is chosen: ask for the house when houses are known there and the
    resident has not said theirs; a Skip away from the menu."""
    if ctx.resident is None or ctx.resident.unit_id is None:
        return False
    if await _current(ctx) is not None:
        return False
    houses = await _houses(ctx)
    if not houses:
        return False
    text = f"{saved}\n\n{_question(ctx, houses)} {_why(ctx)}"
    await _ask(ctx, text, houses, page=None, after_onboarding=True)
    return True


add_follow_up(offer_after_onboarding)


@router.command("house")
@router.payload("house")
async def my_house(ctx: Context) -> None:
    """Show the resident's house, and let them choose, change or remove it."""
    houses = await _houses(ctx)
    current = await _current(ctx)
    if not houses:
        show_menu(
            ctx,
            ctx.t._(
                "The houses of your parish or town are not known here yet, so there is "
                "nothing to choose from."
            ),
        )
        return
    intro = (
        ctx.t._("Your house: {address}.", address=current.label)
        if current is not None
        else ctx.t._("You have not said which house you live in.")
    )
    text = f"{intro}\n\n{_question(ctx, houses)} {_why(ctx)}"
    await _ask(ctx, text, houses, page=None, after_onboarding=False)


@router.button(Streets)
async def streets(ctx: Context, press: Streets) -> None:
    houses = await _houses(ctx)
    if not houses:
        await my_house(ctx)
        return
    await _ask(ctx, _question(ctx, houses), houses, page=press.page, after_onboarding=False)


async def _list(
    ctx: Context, text: str, houses: list[House], page: int | None, more_of: Street | Named
) -> None:
    shown, number, more = _page(houses, page)
    buttons = [Button(house.label, Pick(house.id)) for house in shown]
    if more:
        next_page = (
            Street(more_of.house_id, number + 1)
            if isinstance(more_of, Street)
            else Named(number + 1)
        )
        buttons.append(Button(ctx.t._("More"), next_page))
    buttons.append(Button(ctx.t._("Back"), Streets()))
    ctx.set_state(State.HOUSE)
    ctx.reply(text, buttons)


@router.button(Street)
async def street(ctx: Context, press: Street) -> None:
    """The houses of a street: only a street of the resident's own parish or town."""
    assert ctx.resident is not None
    first = await house_by_id(ctx.session, press.house_id)
    if first is None or first.unit_id != ctx.resident.unit_id or not first.street:
        await ctx.refuse("house_street", house=press.house_id)
        return
    houses = await houses_of(ctx.session, unit_id=first.unit_id)
    on_street = [house for house in houses if house.street == first.street]
    await _list(
        ctx,
        ctx.t._("Which number on {street}? You may also type it.", street=first.street),
        on_street,
        press.page,
        press,
    )
    ctx.set_state(State.HOUSE, street=first.id)


@router.button(Named)
async def named(ctx: Context, press: Named) -> None:
    houses = [house for house in await _houses(ctx) if not house.street]
    if not houses:
        await my_house(ctx)
        return
    await _list(
        ctx,
        ctx.t._("Which is your house? You may also type its name."),
        houses,
        press.page,
        press,
    )


@router.button(Pick)
async def picked(ctx: Context, press: Pick) -> None:
    """Keep the house: only one of the resident's own parish or town."""
    assert ctx.resident is not None
    house = await house_by_id(ctx.session, press.house_id)
    if house is None or house.unit_id != ctx.resident.unit_id:
        await ctx.refuse("house_pick", house=press.house_id)
        return
    await _save(ctx, house)


async def _save(ctx: Context, house: House) -> None:
    assert ctx.resident is not None
    await set_house(ctx.session, ctx.resident, house)
    await ctx.audit("house_chosen", resident=ctx.resident.id)
    show_menu(
        ctx,
        ctx.t._(
            'Saved: you live at {address}. You can change it under "My house" in the menu.',
            address=house.label,
        ),
    )


@router.button(Clear)
async def cleared(ctx: Context, press: Clear) -> None:
    assert ctx.resident is not None
    await set_house(ctx.session, ctx.resident, None)
    show_menu(ctx, ctx.t._("Your house is no longer stored."))


async def address_typed(ctx: Context) -> None:
    """A typed address ("Pils iela 12", "pils 12"), a number on the street just shown, or a
    rural house's name; otherwise the question again."""
    assert ctx.resident is not None
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.too_long(text, ADDRESS_MAX):
        return
    houses = await houses_of(ctx.session, unit_id=ctx.resident.unit_id or 0)
    street_id = ctx.flow.get("street")
    on_street: House | None = None
    if street_id is not None:
        first = next((house for house in houses if house.id == street_id), None)
        if first is not None and first.street:
            on_street = first
            found, _ = match_address(houses, f"{first.street} {text}")
            if len(found) == 1:
                await _save(ctx, found[0])
                return
    if (
        on_street is None
        and parse_number(text, low=1, high=10**6) is not None
        and ctx.conversation is not None
        and ctx.conversation.options
    ):
        # A number alone is no address: one of the options was meant, and none has it.
        _no_such_option(ctx)
        return
    found, street_name = match_address(houses, text)
    if len(found) == 1:
        await _save(ctx, found[0])
        return
    if len(found) > 1:
        await _list(ctx, ctx.t._("Which of these is your house?"), found[:PAGE], None, Named())
        return
    if street_name is not None:
        first = next(house for house in houses if house.street == street_name)
        on_street = [house for house in houses if house.street == street_name]
        await _list(
            ctx,
            ctx.t._(
                "I did not find that number on {street}. Which number is it?", street=street_name
            ),
            on_street,
            None,
            Street(first.id),
        )
        ctx.set_state(State.HOUSE, street=first.id)
        return
    await _ask(
        ctx,
        ctx.t._(
            "I did not find that address among the known houses. Choose your street, or "
            "type the address again."
        ),
        await _houses(ctx),
        page=None,
        after_onboarding=False,
    )


def _no_such_option(ctx: Context) -> None:
    """Say that no option shown has this number, and show them again."""
    assert ctx.conversation is not None
    options = [Button(label, payload) for label, payload in ctx.conversation.options]
    ctx.reply(no_such_option(ctx), options)


router.flow({State.HOUSE: Step(address_typed)})
