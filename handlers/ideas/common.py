"""What the ideas screens share: status names, how people are named, and the payloads of
the screens one sub-feature links to in another (an item, the inbox, an export)."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import shorten
from bot.dialog.payloads import Payload, payload
from bot.i18n import N_, Translator
from models.ideas import Idea, IdeaStatus, may_use_inbox
from models.residents import Resident
from models.roles import Role, list_grants_of


class Period(enum.StrEnum):
    WEEK = "7"
    MONTH = "30"
    YEAR = "year"


@payload("inbox")
class InboxPage(Payload):
    """The inbox, filtered by status and area, from `offset` on; plain `inbox` is all of it."""

    status: IdeaStatus | None = None
    area_id: int | None = None
    offset: int | None = None


@payload("ideaitem")
class OpenIdea(Payload):
    idea_id: int


@payload("ideafwd")
class ForwardIdea(Payload):
    """Forward to `to`: responsible for the area, or a representative of `unit_id`."""

    idea_id: int
    to: int
    unit_id: int | None = None


@payload("ideafwdu")
class ForwardElsewhere(Payload):
    """Ask which other unit's representative gets the item: no unit, the units; a unit,
    its representatives."""

    idea_id: int
    unit_id: int | None = None


@payload("ideaexp")
class ExportPeriod(Payload):
    """Export the items of a period; plain `ideaexp` asks which."""

    period: Period | None = None


STATUS_LABELS = {
    IdeaStatus.NEW.value: N_("new"),
    IdeaStatus.IN_PROGRESS.value: N_("in progress"),
    IdeaStatus.FORWARDED.value: N_("forwarded"),
    IdeaStatus.ANSWERED.value: N_("answered"),
    IdeaStatus.CLOSED.value: N_("closed"),
    IdeaStatus.DUPLICATE.value: N_("duplicate"),
}
# How a council member without a name from their messenger is shown: by their office.
COUNCIL_ROLE_LABELS = {
    Role.CHAIR: N_("council chair"),
    Role.VICE_CHAIR: N_("council vice-chair"),
    Role.COUNCIL_MEMBER: N_("council member"),
    Role.REPRESENTATIVE: N_("parish or town representative"),
    Role.DEPUTY: N_("village deputy"),
}
PREVIEW = 60


def inbox_visible(ctx: Context) -> bool:
    return may_use_inbox(ctx.roles)


def status_label(t: Translator, status: str) -> str:
    return t._(STATUS_LABELS.get(status, N_("new")))


def short(text: str | None, limit: int = PREVIEW) -> str:
    if not text:
        return ""
    return shorten(text, limit)


def author_name(t: Translator, item: Idea, author: Resident | None) -> str:
    """Who wrote an item, as the council reads it: the name only where the author allowed it."""
    if author is None:
        return t._("erased their data")
    if not item.show_author:
        return t._("name not shown")
    return author.display_name or t._("no name given")


async def council_name(session: AsyncSession, t: Translator, person: Resident | None) -> str:
    """A council member by name; by their office where their messenger gives no name."""
    if person is None:
        return "–"
    if person.display_name:
        return person.display_name
    offices = []
    for grant in await list_grants_of(session, person.id):
        label = COUNCIL_ROLE_LABELS.get(Role(grant.role))
        if label is not None:
            place = grant.place_in(t.language)
            offices.append(f"{t._(label)}, {place}" if place else t._(label))
    return "; ".join(offices) or t._("a council member without a name")


def same_as(t: Translator, item: Idea, original: Idea | None) -> str:
    """Which item a duplicate is followed under, as its author may read it: the number and
    area, and the first words where the original is theirs too."""
    if original is None:
        return t._("another item, which the council already has")
    if original.author_id is not None and original.author_id == item.author_id:
        return t._(
            'No. {id} ({area}): "{start}"',
            id=original.id,
            area=original.area.name_in(t.language),
            start=short(original.text, 40),
        )
    return t._("No. {id} ({area})", id=original.id, area=original.area.name_in(t.language))
