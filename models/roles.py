"""Roles, their scope (unit or locality), and the checks every privileged action calls."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import codes
from models.base import Base, utcnow
from models.houses import House
from models.residents import Resident, format_identity, identities_of
from models.territory import Locality, Unit, place_label


class Role(enum.StrEnum):
    DEPUTY = "deputy"  # locality deputy, scoped to a locality
    HOUSE_ELDER = "house_elder"  # house elder of an apartment block, scoped to a house
    REPRESENTATIVE = "representative"  # unit representative, scoped to a unit
    WORKING_GROUP = "working_group"  # unit working-group member, scoped to a unit
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    COUNCIL_MEMBER = "council_member"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


UNIT_SCOPED = frozenset({Role.REPRESENTATIVE, Role.WORKING_GROUP})
LOCALITY_SCOPED = frozenset({Role.DEPUTY})
HOUSE_SCOPED = frozenset({Role.HOUSE_ELDER})
STAFF = frozenset({Role.COORDINATOR, Role.ADMIN})
# Roles a coordinator may hand out in chat; admin and coordinator come from admins only.
COORDINATOR_GRANTABLE = frozenset(Role) - STAFF


class RoleGrant(Base):
    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"))
    # The house of a house elder (models.houses.House); a plain number, as a column added
    # to this table cannot carry a foreign key on SQLite.
    house_id: Mapped[int | None]
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")
    resident: Mapped[Resident] = relationship(foreign_keys=[resident_id], lazy="joined")
    house: Mapped[House | None] = relationship(
        primaryjoin="foreign(RoleGrant.house_id) == House.id", lazy="joined", viewonly=True
    )

    @property
    def place(self) -> str:
        """The house, locality or unit the role is for; empty for a council-wide role."""
        return self.place_in("lv")

    def place_in(self, language: str) -> str:
        """The same in a language: "Алсвикская волость, Kolberģis"."""
        place = place_label(self.unit, self.locality, language)
        if self.house is not None:
            return f"{place}, {self.house.label}" if place else self.house.label
        return place


@dataclass(frozen=True)
class Roles:
    """What one resident may do, resolved once per incoming message."""

    grants: tuple[tuple[Role, int | None, int | None], ...] = ()
    bootstrap_admin: bool = False
    # The houses the person is house elder of.
    elder_houses: frozenset[int] = frozenset()

    def has(self, role: Role) -> bool:
        return (role is Role.ADMIN and self.bootstrap_admin) or any(
            granted is role for granted, _, _ in self.grants
        )

    @property
    def is_staff(self) -> bool:
        return self.bootstrap_admin or any(self.has(role) for role in STAFF)

    @property
    def is_privileged(self) -> bool:
        return self.bootstrap_admin or bool(self.grants)

    def units_as(self, role: Role) -> set[int]:
        return {unit for granted, unit, _ in self.grants if granted is role and unit is not None}

    def localities_as(self, role: Role) -> set[int]:
        return {loc for granted, _, loc in self.grants if granted is role and loc is not None}

    def may_manage_unit(self, unit_id: int) -> bool:
        """Representatives manage their own unit; coordinators and admins manage all."""
        return self.is_staff or unit_id in self.units_as(Role.REPRESENTATIVE)

    def may_grant(self, role: Role) -> bool:
        if self.has(Role.ADMIN):
            return True
        return self.has(Role.COORDINATOR) and role in COORDINATOR_GRANTABLE


# Built once: this runs for every incoming message.
_GRANTS_OF = select(
    RoleGrant.role, RoleGrant.unit_id, RoleGrant.locality_id, RoleGrant.house_id
).where(RoleGrant.resident_id == bindparam("resident_id"))


async def load_roles(session: AsyncSession, resident: Resident, *, admins: list[str]) -> Roles:
    """Resolve a resident's roles: their grants, plus admin when an account is in ADMINS."""
    rows = list(await session.execute(_GRANTS_OF, {"resident_id": resident.id}))
    grants = tuple((Role(role), unit, loc) for role, unit, loc, _ in rows)
    elder_houses = frozenset(
        house for role, _, _, house in rows if role == Role.HOUSE_ELDER and house is not None
    )
    bootstrap_admin = bool(admins) and any(
        format_identity(item.channel, item.external_id) in admins
        for item in await identities_of(session, resident.id)
    )
    return Roles(grants=grants, bootstrap_admin=bootstrap_admin, elder_houses=elder_houses)


async def list_grants_of(session: AsyncSession, resident_id: int) -> list[RoleGrant]:
    result = await session.scalars(
        select(RoleGrant).where(RoleGrant.resident_id == resident_id).order_by(RoleGrant.id)
    )
    return list(result)


async def list_grants(session: AsyncSession, *, role: Role | None = None) -> list[RoleGrant]:
    query = select(RoleGrant).order_by(RoleGrant.role, RoleGrant.id)
    if role is not None:
        query = query.where(RoleGrant.role == role.value)
    return list(await session.scalars(query))


def _check_scope(
    role: Role, unit: Unit | None, locality: Locality | None, house: House | None = None
) -> None:
    if role in HOUSE_SCOPED:
        if house is None or unit is not None or locality is not None:
            raise ValueError(f"the role {role.value} needs a house (--house <address code>)")
        return
    if house is not None:
        raise ValueError(f"the role {role.value} is not for a house")
    if role in UNIT_SCOPED and (unit is None or locality is not None):
        raise ValueError(f"the role {role.value} needs a unit (--territory <unit slug>)")
    if role in LOCALITY_SCOPED and locality is None:
        raise ValueError(f"the role {role.value} needs a locality (--territory <unit>/<locality>)")
    if role not in UNIT_SCOPED | LOCALITY_SCOPED and (unit or locality):
        raise ValueError(f"the role {role.value} is council-wide and takes no territory")


async def grant_role(
    session: AsyncSession,
    *,
    resident: Resident,
    role: Role,
    unit: Unit | None = None,
    locality: Locality | None = None,
    house: House | None = None,
    granted_by: Resident | None = None,
) -> tuple[RoleGrant, bool]:
    """Grant a role; granting what the resident already has changes nothing."""
    _check_scope(role, unit, locality, house)
    unit_id = locality.unit_id if locality else (unit.id if unit else None)
    locality_id = locality.id if locality else None
    if house is not None:
        unit_id = house.unit_id
    existing = await session.scalar(
        select(RoleGrant).where(
            RoleGrant.resident_id == resident.id,
            RoleGrant.role == role.value,
            RoleGrant.unit_id.is_(None) if unit_id is None else RoleGrant.unit_id == unit_id,
            RoleGrant.locality_id.is_(None)
            if locality_id is None
            else RoleGrant.locality_id == locality_id,
            RoleGrant.house_id.is_(None) if house is None else RoleGrant.house_id == house.id,
        )
    )
    if existing is not None:
        return existing, False
    grant = RoleGrant(
        resident_id=resident.id,
        role=role.value,
        unit_id=unit_id,
        locality_id=locality_id,
        house_id=house.id if house else None,
        granted_by_id=granted_by.id if granted_by else None,
    )
    session.add(grant)
    await session.flush()
    return grant, True


async def revoke_role(
    session: AsyncSession,
    *,
    resident: Resident,
    role: Role,
    unit: Unit | None = None,
    locality: Locality | None = None,
    house: House | None = None,
) -> int:
    """Revoke a role (for one house, in one locality or unit, or everywhere); returns how
    many were removed."""
    query = select(RoleGrant).where(
        RoleGrant.resident_id == resident.id, RoleGrant.role == role.value
    )
    if house is not None:
        query = query.where(RoleGrant.house_id == house.id)
    elif locality is not None:
        query = query.where(RoleGrant.locality_id == locality.id)
    elif unit is not None:
        query = query.where(RoleGrant.unit_id == unit.id)
    grants = list(await session.scalars(query))
    for grant in grants:
        await session.delete(grant)
    await session.flush()
    return len(grants)


INVITE_LIFETIME = timedelta(days=7)
# Typed from a letter or dictated over the phone: short, and without look-alike characters.
INVITE_CODE_LENGTH = 8
# A typed code after "LOMA": in any case, with spaces or hyphens the person added
# ("k7m2 qp3a", "K7M2-QP3A"), and always with a digit, so no ordinary sentence matches.
INVITE_CODE_TYPED = rf"(?=[^0-9]*[0-9])(?:[A-Za-z0-9][ \-]?){{{INVITE_CODE_LENGTH - 1}}}[A-Za-z0-9]"


class RoleInvite(Base):
    """A one-time code a coordinator hands to a person so they receive a role on opening it."""

    __tablename__ = "role_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"))
    house_id: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")


def _unit_id(unit: Unit | None, locality: Locality | None) -> int | None:
    return locality.unit_id if locality else (unit.id if unit else None)


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    unit: Unit | None,
    locality: Locality | None,
    created_by: Resident,
    house: House | None = None,
) -> RoleInvite:
    _check_scope(role, unit, locality, house)
    invite = RoleInvite(
        code=codes.new_code(INVITE_CODE_LENGTH),
        role=role.value,
        unit_id=(
            house.unit_id
            if house
            else (locality.unit_id if locality else (unit.id if unit else None))
        ),
        locality_id=locality.id if locality else None,
        house_id=house.id if house else None,
        created_by_id=created_by.id,
        expires_at=utcnow() + INVITE_LIFETIME,
    )
    session.add(invite)
    await session.flush()
    return invite


async def find_invite(session: AsyncSession, code: str) -> RoleInvite | None:
    """The invite of a code as typed: in any case, with spaces or hyphens added; an older,
    case-sensitive code still opens as it was sent."""
    query = select(RoleInvite).with_for_update(of=RoleInvite)
    found = await session.scalar(query.where(RoleInvite.code == codes.normal(code)))
    if found is None and code.strip():
        found = await session.scalar(query.where(RoleInvite.code == code.strip()))
    return found


async def grant_by_id(session: AsyncSession, grant_id: int) -> RoleGrant | None:
    return await session.get(RoleGrant, grant_id)
