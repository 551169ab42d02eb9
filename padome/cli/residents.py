"""`padome residents`: residents without a phone, registered by staff, and erasure on request."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import db
from bot.parsing import clean_text
from models.audit import audit
from models.base import utcnow
from models.offline_residents import (
    DETAILS_MAX,
    NAME_MAX,
    NEEDS_DETAILS,
    is_name,
    list_offline,
    may_register,
    register_offline,
)
from models.personal_data import forget
from models.residents import OFFLINE_CONTACTS, Resident
from models.roles import load_roles
from padome.cli.common import (
    Id,
    fail,
    find_territory,
    in_session,
    known_unit,
    load_settings,
    registered,
)

app = typer.Typer(
    help="Residents without a phone, and erasing a resident's data on request.",
    no_args_is_help=True,
)


@app.command("add-offline")
def add_offline(
    name: Annotated[str, typer.Option(help="their name as they give it")],
    unit: Annotated[str, typer.Option(help="parish or town slug or name")],
    reached: Annotated[str, typer.Option(help="post, neighbour or in_person")],
    details: Annotated[
        str, typer.Option(help="the address, or the neighbour and how to reach them")
    ] = "",
    locality: Annotated[str | None, typer.Option(help="village or neighbourhood")] = None,
    consent_by: Annotated[
        str,
        typer.Option(help="who took their consent on paper: tg:<id>, wa:<phone> or console:<name>"),
    ] = "",
    paper_consent: Annotated[
        bool, typer.Option("--paper-consent", help="they signed the consent on paper")
    ] = False,
) -> None:
    """Register a resident without a phone, with the consent they gave on paper."""
    if reached not in OFFLINE_CONTACTS:
        raise fail(f"--reached takes one of: {', '.join(OFFLINE_CONTACTS)}.")
    name = " ".join(clean_text(name).split())
    details = " ".join(clean_text(details).split())
    if not is_name(name) or len(name) > NAME_MAX:
        raise fail(f"--name takes their name in letters, at most {NAME_MAX} characters.")
    if len(details) > DETAILS_MAX:
        raise fail(f"--details takes at most {DETAILS_MAX} characters.")
    if reached in NEEDS_DETAILS and not details:
        raise fail(
            f"--reached {reached} needs --details: the address, or the neighbour's name "
            "and how to reach them."
        )
    if not paper_consent:
        raise fail("Register them only with the consent they signed on paper: --paper-consent.")
    if not consent_by:
        raise fail("--consent-by names who took the consent (their account in the bot).")

    async def work(session: AsyncSession) -> str:
        recorder = await registered(session, consent_by)
        found_unit = await known_unit(session, unit)
        found_locality = None
        if locality:
            _, found_locality = await find_territory(session, f"{found_unit.slug}/{locality}")
        roles = await load_roles(session, recorder, admins=load_settings().admins)
        if not may_register(
            roles,
            unit_id=found_unit.id,
            locality_id=found_locality.id if found_locality is not None else None,
        ):
            # As in the chat: only who may register them there takes their consent.
            raise fail(
                f"{consent_by} may not register residents there: --consent-by names a "
                "representative of that parish or town, a deputy of that village or "
                "neighbourhood, or a coordinator."
            )
        resident = await register_offline(
            session,
            name=name,
            unit=found_unit,
            locality=found_locality,
            contact=reached,
            details=details,
            consent_by=recorder,
            now=utcnow(),
        )
        await audit(
            session,
            action="offline_resident_registered",
            actor_id=recorder.id,
            resident=resident.id,
            via="cli",
        )
        return f"Registered as No. {resident.id}."

    typer.echo(in_session(work))


@app.command("offline")
def offline(
    unit: Annotated[str | None, typer.Option(help="only this parish or town")] = None,
) -> None:
    """List the residents without a phone."""

    async def work(session: AsyncSession) -> list[Resident]:
        unit_id = (await known_unit(session, unit)).id if unit else None
        return await list_offline(session, roles=None, unit_id=unit_id)

    found = in_session(work)
    if not found:
        typer.echo("No residents without a phone are registered.")
        return
    for item in found:
        place = ", ".join(
            part
            for part in (
                item.unit.name if item.unit else "",
                item.locality.name if item.locality else "",
            )
            if part
        )
        consent = item.consented_at.strftime("%d.%m.%Y") if item.consented_at else "-"
        recorder = f" by No. {item.paper_consent_by_id}" if item.paper_consent_by_id else ""
        typer.echo(
            f"No. {item.id}\t{item.display_name or ''}\t{place}\t"
            f"{item.offline_contact}: {item.offline_details or '-'}\t"
            f"paper consent {consent}{recorder}"
        )


@app.command("erase")
def erase(
    resident_id: Id,
    yes: Annotated[bool, typer.Option("--yes", help="erase without asking")] = False,
) -> None:
    """Erase a resident's data on their request (for example one without a phone)."""

    async def name_of(session: AsyncSession) -> str | None:
        found = await session.get(Resident, resident_id)
        if found is None or found.erased_at is not None:
            return None
        return found.display_name or f"No. {found.id}"

    name = in_session(name_of)
    if name is None:
        raise fail(f"No resident No. {resident_id}, or already erased.")
    if not yes and not typer.confirm(f"Erase everything stored about {name}?"):
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> str:
        found = await session.get(Resident, resident_id)
        if found is None or found.erased_at is not None:
            raise fail(f"No resident No. {resident_id}, or already erased.")
        await forget(session, found)
        await audit(session, action="erased", actor_id=None, resident=resident_id, via="cli")
        await db.checkpoint_after_commit(session)
        return "Erased. Only an anonymous count remains."

    typer.echo(in_session(work))
