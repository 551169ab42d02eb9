"""What the staff console does with an idea or concern besides answering it: forward it to a
council member responsible for its area or to another parish's representative, mark it (in
progress, closed, the same as another), and export the inbox as XLSX or CSV. The same actions
as the chat's inbox buttons and `/ideasexport`, so a rule lives in one place."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.parsing import parse_id
from handlers.ideas.common import council_name, status_label
from handlers.ideas.export import export_file, export_stem, export_tables
from handlers.ideas.forwarding import forward_and_tell, other_units
from handlers.ideas.inbox import BUTTON_STATUSES, mark_same_and_tell, set_status_and_tell
from models.audit import audit
from models.ideas import (
    Idea,
    IdeaStatus,
    area_members,
    get_idea,
    ideas_between,
    local_period,
    may_read,
    may_use_inbox,
    unit_representatives,
)
from models.residents import Resident
from models.territory import Unit
from padome.console.forms import confirm, day, number, redirect, refused, sure

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

# The map link a location shared from a messenger is stored with (see handlers/ideas/submit).
MAP_LINK = re.compile(
    r"https://www\.openstreetmap\.org/\?mlat=-?[0-9.]+&mlon=-?[0-9.]+#map=[0-9/.\-]+"
)
EXPORT_DAYS_MAX = 3660
FORMATS = ("xlsx", "csv")


def map_url(item: Idea) -> str | None:
    """The map link of the place, when the resident shared a location."""
    found = MAP_LINK.search(item.place or "")
    return found.group(0) if found else None


async def idea_work(visit: Visit, item: Idea) -> dict[str, Any]:
    """What the item's page offers besides the answer: the map, the forward and the marks."""
    t = visit.t
    forwarded = (
        await visit.session.get(Resident, item.forwarded_to_id) if item.forwarded_to_id else None
    )
    choices = []
    for member in await area_members(visit.session, item.area_id):
        if member.resident_id not in (visit.resident.id, item.forwarded_to_id):
            choices.append(
                (member.resident_id, await council_name(visit.session, t, member.resident))
            )
    # Another unit's representative: the unit first, then (the page again) its people.
    other = await other_units(visit.session, item)
    unit_id = number(visit.request.query_params.get("forward_unit"))
    forward_unit = next((unit for unit in other if unit.id == unit_id), None)
    representatives = []
    if forward_unit is not None:
        for person in await unit_representatives(visit.session, forward_unit.id):
            representatives.append((person.id, await council_name(visit.session, t, person)))
    done = visit.request.query_params.get("done")
    notices = {
        "forwarded": t._("#{id} is forwarded.", id=item.id),
        "marked": t._("#{id} is now: {status}.", id=item.id, status=status_label(t, item.status)),
        "same": t._(
            "#{id} is marked as the same as #{other}.", id=item.id, other=item.duplicate_of_id
        ),
    }
    return {
        "map_url": map_url(item),
        "forwarded_to": await council_name(visit.session, t, forwarded) if forwarded else None,
        "forward_choices": choices,
        "forward_units": [(unit.id, unit.label_in(t.language)) for unit in other],
        "forward_unit": forward_unit,
        "representatives": representatives,
        "marks": [
            (status.value, status_label(t, status.value))
            for status in BUTTON_STATUSES
            if status.value != item.status
        ],
        "specialist": item.area.specialist_name,
        "specialist_contact": item.area.specialist_contact,
        "done": notices.get(done or ""),
    }


def routes(console: Console) -> list[BaseRoute]:
    return [
        Route("/console/ideas/export", console.page(partial(export, console)), methods=["GET"]),
        Route(
            "/console/ideas/{idea_id}/forward",
            console.page(partial(forward, console)),
            methods=["POST"],
        ),
        Route(
            "/console/ideas/{idea_id}/mark", console.page(partial(mark, console)), methods=["POST"]
        ),
        Route(
            "/console/ideas/{idea_id}/same", console.page(partial(same, console)), methods=["POST"]
        ),
    ]


async def forward(console: Console, visit: Visit) -> Response:
    """Forward to a council member responsible for the area, or to a representative of
    another unit; both they and the author hear."""
    assert visit.form is not None
    item = await console.readable_idea(visit)
    if item is None:
        return console.not_readable(visit)
    to = number(visit.form.get("to"))
    unit_id = number(visit.form.get("unit"))
    unit = await visit.session.get(Unit, unit_id) if unit_id is not None else None
    try:
        if to is None or (unit_id is not None and unit is None):
            raise ValueError("no one chosen")
        await forward_and_tell(
            visit.session,
            settings=console.settings,
            item=item,
            to_resident_id=to,
            by=visit.resident,
            now=visit.now,
            unit=unit,
        )
    except ValueError:
        return await refused(console, visit, "idea_forward", idea=item.id, to=to, unit=unit_id)
    return redirect(f"/console/ideas/{item.id}?done=forwarded")


async def mark(console: Console, visit: Visit) -> Response:
    """Mark an item in progress or closed; the author hears of it."""
    assert visit.form is not None
    item = await console.readable_idea(visit)
    if item is None:
        return console.not_readable(visit)
    value = visit.form.get("status", "")
    status = next((item for item in BUTTON_STATUSES if item.value == value), None)
    if status is None:
        return await refused(console, visit, "idea_st", idea=item.id, status=value[:16])
    await set_status_and_tell(
        visit.session,
        settings=console.settings,
        item=item,
        status=status,
        by=visit.resident,
        now=visit.now,
    )
    return redirect(f"/console/ideas/{item.id}?done=marked")


async def same(console: Console, visit: Visit) -> Response:
    """Mark an item as the same as another, after a confirmation showing both."""
    assert visit.form is not None
    item = await console.readable_idea(visit)
    if item is None:
        return console.not_readable(visit)
    t = visit.t
    other_id = parse_id(visit.form.get("of", "").strip().lstrip("#"))
    other = await get_idea(visit.session, other_id) if other_id else None
    if other is None or other.id == item.id or not may_read(visit.roles, visit.resident.id, other):
        return await console.idea(
            visit, same_error=t._("There is no other item with that number that you can read.")
        )
    if item.status == IdeaStatus.DUPLICATE.value and item.duplicate_of_id == other.id:
        return redirect(f"/console/ideas/{item.id}?done=same")
    if not sure(visit):
        return confirm(
            console,
            visit,
            heading=t._("Mark #{id} as the same as #{other}?", id=item.id, other=other.id),
            question=t._(
                "The resident who wrote #{id} is told at once that it is followed under "
                "#{other}; that message cannot be taken back.",
                id=item.id,
                other=other.id,
            ),
            action=f"/console/ideas/{item.id}/same",
            fields={"of": other.id},
            yes=t._("Yes, mark it"),
            back=f"/console/ideas/{item.id}",
            active="ideas",
        )
    await mark_same_and_tell(
        visit.session,
        settings=console.settings,
        item=item,
        other=other,
        by=visit.resident,
        now=visit.now,
    )
    return redirect(f"/console/ideas/{item.id}?done=same")


async def export(console: Console, visit: Visit) -> Response:
    """The items this person may read, received in a period, as XLSX or CSV."""
    if not may_use_inbox(visit.roles):
        return await refused(console, visit, "ideas_export")
    query = visit.request.query_params
    t = visit.t
    first, last = day(query.get("from")), day(query.get("to"))
    fmt = query.get("format") or "xlsx"
    if (
        first is None
        or last is None
        or last < first
        or (last - first) > timedelta(days=EXPORT_DAYS_MAX)
        or fmt not in FORMATS
    ):
        return console.message(
            t,
            t._("Not exported"),
            t._("Choose the first and the last day of the period, the last not before the first."),
            status_code=400,
            visit=visit,
        )
    start, end = local_period(first, last, console.settings.tz)
    items = await ideas_between(
        visit.session, start=start, end=end, roles=visit.roles, resident_id=visit.resident.id
    )
    tables = await export_tables(visit.session, items, t)
    attachment = export_file(
        tables, fmt=fmt, stem=export_stem(start, end, console.settings.tz), language=t.language
    )
    await audit(
        visit.session,
        action="ideas_exported",
        actor_id=visit.resident.id,
        count=len(items),
        via="console",
    )
    from padome.console.pages import HEADERS

    return Response(
        attachment.content,
        media_type=attachment.mime_type,
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="{attachment.filename}"',
        },
    )
