"""Neighbour help in the staff console: the recent posts of the parishes and towns a person
looks after, the reports waiting, and hiding a post after a confirmation.

For those who moderate neighbour help in chat (`Roles.may_manage_unit`): coordinators and
administrators for every parish and town, a representative for their own. What the author
wrote is shown as residents read it; who wrote it is not shown.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.parsing import parse_id
from handlers.neighbour_help.common import POST_STATUSES, kind_title, route
from handlers.neighbour_help.matching import hide_and_tell
from models.neighbour_help import HelpPost, HelpReport, PostStatus
from models.roles import Role, Roles
from padome.console.forms import confirm, redirect, refused, sure

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

SHOWN = 100


def may_moderate_help(roles: Roles) -> bool:
    return roles.is_staff or bool(roles.units_as(Role.REPRESENTATIVE))


def _units(roles: Roles) -> set[int] | None:
    return None if roles.is_staff else roles.units_as(Role.REPRESENTATIVE)


def routes(console: Console) -> list[BaseRoute]:
    console.templates.globals["may_moderate_help"] = may_moderate_help
    return [
        Route("/console/help", console.page(partial(posts, console)), methods=["GET"]),
        Route(
            "/console/help/{post_id}/hide", console.page(partial(hide, console)), methods=["POST"]
        ),
    ]


async def posts(console: Console, visit: Visit) -> Response:
    if not may_moderate_help(visit.roles):
        return await refused(console, visit, "help_moderate")
    t = visit.t
    units = _units(visit.roles)
    reports = (
        select(HelpReport.post_id, func.count().label("reports"))
        .where(HelpReport.handled_at.is_(None))
        .group_by(HelpReport.post_id)
        .subquery()
    )
    statement = (
        select(HelpPost, func.coalesce(reports.c.reports, 0))
        .outerjoin(reports, reports.c.post_id == HelpPost.id)
        .order_by(reports.c.reports.is_(None), HelpPost.created_at.desc(), HelpPost.id.desc())
        .limit(SHOWN)
    )
    if units is not None:
        statement = statement.where(HelpPost.unit_id.in_(sorted(units)))
    rows = list(await visit.session.execute(statement))
    return console.show(
        visit,
        "help.html",
        active="help",
        rows=rows,
        waiting=sum(1 for _, count in rows if count),
        kind=partial(kind_title, t),
        route=route,
        status=lambda post: t._(POST_STATUSES[post.status]),
        hidden=PostStatus.HIDDEN.value,
        done=visit.request.query_params.get("done") == "hidden",
    )


async def hide(console: Console, visit: Visit) -> Response:
    """Hide a post after a confirmation; its author and those who asked for it are told."""
    post_id = parse_id(visit.request.path_params["post_id"])
    post = await visit.session.get(HelpPost, post_id) if post_id else None
    if post is None or not visit.roles.may_manage_unit(post.unit_id):
        return await refused(console, visit, "help_hide", post=post_id)
    t = visit.t
    if not sure(visit):
        return confirm(
            console,
            visit,
            heading=t._("Hide neighbour help #{id}", id=post.id),
            question=t._(
                "Hide #{id}? Nobody can take it up any more; its author and those who asked "
                "for it are told.",
                id=post.id,
            ),
            action=f"/console/help/{post.id}/hide",
            fields={},
            yes=t._("Yes, hide it"),
            back="/console/help",
            active="help",
        )
    await hide_and_tell(
        visit.session, console.settings, post=post, by=visit.resident, now=visit.now
    )
    return redirect("/console/help?done=hidden")
