"""Residents without a phone, in chat: a representative (their parish or town), a deputy
(their village or neighbourhood) or a coordinator registers one with the consent given on
paper, lists them, changes how they are reached, and erases them on request. Every press is
checked against the person's rights when it arrives."""

from __future__ import annotations

import enum

from bot import db
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_menu_entry, show_menu
from models.offline_residents import (
    DETAILS_MAX,
    NAME_MAX,
    get_offline,
    is_name,
    list_offline,
    may_manage,
    may_register,
    register_offline,
    registers_anyone,
)
from models.personal_data import forget
from models.residents import OFFLINE_CONTACTS, Resident
from models.roles import Role
from models.territory import Locality, Unit, list_localities, list_units, place_label

router = Router()

# How a resident without a phone is reached, as staff read it.
CONTACT_LABELS = {
    "post": N_("By post"),
    "neighbour": N_("Through a neighbour"),
    "in_person": N_("In person"),
}


class Contact(enum.StrEnum):
    POST = "post"
    NEIGHBOUR = "neighbour"
    IN_PERSON = "in_person"


assert tuple(item.value for item in Contact) == OFFLINE_CONTACTS


class State(enum.StrEnum):
    NAME = "offline.name"
    DETAILS = "offline.details"
    EDIT_DETAILS = "offline.edit_details"


@payload("offnew")
class OfflineNew(Payload):
    """Register a resident without a phone: their name first."""


@payload("offlist")
class OfflineList(Payload):
    """The residents without a phone this person may manage."""


@payload("offunit")
class OfflineUnit(Payload):
    unit_id: int


@payload("offloc")
class OfflineLocality(Payload):
    """Their village or neighbourhood; None: not known."""

    unit_id: int
    locality_id: int | None = None


@payload("offhow")
class OfflineContact(Payload):
    """How they are reached; with a resident, a change of it."""

    contact: Contact
    resident_id: int | None = None


@payload("offsave")
class OfflineSave(Payload):
    """The consent was given on paper: register them."""


@payload("offitem")
class OfflineItem(Payload):
    resident_id: int


@payload("offerase")
class OfflineErase(Payload):
    resident_id: int
    sure: bool = False


def _registers(ctx: Context) -> bool:
    return registers_anyone(ctx.roles)


add_menu_entry(
    MenuEntry(N_("Register a resident without a phone"), "offnew", order=164, visible=_registers)
)
add_menu_entry(MenuEntry(N_("Residents without a phone"), "offlist", order=165, visible=_registers))


def _menu(ctx: Context) -> Button:
    return Button(ctx.t._("Main menu"), "menu")


def _to_list(ctx: Context) -> Button:
    return Button(ctx.t._("Residents without a phone"), OfflineList())


def _line(ctx: Context, resident: Resident) -> str:
    t = ctx.t
    place = place_label(resident.unit, resident.locality, t.language)
    how = (
        t._(CONTACT_LABELS.get(resident.offline_contact or "", ""))
        if resident.offline_contact
        else ""
    )
    details = f": {resident.offline_details}" if resident.offline_details else ""
    return (
        t._("No. {id}", id=resident.id) + f" {resident.display_name or ''}, {place}. {how}{details}"
    )


@router.button(OfflineList)
async def offline_list(ctx: Context, press: OfflineList) -> None:
    """The residents without a phone of this person's territory."""
    t = ctx.t
    if not registers_anyone(ctx.roles):
        await ctx.refuse("offline_list")
        return
    found = await list_offline(ctx.session, roles=ctx.roles)
    ctx.clear_state()
    if not found:
        text = t._("No residents without a phone are registered in your territory.")
    else:
        text = "\n".join([t._("Residents without a phone:"), *(_line(ctx, item) for item in found)])
    buttons = [
        Button(item.display_name or t._("No. {id}", id=item.id), OfflineItem(item.id))
        for item in found[:30]
    ]
    buttons.extend([Button(t._("Register a resident without a phone"), OfflineNew()), _menu(ctx)])
    ctx.reply(text, buttons)


@router.button(OfflineItem)
async def offline_item(ctx: Context, press: OfflineItem) -> None:
    """One resident without a phone: change how they are reached, or erase them."""
    t = ctx.t
    resident = await get_offline(ctx.session, press.resident_id)
    if resident is None or not may_manage(ctx.roles, resident):
        await ctx.refuse("offline_item", resident=press.resident_id)
        return
    ctx.clear_state()
    consent = (
        t._("Consent given on paper, recorded on {time}.", time=t.datetime(resident.consented_at))
        if resident.consented_at
        else ""
    )
    ctx.reply(
        "\n".join(item for item in [_line(ctx, resident), consent] if item),
        [
            Button(
                t._("Change how they are reached"),
                OfflineContact(Contact(resident.offline_contact or "post"), resident.id),
            ),
            Button(t._("Erase on their request"), OfflineErase(resident.id)),
            _to_list(ctx),
            _menu(ctx),
        ],
    )


@router.button(OfflineNew)
@router.command("offline")
async def offline_new(ctx: Context, press: OfflineNew | None = None) -> None:
    """Ask for the name of a resident without a phone."""
    if not registers_anyone(ctx.roles):
        await ctx.refuse("offline_register")
        return
    ctx.ask(
        State.NAME,
        ctx.t._(
            "Register a resident without a phone. Their consent must be given on paper first.\n\n"
            "Write their name."
        ),
        limit=NAME_MAX,
    )


async def name_typed(ctx: Context) -> None:
    """Their name; then their parish or town."""
    name = " ".join((ctx.incoming.text or "").split())
    if not is_name(name):
        ctx.ask_again(ctx.t._("Please write their name."))
        return
    ctx.set_state(None, name=name)
    await _ask_unit(ctx)


async def _units_allowed(ctx: Context) -> list[Unit]:
    units = await list_units(ctx.session)
    if ctx.roles.is_staff:
        return units
    allowed = set(ctx.roles.units_as(Role.REPRESENTATIVE))
    for locality_id in ctx.roles.localities_as(Role.DEPUTY):
        locality = await ctx.session.get(Locality, locality_id)
        if locality is not None:
            allowed.add(locality.unit_id)
    return [unit for unit in units if unit.id in allowed]


async def _ask_unit(ctx: Context) -> None:
    t = ctx.t
    units = await _units_allowed(ctx)
    ctx.reply(
        t._("Which parish or town do they live in?"),
        [Button(unit.label_in(t.language), OfflineUnit(unit.id)) for unit in units]
        + [Button(t._("Cancel"), "menu")],
    )


def _may_in_unit(ctx: Context, unit_id: int) -> bool:
    return ctx.roles.is_staff or unit_id in ctx.roles.units_as(Role.REPRESENTATIVE)


@router.button(OfflineUnit)
async def unit_chosen(ctx: Context, press: OfflineUnit) -> None:
    """Their parish or town; then their village or neighbourhood."""
    t = ctx.t
    flow = ctx.flow
    if not flow.get("name"):
        show_menu(ctx, t._("Please start again."))
        return
    unit = await ctx.session.get(Unit, press.unit_id)
    if unit is None or unit not in await _units_allowed(ctx):
        await ctx.refuse("offline_register", unit=press.unit_id)
        return
    localities = await list_localities(ctx.session, unit.id)
    if not _may_in_unit(ctx, unit.id):
        localities = [
            item for item in localities if item.id in ctx.roles.localities_as(Role.DEPUTY)
        ]
    buttons = [
        Button(item.label_in(t.language), OfflineLocality(unit.id, item.id)) for item in localities
    ]
    if _may_in_unit(ctx, unit.id):
        buttons.append(Button(t._("Not known"), OfflineLocality(unit.id)))
    ctx.set_state(None, **flow)
    ctx.reply(t._("Which village or neighbourhood?"), [*buttons, Button(t._("Cancel"), "menu")])


@router.button(OfflineLocality)
async def locality_chosen(ctx: Context, press: OfflineLocality) -> None:
    """Their village or neighbourhood; then how they are reached."""
    t = ctx.t
    flow = ctx.flow
    if not flow.get("name"):
        show_menu(ctx, t._("Please start again."))
        return
    locality = await ctx.session.get(Locality, press.locality_id) if press.locality_id else None
    if (locality is not None and locality.unit_id != press.unit_id) or not may_register(
        ctx.roles, unit_id=press.unit_id, locality_id=press.locality_id
    ):
        await ctx.refuse("offline_register", unit=press.unit_id, locality=press.locality_id)
        return
    ctx.set_state(None, **{**flow, "unit": press.unit_id, "locality": press.locality_id})
    ctx.reply(
        t._("How are they reached?"),
        [Button(t._(CONTACT_LABELS[item.value]), OfflineContact(item)) for item in Contact]
        + [Button(t._("Cancel"), "menu")],
    )


@router.button(OfflineContact)
async def contact_chosen(ctx: Context, press: OfflineContact) -> None:
    """How they are reached; then the details of it."""
    t = ctx.t
    flow = ctx.flow
    question = t._("Write the details: the address, or the neighbour's name and how to reach them.")
    if press.resident_id is not None:
        resident = await get_offline(ctx.session, press.resident_id)
        if resident is None or not may_manage(ctx.roles, resident):
            await ctx.refuse("offline_edit", resident=press.resident_id)
            return
        ctx.reply(
            t._("How are they reached?"),
            [
                Button(t._(CONTACT_LABELS[item.value]), OfflineContactSet(item, resident.id))
                for item in Contact
            ]
            + [Button(t._("Back"), OfflineItem(resident.id))],
        )
        return
    if not flow.get("name") or not flow.get("unit"):
        show_menu(ctx, t._("Please start again."))
        return
    ctx.ask(State.DETAILS, question, limit=DETAILS_MAX, **{**flow, "contact": press.contact.value})


@payload("offhowset")
class OfflineContactSet(Payload):
    """A changed way of reaching a resident without a phone; the details are asked next."""

    contact: Contact
    resident_id: int


@router.button(OfflineContactSet)
async def contact_changed(ctx: Context, press: OfflineContactSet) -> None:
    resident = await get_offline(ctx.session, press.resident_id)
    if resident is None or not may_manage(ctx.roles, resident):
        await ctx.refuse("offline_edit", resident=press.resident_id)
        return
    ctx.ask(
        State.EDIT_DETAILS,
        ctx.t._("Write the details: the address, or the neighbour's name and how to reach them."),
        limit=DETAILS_MAX,
        back=Button(ctx.t._("Back"), OfflineItem(resident.id)),
        resident=resident.id,
        contact=press.contact.value,
    )


async def details_typed(ctx: Context) -> None:
    """The details; then the confirmation of the paper consent."""
    t = ctx.t
    flow = ctx.flow
    details = " ".join((ctx.incoming.text or "").split())
    if not details:
        ctx.ask_again(t._("Please write how to reach them."))
        return
    unit = await ctx.session.get(Unit, int(flow.get("unit") or 0))
    locality = (
        await ctx.session.get(Locality, int(flow["locality"])) if flow.get("locality") else None
    )
    ctx.set_state(None, **{**flow, "details": details})
    how = t._(CONTACT_LABELS.get(str(flow.get("contact")), ""))
    ctx.reply(
        "\n".join(
            [
                t._("Name: {name}", name=flow.get("name", "")),
                t._("Place: {place}", place=place_label(unit, locality, t.language)),
                t._("Reached: {how}: {details}", how=how, details=details),
                "",
                t._(
                    "Register them only if they signed their consent on paper. You are recorded "
                    "as the person who took it, with today's date."
                ),
            ]
        ),
        [
            Button(t._("Consent given on paper: register"), OfflineSave()),
            Button(t._("Cancel"), "menu"),
        ],
    )


@router.button(OfflineSave)
async def save(ctx: Context, press: OfflineSave) -> None:
    """Register them, with the consent recorded as taken by this person now."""
    assert ctx.resident is not None
    t = ctx.t
    flow = ctx.flow
    if not all(flow.get(key) for key in ("name", "unit", "contact", "details")):
        show_menu(ctx, t._("Please start again."))
        return
    unit = await ctx.session.get(Unit, int(flow["unit"]))
    locality = (
        await ctx.session.get(Locality, int(flow["locality"])) if flow.get("locality") else None
    )
    if unit is None or not may_register(
        ctx.roles, unit_id=unit.id, locality_id=locality.id if locality else None
    ):
        await ctx.refuse("offline_register", unit=flow.get("unit"))
        return
    resident = await register_offline(
        ctx.session,
        name=str(flow["name"]),
        unit=unit,
        locality=locality,
        contact=str(flow["contact"]),
        details=str(flow["details"]),
        consent_by=ctx.resident,
        now=ctx.now,
    )
    await ctx.audit("offline_resident_registered", resident=resident.id)
    ctx.clear_state()
    ctx.reply(
        t._(
            "{name} is registered as No. {id}. They get paper questionnaires; their answers "
            "are entered as paper questionnaires.",
            name=resident.display_name or "",
            id=resident.id,
        ),
        [Button(t._("Register another one"), OfflineNew()), _to_list(ctx), _menu(ctx)],
    )


async def edit_details_typed(ctx: Context) -> None:
    """The changed details of how a resident without a phone is reached."""
    t = ctx.t
    flow = ctx.flow
    resident = await get_offline(ctx.session, int(flow.get("resident") or 0))
    if resident is None or not may_manage(ctx.roles, resident):
        await ctx.refuse("offline_edit", resident=flow.get("resident"))
        return
    details = " ".join((ctx.incoming.text or "").split())
    if not details:
        ctx.ask_again(t._("Please write how to reach them."))
        return
    resident.offline_contact = str(flow.get("contact") or resident.offline_contact)
    resident.offline_details = details
    await ctx.audit("offline_resident_changed", resident=resident.id)
    ctx.clear_state()
    ctx.reply(
        t._("Saved.") + "\n" + _line(ctx, resident),
        [Button(t._("Back"), OfflineItem(resident.id)), _to_list(ctx), _menu(ctx)],
    )


@router.button(OfflineErase)
async def erase(ctx: Context, press: OfflineErase) -> None:
    """Erase a resident without a phone on their request, after a confirmation."""
    t = ctx.t
    resident = await get_offline(ctx.session, press.resident_id)
    if resident is None or not may_manage(ctx.roles, resident):
        await ctx.refuse("offline_erase", resident=press.resident_id)
        return
    if not press.sure:
        ctx.reply(
            t._(
                "Erase everything stored about {name}? Only an anonymous count remains. This "
                "cannot be undone.",
                name=resident.display_name or "",
            ),
            [
                Button(t._("Yes, erase"), OfflineErase(resident.id, sure=True)),
                Button(t._("No"), OfflineItem(resident.id)),
            ],
        )
        return
    resident_id = resident.id
    await forget(ctx.session, resident)
    await ctx.audit("erased", resident=resident_id, via="offline_list")
    await db.checkpoint_after_commit(ctx.session)
    ctx.clear_state()
    ctx.reply(t._("Erased. Only an anonymous count remains."), [_to_list(ctx), _menu(ctx)])


router.flow(
    {
        State.NAME: name_typed,
        State.DETAILS: details_typed,
        State.EDIT_DETAILS: edit_details_typed,
    }
)
