"""`padome help`: neighbour help, its destinations per unit, posts, hiding and monthly counts."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.neighbour_help.common import tell, tell_withdrawn
from models.audit import audit
from models.base import utcnow
from models.neighbour_help import (
    HelpPost,
    add_destination,
    add_neighbours,
    helped_counts,
    hide_post,
    list_destinations,
    month_bounds,
    neighbours_of,
    remove_destination,
    remove_neighbours,
)
from models.territory import list_units
from padome.cli.common import Id, fail, in_session, known_unit, load_settings, out

app = typer.Typer(help="Neighbour help: rides, parcels and other help.", no_args_is_help=True)
destinations_app = typer.Typer(
    help="The common destinations offered to a unit's residents.", no_args_is_help=True
)
app.add_typer(destinations_app, name="destinations")
neighbours_app = typer.Typer(
    help="Parishes and towns that border each other: a resident of one sees the other's "
    "rides that go their way.",
    no_args_is_help=True,
)
app.add_typer(neighbours_app, name="neighbours")

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@destinations_app.command("add")
def destinations_add(unit: str, name: str) -> None:
    """Offer a place (a town, the parcel terminals) to the unit's residents."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        try:
            added = await add_destination(session, unit=found, name=name)
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="help_destination_added", actor_id=None, unit=found.id)
        return f"Added {added.name} to the destinations of {found.name}."

    typer.echo(in_session(work))


@destinations_app.command("remove")
def destinations_remove(unit: str, name: str) -> None:
    """Stop offering a destination (posts that named it keep it)."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        if not await remove_destination(session, unit=found, name=name):
            raise fail(f"{found.name} has no destination {name!r}.")
        return f"Removed {name} from {found.name}."

    typer.echo(in_session(work))


@destinations_app.command("list")
def destinations_list(unit: str) -> None:
    """A unit's destinations."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        names = [item.name for item in await list_destinations(session, found.id)]
        return "\n".join(names) if names else f"{found.name} has no destinations yet."

    typer.echo(in_session(work))


@neighbours_app.command("add")
def neighbours_add(unit: str, other: str) -> None:
    """Record that two parishes or towns border each other (both ways)."""

    async def work(session: AsyncSession) -> str:
        one, two = await known_unit(session, unit), await known_unit(session, other)
        try:
            added = await add_neighbours(session, one, two)
        except ValueError as error:
            raise fail(str(error)) from None
        if not added:
            return f"{one.name} and {two.name} are already neighbours."
        await audit(
            session, action="help_neighbours_added", actor_id=None, unit=one.id, other=two.id
        )
        return f"{one.name} and {two.name} are neighbours now."

    typer.echo(in_session(work))


@neighbours_app.command("remove")
def neighbours_remove(unit: str, other: str) -> None:
    """Forget that two parishes or towns border each other."""

    async def work(session: AsyncSession) -> str:
        one, two = await known_unit(session, unit), await known_unit(session, other)
        if not await remove_neighbours(session, one, two):
            raise fail(f"{one.name} and {two.name} are not recorded as neighbours.")
        await audit(
            session, action="help_neighbours_removed", actor_id=None, unit=one.id, other=two.id
        )
        return f"{one.name} and {two.name} are no longer neighbours."

    typer.echo(in_session(work))


@neighbours_app.command("list")
def neighbours_list(unit: str) -> None:
    """A parish or town's neighbours."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        names = [item.name for item in await neighbours_of(session, found.id)]
        return "\n".join(names) if names else f"{found.name} has no neighbours recorded yet."

    typer.echo(in_session(work))


@app.command("list")
def posts_list(
    unit: Annotated[str | None, typer.Option("--unit", help="Only this parish or town.")] = None,
) -> None:
    """Posts, newest first: kind, places, time, seats or parcels taken, status. No names."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        query = select(HelpPost).order_by(HelpPost.id.desc()).limit(200)
        if unit is not None:
            query = query.where(HelpPost.unit_id == (await known_unit(session, unit)).id)
        table = Table("#", "unit", "kind", "from", "to", "when", "taken", "status")
        for post in await session.scalars(query):
            table.add_row(
                str(post.id),
                post.unit.slug,
                post.kind,
                post.from_place or "",
                post.to_place or "",
                post.starts_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M"),
                f"{post.taken}/{post.capacity}",
                post.status,
            )
        return table

    out.print(in_session(work))


@app.command("hide")
def posts_hide(post_id: Id) -> None:
    """Hide a post; whoever asked for it is told it was withdrawn, its author that it was
    hidden."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        post = await session.get(HelpPost, post_id)
        if post is None:
            raise fail(f"No post #{post_id}.")
        now = utcnow()
        told = await hide_post(session, post=post, now=now)
        await tell_withdrawn(session, settings, now, told, post.id)
        await tell(
            session,
            settings,
            now,
            [post.author_id] if post.author_id else [],
            lambda t: t._("Your neighbour help #{id} was hidden after a report.", id=post.id),
        )
        await audit(session, action="help_hidden", actor_id=None, post=post.id, via="cli")
        return f"#{post.id} is hidden."

    typer.echo(in_session(work))


@app.command("stats")
def stats(
    month: Annotated[str, typer.Option("--month", help="The month, as 2026-11.")],
) -> None:
    """Per parish or town: posts, matches accepted, and matches either side said happened."""
    if not _MONTH.match(month):
        raise fail('--month takes a month like "2026-11".')
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        start, end = month_bounds(month, settings.tz)
        counts = await helped_counts(session, start=start, end=end)
        table = Table("unit", "posts", "matched", "happened")
        for unit in await list_units(session):
            row = counts.get(unit.id, {"posts": 0, "matched": 0, "done": 0})
            table.add_row(unit.slug, str(row["posts"]), str(row["matched"]), str(row["done"]))
        return table

    out.print(in_session(work))
