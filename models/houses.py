"""Houses of a unit (from the State Address Register), the house a resident lives in, and
how many houses and flats the council reaches."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, String, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.dialog.router import fold
from bot.parsing import parse_number
from models.base import Base, utcnow
from models.residents import Identity, Resident
from models.territory import Locality, Unit, list_localities, match_places

STREET_MAX = 120
NAME_MAX = 120
NUMBER_MAX = 20
# A house with more flats than this is surely a mistyped number.
FLATS_MAX = 2000


class House(Base):
    """A house (an address) of a unit; an apartment block has its number of flats."""

    __tablename__ = "houses"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL"), index=True
    )
    # The address code of the State Address Register (digits); None for a house added by
    # hand without one. Re-imports update the house of the same code.
    address_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    street: Mapped[str | None] = mapped_column(String(STREET_MAX))
    # A rural house's name ("Kalnieši"), for houses without a street.
    house_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    number: Mapped[str | None] = mapped_column(String(NUMBER_MAX))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # The number of flats of an apartment block; None for a house of one household.
    flats: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """The address as people say it: "Pils iela 12", or a rural house's name."""
        if self.street:
            return f"{self.street} {self.number}".strip() if self.number else self.street
        if self.house_name and self.number:
            return f"{self.house_name} {self.number}"
        return self.house_name or self.number or ""

    @property
    def is_block(self) -> bool:
        return bool(self.flats) and (self.flats or 0) > 1


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


# A Latvian postcode: LV-4301, written also LV4301 or 4301 (ASCII digits only).
_POSTCODE = re.compile(r"^(LV-?)?[0-9]{4}$", re.IGNORECASE | re.ASCII)
# A house number on a street: 12, 12a, 3k-2, 5/1; never 0, never digits of another script.
_HOUSE_NUMBER = re.compile(r"^[1-9][0-9]*[a-zA-Z]?(?:[/-][0-9]+[a-zA-Z]?)?$", re.ASCII)


def clean_postcode(text: str | None) -> str | None:
    """The postcode as `LV-4301`, or None when it is empty or not a Latvian postcode."""
    postcode = _clean(text).upper()
    if not _POSTCODE.match(postcode):
        return None
    return postcode if postcode.startswith("LV-") else f"LV-{postcode.removeprefix('LV')}"


def _is_code(text: str) -> bool:
    """An address code: ASCII digits (`²` or `٣` is none)."""
    return text.isascii() and text.isdigit()


def house_sort_key(house: House) -> tuple[str, int, str, str]:
    """Streets in alphabetical order, numbers in numeric order (2 before 10)."""
    digits = re.match(r"\d+", house.number or "")
    return (
        fold(house.street or house.house_name or ""),
        int(digits.group()) if digits else 0,
        fold(house.number or ""),
        fold(house.house_name or ""),
    )


async def houses_of(
    session: AsyncSession, *, unit_id: int, locality_id: int | None = None
) -> list[House]:
    """The houses of a unit (or of one of its localities), in address order."""
    query = select(House).where(House.unit_id == unit_id)
    if locality_id is not None:
        query = query.where(House.locality_id == locality_id)
    return sorted(await session.scalars(query), key=house_sort_key)


async def house_by_id(session: AsyncSession, house_id: int | None) -> House | None:
    return await session.get(House, house_id) if house_id is not None else None


async def house_by_code(session: AsyncSession, code: str) -> House | None:
    return await session.scalar(select(House).where(House.address_code == code.strip()))


async def has_houses(session: AsyncSession, *, unit_id: int, locality_id: int | None) -> bool:
    query = select(House.id).where(House.unit_id == unit_id)
    if locality_id is not None:
        query = query.where(House.locality_id == locality_id)
    return await session.scalar(query.limit(1)) is not None


async def add_house(
    session: AsyncSession,
    *,
    unit: Unit,
    locality: Locality | None = None,
    street: str | None = None,
    house_name: str | None = None,
    number: str | None = None,
    address_code: str | None = None,
    postcode: str | None = None,
    flats: int | None = None,
) -> House:
    """Add one house by hand; the same address (or address code) twice is refused."""
    street, house_name, number = _clean(street), _clean(house_name), _clean(number)
    if not street and not house_name:
        raise ValueError("a house needs a street or a house name")
    if street and not number:
        raise ValueError("a house on a street needs its number")
    if len(street) > STREET_MAX or len(house_name) > NAME_MAX or len(number) > NUMBER_MAX:
        raise ValueError("the street, name or number is too long")
    if street and not any(ch.isalpha() for ch in street):
        raise ValueError("a street's name has letters")
    if house_name and not any(ch.isalpha() for ch in house_name):
        raise ValueError("a house's name has letters")
    if number and not _HOUSE_NUMBER.match(number):
        raise ValueError("a house number is like 12, 12a or 3k-2 (digits 0-9, not 0)")
    if flats is not None and not 0 <= flats <= FLATS_MAX:
        raise ValueError(f"the number of flats must be between 0 and {FLATS_MAX}")
    if locality is not None and locality.unit_id != unit.id:
        raise ValueError("that village is not in that parish or town")
    code = _clean(address_code) or None
    if code is not None:
        if not _is_code(code):
            raise ValueError("an address code is digits 0-9 only")
        if await house_by_code(session, code) is not None:
            raise ValueError("a house with that address code is already known")
    candidate = House(street=street or None, house_name=house_name or None, number=number or None)
    for existing in await houses_of(session, unit_id=unit.id):
        if fold(existing.label) == fold(candidate.label):
            raise ValueError("that address is already known in that parish or town")
    house = House(
        unit_id=unit.id,
        locality_id=locality.id if locality else None,
        address_code=code,
        street=street or None,
        house_name=house_name or None,
        number=number or None,
        postcode=clean_postcode(postcode),
        flats=flats,
    )
    session.add(house)
    await session.flush()
    return house


# ------------------------------------------------------------ import from the register's CSV

# The columns read from the State Address Register's export, by header name (case and the
# register's `#` text marks ignored); the first name found is used.
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("KODS", "ADR_CD"),
    "street": ("IELA", "IELA_NOS"),
    "name": ("NOSAUKUMS",),
    "village": ("CIEMS", "CIEMS_NOS"),
    "parish": ("PAGASTS", "PAGASTS_NOS", "PILSETA", "PILSETA_NOS"),
    "postcode": ("ATRIB", "PASTA_INDEKSS"),
    "flats": ("DZIV_SKAITS", "DZIVOKLI"),
    "status": ("STATUSS",),
}
REQUIRED = ("code", "name")
# The register's status of an address in use; other rows (DEL, ERR) are left out.
EXISTING = "EKS"


class ImportRefused(ValueError):
    """The whole file is refused (no header we can read): nothing was imported."""


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # (line number, reason): rows not imported, and rows imported with a remark.
    problems: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


def _header_key(name: str) -> str:
    return fold(name.strip().strip("#")).upper().replace(" ", "_")


def _value(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return _clean(row[index].strip().strip("#"))


def read_register_csv(content: bytes) -> tuple[dict[str, int | None], list[tuple[int, list[str]]]]:
    """The column positions and the rows (with their line numbers) of an export; the
    register writes `;` between fields and `#` around texts, a spreadsheet may write `,`
    and `"`."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.startswith("//")), "")
    if not first:
        raise ImportRefused("the file is empty")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    quotechar = "#" if first.lstrip().startswith("#") else '"'
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        # A comment line (the test files say they are made up).
        if row[0].lstrip().startswith("//"):
            continue
        if header is None:
            header = [_header_key(cell) for cell in row]
            continue
        rows.append((reader.line_num, row))
    positions: dict[str, int | None] = {}
    for key, names in COLUMNS.items():
        positions[key] = next(
            (header.index(name) for name in names if name in (header or [])), None
        )
    missing = [COLUMNS[key][0] for key in REQUIRED if positions[key] is None]
    if missing:
        raise ImportRefused(f"the header has no column {', '.join(missing)}")
    return positions, rows


async def import_houses(session: AsyncSession, *, unit: Unit, content: bytes) -> ImportReport:
    """Import the houses of `unit` from an export of the State Address Register. A bad row is
    reported by its line and left out; good rows are added, or update the house of the same
    address code."""
    positions, rows = read_register_csv(content)
    report = ImportReport()
    localities = await list_localities(session, unit.id)
    seen: dict[str, int] = {}
    for line, row in rows:
        values = {key: _value(row, index) for key, index in positions.items()}
        status = values["status"].upper()
        if status and status != EXISTING:
            report.problems.append((line, f"the register marks it {status}, not {EXISTING}"))
            continue
        code = values["code"]
        if not code:
            report.problems.append((line, "no address code (KODS)"))
            continue
        if not _is_code(code) or len(code) > 20:
            report.problems.append((line, f"the address code {code!r} is not a number"))
            continue
        if code in seen:
            report.problems.append((line, f"address code {code} is already on line {seen[code]}"))
            continue
        seen[code] = line
        street, name = values["street"], values["name"]
        if not name:
            report.problems.append((line, "no house number or name (NOSAUKUMS)"))
            continue
        if len(street) > STREET_MAX or len(name) > NAME_MAX:
            report.problems.append((line, "the street or house name is too long"))
            continue
        if street and len(name) > NUMBER_MAX:
            report.problems.append((line, f"the house number {name!r} is too long"))
            continue
        parish = values["parish"]
        if parish and not match_places([unit], parish):
            report.problems.append((line, f"{parish!r} is not {unit.name}"))
            continue
        flats: int | None = None
        if values["flats"]:
            counted = parse_number(values["flats"], low=0, high=FLATS_MAX)
            if counted is None:
                report.problems.append(
                    (
                        line,
                        f"the number of flats {values['flats']!r} is not a whole number "
                        f"from 0 to {FLATS_MAX}",
                    )
                )
                continue
            flats = counted or None
        postcode = clean_postcode(values["postcode"])
        if values["postcode"] and postcode is None:
            report.notes.append(
                (line, f"postcode {values['postcode']!r} left out: not like LV-4301")
            )
        locality_id = None
        if values["village"]:
            found = [item for item in localities if fold(item.name) == fold(values["village"])]
            if not found:
                found = match_places(localities, values["village"])
            if len(found) == 1:
                locality_id = found[0].id
            else:
                report.notes.append(
                    (
                        line,
                        f"village {values['village']!r} is not a village of {unit.name} here; "
                        "the house is kept without a village (add it with `padome localities add`)",
                    )
                )
        fields = {
            "unit_id": unit.id,
            "locality_id": locality_id,
            "street": street or None,
            "house_name": None if street else name,
            "number": name if street else None,
            "postcode": postcode,
            "flats": flats,
        }
        existing = await house_by_code(session, code)
        if existing is None:
            session.add(House(address_code=code, **fields))
            report.added += 1
            continue
        if existing.unit_id != unit.id:
            report.problems.append(
                (line, f"address code {code} is a house of {existing.unit.name}")
            )
            continue
        changed = False
        for key, value in fields.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
                changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()
    return report


# ------------------------------------------------------------------- a resident's house

_NUMBER = re.compile(r"^\d+[a-zA-Z]?(?:[/-]\d+[a-zA-Z]?)?$")


def match_address(houses: list[House], typed: str) -> tuple[list[House], str | None]:
    """The houses a typed address means ("Pils iela 12", "pils 12", "Kalnieši"), and the
    street it names when the number is missing or unknown."""
    words = fold(typed).replace(",", " ").split()
    if not words:
        return [], None
    number = words[-1] if len(words) > 1 and _NUMBER.match(words[-1]) else None
    street_words = words[:-1] if number else words
    street_typed = " ".join(street_words)
    # "iela" and the like say what kind of place it is, not which one
    generic = {"iela", "ul", "ulica", "ulitsa", "street", "st"}
    core = " ".join(word.rstrip(".") for word in street_words if word.rstrip(".") not in generic)
    streets: dict[str, str] = {}
    for house in houses:
        if house.street:
            streets.setdefault(fold(house.street), house.street)
    named = [house for house in houses if not house.street and house.house_name]
    exact_names = [house for house in named if fold(house.label) == fold(typed)]
    if exact_names:
        return exact_names, None

    def street_core(name: str) -> str:
        return " ".join(word for word in name.split() if word not in generic)

    chosen = [
        name for key, name in streets.items() if key == street_typed or street_core(key) == core
    ]
    if not chosen and len(core) >= 3:
        chosen = [name for key, name in streets.items() if street_core(key).startswith(core)]
    if len(chosen) == 1:
        street = chosen[0]
        on_street = [house for house in houses if house.street == street]
        if number:
            found = [house for house in on_street if fold(house.number or "") == number]
            if found:
                return found, street
        return [], street
    if not number and len(typed.strip()) >= 3:
        starts = [house for house in named if fold(house.label).startswith(fold(typed))]
        if starts:
            return starts, None
    return [], None


async def set_house(session: AsyncSession, resident: Resident, house: House | None) -> None:
    resident.house_id = house.id if house is not None else None
    await session.flush()


async def export_house(session: AsyncSession, resident: Resident) -> dict[str, object] | None:
    house = await house_by_id(session, resident.house_id)
    if house is None:
        return None
    return {
        "address": house.label,
        "unit": house.unit.name,
        "locality": house.locality.name if house.locality else None,
        "address_code": house.address_code,
    }


async def erase_house(session: AsyncSession, resident: Resident) -> None:
    resident.house_id = None
    await session.flush()


# ----------------------------------------------------------------------------- coverage


def reachable_resident() -> object:
    """Residents who count as reached: not erased, consented, and with an active account on
    any messenger or registered by staff without a phone."""
    return and_(
        Resident.erased_at.is_(None),
        Resident.consented_at.is_not(None),
        or_(
            Resident.offline_contact.is_not(None),
            exists(
                select(Identity.id).where(
                    Identity.resident_id == Resident.id, Identity.active.is_(True)
                )
            ),
        ),
    )


async def reached_per_house(session: AsyncSession, house_ids: list[int]) -> dict[int, int]:
    """How many reachable residents said each house is theirs."""
    if not house_ids:
        return {}
    rows = await session.execute(
        select(Resident.house_id, func.count())
        .where(Resident.house_id.in_(house_ids), reachable_resident())
        .group_by(Resident.house_id)
    )
    return {int(house_id): int(count) for house_id, count in rows}


@dataclass
class Coverage:
    """The coverage of one place (a unit, a locality, or a set of houses)."""

    unit: Unit
    locality: Locality | None
    # The unit's (or the elder's) total, rather than one locality's row.
    total: bool = False
    # The houses a house elder is elder of, over whatever parishes they lie in.
    elder: bool = False
    houses: int = 0
    reached: int = 0
    flats: int = 0
    flats_reached: int = 0
    not_reached: list[House] = field(default_factory=list)

    def add(self, house: House, residents: int) -> None:
        self.houses += 1
        if residents:
            self.reached += 1
        else:
            self.not_reached.append(house)
        if house.is_block:
            self.flats += house.flats or 0
            self.flats_reached += min(residents, house.flats or 0)


async def coverage(
    session: AsyncSession,
    *,
    units: list[Unit],
    locality_id: int | None = None,
    house_ids: list[int] | None = None,
) -> list[Coverage]:
    """Coverage per unit and per locality of each unit ("without a village" as a locality
    None row after the unit's total when some houses have none); with `locality_id` only
    that locality, with `house_ids` only those houses (a house elder's)."""
    results: list[Coverage] = []
    for unit in units:
        query = select(House).where(House.unit_id == unit.id)
        if locality_id is not None:
            query = query.where(House.locality_id == locality_id)
        if house_ids is not None:
            query = query.where(House.id.in_(house_ids))
        houses = sorted(await session.scalars(query), key=house_sort_key)
        counts = await reached_per_house(session, [house.id for house in houses])
        total = Coverage(unit=unit, locality=None, total=True)
        by_locality: dict[int | None, Coverage] = {}
        for house in houses:
            residents = counts.get(house.id, 0)
            total.add(house, residents)
            row = by_locality.get(house.locality_id)
            if row is None:
                row = by_locality[house.locality_id] = Coverage(unit=unit, locality=house.locality)
            row.add(house, residents)
        if locality_id is not None and house_ids is None:
            results.extend(by_locality.values() or [Coverage(unit=unit, locality=None, total=True)])
            continue
        results.append(total)
        if house_ids is None and any(key is not None for key in by_locality):
            results.extend(
                row
                for _, row in sorted(
                    by_locality.items(),
                    key=lambda item: (
                        item[0] is None,
                        fold(item[1].locality.name) if item[1].locality else "",
                    ),
                )
            )
    return results
