"""`padome broadcast`: council messages and announcements."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from broadcasts.compose import (
    TIME_FORMAT,
    Audience,
    create_broadcast,
    place_of,
    send_again_to_unknown,
    unknown_to_resend,
)
from broadcasts.dispatcher import report_text
from broadcasts.quiet_hours import goes_at
from handlers.broadcasts.unreached import (
    OUTCOMES,
    REASONS,
    call_list_report,
    counts_text,
    how_to_reach,
    name_of,
)
from models.audit import audit
from models.base import utcnow
from models.broadcasts import (
    LANGUAGES,
    Broadcast,
    DeliveryStatus,
    Kind,
    Status,
    cancel_broadcast,
    count_recipients,
    delivery_counts,
    first_line,
    get_broadcast,
    list_broadcasts,
)
from models.call_list import CALL_LIST_AFTER, Outcome, mark_counts, unreached_rows, with_call_list
from padome.cli.common import (
    Id,
    en,
    fail,
    find_territory,
    in_session,
    known_house,
    known_unit,
    load_settings,
    out,
    planned_time,
    unreadable,
)

app = typer.Typer(help="Council messages and announcements.", no_args_is_help=True)

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
            ids.append((await known_unit(session, slug)).id)
        return Audience(unit_ids=tuple(ids))
    if kind == "locality" and "/" in value:
        _, locality = await find_territory(session, value)
        if locality is None:
            raise fail(f"No village or neighbourhood {value!r}; see `padome localities list`.")
        return Audience(locality_id=locality.id)
    raise fail("--audience is all, unit:<slug>[,<slug>...] or locality:<unit slug>/<name>.")


def _read_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise unreadable(path, error) from None


@app.command("send")
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
    important: Annotated[
        bool,
        typer.Option(
            help="A day after it goes, representatives and deputies get the list of residents "
            "it did not reach (urgent messages always do)."
        ),
    ] = False,
    ru_file: Annotated[Path | None, typer.Option(help="A Russian version.")] = None,
    en_file: Annotated[Path | None, typer.Option(help="An English version.")] = None,
    attach: Annotated[Path | None, typer.Option(help="One photo (JPEG, PNG) or PDF.")] = None,
    house: Annotated[
        str | None,
        typer.Option(
            help="Instead of --audience: one house, by its No. or address code (houses list); "
            "its residents and house elders get it."
        ),
    ] = None,
) -> None:
    """Schedule a unified council message; the running bot sends it."""
    if house is not None and audience != "all":
        raise fail("Give either --audience or --house, not both.")
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
            raise unreadable(attach, error) from None
        if len(content) > ATTACHMENT_MAX:
            raise fail("--attach: the file is larger than 10 MB.")
        attachment = (kind[0], attach.name, content)
    now = utcnow()
    due = planned_time("--at", at, settings, now=now) if at else now

    async def work(session: AsyncSession) -> str:
        try:
            broadcast = await create_broadcast(
                session,
                roles=None,
                created_by_id=None,
                audience=(
                    Audience(house_id=(await known_house(session, house)).id)
                    if house is not None
                    else await _audience(session, audience)
                ),
                texts=texts,
                due_at=due,
                now=now,
                urgent=urgent,
                important=important,
                attachment_kind=attachment[0] if attachment else None,
                attachment_name=attachment[1] if attachment else None,
                attachment=attachment[2] if attachment else None,
            )
        except ValueError as error:
            raise fail(f"Not scheduled: {error}.") from None
        recipients = await count_recipients(session, broadcast)
        await audit(session, action="broadcast_created", actor_id=None, broadcast=broadcast.id)
        when = broadcast.due_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        goes = goes_at(settings, due_at=broadcast.due_at, urgent=broadcast.urgent, now=now)
        if goes > max(broadcast.due_at, now):
            return en.ngettext(
                "Broadcast #{id} scheduled for {when} to {n} resident now registered; it falls "
                "in the quiet hours, so the running bot sends it at {goes}.",
                "Broadcast #{id} scheduled for {when} to {n} residents now registered; it falls "
                "in the quiet hours, so the running bot sends it at {goes}.",
                recipients,
                id=broadcast.id,
                when=when,
                goes=goes.astimezone(settings.tz).strftime(TIME_FORMAT),
            )
        return en.ngettext(
            "Broadcast #{id} scheduled for {when} to {n} resident now registered; the running "
            "bot sends it.",
            "Broadcast #{id} scheduled for {when} to {n} residents now registered; the running "
            "bot sends it.",
            recipients,
            id=broadcast.id,
            when=when,
        )

    typer.echo(in_session(work))


@app.command("list")
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


@app.command("show")
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
        if with_call_list(item):
            lines += await _call_list_lines(session, item, settings)
        return "\n".join(lines)

    typer.echo(in_session(work))


async def _call_list_lines(session: AsyncSession, item: Broadcast, settings: Settings) -> list[str]:
    if item.call_list_at is None:
        goes = (item.started_at + CALL_LIST_AFTER) if item.started_at else None
        when = goes.astimezone(settings.tz).strftime(TIME_FORMAT) if goes else "a day after it goes"
        return [f"call list: goes to the representatives {when}"]
    rows = await unreached_rows(session, item)
    counts = await mark_counts(session, item.id)
    return [
        "call list sent "
        + item.call_list_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        + f": {len(rows)} not reached",
        f"  told in person: {counts[Outcome.IN_PERSON]}",
        f"  told by phone: {counts[Outcome.BY_PHONE]}",
        f"  could not reach: {counts[Outcome.UNREACHED]}",
        f"  not yet marked: {sum(row.outcome is None for row in rows)}",
    ]


@app.command("report")
def broadcast_report(
    broadcast_id: Id,
    language: Annotated[str, typer.Option(help="lv, ru or en.")] = "en",
) -> None:
    """The sender's report: deliveries by outcome, and what the call list brought."""
    settings = load_settings()
    t = _translator(language, settings)

    async def work(session: AsyncSession) -> str:
        item = await get_broadcast(session, broadcast_id)
        if item is None or item.kind == Kind.NOTICE.value:
            raise fail(f"No broadcast #{broadcast_id}.")
        if item.status != Status.DONE.value:
            raise fail(
                f"Broadcast #{broadcast_id} is {item.status}; its report comes when it has "
                "finished (`padome broadcast show` counts its rows meanwhile)."
            )
        counts = await delivery_counts(session, item.id)
        lines = [report_text(t, item.id, counts, finished=True)]
        lines += await call_list_report(session, t, item)
        return "\n".join(lines)

    typer.echo(in_session(work))


@app.command("unreached")
def broadcast_unreached(
    broadcast_id: Id,
    unit: Annotated[
        str | None,
        typer.Option(help="Only this parish or town (a slug), or alsviku/<village>."),
    ] = None,
    language: Annotated[str, typer.Option(help="lv, ru or en.")] = "en",
) -> None:
    """The call list of an important message: the residents it did not reach."""
    settings = load_settings()
    t = _translator(language, settings)

    async def work(session: AsyncSession) -> Table:
        item = await get_broadcast(session, broadcast_id)
        if item is None or item.kind == Kind.NOTICE.value:
            raise fail(f"No broadcast #{broadcast_id}.")
        if item.status not in (Status.SENDING.value, Status.DONE.value):
            raise fail(f"Broadcast #{broadcast_id} has not gone out; nobody is missed yet.")
        place, locality = await find_territory(session, unit)
        rows = await unreached_rows(
            session,
            item,
            unit_id=place.id if place else None,
            locality_id=locality.id if locality else None,
        )
        table = Table(
            "no.",
            t._("Name"),
            t._("How to reach"),
            t._("Why"),
            t._("Marked"),
            title=f"#{item.id}: " + counts_text(t, rows),
        )
        for number, row in enumerate(rows, start=1):
            table.add_row(
                str(number),
                name_of(t, row),
                how_to_reach(t, row),
                t._(REASONS[row.reason]),
                t._(OUTCOMES[row.outcome]) if row.outcome else "",
            )
        return table

    out.print(in_session(work))


def _translator(language: str, settings: Settings) -> Translator:
    if language not in LANGUAGES:
        raise fail("--language is lv, ru or en.")
    return Translator(language, timezone=settings.tz)


async def _describe_audience(session: AsyncSession, item: Broadcast) -> str:
    audience = Audience(
        tuple(item.unit_ids) if item.unit_ids is not None else None,
        item.locality_id,
        house_id=item.house_id,
    )
    place = await place_of(session, audience)
    if item.house_id is not None:
        return f"house {place}"
    if item.locality_id is not None:
        return f"locality {place}"
    if item.unit_ids is not None:
        return f"units {place}"
    return "all units"


@app.command("cancel")
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
        return en.ngettext(
            "Broadcast #{id} cancelled; {n} pending delivery stopped.",
            "Broadcast #{id} cancelled; {n} pending deliveries stopped.",
            stopped,
            id=broadcast_id,
        )

    typer.echo(in_session(work))


@app.command("resend-unknown")
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
        unknown = await unknown_to_resend(session, item)
        if not unknown:
            raise fail(f"Broadcast #{broadcast_id} has no unknown deliveries to send again.")
        return unknown

    unknown = in_session(count)
    if not yes and not typer.confirm(
        en.ngettext(
            "{n} resident may already have broadcast #{id}: it was on its way to them when "
            "sending was interrupted. Send it to them again?",
            "{n} residents may already have broadcast #{id}: it was on its way to them when "
            "sending was interrupted. Send it to them again?",
            unknown,
            id=broadcast_id,
        )
    ):
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> str:
        item = await get_broadcast(session, broadcast_id)
        assert item is not None
        again = await send_again_to_unknown(session, item, actor_id=None)
        if not again:
            raise fail(f"Broadcast #{broadcast_id} has no unknown deliveries to send again.")
        return en.ngettext(
            "Broadcast #{id} goes again to {n} resident; the running bot sends it.",
            "Broadcast #{id} goes again to {n} residents; the running bot sends it.",
            again,
            id=broadcast_id,
        )

    typer.echo(in_session(work))
