"""Roles in chat: coordinators hand out one-time role links, list and revoke roles."""

from __future__ import annotations

import enum

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from handlers.onboarding import add_deep_link, deep_link, remember_deep_link, resume_onboarding
from models import codes
from models.base import utcnow
from models.houses import House, house_by_id, houses_of
from models.residents import Resident, identities_of
from models.roles import (
    HOUSE_SCOPED,
    INVITE_CODE_TYPED,
    INVITE_LIFETIME,
    LOCALITY_SCOPED,
    UNIT_SCOPED,
    Role,
    RoleGrant,
    create_invite,
    find_invite,
    grant_by_id,
    grant_role,
    list_grants,
    load_roles,
)
from models.territory import list_localities, list_units, unit_by_slug

# Houses a coordinator chooses a house elder's house from, a page at a time.
HOUSE_PAGE = 10

router = Router()

ROLE_LINK = "role"
# The word a person types on WhatsApp or SMS with the code: "LOMA K7M2QP3A".
ROLE_WORDS = ("loma", "role", "роль")


class State(enum.StrEnum):
    REVOKE = "roles.revoke"


@payload("grant")
class Grant(Payload):
    """A step of giving a role: which role, then its unit, then its locality."""

    role: Role | None = None
    unit: str | None = None  # the unit's slug
    locality: int | None = None
    house: int | None = None  # a house elder's house
    page: int | None = None  # of the houses to choose from, 1 the first


@payload("revoke")
class Revoke(Payload):
    """Revoke one role grant: asked first, done on `sure` from the question just asked."""

    grant_id: int
    sure: bool = False


ROLE_LABELS = {
    Role.DEPUTY: N_("village deputy"),
    Role.HOUSE_ELDER: N_("house elder"),
    Role.REPRESENTATIVE: N_("parish or town representative"),
    Role.WORKING_GROUP: N_("working group member"),
    Role.CHAIR: N_("council chair"),
    Role.VICE_CHAIR: N_("council vice-chair"),
    Role.COUNCIL_MEMBER: N_("council member"),
    Role.COORDINATOR: N_("coordinator"),
    Role.ADMIN: N_("administrator"),
}


def role_label(ctx: Context, role: Role | str) -> str:
    return ctx.t._(ROLE_LABELS[Role(role)])


def role_with_place(ctx: Context, grant: RoleGrant) -> str:
    """ "locality deputy (Alsviķu pagasts, Kolberģis)": the place after the role, in the
    reader's language, in a form that needs no case."""
    place = grant.place_in(ctx.t.language)
    label = role_label(ctx, grant.role)
    return ctx.t._("{role} ({place})", role=label, place=place) if place else label


def _is_staff(ctx: Context) -> bool:
    return ctx.roles.is_staff


add_menu_entry(MenuEntry(N_("Give someone a role"), "grant", order=170, visible=_is_staff))
add_menu_entry(MenuEntry(N_("Roles"), "roles", order=171, visible=_is_staff))
add_help("grant", N_("give someone a role with a one-time link"), _is_staff)
add_help("roles", N_("list and revoke roles"), _is_staff)


async def person_name(ctx: Context, resident: Resident) -> str:
    """How staff know a person: the name they gave, else their account; a number only
    when nothing else is left (erased)."""
    if resident.display_name:
        return resident.display_name
    if resident.erased_at is None:
        accounts = [item for item in await identities_of(ctx.session, resident.id) if item.active]
        if accounts:
            first = accounts[0]
            return f"{first.external_id} ({ctx.t._(messenger(first.channel).label)})"
    return f"#{resident.id}"


@router.command("grant")
async def grant_command(ctx: Context) -> None:
    await grant(ctx, Grant())


@router.button(Grant)
async def grant(ctx: Context, press: Grant) -> None:
    """Walk a coordinator through role, unit and locality; every step checks the right again."""
    role = press.role
    if role is None:
        grantable = [item for item in Role if ctx.roles.may_grant(item)]
        if not grantable or press.unit is not None or press.locality is not None:
            await ctx.refuse("grant")
            return
        ctx.reply(
            ctx.t._("Which role?"),
            [Button(role_label(ctx, item), Grant(item)) for item in grantable]
            + [Button(ctx.t._("Back to the menu"), "menu")],
        )
        return
    scoped = UNIT_SCOPED | LOCALITY_SCOPED | HOUSE_SCOPED
    fits = (
        (press.unit is None and press.locality is None and press.house is None)
        or (
            press.unit is not None
            and role in scoped
            and press.locality is None
            and (press.house is None or role in HOUSE_SCOPED)
        )
        or (press.unit is not None and role in LOCALITY_SCOPED and press.house is None)
    )
    if not fits or not ctx.roles.may_grant(role):
        await ctx.refuse("grant", role=role.value, unit=press.unit)
        return
    if press.unit is None and role in scoped:
        units = await list_units(ctx.session)
        ctx.reply(
            ctx.t._("For which parish or town?"),
            [Button(unit.label_in(ctx.t.language), Grant(role, unit.slug)) for unit in units]
            + [Button(ctx.t._("Back"), Grant())],
        )
        return
    unit = locality = None
    if press.unit is not None:
        unit = await unit_by_slug(ctx.session, press.unit)
        if unit is None:
            await ctx.refuse("grant", role=role.value, unit=press.unit)
            return
    house: House | None = None
    if unit is not None and role in HOUSE_SCOPED:
        if press.house is None:
            _ask_house(ctx, role, unit.slug, await houses_of(ctx.session, unit_id=unit.id), press)
            return
        house = await house_by_id(ctx.session, press.house)
        if house is None or house.unit_id != unit.id:
            await ctx.refuse("grant", role=role.value, unit=press.unit, house=press.house)
            return
        unit = None
    if unit is not None and role in LOCALITY_SCOPED:
        localities = await list_localities(ctx.session, unit.id)
        if press.locality is None:
            if not localities:
                ctx.reply(
                    ctx.t._(
                        "This parish or town has no villages or neighbourhoods yet; "
                        "a coordinator adds them."
                    ),
                    [Button(ctx.t._("Back"), Grant(role)), Button(ctx.t._("Main menu"), "menu")],
                )
                return
            ctx.reply(
                ctx.t._("For which village or neighbourhood?"),
                [Button(item.name, Grant(role, unit.slug, item.id)) for item in localities]
                + [Button(ctx.t._("Back"), Grant(role))],
            )
            return
        locality = next((item for item in localities if item.id == press.locality), None)
        if locality is None:
            await ctx.refuse("grant", role=role.value, unit=press.unit)
            return
        unit = None
    assert ctx.resident is not None
    invite = await create_invite(
        ctx.session, role=role, unit=unit, locality=locality, house=house, created_by=ctx.resident
    )
    await ctx.audit("role_invite_created", role=role.value, invite=invite.id)
    text = ctx.t._(
        "Send this one-time link to the person who is to get the role ({role}):\n{link}\n"
        "On WhatsApp or SMS they send: {word} {code}",
        role=role_label(ctx, role),
        link=deep_link(ctx.settings, ROLE_LINK, invite.code),
        word=ROLE_WORDS[0].upper(),
        code=invite.code,
    )
    days = INVITE_LIFETIME.days
    validity = ctx.t.ngettext(
        "The link works once, for {n} day.", "The link works once, for {n} days.", days
    )
    ctx.reply(
        f"{text}\n{validity}",
        [Button(ctx.t._("Give another role"), Grant()), Button(ctx.t._("Main menu"), "menu")],
    )


def _ask_house(ctx: Context, role: Role, slug: str, houses: list[House], press: Grant) -> None:
    """The houses of the unit to choose a house elder's from: apartment blocks first."""
    if not houses:
        ctx.reply(
            ctx.t._(
                "No houses of this parish or town are known yet; a coordinator imports them "
                "with padome houses import."
            ),
            [Button(ctx.t._("Back"), Grant(role)), Button(ctx.t._("Main menu"), "menu")],
        )
        return
    houses = [house for house in houses if house.is_block] + [
        house for house in houses if not house.is_block
    ]
    page = max(press.page or 1, 1)
    shown = houses[(page - 1) * HOUSE_PAGE : page * HOUSE_PAGE]
    buttons = [Button(house.label, Grant(role, slug, house=house.id)) for house in shown]
    if len(houses) > page * HOUSE_PAGE:
        buttons.append(Button(ctx.t._("More"), Grant(role, slug, page=page + 1)))
    buttons.append(Button(ctx.t._("Back"), Grant(role)))
    ctx.reply(ctx.t._("For which house?"), buttons)


@router.keyword(*ROLE_WORDS, argument=INVITE_CODE_TYPED, needs=Needs.NOTHING)
async def role_word_typed(ctx: Context) -> None:
    """`LOMA <code>` typed on any channel; a newcomer registers first, then gets the role."""
    code = codes.normal(ctx.argument)
    if ctx.resident is None or ctx.resident.unit_id is None:
        remember_deep_link(ctx, ROLE_LINK, code)
        await resume_onboarding(ctx)
        return
    await redeem_invite(ctx, code)


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
    house = await house_by_id(ctx.session, invite.house_id)
    if invite.house_id is not None and house is None:
        show_menu(ctx, ctx.t._("This role link is not valid any more. Ask for a new one."))
        return
    grant, _ = await grant_role(
        ctx.session,
        resident=ctx.resident,
        role=role,
        unit=invite.unit if invite.locality is None and house is None else None,
        locality=invite.locality,
        house=house,
        granted_by=creator,
    )
    invite.used_at = utcnow()
    invite.used_by_id = ctx.resident.id
    await ctx.audit("role_granted", role=role.value, resident=ctx.resident.id, invite=invite.id)
    # The menu that follows shows what the new role allows, at once.
    ctx.roles = await load_roles(ctx.session, ctx.resident, admins=ctx.settings.admins)
    if grant.place:
        text = ctx.t._(
            "Your role is now: {role} ({place}).",
            role=role_label(ctx, role),
            place=grant.place_in(ctx.t.language),
        )
    else:
        text = ctx.t._("Your role is now: {role}.", role=role_label(ctx, role))
    show_menu(ctx, text)


add_deep_link(ROLE_LINK, redeem_invite)


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
        name = await person_name(ctx, item.resident)
        lines.append(f"{number}. {name}: {role_with_place(ctx, item)}")
        if ctx.roles.may_grant(Role(item.role)):
            buttons.append(Button(ctx.t._("Revoke {number}", number=number), Revoke(item.id)))
    buttons.append(Button(ctx.t._("Back to the menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(Revoke)
async def revoke(ctx: Context, press: Revoke) -> None:
    """Ask before revoking a grant, then revoke it; the right is checked here each time,
    not trusted from the button."""
    if not ctx.roles.is_staff:
        await ctx.refuse("revoke_role", grant=press.grant_id)
        return
    grant = await grant_by_id(ctx.session, press.grant_id)
    if grant is None:
        show_menu(ctx, ctx.t._("That role no longer exists."))
        return
    if not ctx.roles.may_grant(Role(grant.role)):
        await ctx.refuse("revoke_role", grant=grant.id)
        return
    assert ctx.resident is not None
    # Only the question just asked may be answered: an old "Yes" button revokes nothing.
    asked = ctx.state == State.REVOKE and ctx.flow.get("grant") == grant.id
    if not press.sure or not asked:
        what = role_with_place(ctx, grant)
        if grant.resident_id == ctx.resident.id:
            question = ctx.t._(
                "Revoke your own role: {role}? You will no longer be able to do what it allows.",
                role=what,
            )
        else:
            question = ctx.t._(
                "Revoke the role of {name}: {role}?",
                name=await person_name(ctx, grant.resident),
                role=what,
            )
        ctx.set_state(State.REVOKE, grant=grant.id)
        ctx.reply(
            question,
            [
                Button(ctx.t._("Yes, revoke"), Revoke(grant.id, sure=True)),
                Button(ctx.t._("Back"), "roles"),
            ],
        )
        return
    await ctx.session.delete(grant)
    await ctx.session.flush()
    await ctx.audit("role_revoked", role=grant.role, resident=grant.resident_id)
    ctx.roles = await load_roles(ctx.session, ctx.resident, admins=ctx.settings.admins)
    text = ctx.t._("The role has been revoked.")
    if ctx.roles.is_staff:
        ctx.clear_state()
        ctx.reply(text, [Button(ctx.t._("Roles"), "roles"), Button(ctx.t._("Main menu"), "menu")])
        return
    show_menu(ctx, text)
