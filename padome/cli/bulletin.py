"""`padome bulletin`: the printed bulletin of a parish or town (a large-print PDF)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from models.base import utcnow
from models.broadcasts import LANGUAGES
from padome.cli.common import fail, in_session, known_unit, load_settings
from reports.bulletin import bulletin_pdf, gather_bulletin

DEFAULT_DAYS = 30


def bulletin(
    unit: Annotated[str, typer.Option(help="The parish or town, e.g. alsviku.")],
    since: Annotated[
        str | None,
        typer.Option("--from", help="Messages since this day, DD.MM.YYYY; the last 30 days."),
    ] = None,
    language: Annotated[str, typer.Option(help="lv, ru or en.")] = "lv",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="The PDF to write.")] = None,
) -> None:
    """A large-print A4 bulletin: messages, open surveys with answer slips, how to join."""
    settings = load_settings()
    if language not in LANGUAGES:
        raise fail("--language is lv, ru or en.")
    now = utcnow()
    if since is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    else:
        try:
            day = datetime.strptime(since.strip(), "%d.%m.%Y")
        except ValueError:
            raise fail("--from is a day written DD.MM.YYYY, e.g. 01.11.2026.") from None
        start = day.replace(tzinfo=settings.tz)
        if start > now:
            raise fail("--from is a day in the future.")
    t = Translator(language, timezone=settings.tz)

    async def work(session: AsyncSession) -> tuple[str, bytes, int, int]:
        place = await known_unit(session, unit)
        found = await gather_bulletin(session, unit=place, since=start, now=now, settings=settings)
        content = bulletin_pdf(found, t, printed_at=now)
        return place.slug, content, len(found.messages), len(found.surveys)

    slug, content, messages, surveys = in_session(work)
    path = output or Path(f"bulletin-{slug}-{now.astimezone(settings.tz):%Y-%m-%d}.pdf")
    try:
        path.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {path}: {type(error).__name__}.") from None
    typer.echo(f"{path}: {messages} messages, {surveys} open surveys.")
