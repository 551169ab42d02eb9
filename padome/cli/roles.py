"""`padome roles`: roles of council members and staff."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import audit
from models.residents import format_identity, identities_of
from models.roles import Role, grant_role, list_grants, revoke_role
from padome.cli.common import (
    en,
    fail,
    find_territory,
    in_session,
    known_house,
    out,
    registered,
)

app = typer.Typer(help="Roles of council members and staff.", no_args_is_help=True)


HouseOption = Annotated[
    str | None,
    typer.Option(help="for a house elder: the house's address code, or its No. (houses list)"),
]


def _parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise fail(f"No role {text!r}. Roles: {', '.join(r.value for r in Role)}.") from None


@app.command("grant")
def roles_grant(
    identity: Annotated[str, typer.Argument(help="tg:<telegram id>, wa:<phone>, console:<name>")],
    role: Annotated[str, typer.Argument(help="representative, deputy, coordinator, …")],
    territory: Annotated[
        str | None, typer.Option(help="parish or town slug, or parish/village for a village deputy")
    ] = None,
    house: HouseOption = None,
) -> None:
    """Give a registered resident a role (a house elder: one house per grant)."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> str:
        resident = await registered(session, identity)
        unit, locality = await find_territory(session, territory)
        found = await known_house(session, house) if house else None
        try:
            _, created = await grant_role(
                session, resident=resident, role=wanted, unit=unit, locality=locality, house=found
            )
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(
            session,
            action="role_granted",
            actor_id=None,
            role=wanted.value,
            resident=resident.id,
            via="cli",
        )
        return "Granted." if created else "They already have that role."

    typer.echo(in_session(work))


@app.command("revoke")
def roles_revoke(
    identity: str,
    role: str,
    territory: Annotated[
        str | None, typer.Option(help="only in this parish or town, or parish/village")
    ] = None,
    house: HouseOption = None,
) -> None:
    """Take a role away from a resident."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> int:
        resident = await registered(session, identity)
        unit, locality = await find_territory(session, territory)
        found = await known_house(session, house) if house else None
        removed = await revoke_role(
            session, resident=resident, role=wanted, unit=unit, locality=locality, house=found
        )
        await audit(
            session,
            action="role_revoked",
            actor_id=None,
            role=wanted.value,
            resident=resident.id,
            removed=removed,
            via="cli",
        )
        return removed

    removed = in_session(work)
    if not removed:
        raise fail(
            f"{identity} has no {wanted.value} role"
            + (f" in {territory}" if territory else "")
            + (f" for house {house}" if house else "")
            + ": nothing was revoked. See `padome roles list`."
        )
    typer.echo(en.ngettext("Revoked {n} grant.", "Revoked {n} grants.", removed))


@app.command("list")
def roles_list() -> None:
    """List every role grant."""

    async def work(session: AsyncSession) -> Table:
        table = Table("resident", "accounts", "role", "territory")
        for grant in await list_grants(session):
            identities = await identities_of(session, grant.resident_id)
            accounts = ", ".join(format_identity(i.channel, i.external_id) for i in identities)
            table.add_row(str(grant.resident_id), accounts, grant.role, grant.place)
        return table

    out.print(in_session(work))
