"""Coverage in the staff console: per parish or town and per village, the houses known and
reached and the flats of apartment blocks reached, and the houses not reached yet (addresses
only, never who lives where).

The same figures and the same rule as the chat's "Coverage" (`models.coverage`): the
coordinators and the chair see every parish and town, a representative their own, a village
deputy their village, a house elder their blocks; checked on every request.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from handlers.houses.coverage import place_name, row_name
from models.coverage import Place, Scope, coverage_of, coverage_places, sees_coverage
from models.houses import Coverage
from padome.console.forms import number, refused

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

# Houses not reached yet, listed a page at a time.
PAGE = 100


def routes(console: Console) -> list[BaseRoute]:
    console.templates.globals["may_see_coverage"] = sees_coverage
    return [
        Route(
            "/console/coverage",
            console.page(partial(coverage_page, console), for_house_elders=True),
            methods=["GET"],
        )
    ]


def place_key(place: Place) -> str:
    """A place as the filter's value: `unit-3`, `loc-7` or `elder`."""
    return place.scope.value if place.place_id is None else f"{place.scope.value}-{place.place_id}"


def _chosen(value: str) -> tuple[Scope, int | None] | None:
    """The filter's value read back; None when it names no place at all."""
    scope, _, place_id = value.partition("-")
    if scope not in {item.value for item in Scope}:
        return None
    if not place_id:
        return Scope(scope), None
    found = number(place_id)
    return (Scope(scope), found) if found is not None else None


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


async def coverage_page(console: Console, visit: Visit) -> Response:
    if not sees_coverage(visit.roles):
        return await refused(console, visit, "coverage")
    t = visit.t
    query = visit.request.query_params
    places = await coverage_places(visit.session, visit.roles)
    value = query.get("place") or ""
    chosen = _chosen(value) if value else None
    if value and chosen is None:
        return await refused(console, visit, "coverage", place=value[:20])
    if chosen is None and len(places) == 1:
        chosen = (places[0].scope, places[0].place_id)
    rows: list[Coverage] = []
    if chosen is not None:
        found = await coverage_of(visit.session, visit.roles, scope=chosen[0], place_id=chosen[1])
        if found is None:
            return await refused(console, visit, "coverage", scope=chosen[0].value, place=chosen[1])
        rows = found
    else:
        # Every place this person may see, those with known houses only.
        for place in places:
            found = await coverage_of(
                visit.session, visit.roles, scope=place.scope, place_id=place.place_id
            )
            rows.extend(row for row in found or [] if row.houses)
    missing = rows[0].not_reached if chosen is not None and rows else []
    offset = max(number(query.get("offset")) or 0, 0)
    return console.show(
        visit,
        "coverage.html",
        active="coverage",
        places=[(place_key(place), place_name(t, place)) for place in places],
        chosen=value if chosen is not None and value else "",
        one_place=chosen is not None,
        rows=rows,
        missing=missing[offset : offset + PAGE],
        missing_count=len(missing),
        offset=offset,
        page=PAGE,
        percent=percent,
        row_name=partial(row_name, t),
    )
