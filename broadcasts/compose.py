"""Who may send what to whom, and creating a broadcast; the same rules for chat and CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.sms_text import sms_messages, sms_segments
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.parsing import horizon_limit
from bot.settings import SUPPORTED_LANGUAGES, Settings
from broadcasts.quiet_hours import when_it_goes
from broadcasts.render import render
from models.audit import audit
from models.broadcasts import (
    LANGUAGES,
    TEXT_MAX,
    Broadcast,
    DeliveryStatus,
    Kind,
    Status,
    cancel_broadcast,
    count_recipients,
    delivery_counts,
    recipients_by_channel,
    resend_unknown,
)
from models.houses import House, house_by_id
from models.messaging import media_link
from models.roles import Role, Roles
from models.territory import Locality, Unit, place_label

COUNCIL_SENDERS = (Role.CHAIR, Role.VICE_CHAIR, Role.COORDINATOR, Role.ADMIN)
URGENT_SENDERS = (Role.CHAIR, Role.COORDINATOR, Role.ADMIN)
TIME_FORMAT = "%d.%m.%Y %H:%M"


@dataclass(frozen=True)
class Audience:
    """All units (all None), chosen units, one locality, one house (its residents and house
    elders), or (notices) named residents."""

    unit_ids: tuple[int, ...] | None = None
    locality_id: int | None = None
    resident_ids: tuple[int, ...] | None = None
    house_id: int | None = None

    def __post_init__(self) -> None:
        if self.unit_ids is not None and not self.unit_ids:
            raise ValueError("choose at least one unit")


class NotAllowed(Exception):
    """The sender may not reach this audience (or send urgent messages)."""


def may_send_council(roles: Roles) -> bool:
    return any(roles.has(role) for role in COUNCIL_SENDERS)


def may_send_urgent(roles: Roles) -> bool:
    return any(roles.has(role) for role in URGENT_SENDERS)


def may_broadcast(roles: Roles) -> bool:
    return (
        may_send_council(roles)
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
    )


async def kind_for(session: AsyncSession, roles: Roles, audience: Audience) -> Kind:
    """The kind of message this sender sends to this audience; NotAllowed when none."""
    if audience.house_id is not None:
        house = await house_by_id(session, audience.house_id)
        if house is not None and may_reach_house(roles, house):
            return Kind.ANNOUNCEMENT
        raise NotAllowed("house")
    if may_send_council(roles):
        return Kind.COUNCIL
    if audience.locality_id is not None:
        locality = await session.get(Locality, audience.locality_id)
        if locality is not None and (
            locality.id in roles.localities_as(Role.DEPUTY)
            or locality.unit_id in roles.units_as(Role.REPRESENTATIVE)
        ):
            return Kind.ANNOUNCEMENT
        raise NotAllowed("locality")
    if audience.unit_ids is not None and set(audience.unit_ids) <= roles.units_as(
        Role.REPRESENTATIVE
    ):
        return Kind.ANNOUNCEMENT
    raise NotAllowed("audience")


def may_reach_house(roles: Roles, house: House) -> bool:
    """Whether the sender may write to the residents of a house: coordinators and the
    council's senders, the unit's representative, the locality's deputy."""
    return (
        may_send_council(roles)
        or house.unit_id in roles.units_as(Role.REPRESENTATIVE)
        or (house.locality_id is not None and house.locality_id in roles.localities_as(Role.DEPUTY))
    )


async def place_of(session: AsyncSession, audience: Audience, language: str = "lv") -> str | None:
    """The place an announcement comes from, as residents read it in its heading, in
    `language` (the stored record keeps the Latvian one)."""
    if audience.house_id is not None:
        house = await house_by_id(session, audience.house_id)
        if house is None:
            return None
        return f"{place_label(house.unit, house.locality, language)}, {house.label}"
    if audience.locality_id is not None:
        locality = await session.get(Locality, audience.locality_id)
        return place_label(locality.unit, locality, language) if locality else None
    if audience.unit_ids:
        units = await session.scalars(
            select(Unit).where(Unit.id.in_(audience.unit_ids)).order_by(Unit.sort_order)
        )
        return ", ".join(unit.name_in(language) for unit in units)
    return None


async def places_of(session: AsyncSession, broadcast: Broadcast) -> dict[str, str]:
    """An announcement's place in every language, for the heading each recipient reads;
    empty for other messages, or when its place no longer exists (the record is shown)."""
    if broadcast.kind != Kind.ANNOUNCEMENT.value:
        return {}
    audience = Audience(
        tuple(broadcast.unit_ids) if broadcast.unit_ids is not None else None,
        broadcast.locality_id,
        house_id=broadcast.house_id,
    )
    places = {}
    for language in SUPPORTED_LANGUAGES:
        place = await place_of(session, audience, language)
        if place:
            places[language] = place
    return places


def quick_times(now: datetime, timezone: ZoneInfo) -> dict[str, datetime]:
    """This evening 18:00 (while it is still ahead) and tomorrow 09:00."""
    local = now.astimezone(timezone)
    picks = {}
    evening = local.replace(hour=18, minute=0, second=0, microsecond=0)
    if evening > local:
        picks["evening"] = evening
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    picks["tomorrow"] = tomorrow
    return picks


def clean_texts(texts: dict[str, str]) -> dict[str, str]:
    cleaned = {lang: text.strip() for lang, text in texts.items() if lang in LANGUAGES and text}
    if not cleaned.get("lv"):
        raise ValueError("the Latvian text is missing")
    for text in cleaned.values():
        if len(text) > TEXT_MAX:
            raise ValueError(f"a text is longer than {TEXT_MAX} characters")
    return cleaned


async def create_broadcast(
    session: AsyncSession,
    *,
    roles: Roles | None,
    created_by_id: int | None,
    audience: Audience,
    texts: dict[str, str],
    due_at: datetime,
    now: datetime,
    urgent: bool = False,
    important: bool = False,
    attachment_kind: str | None = None,
    attachment_name: str | None = None,
    attachment: bytes | None = None,
    attachment_ref: str | None = None,
    report_to: tuple[str, str] | None = None,
    action: tuple[str, str] | None = None,
) -> Broadcast:
    """Check the sender's rights and the time, and store the broadcast as scheduled.

    `roles` None means a staff member at the command line or the assistant itself, who may
    send anything. `action` is one button under the text: (label message id, payload).
    `important`: a day after it goes, its call list goes to the representatives and
    deputies (urgent messages get one anyway).
    """
    if audience.resident_ids is not None:
        if roles is not None:
            raise NotAllowed("audience")
        kind = Kind.NOTICE
    elif roles is not None:
        kind = await kind_for(session, roles, audience)
        if urgent and not may_send_urgent(roles):
            raise NotAllowed("urgent")
    else:
        # Staff at the command line: a message to one house reads as it does from chat,
        # under the house's address.
        kind = Kind.ANNOUNCEMENT if audience.house_id is not None else Kind.COUNCIL
    if due_at < now - timedelta(minutes=1):
        raise ValueError("that time has passed")
    if due_at > horizon_limit(now):
        raise ValueError("that time is more than two years ahead")
    broadcast = Broadcast(
        kind=kind.value,
        created_by_id=created_by_id,
        unit_ids=list(audience.unit_ids) if audience.unit_ids is not None else None,
        locality_id=audience.locality_id,
        house_id=audience.house_id,
        resident_ids=(
            sorted(set(audience.resident_ids)) if audience.resident_ids is not None else None
        ),
        action_label=action[0] if action else None,
        action_payload=action[1] if action else None,
        place=await place_of(session, audience) if kind is Kind.ANNOUNCEMENT else None,
        texts=clean_texts(texts),
        urgent=urgent,
        important=important and kind is not Kind.NOTICE,
        status=Status.SCHEDULED.value,
        due_at=max(due_at, now),
        attachment_kind=attachment_kind,
        attachment_name=attachment_name,
        attachment=attachment,
        attachment_ref=attachment_ref,
        report_channel=report_to[0] if report_to else None,
        report_chat_id=report_to[1] if report_to else None,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def still_allowed(session: AsyncSession, broadcast: Broadcast, roles: Roles) -> bool:
    """Checked again when sending starts: roles may have been revoked meanwhile."""
    audience = Audience(
        tuple(broadcast.unit_ids) if broadcast.unit_ids is not None else None,
        broadcast.locality_id,
        house_id=broadcast.house_id,
    )
    try:
        kind = await kind_for(session, roles, audience)
    except NotAllowed:
        return False
    if broadcast.urgent and not may_send_urgent(roles):
        return False
    return kind.value == broadcast.kind or kind is Kind.COUNCIL


def in_every_language(write: Callable[[Translator], str], *, timezone: ZoneInfo) -> dict[str, str]:
    """A text written once through the translator, in each language a resident may have."""
    return {language: write(Translator(language, timezone=timezone)) for language in LANGUAGES}


@dataclass(frozen=True)
class SmsEstimate:
    recipients: int
    segments: int  # per recipient (all messages of the broadcast)
    cost: float


async def sms_estimate(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    media_token: str | None,
    settings: Settings,
) -> SmsEstimate | None:
    """What the broadcast costs by SMS, for the sender to see before confirming, counted on
    the messages as they go (a file as its line with the link, `media_token` being the file
    kept for it); None when nobody gets it by SMS."""
    by_channel = await recipients_by_channel(session, broadcast)
    recipients = by_channel.get("sms", 0)
    if not recipients:
        return None
    # Each recipient's file gets a link of its own, of the same length as this one.
    file_url = (
        media_link(settings.public_base_url, media_token)
        if media_token and settings.public_base_url
        else None
    )
    places = await places_of(session, broadcast)
    segments = max(
        sum(
            sms_segments(message).count
            for reply in render(broadcast, language, timezone=settings.tz, places=places)
            for message in sms_messages(
                reply,
                file_url=file_url,
                transliterate=settings.sms_transliterate,
                max_segments=settings.sms_max_segments,
            )
        )
        # A resident without their language among the texts gets the Latvian one under a
        # heading in their own.
        for language in LANGUAGES
    )
    return SmsEstimate(recipients, segments, recipients * segments * settings.sms_price_per_segment)


async def preview_facts(
    session: AsyncSession,
    t: Translator,
    draft: Broadcast,
    *,
    settings: Settings,
    media_token: str | None,
    due: datetime,
    now: datetime,
) -> list[str]:
    """What the sender reads under the preview: how many get it, what it costs by SMS, the
    other languages, and when it goes; the same lines in chat and in the console."""
    recipients = await count_recipients(session, draft)
    lines = [
        t.ngettext("It goes to {n} resident.", "It goes to {n} residents.", recipients).format(
            n=t.number(recipients)
        ),
    ]
    sms = await sms_estimate(session, draft, media_token=media_token, settings=settings)
    if sms is not None:
        lines.append(
            t.ngettext(
                "By SMS to {n} resident, SMS segments each: {segments}, about {cost} {currency}.",
                "By SMS to {n} residents, SMS segments each: {segments}, about {cost} {currency}.",
                sms.recipients,
                segments=t.number(sms.segments),
                cost=t.amount(sms.cost),
                currency=settings.sms_currency,
            )
        )
    others = [LANGUAGE_NAMES[lang] for lang in ("ru", "en") if lang in draft.texts]
    if others:
        lines.append(t._("Also in: {languages}.", languages=", ".join(others)))
    lines.append(when_it_goes(t, settings, due_at=due, urgent=draft.urgent, now=now))
    return lines


def may_follow(roles: Roles, resident_id: int, broadcast: Broadcast) -> bool:
    """Who may follow, cancel or resend a message: staff, or its own sender while they may
    still send messages."""
    return roles.is_staff or (broadcast.created_by_id == resident_id and may_broadcast(roles))


def may_cancel(broadcast: Broadcast) -> bool:
    return broadcast.status in (Status.SCHEDULED.value, Status.SENDING.value)


async def stop_broadcast(session: AsyncSession, broadcast: Broadcast) -> int:
    """Cancel a scheduled or running message; how many residents will not get it."""
    # Before its time a message has no rows yet: everyone it would have reached misses it.
    waiting = broadcast.status == Status.SCHEDULED.value
    stopped = await cancel_broadcast(session, broadcast)
    if waiting:
        stopped = await count_recipients(session, broadcast)
    return stopped


async def unknown_to_resend(session: AsyncSession, broadcast: Broadcast) -> int:
    """How many residents a crash left "unknown" on a finished message: those it may be
    sent to again. While it still goes out, none: the final report comes first."""
    if broadcast.status != Status.DONE.value:
        return 0
    return (await delivery_counts(session, broadcast.id))[DeliveryStatus.UNKNOWN.value]


async def send_again_to_unknown(
    session: AsyncSession, broadcast: Broadcast, *, actor_id: int | None, **details: str
) -> int:
    """Send a finished message again to the residents a crash left "unknown", once a person
    who may follow it (`may_follow`, checked by the caller) chose to: they may get it twice.
    Written to the audit log. Acts once: a second call finds nobody and changes nothing.
    Returns how many it goes to again."""
    again = await resend_unknown(session, broadcast)
    if again:
        await audit(
            session,
            action="broadcast_resent_unknown",
            actor_id=actor_id,
            broadcast=broadcast.id,
            rows=again,
            **details,
        )
    return again
