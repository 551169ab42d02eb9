"""What the neighbour-help screens share: the buttons, how a post reads, who may see what,
and the notices that tell the other side."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.payloads import Payload, payload
from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.notices import send_notice
from models.ideas import holders_of
from models.neighbour_help import Contact, HelpPost, Kind, PostStatus, RequestStatus
from models.residents import Resident
from models.roles import Role, RoleGrant


class Step(enum.StrEnum):
    """A step of writing a post that a button takes."""

    SKIP_BACK = "noback"
    SKIP_TEXT = "notext"
    PUBLISH = "publish"
    CANCEL = "cancel"
    # After Cancel, where some answers would be lost: give the post up, or go on with it.
    DISCARD = "discard"
    RESUME = "resume"


@payload("nhnew")
class NewPost(Payload):
    """Offer or ask: which kind is asked first (none), then the kind chosen."""

    what: Kind | None = None


@payload("nhplace")
class PlaceChosen(Payload):
    """One of the places offered in the step now asked."""

    index: int


@payload("nhstep")
class PostStep(Payload):
    step: Step


@payload("nhcount")
class CountChosen(Payload):
    count: int


@payload("nhcontact")
class ContactChosen(Payload):
    contact: Contact


@payload("nhgroup")
class GroupChosen(Payload):
    """Whether the post goes to the community group too (without any contact)."""

    share: bool


@payload("nhfold")
class FoldChosen(Payload):
    """Which of the two times the clocks pass twice."""

    index: int


@payload("nhpost")
class OpenPost(Payload):
    post_id: int


@payload("nhwant")
class Want(Payload):
    """Ask to take a post; the contact to share, when the person has a choice."""

    post_id: int
    contact: Contact | None = None


@payload("nhreq")
class OpenRequest(Payload):
    request_id: int


@payload("nhdec")
class Decide(Payload):
    request_id: int
    accept: bool


@payload("nhwdp")
class WithdrawPost(Payload):
    post_id: int


@payload("nhwdr")
class WithdrawRequest(Payload):
    request_id: int


@payload("nhrep")
class Report(Payload):
    """Report a post, or the other side of a request to it."""

    post_id: int
    request_id: int | None = None


@payload("nhblock")
class Block(Payload):
    """Block the other side of a request (its asker, or the post's author)."""

    request_id: int


@payload("nhblockp")
class BlockAuthor(Payload):
    """Block the author of a post one sees in the list."""

    post_id: int


@payload("nhhide")
class Hide(Payload):
    post_id: int


@payload("nhban")
class Ban(Payload):
    """Stop the author of a post from posting."""

    post_id: int


@payload("nhdone")
class Done(Payload):
    request_id: int
    happened: bool


@payload("nhsub")
class Subscribe(Payload):
    index: int


@payload("nhunsub")
class Unsubscribe(Payload):
    subscription_id: int


KIND_TITLES = {
    Kind.RIDE_OFFER: N_("Ride offered"),
    Kind.RIDE_REQUEST: N_("Ride wanted"),
    Kind.PARCEL_OFFER: N_("Parcels brought"),
    Kind.PARCEL_REQUEST: N_("Parcel to be brought"),
    Kind.OTHER_OFFER: N_("Help offered"),
    Kind.OTHER_REQUEST: N_("Help wanted"),
}
# The buttons that start a post of each kind.
KIND_BUTTONS = {
    Kind.RIDE_OFFER: N_("I offer a ride"),
    Kind.RIDE_REQUEST: N_("I need a ride"),
    Kind.PARCEL_OFFER: N_("I can bring parcels"),
    Kind.PARCEL_REQUEST: N_("I need a parcel brought"),
    Kind.OTHER_OFFER: N_("I offer other help"),
    Kind.OTHER_REQUEST: N_("I need other help"),
}
POST_STATUSES = {
    PostStatus.OPEN.value: N_("open"),
    PostStatus.FULL.value: N_("full"),
    PostStatus.CLOSED.value: N_("over"),
    PostStatus.HIDDEN.value: N_("hidden"),
    PostStatus.WITHDRAWN.value: N_("withdrawn"),
}
REQUEST_STATUSES = {
    RequestStatus.PENDING.value: N_("waiting for an answer"),
    RequestStatus.ACCEPTED.value: N_("accepted"),
    RequestStatus.DECLINED.value: N_("not accepted"),
    RequestStatus.WITHDRAWN.value: N_("withdrawn"),
}


def kind_title(t: Translator, post: HelpPost) -> str:
    return t._(KIND_TITLES[post.kind_enum])


def count_line(t: Translator, post: HelpPost) -> str:
    n = post.count
    match post.kind_enum:
        case Kind.RIDE_OFFER:
            return t.ngettext("{n} free seat", "{n} free seats", post.left)
        case Kind.RIDE_REQUEST:
            return t.ngettext("for {n} person", "for {n} people", n)
        case Kind.PARCEL_OFFER:
            return t.ngettext("up to {n} parcel", "up to {n} parcels", post.left)
        case Kind.PARCEL_REQUEST:
            return t.ngettext("{n} parcel", "{n} parcels", n)
    return ""


def route(post: HelpPost) -> str:
    places = [place for place in (post.from_place, post.to_place) if place]
    return " → ".join(places)


def label(t: Translator, post: HelpPost) -> str:
    """A post as a button: "#12 Ride offered: Alsviķi → Alūksne, 05.12.2026 09:00"."""
    where = route(post)
    what = f"{kind_title(t, post)}: {where}" if where else kind_title(t, post)
    return f"#{post.id} {what}, {t.datetime(post.starts_at)}"


def summary(t: Translator, post: HelpPost, *, with_text: bool = True) -> str:
    """A post as a resident reads it, without anything about its author; `with_text` False
    leaves out what the author wrote (for the group, where no contact may show)."""
    where = route(post)
    title = kind_title(t, post)
    lines = [
        f"#{post.id} {title}: {where}"
        if post.id and where
        else title + (f": {where}" if where else "")
    ]
    if post.kind_enum.topic == "other":
        lines.append(t._("Until {time}", time=t.datetime(post.starts_at)))
    else:
        lines.append(t._("When: {time}", time=t.datetime(post.starts_at)))
    if post.returns_at is not None:
        returns = post.returns_at.astimezone(t.timezone)
        # A return on another day names the day too.
        same_day = returns.date() == post.starts_at.astimezone(t.timezone).date()
        back = returns.strftime("%H:%M") if same_day else t.datetime(returns)
        lines.append(t._("Back around {time}", time=back))
    count = count_line(t, post)
    if count:
        lines.append(count)
    if post.text and with_text:
        lines.append(post.text)
    return "\n".join(lines)


def place_of_person(t: Translator, person: Resident | None) -> str:
    if person is None:
        return "–"
    if person.locality is not None:
        return person.locality.name_in(t.language)
    return person.unit.name_in(t.language) if person.unit else "–"


def contact_choice_applies(ctx: Context) -> bool:
    """Whether a person chooses how to be reached: only with a known phone number on a
    messenger whose account is not that number."""
    assert ctx.resident is not None
    return bool(ctx.resident.phone) and not messenger(ctx.incoming.channel).phone_accounts


def contact_buttons(ctx: Context) -> list[tuple[str, Contact]]:
    assert ctx.resident is not None
    name = ctx.t._(messenger(ctx.incoming.channel).label)
    return [
        (ctx.t._("Through {messenger} (a link)", messenger=name), Contact.MESSENGER),
        (ctx.t._("By phone {phone}", phone=ctx.resident.phone or ""), Contact.PHONE),
    ]


def may_moderate(ctx: Context, post: HelpPost) -> bool:
    return ctx.roles.may_manage_unit(post.unit_id)


async def moderators_of(session: AsyncSession, unit_id: int) -> list[int]:
    """The unit's representatives and every coordinator: who hears of a report."""
    representatives = await session.scalars(
        select(RoleGrant.resident_id).where(
            RoleGrant.role == Role.REPRESENTATIVE.value, RoleGrant.unit_id == unit_id
        )
    )
    found = set(representatives)
    found.update(await holders_of(session, Role.COORDINATOR))
    return sorted(found)


async def tell(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    resident_ids: Iterable[int],
    write: Callable[[Translator], str],
    *,
    button: tuple[str, str] | None = None,
) -> None:
    """Tell residents something about a post, each in their language, once the transaction
    commits; `button`: (label marked with N_, payload)."""
    await send_notice(
        session,
        settings=settings,
        resident_ids=list(resident_ids),
        write=write,
        now=now,
        buttons=[button] if button else [],
    )


async def tell_withdrawn(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    resident_ids: Iterable[int],
    post_id: int,
) -> None:
    await tell(
        session,
        settings,
        now,
        resident_ids,
        lambda t: t._("Neighbour help No. {id} was withdrawn.", id=post_id),
        button=(N_("Neighbour help"), "nh"),
    )
