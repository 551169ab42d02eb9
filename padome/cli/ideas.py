"""`padome areas` and `padome ideas`: areas of the council's work and residents' ideas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.parsing import parse_day
from models.audit import audit
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
from models.residents import format_identity, identities_of
from padome.cli.common import en, fail, in_session, load_settings, out, registered

areas_app = typer.Typer(
    help="Areas of the council's work: residents choose one for each idea.", no_args_is_help=True
)
ideas_app = typer.Typer(help="Residents' ideas and concerns.", no_args_is_help=True)


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
        resident = await registered(session, identity)
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
        resident = await registered(session, identity)
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
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="The file to write; named after the period if left out.")
    ] = None,
    language: Annotated[
        str, typer.Option(help="Language of the headings and place names: lv, ru or en.")
    ] = "lv",
) -> None:
    """Every idea and concern of a period, by parish or town and area, as XLSX or CSV."""
    from handlers.ideas.export import export_file, export_stem, export_tables

    settings = load_settings()
    if fmt not in ("csv", "xlsx"):
        raise fail("--format is xlsx or csv.")
    if language not in ("lv", "ru", "en"):
        raise fail("--language is lv, ru or en.")
    try:
        period = local_period(parse_day(start), parse_day(end), settings.tz)
    except (ValueError, OverflowError):
        raise fail("--from and --to take days like 01.11.2026, --to not before --from.") from None

    async def work(session: AsyncSession) -> tuple[int, bytes, str]:
        items = await ideas_between(session, start=period[0], end=period[1])
        tables = await export_tables(session, items, Translator(language, timezone=settings.tz))
        attachment = export_file(
            tables, fmt=fmt, stem=export_stem(*period, settings.tz), language=language
        )
        await audit(session, action="ideas_exported", actor_id=None, count=len(items), via="cli")
        return len(items), attachment.content, attachment.filename

    count, content, filename = in_session(work)
    target = output or Path(filename)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {target}: {type(error).__name__}.") from None
    typer.echo(
        en.ngettext("Wrote {n} item to {path}.", "Wrote {n} items to {path}.", count, path=target)
    )
