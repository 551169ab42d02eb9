"""What every command group shares: settings, failures, one transaction per command, and
the readers of places and people."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.router import fold
from bot.i18n import Translator
from bot.parsing import (
    MAX_ID,
    TimeError,
    TimeNotUnderstood,
    TooFar,
    check_horizon,
    forged_number,
    parse_id,
    parse_local_time,
)
from bot.settings import Settings, describe_validation_error, get_settings
from broadcasts.compose import TIME_FORMAT
from models.houses import House, house_by_code, house_by_id
from models.residents import Resident, find_identity, parse_identity
from models.territory import Locality, Unit, list_localities, list_units, unit_by_slug
from models.territory_file import TerritoryFileError
from padome import app as lifecycle

# The number of a stored thing (a broadcast, a survey): what a database id can hold, so a
# mistyped 25-digit number is told it is out of range instead of failing in the database.
Id = Annotated[int, typer.Argument(help="Its number.", min=1, max=MAX_ID)]

out = Console()
# What the command line prints is in English; its counts go through the catalogs all the
# same, so that every number gets its plural form.
en = Translator("en", timezone=ZoneInfo("UTC"))
T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        typer.echo(describe_validation_error(error), err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings, *, log_file: Path | None = None) -> None:
    """Log to standard error, or to `log_file` (and nothing, warnings included, to the
    terminal)."""
    level = getattr(logging, settings.log_level)
    handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file is not None
        else logging.StreamHandler()
    )
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[handler],
        force=True,
    )
    logging.captureWarnings(log_file is not None)
    # The HTTP clients log request URLs (holding the bot token) and, at DEBUG, bodies
    # (holding residents' messages): they never log below WARNING.
    for name in ("httpx", "httpcore", "telegram", "apscheduler", "twilio"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def unreadable(path: object, error: Exception) -> typer.Exit:
    """A file that could not be read, with the reason in words."""
    if isinstance(error, UnicodeDecodeError):
        reason = "it is not text in UTF-8"
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror.lower()
    else:
        reason = "it could not be opened"
    return fail(f"Cannot read {path}: {reason}.")


def planned_time(option: str, text: str, settings: Settings, *, now: datetime) -> datetime:
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

    try:
        return asyncio.run(main())
    except TerritoryFileError as error:
        raise fail(territory_problems(error)) from None


def territory_problems(error: TerritoryFileError) -> str:
    """Why a new database was not set up: the territory file named by TERRITORY_FILE."""
    return "The database was not set up: the territory file (TERRITORY_FILE) has problems:\n" + str(
        error
    )


async def find_unit(session: AsyncSession, text: str) -> Unit | None:
    """A unit by its slug or its name, case and diacritics ignored as in the chat
    (`alsviku`, `Alsviķu pagasts`, `ALSVIĶU`)."""
    wanted = fold(text)
    if not wanted:
        return None
    found = await unit_by_slug(session, wanted)
    if found is not None:
        return found
    for unit in await list_units(session):
        if wanted in (fold(unit.slug), fold(unit.name)):
            return unit
    return None


async def known_unit(session: AsyncSession, text: str) -> Unit:
    unit = await find_unit(session, text)
    if unit is None:
        raise fail(f"No parish or town {text.strip()!r}. See `padome units list`.")
    return unit


async def find_territory(
    session: AsyncSession, text: str | None
) -> tuple[Unit | None, Locality | None]:
    """Read `alsviku` or `alsviku/<locality name>`, diacritics optional."""
    if not text:
        return None, None
    unit_name, _, locality_name = text.partition("/")
    unit = await known_unit(session, unit_name)
    if not locality_name:
        return unit, None
    wanted = fold(locality_name)
    for locality in await list_localities(session, unit.id):
        if fold(locality.name) == wanted:
            return None, locality
    raise fail(
        f"{unit.name} has no village or neighbourhood {locality_name!r}. "
        "See `padome localities list`."
    )


async def known_house(session: AsyncSession, text: str) -> House:
    """A house by its address code or its No. (`padome houses list`); else a clear failure."""
    wanted = text.strip()
    found = await house_by_code(session, wanted)
    number = parse_id(wanted)
    if found is None and number is not None:
        found = await house_by_id(session, number)
    if found is None and forged_number(wanted):
        raise fail(
            f"{wanted!r} is not a house No.: a No. is written in the digits 0-9, as "
            "`padome houses list` shows it; or give the house's address code."
        )
    if found is None:
        raise fail(f"No house {wanted!r}. See `padome houses list --unit <slug>`.")
    return found


async def registered(session: AsyncSession, identity: str) -> Resident:
    try:
        channel, external_id = parse_identity(identity)
    except ValueError as error:
        raise fail(str(error)) from None
    found = await find_identity(session, channel, external_id)
    if found is None:
        raise fail(f"Nobody is registered as {identity}; they must /start the bot first.")
    return found.resident
