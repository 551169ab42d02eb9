"""What the console's pages share: numbers read from a query or a form, a redirect after a
change, a refusal written to the audit log, and the confirmation asked before a change."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import HTMLResponse, RedirectResponse, Response

from models.audit import audit

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit


def number(value: str | None) -> int | None:
    """A query's or form's number when it is one (ASCII digits only, not absurdly long)."""
    if value and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def day(value: str | None) -> date | None:
    """A day from a date field (`2026-11-25`, as browsers send it); None otherwise."""
    if not value or len(value) != 10 or not value.isascii():
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def redirect(target: str) -> Response:
    from padome.console.pages import HEADERS

    return RedirectResponse(target, status_code=303, headers=HEADERS)


async def refused(
    console: Console, visit: Visit, attempted: str, *, status_code: int = 403, **details: Any
) -> HTMLResponse:
    """Refuse what this person may not do, and write the attempt to the audit log."""
    await audit(
        visit.session,
        action="refused",
        actor_id=visit.resident.id,
        attempted=attempted,
        path=visit.request.url.path,
        **details,
    )
    t = visit.t
    return console.message(
        t,
        t._("Not allowed"),
        t._("Your roles do not allow this. Ask a coordinator if this is a mistake."),
        status_code=status_code,
        visit=visit,
    )


def confirm(
    console: Console,
    visit: Visit,
    *,
    heading: str,
    question: str,
    action: str,
    fields: dict[str, Any],
    yes: str,
    back: str,
    active: str | None,
) -> HTMLResponse:
    """The page that asks before a change: the same form posted again with `sure=1`."""
    return console.show(
        visit,
        "confirm.html",
        active=active,
        heading=heading,
        question=question,
        action=action,
        fields={name: str(value) for name, value in fields.items()},
        yes=yes,
        back=back,
    )


def sure(visit: Visit) -> bool:
    """Whether the form is the one the confirmation page sent."""
    return visit.form is not None and visit.form.get("sure") == "1"
