"""Roles in chat: coordinators hand out one-time role links, list and revoke roles."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_
from bot.parsing import parse_id
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from handlers.onboarding import add_deep_link, deep_link
from models.base import utcnow
from models.residents import Resident
from models.roles import (
    INVITE_LIFETIME,
    LOCALITY_SCOPED,
    UNIT_SCOPED,
    Role,
    create_invite,
    find_invite,
    grant_by_id,
    grant_role,
    list_grants,
    load_roles,
)
from models.territory import list_localities, list_units, locality_by_id, unit_by_slug

router = Router()

ROLE_LABELS = {
    Role.DEPUTY: N_("locality deputy"),
    Role.REPRESENTATIVE: N_("unit representative"),
    Role.WORKING_GROUP: N_("working group member"),
    Role.CHAIR: N_("council chair"),
    Role.VICE_CHAIR: N_("council vice-chair"),
    Role.COUNCIL_MEMBER: N_("council member"),
    Role.COORDINATOR: N_("coordinator"),
    Role.ADMIN: N_("administrator"),
}


def role_label(ctx: Context, role: Role | str) -> str:
    return ctx.t._(ROLE_LABELS[Role(role)])


def _is_staff(ctx: Context) -> bool:
    return ctx.roles.is_staff


add_menu_entry(MenuEntry(N_("Give someone a role"), "grant", order=70, visible=_is_staff))
add_menu_entry(MenuEntry(N_("Roles"), "roles", order=71, visible=_is_staff))
add_help("grant", N_("give someone a role with a one-time link"), _is_staff)
add_help("roles", N_("list and revoke roles"), _is_staff)


def _role_arg(ctx: Context, index: int) -> Role | None:
    try:
        return Role(ctx.args[index])
    except (IndexError, ValueError):
        return None


@router.command("grant")
@router.payload("grant")
async def grant(ctx: Context) -> None:
    """Walk a coordinator through role, unit and locality; every step checks the right again."""
    step = ctx.args[0] if ctx.payload and ctx.args else "start"
    role = _role_arg(ctx, 1)
    if step == "start":
        grantable = [item for item in Role if ctx.roles.may_grant(item)]
        if not grantable:
            await ctx.refuse("grant")
            return
        ctx.reply(
            ctx.t._("Which role?"),
            [Button(role_label(ctx, item), f"grant:role:{item.value}") for item in grantable],
        )
        return
    scoped = UNIT_SCOPED | LOCALITY_SCOPED
    fits = role is not None and (
        (step == "role")
        or (step == "unit" and role in scoped and len(ctx.args) > 2)
        or (step == "loc" and role in LOCALITY_SCOPED and len(ctx.args) > 2)
    )
    if role is None or not fits or not ctx.roles.may_grant(role):
        await ctx.refuse("grant", step=step, role=ctx.args[1] if len(ctx.args) > 1 else None)
        return
    unit = locality = None
    if step == "role" and role in scoped:
        units = await list_units(ctx.session)
        ctx.reply(
            ctx.t._("For which parish or town?"),
            [Button(unit.name, f"grant:unit:{role.value}:{unit.slug}") for unit in units],
        )
        return
    if step == "unit":
        unit = await unit_by_slug(ctx.session, ctx.args[2])
        if unit is None:
            show_menu(ctx)
            return
        if role in LOCALITY_SCOPED:
            localities = await list_localities(ctx.session, unit.id)
            if not localities:
                show_menu(
                    ctx,
                    ctx.t._(
                        "This parish or town has no villages or neighbourhoods yet; "
                        "a coordinator adds them."
                    ),
                )
                return
            ctx.reply(
                ctx.t._("For which village or neighbourhood?"),
                [Button(item.name, f"grant:loc:{role.value}:{item.id}") for item in localities],
            )
            return
    if step == "loc":
        if (locality_id := parse_id(ctx.args[2])) is not None:
            locality = await locality_by_id(ctx.session, locality_id)
        if locality is None:
            show_menu(ctx)
            return
    assert ctx.resident is not None
    invite = await create_invite(
        ctx.session, role=role, unit=unit, locality=locality, created_by=ctx.resident
    )
    await ctx.audit("role_invite_created", role=role.value, invite=invite.id)
    text = ctx.t._(
        "Send this one-time link to the person who should become {role}:\n{link}\n"
        "On WhatsApp or SMS they send: /start role_{code}",
        role=role_label(ctx, role),
        link=deep_link(ctx.settings, "role", invite.code),
        code=invite.code,
    )
    days = INVITE_LIFETIME.days
    validity = ctx.t.ngettext(
        "The link works once, for {n} day.", "The link works once, for {n} days.", days
    )
    show_menu(ctx, f"{text}\n{validity}")


async def redeem_invite(ctx: Context, code: str) -> None:
    """Give the role of a valid, unused invite whose creator may still grant it."""
    assert ctx.resident is not None
    invite = await find_invite(ctx.session, code)
    if invite is None or invite.used_at is not None or invite.expires_at < utcnow():
        show_menu(ctx, ctx.t._("This role link is not valid any more. Ask for a new one."))
        return
    role = Role(invite.role)
    creator = (
        await ctx.session.get(Resident, invite.created_by_id) if invite.created_by_id else None
    )
    # The creator's right is checked again now: it may have been revoked since.
    if (
        creator is None
        or creator.erased_at is not None
        or not (await load_roles(ctx.session, creator, admins=ctx.settings.admins)).may_grant(role)
    ):
        await ctx.audit("role_invite_void", invite=invite.id)
        show_menu(ctx, ctx.t._("This role link is not valid any more. Ask for a new one."))
        return
    grant, _ = await grant_role(
        ctx.session,
        resident=ctx.resident,
        role=role,
        unit=invite.unit if invite.locality is None else None,
        locality=invite.locality,
        granted_by=creator,
    )
    invite.used_at = utcnow()
    invite.used_by_id = ctx.resident.id
    await ctx.audit("role_granted", role=role.value, resident=ctx.resident.id, invite=invite.id)
    if grant.place:
        text = ctx.t._(
            "You are now {role} ({place}).", role=role_label(ctx, role), place=grant.place
        )
    else:
        text = ctx.t._("You are now {role}.", role=role_label(ctx, role))
    show_menu(ctx, text)


add_deep_link("role", redeem_invite)


@router.command("roles")
@router.payload("roles")
async def roles(ctx: Context) -> None:
    """List every role grant, with a revoke button where this person may revoke it (staff only)."""
    if not ctx.roles.is_staff:
        await ctx.refuse("list_roles")
        return
    grants = await list_grants(ctx.session)
    if not grants:
        show_menu(ctx, ctx.t._("Nobody has a role yet."))
        return
    lines, buttons = [], []
    for number, item in enumerate(grants, start=1):
        name = item.resident.display_name or f"#{item.resident_id}"
        lines.append(f"{number}. {name}: {role_label(ctx, item.role)} {item.place}".rstrip())
        if ctx.roles.may_grant(Role(item.role)):
            buttons.append(Button(ctx.t._("Revoke {number}", number=number), f"revoke:{item.id}"))
    buttons.append(Button(ctx.t._("Back to the menu"), "menu"))
    ctx.reply("\n".join(lines), buttons)


@router.payload("revoke")
async def revoke(ctx: Context) -> None:
    """Revoke one grant; the right is checked here, not trusted from the button."""
    if not ctx.roles.is_staff:
        await ctx.refuse("revoke_role", grant=ctx.args[0] if ctx.args else None)
        return
    grant = None
    if ctx.args and (grant_id := parse_id(ctx.args[0])) is not None:
        grant = await grant_by_id(ctx.session, grant_id)
    if grant is None:
        show_menu(ctx, ctx.t._("That role no longer exists."))
        return
    if not ctx.roles.may_grant(Role(grant.role)):
        await ctx.refuse("revoke_role", grant=grant.id)
        return
    await ctx.session.delete(grant)
    await ctx.audit("role_revoked", role=grant.role, resident=grant.resident_id)
    show_menu(ctx, ctx.t._("The role has been revoked."))
