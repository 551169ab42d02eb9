"""`padome nominations`: rounds, lists and paperwork of nominations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.parsing import MAX_ID
from bot.settings import Settings
from broadcasts.compose import TIME_FORMAT
from models.audit import audit
from models.base import utcnow
from models.nominations import (
    NominationStatus,
    Refused,
    create_round,
    end_round_now,
    get_round,
    list_nominations,
    list_rounds,
    standings,
)
from models.territory import list_units
from padome.cli.common import en, fail, in_session, known_unit, load_settings, out, planned_time
from reports.nomination_papers import forms_pdf, nomination_tables, unit_papers
from reports.spreadsheets import to_csv, to_xlsx

app = typer.Typer(
    help="Nominations of parish and town representatives: rounds, lists, paperwork.",
    no_args_is_help=True,
)
rounds_app = typer.Typer(help="Nomination rounds.", no_args_is_help=True)
app.add_typer(rounds_app, name="round")

EXPORT_FORMATS = ("xlsx", "csv", "pdf")


async def _unit_ids(session: AsyncSession, text: str) -> list[int] | None:
    """`all`, or unit slugs separated by commas."""
    if text.strip().casefold() == "all":
        return None
    ids = []
    for slug in text.split(","):
        ids.append((await known_unit(session, slug)).id)
    if not ids:
        raise fail("--units takes all, or slugs of parishes and the town separated by commas.")
    return ids


@rounds_app.command("open")
def round_open(
    units: Annotated[
        str, typer.Option(help="all, or parishes and the town by slug: alsviku,annas")
    ],
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
        else planned_time("--from", start, settings, now=now)
    )
    ends_at = planned_time("--to", end, settings, now=now)

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
            f"{_local(other.ends_at, settings)}) in the same parishes"
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


@app.command("list")
def nominations_list(
    unit: Annotated[str, typer.Option(help="Parish or town, by slug, e.g. alsviku.")],
    status: Annotated[
        str | None,
        typer.Option(help="awaiting_consent, consented, verified, rejected, declined, withdrawn"),
    ] = None,
) -> None:
    """The nominations of one parish or town."""
    if status is not None and status not in {item.value for item in NominationStatus}:
        raise fail(f"No status {status!r}.")

    async def work(session: AsyncSession) -> Table:
        found = await known_unit(session, unit)
        items = await list_nominations(
            session, unit_id=found.id, statuses=(status,) if status else None
        )
        standing = await standings(session, items)
        table = Table("id", "candidate", "phone", "status", "supporters", "code")
        for item in items:
            table.add_row(
                str(item.id),
                item.candidate_name,
                item.candidate_phone or "",
                item.status,
                standing[item.id].figure,
                item.support_code if item.collecting else "",
            )
        return table

    out.print(in_session(work))


@app.command("export")
def nominations_export(
    unit: Annotated[str, typer.Option(help="Parish or town, by slug, e.g. alsviku.")],
    format: Annotated[
        str, typer.Option("--format", help="xlsx, csv or pdf (nomination forms)")
    ] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="File to write; nominations-<unit>.<format> if not set.")
    ] = None,
    nomination: Annotated[
        int | None,
        typer.Option(help="Only this nomination (its row, or its form).", min=1, max=MAX_ID),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            help="Language of the headings: lv, ru or en; the default language if not set."
        ),
    ] = None,
) -> None:
    """Export the nominations of a parish or town (XLSX, CSV), or print their forms (PDF)."""
    settings = load_settings()
    wanted = format.casefold()
    if wanted not in EXPORT_FORMATS:
        raise fail("--format takes xlsx, csv or pdf.")
    if language is not None and language not in ("lv", "ru", "en"):
        raise fail("--language is lv, ru or en.")
    t = Translator(language or settings.default_language, timezone=settings.tz)

    async def work(session: AsyncSession) -> tuple[bytes, str, int]:
        found = await known_unit(session, unit)
        papers = await unit_papers(
            session, found.id, collecting_only=wanted == "pdf" and nomination is None
        )
        if nomination is not None:
            papers = [paper for paper in papers if paper.nomination.id == nomination]
            if not papers:
                raise fail(f"{found.name} has no nomination #{nomination}.")
        if wanted == "pdf":
            if not papers:
                raise fail(f"{found.name} has no candidate collecting support.")
            content = forms_pdf(papers, timezone=settings.tz, printed_at=utcnow())
        else:
            tables = nomination_tables(t, papers)
            content = to_csv(tables[0], language=t.language) if wanted == "csv" else to_xlsx(tables)
        await audit(
            session, action="nominations_exported", actor_id=None, unit=found.id, format=wanted
        )
        return content, found.slug, len(papers)

    content, slug, number = in_session(work)
    stem = f"nominations-{slug}" if nomination is None else f"nomination-{nomination}"
    path = output or Path(f"{stem}.{wanted}")
    try:
        path.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {path}: {type(error).__name__}.") from None
    typer.echo(
        en.ngettext(
            "Wrote {path} ({n} nomination).", "Wrote {path} ({n} nominations).", number, path=path
        )
    )
