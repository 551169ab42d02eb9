"""The `padome` command: chat in the terminal, run the bot, and staff tasks."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot import app as lifecycle
from bot import db
from bot.i18n import Translator
from bot.nomination_papers import forms_pdf, nomination_tables, unit_papers
from bot.parsing import (
    MAX_ID,
    TimeError,
    TimeNotUnderstood,
    TooFar,
    check_horizon,
    parse_day,
    parse_local_time,
)
from bot.settings import Settings, describe_validation_error, get_settings
from bot.spreadsheets import to_csv, to_xlsx
from bot.survey_reports import export_name, results_csv, results_text, results_xlsx
from broadcasts.compose import (
    TIME_FORMAT,
    Audience,
    create_broadcast,
    place_of,
)
from models.audit import audit
from models.base import utcnow
from models.broadcasts import (
    Broadcast,
    DeliveryStatus,
    Status,
    cancel_broadcast,
    count_recipients,
    delivery_counts,
    first_line,
    get_broadcast,
    list_broadcasts,
    resend_unknown,
)
from models.ideas import (
    IdeaArea,
    add_area,
    area_by_slug,
    area_members,
    assign_area,
    ideas_between,
    list_areas,
    local_period,
    rename_area,
    set_specialist,
    unassign_area,
)
from models.nominations import (
    NominationStatus,
    Refused,
    create_round,
    end_round_now,
    get_round,
    list_nominations,
    list_rounds,
    support_counts,
)
from models.residents import (
    Resident,
    find_identity,
    format_identity,
    identities_of,
    parse_identity,
)
from models.roles import Role, grant_role, list_grants, revoke_role
from models.survey_file import SurveyFileError, create_survey, parse_survey_file, resolve_audience
from models.survey_results import Results, compute_results
from models.surveys import end_survey_now, get_survey, list_surveys, response_counts
from models.territory import Locality, Unit, add_locality, list_localities, list_units, unit_by_slug

app = typer.Typer(help="Padome: the residents' council assistant.", no_args_is_help=True)
# The number of a stored thing (a broadcast, a survey): what a database id can hold, so a
# mistyped 25-digit number is told it is out of range instead of failing in the database.
Id = Annotated[int, typer.Argument(help="Its number.", min=1, max=MAX_ID)]
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
roles_app = typer.Typer(help="Roles of council members and staff.", no_args_is_help=True)
localities_app = typer.Typer(help="Villages and neighbourhoods of each unit.", no_args_is_help=True)
units_app = typer.Typer(help="The municipality's units.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(roles_app, name="roles")
app.add_typer(localities_app, name="localities")
app.add_typer(units_app, name="units")

out = Console()
T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        typer.echo(describe_validation_error(error), err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The HTTP clients log request URLs (holding the bot token) and, at DEBUG, bodies
    # (holding residents' messages): they never log below WARNING.
    for name in ("httpx", "httpcore", "telegram", "apscheduler", "twilio"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _planned_time(option: str, text: str, settings: Settings, *, now: datetime) -> datetime:
    """A time typed for a plan, in the municipality's time zone and at most two years ahead."""
    try:
        return check_horizon(parse_local_time(text, settings.tz), now)
    except TimeNotUnderstood:
        raise fail(f'{option} takes a date and time like "01.12.2026 18:00".') from None
    except TooFar as far:
        limit = far.limit.astimezone(settings.tz).strftime(TIME_FORMAT)
        raise fail(f"{option}: {far}, before {limit}.") from None
    except TimeError as error:
        raise fail(f"{option}: {error}.") from None


def in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of staff work in one transaction on a migrated database."""
    settings = load_settings()

    async def main() -> T:
        async with lifecycle.open_app(settings) as opened:
            async with opened.sessionmaker() as session, session.begin():
                return await work(session)

    return asyncio.run(main())


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Your name in this console chat.")] = "resident",
) -> None:
    """Chat with the bot in this terminal (no tokens needed)."""
    if not user.strip() or len(user) > 64 or any(ch.isspace() for ch in user):
        raise fail("--user takes a name of 1 to 64 characters without spaces.")
    settings = load_settings()
    setup_logging(settings, quiet=True)
    asyncio.run(lifecycle.chat(settings, user=user, stdin=sys.stdin, stdout=sys.stdout))


@app.command()
def run() -> None:
    """Run the bot on the configured channels."""
    settings = load_settings()
    setup_logging(settings)
    asyncio.run(lifecycle.run(settings))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = load_settings()

    async def main() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(main())
    typer.echo(f"Database at revision {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (`base` empties the database)."""
    settings = load_settings()

    async def main() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.downgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(main())
    typer.echo(f"Database at revision {revision}.")


async def _territory(
    session: AsyncSession, text: str | None
) -> tuple[Unit | None, Locality | None]:
    """Read `alsviku` or `alsviku/<locality name>`."""
    if not text:
        return None, None
    slug, _, locality_name = text.partition("/")
    unit = await unit_by_slug(session, slug.strip().casefold())
    if unit is None:
        raise fail(f"No unit {slug!r}. See `padome units list`.")
    if not locality_name:
        return unit, None
    wanted = locality_name.strip().casefold()
    for locality in await list_localities(session, unit.id):
        if locality.name.casefold() == wanted:
            return None, locality
    raise fail(f"{unit.name} has no locality {locality_name!r}. See `padome localities list`.")


async def _registered(session: AsyncSession, identity: str) -> Resident:
    try:
        channel, external_id = parse_identity(identity)
    except ValueError as error:
        raise fail(str(error)) from None
    found = await find_identity(session, channel, external_id)
    if found is None:
        raise fail(f"Nobody is registered as {identity}; they must /start the bot first.")
    return found.resident


def _parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise fail(f"No role {text!r}. Roles: {', '.join(r.value for r in Role)}.") from None


@roles_app.command("grant")
def roles_grant(
    identity: Annotated[str, typer.Argument(help="tg:<telegram id>, wa:<phone>, console:<name>")],
    role: Annotated[str, typer.Argument(help="representative, deputy, coordinator, …")],
    territory: Annotated[
        str | None, typer.Option(help="unit slug, or unit/locality for a deputy")
    ] = None,
) -> None:
    """Give a registered resident a role."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> str:
        resident = await _registered(session, identity)
        unit, locality = await _territory(session, territory)
        try:
            _, created = await grant_role(
                session, resident=resident, role=wanted, unit=unit, locality=locality
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


@roles_app.command("revoke")
def roles_revoke(
    identity: str,
    role: str,
    territory: Annotated[
        str | None, typer.Option(help="only in this unit, or unit/locality")
    ] = None,
) -> None:
    """Take a role away from a resident."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> int:
        resident = await _registered(session, identity)
        unit, locality = await _territory(session, territory)
        removed = await revoke_role(
            session, resident=resident, role=wanted, unit=unit, locality=locality
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

    typer.echo(f"Revoked {in_session(work)} grant(s).")


@roles_app.command("list")
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


@localities_app.command("add")
def localities_add(unit: str, name: str) -> None:
    """Add a village or neighbourhood to a unit."""

    async def work(session: AsyncSession) -> str:
        found = await unit_by_slug(session, unit.casefold())
        if found is None:
            raise fail(f"No unit {unit!r}. See `padome units list`.")
        try:
            locality = await add_locality(session, unit=found, name=name)
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="locality_added", actor_id=None, locality=locality.id)
        return f"Added {locality.name} to {found.name}."

    typer.echo(in_session(work))


@localities_app.command("list")
def localities_list(unit: Annotated[str | None, typer.Argument()] = None) -> None:
    """List localities, of one unit or of all."""

    async def work(session: AsyncSession) -> Table:
        table = Table("unit", "locality")
        for item in await list_units(session):
            if unit is None or item.slug == unit.casefold():
                for locality in await list_localities(session, item.id):
                    table.add_row(item.slug, locality.name)
        return table

    out.print(in_session(work))


@units_app.command("list")
def units_list() -> None:
    """List the units with their slugs."""

    async def work(session: AsyncSession) -> Table:
        table = Table("slug", "name", "localities", "group link")
        for item in await list_units(session):
            count = len(await list_localities(session, item.id))
            table.add_row(item.slug, item.name, str(count), item.invite_link or "")
        return table

    out.print(in_session(work))


# ---------------------------------------------------------------------- broadcasts

broadcast_app = typer.Typer(help="Council messages and announcements.", no_args_is_help=True)
app.add_typer(broadcast_app, name="broadcast")

ATTACHMENT_TYPES = {".pdf": ("document", "application/pdf"), ".jpg": ("photo", "image/jpeg")}
ATTACHMENT_TYPES[".jpeg"] = ATTACHMENT_TYPES[".jpg"]
ATTACHMENT_TYPES[".png"] = ("photo", "image/png")
ATTACHMENT_MAX = 10 * 1024 * 1024


async def _audience(session: AsyncSession, text: str) -> Audience:
    """all | unit:<slug>[,<slug>...] | locality:<unit slug>/<name>"""
    kind, _, value = text.partition(":")
    if kind == "all" and not value:
        return Audience()
    if kind == "unit" and value:
        ids = []
        for slug in value.split(","):
            unit = await unit_by_slug(session, slug.strip().casefold())
            if unit is None:
                raise fail(f"No unit {slug!r}; see `padome units list`.")
            ids.append(unit.id)
        return Audience(unit_ids=tuple(ids))
    if kind == "locality" and "/" in value:
        _, locality = await _territory(session, value)
        if locality is None:
            raise fail(f"No locality {value!r}; see `padome localities list`.")
        return Audience(locality_id=locality.id)
    raise fail("--audience is all, unit:<slug>[,<slug>...] or locality:<unit slug>/<name>.")


def _read_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"Cannot read {path}: {type(error).__name__}.") from None


@broadcast_app.command("send")
def broadcast_send(
    text_file: Annotated[Path, typer.Option(help="The Latvian text, UTF-8.")],
    audience: Annotated[
        str, typer.Option(help="all, unit:<slug>[,<slug>...] or locality:<unit slug>/<name>")
    ] = "all",
    at: Annotated[
        str | None,
        typer.Option(help='When, e.g. "01.12.2026 18:00" (Europe/Riga); now if not set.'),
    ] = None,
    urgent: Annotated[bool, typer.Option(help="Send at once, also during quiet hours.")] = False,
    ru_file: Annotated[Path | None, typer.Option(help="A Russian version.")] = None,
    en_file: Annotated[Path | None, typer.Option(help="An English version.")] = None,
    attach: Annotated[Path | None, typer.Option(help="One photo (JPEG, PNG) or PDF.")] = None,
) -> None:
    """Schedule a unified council message; the running bot sends it."""
    settings = load_settings()
    texts = {"lv": _read_text(text_file) or ""}
    for language, path in (("ru", ru_file), ("en", en_file)):
        content = _read_text(path)
        if content:
            texts[language] = content
    attachment: tuple[str, str, bytes] | None = None
    if attach is not None:
        kind = ATTACHMENT_TYPES.get(attach.suffix.casefold())
        if kind is None:
            raise fail("--attach takes a .pdf, .jpg, .jpeg or .png file.")
        try:
            content = attach.read_bytes()
        except OSError as error:
            raise fail(f"Cannot read {attach}: {type(error).__name__}.") from None
        if len(content) > ATTACHMENT_MAX:
            raise fail("--attach: the file is larger than 10 MB.")
        attachment = (kind[0], attach.name, content)
    now = utcnow()
    due = _planned_time("--at", at, settings, now=now) if at else now

    async def work(session: AsyncSession) -> str:
        try:
            broadcast = await create_broadcast(
                session,
                roles=None,
                created_by_id=None,
                audience=await _audience(session, audience),
                texts=texts,
                due_at=due,
                now=now,
                urgent=urgent,
                attachment_kind=attachment[0] if attachment else None,
                attachment_name=attachment[1] if attachment else None,
                attachment=attachment[2] if attachment else None,
            )
        except ValueError as error:
            raise fail(f"Not scheduled: {error}.") from None
        recipients = await count_recipients(session, broadcast)
        await audit(session, action="broadcast_created", actor_id=None, broadcast=broadcast.id)
        when = broadcast.due_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        return (
            f"Broadcast #{broadcast.id} scheduled for {when} to {recipients} residents now "
            "registered; the running bot sends it."
        )

    typer.echo(in_session(work))


@broadcast_app.command("list")
def broadcast_list() -> None:
    """The latest broadcasts with their progress."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        table = Table("id", "kind", "status", "due", "urgent", "delivered", "total", "text")
        for item in await list_broadcasts(session):
            counts = await delivery_counts(session, item.id)
            total = sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value]
            table.add_row(
                str(item.id),
                item.kind,
                item.status,
                item.due_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                "yes" if item.urgent else "",
                str(counts[DeliveryStatus.DELIVERED.value]),
                str(total),
                first_line(item, 40),
            )
        return table

    out.print(in_session(work))


@broadcast_app.command("show")
def broadcast_show(broadcast_id: Id) -> None:
    """One broadcast: audience, times, and its rows counted by state."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        item = await get_broadcast(session, broadcast_id)
        if item is None:
            raise fail(f"No broadcast #{broadcast_id}.")
        counts = await delivery_counts(session, item.id)

        def local(moment: datetime | None) -> str:
            return moment.astimezone(settings.tz).strftime(TIME_FORMAT) if moment else "-"

        lines = [
            f"Broadcast #{item.id} ({item.kind}{', urgent' if item.urgent else ''}): {item.status}",
            f"audience: {await _describe_audience(session, item)}",
            f"due {local(item.due_at)}, started {local(item.started_at)}, "
            f"finished {local(item.finished_at)}",
            "languages: " + ", ".join(sorted(item.texts)),
        ]
        lines += [f"  {status}: {number}" for status, number in counts.items()]
        return "\n".join(lines)

    typer.echo(in_session(work))


async def _describe_audience(session: AsyncSession, item: Broadcast) -> str:
    audience = Audience(
        tuple(item.unit_ids) if item.unit_ids is not None else None, item.locality_id
    )
    place = await place_of(session, audience)
    if item.locality_id is not None:
        return f"locality {place}"
    if item.unit_ids is not None:
        return f"units {place}"
    return "all units"


@broadcast_app.command("cancel")
def broadcast_cancel(broadcast_id: Id) -> None:
    """Cancel a scheduled or running broadcast: rows not yet sent never go."""

    async def work(session: AsyncSession) -> str:
        item = await get_broadcast(session, broadcast_id)
        if item is None:
            raise fail(f"No broadcast #{broadcast_id}.")
        if item.status not in (Status.SCHEDULED.value, Status.SENDING.value):
            raise fail(f"Broadcast #{broadcast_id} is {item.status}; nothing to cancel.")
        stopped = await cancel_broadcast(session, item)
        await audit(session, action="broadcast_cancelled", actor_id=None, broadcast=item.id)
        return f"Broadcast #{broadcast_id} cancelled; {stopped} pending deliveries stopped."

    typer.echo(in_session(work))


@broadcast_app.command("resend-unknown")
def broadcast_resend_unknown(
    broadcast_id: Id,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask: they may get it twice, and that is fine.")
    ] = False,
) -> None:
    """Send a finished broadcast again to the rows a crash left "unknown" (they may have it)."""

    async def count(session: AsyncSession) -> int:
        item = await get_broadcast(session, broadcast_id)
        if item is None:
            raise fail(f"No broadcast #{broadcast_id}.")
        unknown = (await delivery_counts(session, item.id))[DeliveryStatus.UNKNOWN.value]
        if item.status != Status.DONE.value or not unknown:
            raise fail(f"Broadcast #{broadcast_id} has no unknown deliveries to send again.")
        return unknown

    unknown = in_session(count)
    if not yes and not typer.confirm(
        f"{unknown} residents may already have broadcast #{broadcast_id}: it was on its way "
        "to them when sending was interrupted. Send it to them again?"
    ):
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> str:
        item = await get_broadcast(session, broadcast_id)
        assert item is not None
        again = await resend_unknown(session, item)
        if not again:
            raise fail(f"Broadcast #{broadcast_id} has no unknown deliveries to send again.")
        await audit(
            session, action="broadcast_resent_unknown", actor_id=None, broadcast=item.id, rows=again
        )
        return (
            f"Broadcast #{broadcast_id} goes again to {again} residents; the running bot sends it."
        )

    typer.echo(in_session(work))


# ---------------------------------------------------------------------- nominations

nominations_app = typer.Typer(
    help="Nominations of unit representatives: rounds, lists, paperwork.", no_args_is_help=True
)
rounds_app = typer.Typer(help="Nomination rounds.", no_args_is_help=True)
app.add_typer(nominations_app, name="nominations")
nominations_app.add_typer(rounds_app, name="round")

EXPORT_FORMATS = ("csv", "xlsx", "pdf")


async def _unit_ids(session: AsyncSession, text: str) -> list[int] | None:
    """`all`, or unit slugs separated by commas."""
    if text.strip().casefold() == "all":
        return None
    ids = []
    for slug in text.split(","):
        unit = await unit_by_slug(session, slug.strip().casefold())
        if unit is None:
            raise fail(f"No unit {slug.strip()!r}; see `padome units list`.")
        ids.append(unit.id)
    if not ids:
        raise fail("--units takes all, or unit slugs separated by commas.")
    return ids


@rounds_app.command("open")
def round_open(
    units: Annotated[str, typer.Option(help="all, or unit slugs: alsviku,annas")],
    start: Annotated[
        str, typer.Option("--from", help='Start, e.g. "01.12.2026 09:00" (Europe/Riga), or now.')
    ],
    end: Annotated[str, typer.Option("--to", help='End, e.g. "31.12.2026 18:00".')],
    supporters: Annotated[int, typer.Option(help="Supporters a candidate needs.")] = 10,
    min_age: Annotated[int, typer.Option(help="Minimum age of supporters.")] = 16,
    multiple_support: Annotated[
        bool, typer.Option(help="Let one resident support several candidates.")
    ] = False,
) -> None:
    """Schedule a nomination round; the running bot opens it on time and tells residents."""
    settings = load_settings()
    now = utcnow()
    starts_at = (
        now
        if start.strip().casefold() == "now"
        else _planned_time("--from", start, settings, now=now)
    )
    ends_at = _planned_time("--to", end, settings, now=now)

    async def work(session: AsyncSession) -> str:
        try:
            item = await create_round(
                session,
                unit_ids=await _unit_ids(session, units),
                starts_at=starts_at,
                ends_at=ends_at,
                now=now,
                supporters_needed=supporters,
                minimum_age=min_age,
                multiple_support=multiple_support,
            )
        except Refused as refused:
            raise fail(f"Not scheduled: {_round_refusal(refused, settings)}.") from None
        await audit(session, action="nomination_round_created", actor_id=None, round=item.id)
        return (
            f"Round #{item.id} scheduled: {_local(item.starts_at, settings)} – "
            f"{_local(item.ends_at, settings)}; the running bot opens it and tells residents."
        )

    typer.echo(in_session(work))


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime(TIME_FORMAT)


def _round_refusal(refused: Refused, settings: Settings) -> str:
    if refused.reason == "round_overlap":
        other = refused.details["round"]
        return (
            f"it overlaps round #{other.id} ({_local(other.starts_at, settings)} – "
            f"{_local(other.ends_at, settings)}) in the same units"
        )
    return {
        "round_order": "the end must come after the start",
        "round_past": "the end has already passed",
        "round_supporters": "--supporters takes 1 to 1000",
        "round_age": "--min-age takes 14 to 120",
    }.get(refused.reason, refused.reason)


@rounds_app.command("end")
def round_end(
    round_id: Annotated[int, typer.Argument(help="The round's number.", min=1, max=MAX_ID)],
) -> None:
    """End a round now: one not yet started is cancelled; an open one closes on the running
    bot's next tick, which tells each candidate their count."""

    async def work(session: AsyncSession) -> str:
        item = await get_round(session, round_id)
        if item is None:
            raise fail(f"There is no round #{round_id}.")
        try:
            cancelled = await end_round_now(session, item, utcnow())
        except Refused:
            raise fail(f"Round #{round_id} has already closed.") from None
        action = "nomination_round_cancelled" if cancelled else "nomination_round_ended"
        await audit(session, action=action, actor_id=None, round=round_id)
        return f"Round #{round_id} " + ("is cancelled." if cancelled else "has ended.")

    out.print(in_session(work))


@rounds_app.command("list")
def round_list() -> None:
    """Every nomination round with its dates and settings."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        slugs = {unit.id: unit.slug for unit in await list_units(session)}
        table = Table("id", "status", "from", "to", "units", "supporters", "min age", "several")
        for item in await list_rounds(session):
            where = (
                "all"
                if item.unit_ids is None
                else ",".join(slugs.get(unit_id, "?") for unit_id in item.unit_ids)
            )
            table.add_row(
                str(item.id),
                item.status,
                _local(item.starts_at, settings),
                _local(item.ends_at, settings),
                where,
                str(item.supporters_needed),
                str(item.minimum_age),
                "yes" if item.multiple_support else "no",
            )
        return table

    out.print(in_session(work))


@nominations_app.command("list")
def nominations_list(
    unit: Annotated[str, typer.Option(help="Unit slug, e.g. alsviku.")],
    status: Annotated[
        str | None,
        typer.Option(help="awaiting_consent, consented, verified, rejected, declined, withdrawn"),
    ] = None,
) -> None:
    """The nominations of one unit."""
    if status is not None and status not in {item.value for item in NominationStatus}:
        raise fail(f"No status {status!r}.")

    async def work(session: AsyncSession) -> Table:
        found = await unit_by_slug(session, unit.casefold())
        if found is None:
            raise fail(f"No unit {unit!r}; see `padome units list`.")
        items = await list_nominations(
            session, unit_id=found.id, statuses=(status,) if status else None
        )
        counts = await support_counts(session, [item.id for item in items])
        table = Table("id", "candidate", "phone", "status", "supporters", "code")
        for item in items:
            table.add_row(
                str(item.id),
                item.candidate_name,
                item.candidate_phone or "",
                item.status,
                f"{counts[item.id]}/{item.round.supporters_needed}",
                item.support_code if item.collecting else "",
            )
        return table

    out.print(in_session(work))


@nominations_app.command("export")
def nominations_export(
    unit: Annotated[str, typer.Option(help="Unit slug, e.g. alsviku.")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or pdf (nomination forms)")],
    output: Annotated[
        Path | None, typer.Option(help="File to write; nominations-<unit>.<format> if not set.")
    ] = None,
    nomination: Annotated[
        int | None, typer.Option(help="pdf: only this nomination's form.", min=1, max=MAX_ID)
    ] = None,
) -> None:
    """Export a unit's nominations (CSV, XLSX) or print its nomination forms (PDF)."""
    settings = load_settings()
    wanted = format.casefold()
    if wanted not in EXPORT_FORMATS:
        raise fail("--format takes csv, xlsx or pdf.")
    t = Translator(settings.default_language, timezone=settings.tz)

    async def work(session: AsyncSession) -> tuple[bytes, str, int]:
        found = await unit_by_slug(session, unit.casefold())
        if found is None:
            raise fail(f"No unit {unit!r}; see `padome units list`.")
        if wanted == "pdf":
            papers = await unit_papers(session, found.id, collecting_only=nomination is None)
            if nomination is not None:
                papers = [paper for paper in papers if paper.nomination.id == nomination]
                if not papers:
                    raise fail(f"{found.name} has no nomination #{nomination}.")
            if not papers:
                raise fail(f"{found.name} has no candidate collecting support.")
            content = forms_pdf(papers, timezone=settings.tz, printed_at=utcnow())
        else:
            papers = await unit_papers(session, found.id)
            tables = nomination_tables(t, papers)
            content = to_csv(tables[0]) if wanted == "csv" else to_xlsx(tables)
        await audit(
            session, action="nominations_exported", actor_id=None, unit=found.id, format=wanted
        )
        return content, found.slug, len(papers)

    content, slug, number = in_session(work)
    path = output or Path(f"nominations-{slug}.{wanted}")
    try:
        path.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {path}: {type(error).__name__}.") from None
    typer.echo(f"Wrote {path} ({number} nominations).")


# ---------------------------------------------------------------------- ideas and areas

areas_app = typer.Typer(
    help="Areas of the council's work: residents choose one for each idea.", no_args_is_help=True
)
ideas_app = typer.Typer(help="Residents' ideas and concerns.", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
app.add_typer(ideas_app, name="ideas")


async def _area(session: AsyncSession, slug: str) -> IdeaArea:
    area = await area_by_slug(session, slug)
    if area is None:
        raise fail(f"No area {slug!r}. See `padome areas list`.")
    return area


@areas_app.command("list")
def areas_list() -> None:
    """Every area, hidden ones too, with who is responsible and the outside specialist."""

    async def work(session: AsyncSession) -> Table:
        table = Table("slug", "lv", "ru", "en", "shown", "responsible", "specialist")
        for area in await list_areas(session, include_hidden=True):
            members = []
            for member in await area_members(session, area.id):
                accounts = await identities_of(session, member.resident_id)
                members.append(
                    ", ".join(format_identity(i.channel, i.external_id) for i in accounts)
                    or f"#{member.resident_id}"
                )
            specialist = ", ".join(
                part for part in (area.specialist_name, area.specialist_contact) if part
            )
            table.add_row(
                area.slug,
                area.names.get("lv", ""),
                area.names.get("ru", ""),
                area.names.get("en", ""),
                "no" if area.hidden else "yes",
                "; ".join(members),
                specialist,
            )
        return table

    out.print(in_session(work))


@areas_app.command("add")
def areas_add(
    slug: Annotated[str, typer.Argument(help="a short stable name: a-z, 0-9 and -")],
    lv: Annotated[str, typer.Option("--lv", help="The Latvian name.")],
    ru: Annotated[str | None, typer.Option("--ru", help="The Russian name.")] = None,
    en: Annotated[str | None, typer.Option("--en", help="The English name.")] = None,
) -> None:
    """Add an area residents can choose."""

    async def work(session: AsyncSession) -> str:
        try:
            area = await add_area(session, slug=slug, names={"lv": lv, "ru": ru, "en": en})
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="idea_area_added", actor_id=None, area=area.id, via="cli")
        return f"Added the area {area.slug}."

    typer.echo(in_session(work))


@areas_app.command("rename")
def areas_rename(
    slug: str,
    lv: Annotated[str | None, typer.Option("--lv", help="The new Latvian name.")] = None,
    ru: Annotated[str | None, typer.Option("--ru", help="The new Russian name.")] = None,
    en: Annotated[str | None, typer.Option("--en", help="The new English name.")] = None,
) -> None:
    """Rename an area in one or more languages; items keep their area."""

    async def work(session: AsyncSession) -> str:
        area = await _area(session, slug)
        try:
            rename_area(area, {"lv": lv, "ru": ru, "en": en})
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="idea_area_renamed", actor_id=None, area=area.id, via="cli")
        return f"Renamed {area.slug}: {area.names['lv']}."

    typer.echo(in_session(work))


def _set_hidden(slug: str, hidden: bool) -> str:
    async def work(session: AsyncSession) -> str:
        area = await _area(session, slug)
        area.hidden = hidden
        await audit(session, action="idea_area_hidden", actor_id=None, area=area.id, hidden=hidden)
        if hidden:
            return f"{area.slug} is no longer offered to residents; its items stay."
        return f"{area.slug} is offered to residents again."

    return in_session(work)


@areas_app.command("hide")
def areas_hide(slug: str) -> None:
    """Stop offering an area to residents (items already in it keep it)."""
    typer.echo(_set_hidden(slug, True))


@areas_app.command("show")
def areas_show(slug: str) -> None:
    """Offer a hidden area to residents again."""
    typer.echo(_set_hidden(slug, False))


@areas_app.command("specialist")
def areas_specialist(
    slug: str,
    name: Annotated[
        str | None, typer.Option(help="The specialist's name; leave out to clear.")
    ] = None,
    contact: Annotated[str | None, typer.Option(help="Phone or e-mail.")] = None,
) -> None:
    """Name the outside specialist shown to whoever handles the area's items."""

    async def work(session: AsyncSession) -> str:
        area = await _area(session, slug)
        try:
            set_specialist(area, name=name, contact=contact)
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="idea_area_specialist", actor_id=None, area=area.id)
        if area.specialist_name is None:
            return f"{area.slug} has no outside specialist now."
        return f"{area.slug}: outside specialist {area.specialist_name}."

    typer.echo(in_session(work))


@areas_app.command("assign")
def areas_assign(
    slug: str,
    identity: Annotated[str, typer.Argument(help="tg:<telegram id>, wa:<phone>, console:<name>")],
) -> None:
    """Make a council member responsible for an area."""

    async def work(session: AsyncSession) -> str:
        area = await _area(session, slug)
        resident = await _registered(session, identity)
        try:
            added = await assign_area(session, area=area, resident=resident, by=None)
        except ValueError as error:
            raise fail(f"{error}: give them a council role first (`padome roles grant`).") from None
        await audit(
            session, action="idea_area_assigned", actor_id=None, area=area.id, member=resident.id
        )
        return "Assigned." if added else "They are already responsible for it."

    typer.echo(in_session(work))


@areas_app.command("unassign")
def areas_unassign(slug: str, identity: str) -> None:
    """Take an area away from a council member."""

    async def work(session: AsyncSession) -> str:
        area = await _area(session, slug)
        resident = await _registered(session, identity)
        removed = await unassign_area(session, area=area, resident_id=resident.id)
        await audit(
            session, action="idea_area_unassigned", actor_id=None, area=area.id, member=resident.id
        )
        return "Unassigned." if removed else "They were not responsible for it."

    typer.echo(in_session(work))


@ideas_app.command("export")
def ideas_export(
    start: Annotated[str, typer.Option("--from", help="First day, dd.mm.yyyy.")],
    end: Annotated[str, typer.Option("--to", help="Last day, dd.mm.yyyy (included).")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="The file to write; named after the period if left out.")
    ] = None,
    language: Annotated[str, typer.Option(help="Language of the headings: lv, ru or en.")] = "lv",
) -> None:
    """Every idea and concern of a period, by unit and area, as CSV or XLSX."""
    from handlers.ideas import export_file, export_stem, export_tables

    settings = load_settings()
    if fmt not in ("csv", "xlsx"):
        raise fail("--format is csv or xlsx.")
    if language not in ("lv", "ru", "en"):
        raise fail("--language is lv, ru or en.")
    try:
        period = local_period(parse_day(start), parse_day(end), settings.tz)
    except (ValueError, OverflowError):
        raise fail("--from and --to take days like 01.11.2026, --to not before --from.") from None

    async def work(session: AsyncSession) -> tuple[int, bytes, str]:
        items = await ideas_between(session, start=period[0], end=period[1])
        tables = await export_tables(session, items, Translator(language, timezone=settings.tz))
        attachment = export_file(tables, fmt=fmt, stem=export_stem(*period, settings.tz))
        await audit(session, action="ideas_exported", actor_id=None, count=len(items), via="cli")
        return len(items), attachment.content, attachment.filename

    count, content, filename = in_session(work)
    target = output or Path(filename)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {target}: {type(error).__name__}.") from None
    typer.echo(f"Wrote {count} items to {target}.")


# ---------------------------------------------------------------------- surveys

surveys_app = typer.Typer(help="Resident surveys: create from a file, follow, export.")
surveys_app.info.no_args_is_help = True
app.add_typer(surveys_app, name="surveys")


@surveys_app.command("create")
def surveys_create(
    file: Annotated[Path, typer.Argument(help="The survey as YAML (see examples/survey.yaml).")],
    check: Annotated[bool, typer.Option(help="Only check the file; store nothing.")] = False,
) -> None:
    """Check a survey file and schedule the survey; the running bot opens and closes it."""

    settings = load_settings()
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"Cannot read {file}: {type(error).__name__}.") from None
    now = utcnow()
    try:
        spec = parse_survey_file(content, name=file.name, timezone=settings.tz)
    except SurveyFileError as error:
        raise fail("The survey file has problems:\n" + str(error)) from None

    async def work(session: AsyncSession) -> str:
        try:
            audience = await resolve_audience(session, spec, name=file.name)
        except SurveyFileError as error:
            raise fail("The survey file has problems:\n" + str(error)) from None
        if check:
            return f"{file.name} is fine: {len(spec.questions)} questions."
        try:
            survey = await create_survey(session, spec=spec, audience=audience, now=now)
        except ValueError as error:
            raise fail(f"Not scheduled: {error}.") from None
        await audit(session, action="survey_created", actor_id=None, survey=survey.id)

        def local(moment: datetime) -> str:
            return moment.astimezone(settings.tz).strftime(TIME_FORMAT)

        return (
            f'Survey #{survey.id} "{survey.title["lv"]}" scheduled: {len(spec.questions)} '
            f"questions, opens {local(survey.opens_at)}, closes {local(survey.closes_at)}; "
            "the running bot opens it and invites the residents."
        )

    typer.echo(in_session(work))


@surveys_app.command("list")
def surveys_list() -> None:
    """The latest surveys and polls with their state and number of responses."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        table = Table("id", "kind", "status", "opens", "closes", "responses", "title")
        counts = await response_counts(session)
        for item in await list_surveys(session):
            table.add_row(
                str(item.id),
                item.kind,
                item.status,
                item.opens_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                item.closes_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                str(counts.get(item.id, 0)),
                item.title["lv"][:50],
            )
        return table

    out.print(in_session(work))


async def _survey_results(session: AsyncSession, survey_id: int) -> tuple[Results, dict[int, str]]:
    survey = await get_survey(session, survey_id)
    if survey is None:
        raise fail(f"No survey #{survey_id}. See `padome surveys list`.")
    units = {unit.id: unit.name for unit in await list_units(session)}
    return await compute_results(session, survey, text_limit=1_000_000), units


@surveys_app.command("show")
def surveys_show(survey_id: Id) -> None:
    """The results as staff see them in chat, in the default language."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        results, units = await _survey_results(session, survey_id)
        t = Translator(settings.default_language, timezone=settings.tz)
        return results_text(results, t, unit_names=units, staff=True)

    typer.echo(in_session(work))


@surveys_app.command("close")
def surveys_close(survey_id: Id) -> None:
    """Close a survey now; the running bot closes it on its next tick and tells its creator
    the number of responses (one not yet opened closes without inviting anybody)."""

    async def work(session: AsyncSession) -> str:
        survey = await get_survey(session, survey_id)
        if survey is None:
            raise fail(f"There is no survey #{survey_id}.")
        if not end_survey_now(survey, utcnow()):
            raise fail(f"Survey #{survey_id} has already closed.")
        await audit(session, action="survey_closed_early", actor_id=None, survey=survey_id)
        return f"Survey #{survey_id} closes now."

    typer.echo(in_session(work))


@surveys_app.command("export")
def surveys_export(
    survey_id: Id,
    file_format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "xlsx",
    output: Annotated[Path | None, typer.Option(help="The file to write.")] = None,
) -> None:
    """Write the results as a CSV or XLSX file (headings in the default language)."""
    if file_format not in ("csv", "xlsx"):
        raise fail("--format is csv or xlsx.")
    settings = load_settings()

    async def work(session: AsyncSession) -> tuple[str, bytes]:
        results, units = await _survey_results(session, survey_id)
        t = Translator(settings.default_language, timezone=settings.tz)
        write = results_csv if file_format == "csv" else results_xlsx
        content = write(results, t, unit_names=units)
        await audit(session, action="survey_exported", actor_id=None, survey=survey_id, via="cli")
        return export_name(results, file_format), content

    name, content = in_session(work)
    target = output or Path(name)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {target}: {type(error).__name__}.") from None
    typer.echo(f"Wrote {target}.")
