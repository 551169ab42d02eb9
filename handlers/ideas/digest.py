"""The weekly digest of residents' ideas and concerns to each representative and the chair."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.i18n import N_, Translator
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.ideas.common import InboxPage
from models.ideas import (
    UNANSWERED_AFTER,
    Idea,
    IdeaArea,
    claim_digest,
    created_between,
    holders_of,
    list_areas,
    unanswered,
)
from models.roles import Role, RoleGrant

logger = logging.getLogger(__name__)


def digest_week(now: datetime, settings: Any) -> tuple[str, datetime] | None:
    """This ISO week's key, if its digest is due by now (the set weekday and hour have come)."""
    local = now.astimezone(settings.tz)
    year, week, weekday = local.isocalendar()
    due = (local - timedelta(days=weekday - 1)).replace(
        hour=settings.ideas_digest_hour, minute=0, second=0, microsecond=0
    ) + timedelta(days=settings.ideas_digest_weekday - 1)
    if local < due:
        return None
    return f"{year}-W{week:02d}", due


def _digest_text(
    t: Translator,
    *,
    start: datetime,
    end: datetime,
    new: Sequence[Idea],
    waiting: Sequence[Idea],
    areas: dict[int, IdeaArea],
) -> str:
    lines = [
        t._(
            "Residents' ideas and concerns, the week {start}–{end}.",
            start=start.astimezone(t.timezone).strftime("%d.%m.%Y"),
            end=end.astimezone(t.timezone).strftime("%d.%m.%Y"),
        ),
        t.ngettext("{n} new item.", "{n} new items.", len(new)),
    ]
    by_unit: dict[str, Counter[int]] = {}
    for item in new:
        by_unit.setdefault(item.unit.label_in(t.language), Counter())[item.area_id] += 1
    for unit, counts in by_unit.items():
        parts = ", ".join(
            f"{areas[area_id].name_in(t.language)} {number}" for area_id, number in counts.items()
        )
        lines.append(f"{unit}: {parts}")
    if waiting:
        lines.append("")
        lines.append(
            t.ngettext(
                "{n} item has waited more than 7 days for an answer:",
                "{n} items have waited more than 7 days for an answer:",
                len(waiting),
            )
        )
        for item in waiting[:30]:
            lines.append(
                f"#{item.id} · {item.unit.name_in(t.language)} · {item.area.name_in(t.language)} · "
                f"{t.datetime(item.created_at)}"
            )
        if len(waiting) > 30:
            lines.append(t.ngettext("and {n} more", "and {n} more", len(waiting) - 30))
    return "\n".join(lines)


async def weekly_digest(context: JobContext) -> None:
    """Once a week, each representative and the chair get new items by unit and area and the
    items unanswered for more than 7 days; the week is recorded, so it never goes twice."""
    due = digest_week(context.now, context.settings)
    if due is None:
        return
    week, _ = due
    now = context.now
    start = now - timedelta(days=7)
    async with context.sessionmaker() as session, session.begin():
        digest = await claim_digest(session, week=week, now=now)
        if digest is None:
            return
        areas = {area.id: area for area in await list_areas(session, include_hidden=True)}
        readers: dict[int, list[int] | None] = {}
        rows = await session.execute(
            select(RoleGrant.resident_id, RoleGrant.unit_id).where(
                RoleGrant.role == Role.REPRESENTATIVE.value
            )
        )
        for resident_id, unit_id in rows:
            units = readers.setdefault(resident_id, [])
            if units is not None and unit_id is not None:
                units.append(unit_id)
        for resident_id in await holders_of(session, Role.CHAIR):
            readers[resident_id] = None  # every unit
        sent = 0
        for resident_id, unit_ids in readers.items():
            new = await created_between(session, start=start, end=now, unit_ids=unit_ids)
            waiting = await unanswered(session, before=now - UNANSWERED_AFTER, unit_ids=unit_ids)
            if not new and not waiting:
                continue
            await send_notice(
                session,
                settings=context.settings,
                resident_ids=[resident_id],
                write=lambda t, new=new, waiting=waiting: _digest_text(
                    t, start=start, end=now, new=new, waiting=waiting, areas=areas
                ),
                now=now,
                buttons=[(N_("Open the list"), InboxPage().pack())],
                personal=False,
            )
            sent += 1
        digest.recipients = sent
    logger.info("weekly ideas digest %s sent to %d people", week, sent)
