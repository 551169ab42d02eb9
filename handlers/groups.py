"""Each unit's community group: the invite link residents are pointed to, and a linked group."""

from __future__ import annotations

import enum
import re

from bot.dialog.context import Context
from bot.dialog.messages import Button, ChatKind, GroupAction, GroupActionKind
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.parish_groups import community_link
from models.roles import Role
from models.territory import Unit, list_units, unit_by_group_chat, unit_by_slug

router = Router()


class State(enum.StrEnum):
    LINK = "groups.link"


@payload("grouplink")
class GroupLinkFor(Payload):
    """Set the group link of a unit (of the only one the person manages when None)."""

    unit: str | None = None


INVITE_LINK_RE = re.compile(r"^https://(t\.me|telegram\.me|chat\.whatsapp\.com)/\S{1,200}$")


def _manages_a_unit(ctx: Context) -> bool:
    return ctx.roles.is_staff or bool(ctx.roles.units_as(Role.REPRESENTATIVE))


add_menu_entry(MenuEntry(N_("Community group"), "group", order=60))
add_menu_entry(
    MenuEntry(N_("Set the community group link"), "grouplink", order=175, visible=_manages_a_unit)
)
add_help("grouplink", N_("set the community group link of your parish or town"), _manages_a_unit)
add_help(
    "linkgroup",
    N_("send it in a Telegram group to make it the group of your parish or town"),
    _manages_a_unit,
)
add_help("group", N_("the community group of your parish or town"), everyone)


@router.command("group")
@router.payload("group")
async def community_group(ctx: Context) -> None:
    """Point the resident to their unit's community group."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    unit = ctx.resident.unit
    if link := community_link(unit):
        text = ctx.t._("The community group of {unit}: {link}", unit=ctx.t.place(unit), link=link)
    else:
        text = ctx.t._(
            "There is no community group link for your parish or town yet; your representative "
            "will add it."
        )
    show_menu(ctx, text)


async def _manageable_units(ctx: Context) -> list[Unit]:
    return [unit for unit in await list_units(ctx.session) if ctx.roles.may_manage_unit(unit.id)]


@router.command("grouplink")
async def group_link_command(ctx: Context) -> None:
    await ask_group_link(ctx, GroupLinkFor())


@router.button(GroupLinkFor)
async def ask_group_link(ctx: Context, press: GroupLinkFor) -> None:
    """Ask a representative for their unit's group invite link."""
    units = await _manageable_units(ctx)
    if not units:
        await ctx.refuse("set_group_link")
        return
    if press.unit is not None:
        unit = await unit_by_slug(ctx.session, press.unit)
        if unit is None or not ctx.roles.may_manage_unit(unit.id):
            await ctx.refuse("set_group_link", unit=press.unit)
            return
        units = [unit]
    if len(units) > 1:
        ctx.reply(
            ctx.t._("For which parish or town?"),
            [Button(unit.label_in(ctx.t.language), GroupLinkFor(unit.slug)) for unit in units]
            + [Button(ctx.t._("Main menu"), "menu")],
        )
        return
    ctx.ask(
        State.LINK,
        ctx.t._(
            "Send the invite link of the community group of {unit} "
            "(https://chat.whatsapp.com/… or https://t.me/…).",
            unit=ctx.t.place(units[0]),
        ),
        limit=250,
        unit=units[0].slug,
    )


async def group_link_typed(ctx: Context) -> None:
    """Store the invite link after checking the sender still manages the unit."""
    unit = await unit_by_slug(ctx.session, str(ctx.flow.get("unit", "")))
    if unit is None or not ctx.roles.may_manage_unit(unit.id):
        await ctx.refuse("set_group_link")
        return
    link = (ctx.incoming.text or "").strip()
    if not INVITE_LINK_RE.match(link):
        ctx.ask_again(
            ctx.t._(
                "That is not a group invite link. It starts with https://chat.whatsapp.com/ "
                "or https://t.me/."
            )
        )
        return
    unit.invite_link = link
    await ctx.audit("group_link_set", unit=unit.slug)
    show_menu(
        ctx, ctx.t._("Saved. Residents of {unit} will be pointed to it.", unit=ctx.t.place(unit))
    )


@router.command("linkgroup", needs=Needs.NOTHING, in_groups=True)
async def link_group(ctx: Context) -> None:
    """Make the Telegram group this is sent in the unit's linked group."""
    if ctx.incoming.chat_kind is not ChatKind.GROUP:
        show_menu(ctx, ctx.t._("Send /linkgroup inside the Telegram group you want to link."))
        return
    units = await _manageable_units(ctx)
    if ctx.argument:
        units = [unit for unit in units if unit.slug == ctx.argument.casefold()]
    elif ctx.roles.is_staff:
        units = [u for u in units if u.id in ctx.roles.units_as(Role.REPRESENTATIVE)] or units
    if not units:
        await ctx.refuse("link_group")
        return
    if len(units) > 1:
        example = next((unit.slug for unit in units if unit.kind == "parish"), units[0].slug)
        ctx.reply(
            ctx.t._(
                "Add the parish or town: /linkgroup <name>, for example /linkgroup {example}.",
                example=example,
            )
        )
        return
    unit = units[0]
    chat_id = int(ctx.incoming.chat_id)
    taken = await unit_by_group_chat(ctx.session, chat_id)
    if taken is not None and taken.id != unit.id:
        ctx.reply(ctx.t._("This group is already linked to {unit}.", unit=ctx.t.place(taken)))
        return
    if unit.telegram_group_chat_id != chat_id:
        unit.telegram_join_link = None
    unit.telegram_group_chat_id = chat_id
    unit.telegram_join_link_problem = None
    await ctx.audit("group_linked", unit=unit.slug)
    ctx.reply(ctx.t._("This group is now the community group of {unit}.", unit=ctx.t.place(unit)))
    # Residents get a link that asks to join, and the bot lets them in (made anew each time,
    # in case the group's admins revoked the last one).
    ctx.act(ctx.here, GroupAction(GroupActionKind.MAKE_JOIN_LINK))


router.flow({State.LINK: group_link_typed})
