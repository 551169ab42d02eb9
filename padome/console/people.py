"""People and roles in the staff console: residents found by name or phone, a person's page,
and roles granted and revoked after a confirmation, by the same rules as `padome roles` and
the chat's "Roles".

Who may find whom: coordinators, administrators and the council chair find any resident; a
representative only the residents of their own parish or town (the console is open to them
only if `may_use_console` lets them in). Phones and messenger accounts are shown, and phone
numbers searched, only for coordinators and administrators. Roles are granted and revoked by
whoever `Roles.may_grant` allows: administrators any role, coordinators every role but
coordinator and administrator.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels import messenger
from bot.dialog.router import fold
from bot.i18n import Translator
from bot.parsing import parse_id
from handlers.roles import ROLE_LABELS
from models.audit import audit
from models.residents import Identity, Resident, identities_of, is_phone_number
from models.roles import (
    LOCALITY_SCOPED,
    UNIT_SCOPED,
    Role,
    RoleGrant,
    Roles,
    grant_role,
    list_grants,
    list_grants_of,
)
from models.territory import Locality, Unit, list_localities, list_units, place_label
from padome.console.forms import confirm, number, redirect, refused, sure

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

FOUND_AT_MOST = 50
QUERY_MAX = 80
# Digits a typed phone needs before it is searched as one (a house number is not a phone).
PHONE_DIGITS_AT_LEAST = 5


def may_find_people(roles: Roles) -> bool:
    return roles.is_staff or roles.has(Role.CHAIR) or bool(roles.units_as(Role.REPRESENTATIVE))


def findable_units(roles: Roles) -> set[int] | None:
    """The parishes and towns whose residents this person may find; None: all of them."""
    if roles.is_staff or roles.has(Role.CHAIR):
        return None
    return roles.units_as(Role.REPRESENTATIVE)


def may_see_contacts(roles: Roles) -> bool:
    """Phones and messenger accounts: coordinators and administrators only."""
    return roles.is_staff


def may_see_person(roles: Roles, person: Resident) -> bool:
    units = findable_units(roles)
    if not may_find_people(roles):
        return False
    return units is None or (person.unit_id is not None and person.unit_id in units)


def role_label(t: Translator, role: str) -> str:
    return t._(ROLE_LABELS[Role(role)])


def role_with_place(t: Translator, grant: RoleGrant) -> str:
    place = grant.place_in(t.language)
    label = role_label(t, grant.role)
    return t._("{role} ({place})", role=label, place=place) if place else label


def name_of(t: Translator, person: Resident) -> str:
    if person.erased_at is not None:
        return t._("No. {id} (erased their data)", id=person.id)
    return person.display_name or t._("No. {id} (no name given)", id=person.id)


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


async def find_people(
    visit: Visit, query: str, *, unit_id: int | None, contacts: bool
) -> list[Resident]:
    """Residents whose name holds the words typed (letter case and diacritics ignored) or,
    for those who see contacts, whose phone holds the digits typed; at most FOUND_AT_MOST."""
    units = findable_units(visit.roles)
    statement = select(Resident).where(Resident.erased_at.is_(None))
    if units is not None:
        statement = statement.where(Resident.unit_id.in_(sorted(units)))
    if unit_id is not None:
        statement = statement.where(Resident.unit_id == unit_id)
    people = list(await visit.session.scalars(statement.order_by(Resident.id)))
    words = fold(query).split()
    digits = _digits(query) if contacts else ""
    phones: dict[int, list[str]] = {}
    if len(digits) >= PHONE_DIGITS_AT_LEAST:
        accounts = await visit.session.execute(select(Identity.resident_id, Identity.external_id))
        for resident_id, external_id in accounts:
            if is_phone_number(external_id):
                phones.setdefault(resident_id, []).append(external_id)
    found = []
    for person in people:
        name = fold(person.display_name or "")
        by_name = bool(words) and all(word in name for word in words)
        by_phone = len(digits) >= PHONE_DIGITS_AT_LEAST and any(
            digits in _digits(phone) for phone in [person.phone or "", *phones.get(person.id, [])]
        )
        if by_name or by_phone:
            found.append(person)
            if len(found) == FOUND_AT_MOST:
                break
    return found


def routes(console: Console) -> list[BaseRoute]:
    console.templates.globals["may_find_people"] = may_find_people
    return [
        Route("/console/people", console.page(partial(people, console)), methods=["GET"]),
        Route(
            "/console/people/{person_id}", console.page(partial(person, console)), methods=["GET"]
        ),
        Route(
            "/console/people/{person_id}/grant",
            console.page(partial(grant, console)),
            methods=["POST"],
        ),
        Route(
            "/console/people/{person_id}/revoke",
            console.page(partial(revoke, console)),
            methods=["POST"],
        ),
    ]


async def people(console: Console, visit: Visit) -> Response:
    """The search form, what it found, and the people who hold a role."""
    if not may_find_people(visit.roles):
        return await refused(console, visit, "people_find")
    query_params = visit.request.query_params
    query = (query_params.get("q") or "").strip()[:QUERY_MAX]
    units = await list_units(visit.session)
    allowed = findable_units(visit.roles)
    units = [unit for unit in units if allowed is None or unit.id in allowed]
    unit_id = number(query_params.get("unit"))
    if unit_id not in {unit.id for unit in units}:
        unit_id = None
    contacts = may_see_contacts(visit.roles)
    found = await find_people(visit, query, unit_id=unit_id, contacts=contacts) if query else None
    if query:
        await audit(
            visit.session,
            action="people_searched",
            actor_id=visit.resident.id,
            found=len(found or []),
        )
    grants = [
        item
        for item in await list_grants(visit.session)
        if allowed is None or item.unit_id in allowed
    ]
    t = visit.t
    return console.show(
        visit,
        "people.html",
        active="people",
        query=query,
        query_max=QUERY_MAX,
        units=units,
        chosen_unit=unit_id,
        contacts=contacts,
        found=found,
        found_at_most=FOUND_AT_MOST,
        grants=grants,
        name_of=partial(name_of, t),
        place_of=lambda person: place_label(person.unit, person.locality, t.language) or "–",
        role_with_place=partial(role_with_place, t),
    )


async def _person(console: Console, visit: Visit, attempted: str) -> Resident | Response:
    """The person of the address, if this person may see them; otherwise refused."""
    person_id = parse_id(visit.request.path_params["person_id"])
    found = await visit.session.get(Resident, person_id) if person_id else None
    if found is None or not may_see_person(visit.roles, found):
        return await refused(console, visit, attempted, person=person_id, status_code=404)
    return found


async def _territories(visit: Visit) -> list[tuple[Unit, list[Locality]]]:
    return [
        (unit, await list_localities(visit.session, unit.id))
        for unit in await list_units(visit.session)
    ]


async def person(
    console: Console, visit: Visit, *, error: str | None = None, status_code: int = 200
) -> Response:
    """A person's page: where they live, their messengers, their roles, and the forms to
    grant and revoke roles where this person may."""
    found = await _person(console, visit, "person_view")
    if not isinstance(found, Resident):
        return found
    t = visit.t
    contacts = may_see_contacts(visit.roles)
    accounts = [item for item in await identities_of(visit.session, found.id) if item.active]
    grants = await list_grants_of(visit.session, found.id)
    grantable = [role for role in Role if visit.roles.may_grant(role)]
    response = console.show(
        visit,
        "person.html",
        active="people",
        person=found,
        person_name=name_of(t, found),
        unit=found.unit.name_in(t.language) if found.unit else "–",
        locality=found.locality.name_in(t.language) if found.locality else "–",
        accounts=[
            (t._(messenger(item.channel).label), item.external_id if contacts else None)
            for item in accounts
        ],
        contacts=contacts,
        grants=grants,
        revocable={item.id for item in grants if visit.roles.may_grant(Role(item.role))},
        role_with_place=partial(role_with_place, t),
        grantable=[(role.value, role_label(t, role.value)) for role in grantable]
        if found.erased_at is None
        else [],
        territories=await _territories(visit),
        error=error,
        granted=visit.request.query_params.get("done"),
        sees_audit=visit.roles.is_staff,
    )
    response.status_code = status_code
    return response


async def _chosen_place(
    visit: Visit, role: Role, territory: str
) -> tuple[Unit | None, Locality | None, bool]:
    """The unit or locality a form chose ("u12", "l34", or "" for a council-wide role), and
    whether it fits the role."""
    unit = locality = None
    kind, chosen = territory[:1], number(territory[1:])
    if kind == "u" and chosen is not None:
        unit = await visit.session.get(Unit, chosen)
    elif kind == "l" and chosen is not None:
        locality = await visit.session.get(Locality, chosen)
    fits = (
        (role in UNIT_SCOPED and unit is not None)
        or (role in LOCALITY_SCOPED and locality is not None)
        or (role not in UNIT_SCOPED | LOCALITY_SCOPED and territory == "")
    )
    return unit, locality, fits


async def grant(console: Console, visit: Visit) -> Response:
    """Grant a role after a confirmation; the right is checked at each step."""
    assert visit.form is not None
    found = await _person(console, visit, "grant")
    if not isinstance(found, Resident):
        return found
    t = visit.t
    role_value = visit.form.get("role", "")
    role = Role(role_value) if role_value in {item.value for item in Role} else None
    if role is None or not visit.roles.may_grant(role) or found.erased_at is not None:
        return await refused(console, visit, "grant", person=found.id, role=role_value[:32])
    territory = visit.form.get("territory", "")[:12]
    unit, locality, fits = await _chosen_place(visit, role, territory)
    if not fits:
        if role in LOCALITY_SCOPED:
            error = t._("A village deputy needs a village or neighbourhood: choose one.")
        elif role in UNIT_SCOPED:
            error = t._("This role needs a parish or town: choose one.")
        else:
            error = t._("This role is for the whole council: choose no place.")
        return await person(console, visit, error=error, status_code=400)
    what = role_label(t, role.value)
    place = place_label(unit, locality, t.language)
    if place:
        what = t._("{role} ({place})", role=what, place=place)
    if not sure(visit):
        return confirm(
            console,
            visit,
            heading=t._("Give a role"),
            question=t._("Give {name} the role: {role}?", name=name_of(t, found), role=what),
            action=f"/console/people/{found.id}/grant",
            fields={"role": role.value, "territory": territory},
            yes=t._("Yes, give the role"),
            back=f"/console/people/{found.id}",
            active="people",
        )
    item, new = await grant_role(
        visit.session,
        resident=found,
        role=role,
        unit=unit,
        locality=locality,
        granted_by=visit.resident,
    )
    if new:
        await audit(
            visit.session,
            action="role_granted",
            actor_id=visit.resident.id,
            role=role.value,
            resident=found.id,
            grant=item.id,
            via="console",
        )
    return redirect(f"/console/people/{found.id}?done=granted")


async def revoke(console: Console, visit: Visit) -> Response:
    """Revoke one of the person's roles after a confirmation."""
    assert visit.form is not None
    found = await _person(console, visit, "revoke_role")
    if not isinstance(found, Resident):
        return found
    t = visit.t
    grant_id = number(visit.form.get("grant"))
    item = await visit.session.get(RoleGrant, grant_id) if grant_id else None
    if item is None or item.resident_id != found.id:
        return await person(
            console, visit, error=t._("That role no longer exists."), status_code=404
        )
    if not visit.roles.may_grant(Role(item.role)):
        return await refused(console, visit, "revoke_role", grant=item.id)
    if not sure(visit):
        if found.id == visit.resident.id:
            question = t._(
                "Revoke your own role: {role}? You will no longer be able to do what it allows.",
                role=role_with_place(t, item),
            )
        else:
            question = t._(
                "Revoke the role of {name}: {role}?",
                name=name_of(t, found),
                role=role_with_place(t, item),
            )
        return confirm(
            console,
            visit,
            heading=t._("Revoke a role"),
            question=question,
            action=f"/console/people/{found.id}/revoke",
            fields={"grant": item.id},
            yes=t._("Yes, revoke"),
            back=f"/console/people/{found.id}",
            active="people",
        )
    await visit.session.delete(item)
    await visit.session.flush()
    await audit(
        visit.session,
        action="role_revoked",
        actor_id=visit.resident.id,
        role=item.role,
        resident=found.id,
        via="console",
    )
    return redirect(f"/console/people/{found.id}?done=revoked")
