"""Residents' ideas and concerns of a period as an XLSX or CSV file, in chat and for the CLI."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from bot.parsing import parse_day
from handlers.ideas.common import (
    ExportPeriod,
    InboxPage,
    Period,
    author_name,
    council_name,
    inbox_visible,
    status_label,
)
from handlers.menu import add_help
from models.ideas import Idea, answers_to, ideas_between, list_areas, local_period, may_use_inbox
from models.residents import Resident
from models.territory import list_units
from reports.spreadsheets import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx

router = Router()


class State(enum.StrEnum):
    PERIOD = "ideaexp.period"
    FORMAT = "ideaexp.format"


class FileFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@payload("ideaexpf")
class ExportFormat(Payload):
    fmt: FileFormat


PERIOD_MAX = 40

add_help("ideasexport", N_("residents' ideas and concerns as a CSV or XLSX file"), inbox_visible)


def _list_buttons(t: Translator) -> list[Button]:
    return [Button(t._("Back to the list"), InboxPage()), Button(t._("Main menu"), "menu")]


EXPORT_HEADERS = (
    N_("No."),
    N_("Received"),
    N_("Parish or town"),
    N_("Village or neighbourhood"),
    N_("Area"),
    N_("Status"),
    N_("The same as"),
    N_("Text"),
    N_("Place"),
    N_("Photo"),
    N_("Written by"),
    N_("Forwarded to"),
    N_("Answered"),
    N_("Answers"),
)


async def export_tables(
    session: AsyncSession, items: Sequence[Idea], t: Translator
) -> tuple[Table, Table]:
    """All items (by unit and area) and a count of items per unit and area."""
    rows = []
    people: dict[int, Resident | None] = {}

    async def person(resident_id: int | None) -> Resident | None:
        if resident_id is None:
            return None
        if resident_id not in people:
            people[resident_id] = await session.get(Resident, resident_id)
        return people[resident_id]

    for item in items:
        author = await person(item.author_id)
        answers = await answers_to(session, item.id)
        forwarded = await person(item.forwarded_to_id)
        rows.append(
            [
                item.id,
                item.created_at.astimezone(t.timezone),
                item.unit.label_in(t.language),
                item.locality.label_in(t.language) if item.locality else "",
                item.area.name_in(t.language),
                status_label(t, item.status),
                item.duplicate_of_id or "",
                item.text or "",
                item.place or "",
                t._("yes") if item.photo_ref or item.photo_mime else "",
                author_name(t, item, author),
                await council_name(session, t, forwarded) if forwarded else "",
                item.answered_at.astimezone(t.timezone) if item.answered_at else "",
                "\n\n".join(answer.text for answer in answers),
            ]
        )
    ideas = Table(t._("Ideas and concerns"), [t._(header) for header in EXPORT_HEADERS], rows)
    areas = await list_areas(session, include_hidden=True)
    counts = Counter((item.unit_id, item.area_id) for item in items)
    summary_rows = []
    for unit in await list_units(session):
        numbers = [counts[(unit.id, area.id)] for area in areas]
        if any(numbers):
            summary_rows.append([unit.label_in(t.language), *numbers, sum(numbers)])
    totals = [sum(n for (_, area_id), n in counts.items() if area_id == a.id) for a in areas]
    summary_rows.append([t._("Total"), *totals, sum(totals)])
    summary = Table(
        t._("By parish and area"),
        [t._("Parish or town"), *(area.name_in(t.language) for area in areas), t._("Total")],
        summary_rows,
    )
    return ideas, summary


def export_file(tables: tuple[Table, Table], *, fmt: str, stem: str, language: str) -> Attachment:
    if fmt == "csv":
        content = to_csv(tables[0], language=language)
        return Attachment(f"{stem}.csv", content, kind="document", mime_type=CSV_MIME)
    return Attachment(f"{stem}.xlsx", to_xlsx(list(tables)), kind="document", mime_type=XLSX_MIME)


def export_stem(start: datetime, end: datetime, timezone: Any) -> str:
    last = end.astimezone(timezone) - timedelta(days=1)
    return f"padome-ideas-{start.astimezone(timezone):%Y-%m-%d}-{last:%Y-%m-%d}"


@router.command("ideasexport")
async def export_command(ctx: Context) -> None:
    await export(ctx, ExportPeriod())


@router.button(ExportPeriod)
async def export(ctx: Context, press: ExportPeriod) -> None:
    """Export the items this person may read for a period, as XLSX or CSV: which period?"""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_export")
        return
    if press.period is not None:
        local = ctx.now.astimezone(ctx.settings.tz).date()
        if press.period is Period.YEAR:
            first = local.replace(month=1, day=1)
        else:
            first = local - timedelta(days=int(press.period.value) - 1)
        _ask_format(ctx, *local_period(first, local, ctx.settings.tz))
        return
    ctx.ask(
        State.PERIOD,
        ctx.t._(
            "Which period? Tap a button or write it like {example}.",
            example="01.11.2026-30.11.2026",
        ),
        limit=PERIOD_MAX,
        buttons=[
            Button(ctx.t._("The last 7 days"), ExportPeriod(Period.WEEK)),
            Button(ctx.t._("The last 30 days"), ExportPeriod(Period.MONTH)),
            Button(ctx.t._("This year"), ExportPeriod(Period.YEAR)),
        ],
        back=Button(ctx.t._("Back to the list"), InboxPage()),
    )


async def period_written(ctx: Context) -> None:
    """Take a typed period, then ask which file."""
    if not may_use_inbox(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("ideas_export")
        return
    first, _, last = (ctx.incoming.text or "").replace("–", "-").partition("-")
    try:
        start, end = local_period(parse_day(first), parse_day(last or first), ctx.settings.tz)
    except (ValueError, OverflowError):
        ctx.ask_again(
            ctx.t._("Please write the period like {example}.", example="01.11.2026-30.11.2026")
        )
        return
    _ask_format(ctx, start, end)


def _ask_format(ctx: Context, start: datetime, end: datetime) -> None:
    ctx.set_state(State.FORMAT, start=start.isoformat(), end=end.isoformat())
    ctx.reply(
        ctx.t._("Which file?"),
        [
            # The names of the file formats, the same in every language.
            Button("Excel (XLSX)", ExportFormat(FileFormat.XLSX)),
            Button("CSV", ExportFormat(FileFormat.CSV)),
            Button(ctx.t._("Back"), ExportPeriod()),
        ],
    )


@router.button(ExportFormat)
async def send_export(ctx: Context, press: ExportFormat) -> None:
    """Send the file of the period chosen, of the items this person may read."""
    if not may_use_inbox(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("ideas_export")
        return
    flow = ctx.flow
    if ctx.state != State.FORMAT or "start" not in flow:
        await export(ctx, ExportPeriod())
        return
    assert ctx.resident is not None
    start = datetime.fromisoformat(flow["start"])
    end = datetime.fromisoformat(flow["end"])
    items = await ideas_between(
        ctx.session, start=start, end=end, roles=ctx.roles, resident_id=ctx.resident.id
    )
    tables = await export_tables(ctx.session, items, ctx.t)
    attachment = export_file(
        tables,
        fmt=press.fmt.value,
        stem=export_stem(start, end, ctx.settings.tz),
        language=ctx.t.language,
    )
    await ctx.audit("ideas_exported", count=len(items), format=press.fmt.value)
    ctx.clear_state()
    ctx.reply(
        ctx.t.ngettext("{n} item in the file.", "{n} items in the file.", len(items)),
        [
            Button(ctx.t._("Another file"), ExportPeriod()),
            *_list_buttons(ctx.t),
        ],
        attachment=attachment,
    )


router.flow({State.PERIOD: period_written})
# Answered by its buttons (typed text keeps the question): State.FORMAT.
