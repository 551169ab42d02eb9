"""The audit log in the staff console: who did what and when, filtered by the person who
acted, the action, a period and the parish or town of the person; 50 entries a page.

Coordinators and administrators only: the log records every refusal and every change. It
holds ids, never texts, so the page shows numbers and the names of the people who acted.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from models.audit import AuditEntry
from models.residents import Resident
from models.roles import Roles
from models.territory import list_units
from padome.console.forms import day, number, refused
from padome.console.people import name_of

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

PAGE = 50


def may_read_audit(roles: Roles) -> bool:
    return roles.is_staff


def routes(console: Console) -> list[BaseRoute]:
    console.templates.globals["may_read_audit"] = may_read_audit
    return [Route("/console/audit", console.page(partial(audit_log, console)), methods=["GET"])]


async def audit_log(console: Console, visit: Visit) -> Response:
    if not may_read_audit(visit.roles):
        return await refused(console, visit, "audit_read")
    query = visit.request.query_params
    t = visit.t
    actions = sorted(await visit.session.scalars(select(AuditEntry.action).distinct()))
    units = await list_units(visit.session)
    actor = number((query.get("actor") or "").strip().lstrip("#"))
    action = query.get("action") or None
    if action not in actions:
        action = None
    unit_id = number(query.get("unit"))
    if unit_id not in {unit.id for unit in units}:
        unit_id = None
    first, last = day(query.get("from")), day(query.get("to"))
    offset = max(number(query.get("offset")) or 0, 0)
    statement = select(AuditEntry)
    if actor is not None:
        statement = statement.where(AuditEntry.actor_id == actor)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if unit_id is not None:
        statement = statement.join(Resident, Resident.id == AuditEntry.actor_id).where(
            Resident.unit_id == unit_id
        )
    zone = t.timezone
    if first is not None:
        statement = statement.where(AuditEntry.at >= datetime.combine(first, time(), tzinfo=zone))
    if last is not None:
        statement = statement.where(
            AuditEntry.at < datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
        )
    entries = list(
        await visit.session.scalars(
            statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset(offset)
            .limit(PAGE + 1)
        )
    )
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    names: dict[int, str] = {}
    for entry in entries:
        if entry.actor_id is not None and entry.actor_id not in names:
            person = await visit.session.get(Resident, entry.actor_id)
            names[entry.actor_id] = name_of(t, person) if person else f"#{entry.actor_id}"
    chosen = {
        "actor": actor,
        "action": action,
        "unit": unit_id,
        "from": first.isoformat() if first else "",
        "to": last.isoformat() if last else "",
    }
    wrong_period = first is not None and last is not None and last < first
    return console.show(
        visit,
        "audit.html",
        active="audit",
        entries=entries,
        names=names,
        actions=actions,
        units=units,
        chosen=chosen,
        more=more,
        offset=offset,
        page=PAGE,
        query_without_offset="&".join(
            f"{key}={value}" for key, value in chosen.items() if value not in (None, "")
        ),
        wrong_period=wrong_period,
        details=lambda entry: ", ".join(
            f"{key}: {value}" for key, value in sorted((entry.details or {}).items())
        ),
    )
