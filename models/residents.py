"""Residents, their messenger identities, and erasure of personal data."""

from __future__ import annotations

import re
from datetime import datetime

import phonenumbers
from sqlalchemy import ForeignKey, String, UniqueConstraint, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.channels import messenger, messenger_by_prefix, messengers
from models.base import Base, utcnow
from models.territory import Locality, Unit

# How a resident without a phone is reached (Resident.offline_contact).
OFFLINE_CONTACTS = ("post", "neighbour", "in_person")


def phone_channels() -> list[str]:
    """Channels whose accounts are phone numbers: a verified number finds them."""
    return [item.name for item in messengers().values() if item.phone_accounts]


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="lv")
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    subscribed: Mapped[bool] = mapped_column(default=True)
    # Where broadcasts go when the resident has several messengers; None: the first one.
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]
    # A resident without a phone, registered by staff: how they are reached
    # (OFFLINE_CONTACTS: by post, through a neighbour, in person), the details of it
    # (an address, a neighbour's name), and who recorded the consent given on paper.
    # None for everyone who writes to the bot themselves. The recorder's id needs no foreign
    # key: resident rows are never deleted (erasure keeps an anonymous row).
    offline_contact: Mapped[str | None] = mapped_column(String(16))
    offline_details: Mapped[str | None] = mapped_column(String(300))
    paper_consent_by_id: Mapped[int | None]
    # The house the resident said they live in (models.houses.House), if they said; no
    # foreign key, as a column added to this table cannot carry one on SQLite.
    house_id: Mapped[int | None] = mapped_column(index=True)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")
    # Loaded on purpose with `identities_of`, never by accident in async code.
    identities: Mapped[list[Identity]] = relationship(
        back_populates="resident", lazy="raise", cascade="all, delete-orphan"
    )


class Identity(Base):
    """One messenger account of a resident; the external id is the platform's user id."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The person's last message on this account: WhatsApp lets a business write freely only
    # within 24 hours of it.
    last_inbound_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship(back_populates="identities", lazy="joined")


def parse_identity(text: str) -> tuple[str, str]:
    """Split `tg:123` into ("telegram", "123"); raise ValueError for anything else."""
    prefix, sep, external_id = text.partition(":")
    found = messenger_by_prefix(prefix)
    if not sep or found is None or not external_id or any(c.isspace() for c in external_id):
        raise ValueError("write an identity as tg:<telegram id>, wa:<phone> or console:<name>")
    return found.name, external_id


def format_identity(channel: str, external_id: str) -> str:
    return f"{messenger(channel).prefix}:{external_id}"


_FIND_IDENTITY = select(Identity).where(
    Identity.channel == bindparam("channel"), Identity.external_id == bindparam("external_id")
)


# Built once: this runs for every incoming message.
_FIND_RESIDENT = (
    select(Resident)
    .join(Identity, Identity.resident_id == Resident.id)
    .where(
        Identity.channel == bindparam("channel"), Identity.external_id == bindparam("external_id")
    )
)


async def find_identity(session: AsyncSession, channel: str, external_id: str) -> Identity | None:
    return await session.scalar(_FIND_IDENTITY, {"channel": channel, "external_id": external_id})


async def find_resident(session: AsyncSession, channel: str, external_id: str) -> Resident | None:
    """The resident behind a messenger account; this runs for every incoming message."""
    return await session.scalar(_FIND_RESIDENT, {"channel": channel, "external_id": external_id})


async def note_inbound(session: AsyncSession, channel: str, external_id: str, at: datetime) -> None:
    """Remember when the person last wrote from this account."""
    await session.execute(
        update(Identity)
        .where(Identity.channel == channel, Identity.external_id == external_id)
        .values(last_inbound_at=at)
    )


async def identities_of(session: AsyncSession, resident_id: int) -> list[Identity]:
    result = await session.scalars(
        select(Identity).where(Identity.resident_id == resident_id).order_by(Identity.id)
    )
    return list(result)


_E164 = re.compile(r"^\+\d{6,15}$")


def normalise_phone(number: str, *, region: str) -> str | None:
    """E.164 (+37120000000), or None when it is not a valid phone number."""
    try:
        parsed = phonenumbers.parse(number.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_phone_number(external_id: str) -> bool:
    """Whether an account is known by its phone number (WhatsApp, SMS)."""
    return _E164.match(external_id) is not None


async def resident_with_phone(session: AsyncSession, phone: str) -> Resident | None:
    """The registered resident whose verified phone number this is."""
    return await session.scalar(
        select(Resident)
        .where(
            Resident.phone == phone,
            Resident.consented_at.is_not(None),
            Resident.erased_at.is_(None),
        )
        .order_by(Resident.id)
        .limit(1)
    )


async def add_identity(
    session: AsyncSession, resident: Resident, *, channel: str, external_id: str
) -> Identity:
    identity = Identity(resident_id=resident.id, channel=channel, external_id=external_id)
    session.add(identity)
    await session.flush()
    return identity


async def merge_into(session: AsyncSession, *, keep: Resident, other: Resident) -> None:
    """The same person registered twice (Telegram and WhatsApp): their accounts and roles
    move to `keep`; `other` stays only as an anonymous count."""
    from models.roles import RoleGrant

    other_id, keep_id = other.id, keep.id
    await session.execute(
        update(Identity)
        .where(Identity.resident_id == other_id)
        .values(resident_id=keep_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RoleGrant)
        .where(RoleGrant.resident_id == other_id)
        .values(resident_id=keep_id)
        .execution_options(synchronize_session=False)
    )
    await erase_resident(session, other)


async def register_resident(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    language: str,
    display_name: str | None,
) -> Resident:
    """Create a resident who has agreed to the privacy notice, with their first identity.

    An account known by its phone number gives the resident that (verified) number."""
    resident = Resident(
        language=language,
        display_name=display_name,
        consented_at=utcnow(),
        phone=external_id if is_phone_number(external_id) else None,
    )
    session.add(Identity(resident=resident, channel=channel, external_id=external_id))
    await session.flush()
    return resident


async def erase_resident(session: AsyncSession, resident: Resident) -> None:
    """Remove everything that identifies the person; the row stays as an anonymous count."""
    from models.conversations import Conversation
    from models.roles import RoleGrant

    for identity in await identities_of(session, resident.id):
        await session.execute(
            delete(Conversation).where(
                Conversation.channel == identity.channel,
                Conversation.external_id == identity.external_id,
            )
        )
        await session.delete(identity)
    await session.execute(delete(RoleGrant).where(RoleGrant.resident_id == resident.id))
    resident.display_name = None
    resident.phone = None
    resident.offline_details = None
    resident.locality_id = None
    resident.house_id = None
    resident.subscribed = False
    resident.erased_at = utcnow()
    await session.flush()
