"""The municipality, its units (parishes and towns) and their localities (villages,
neighbourhoods). They come from a territory file (models/territory_file.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    String,
    UniqueConstraint,
    bindparam,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.dialog.router import fold
from bot.i18n import PlaceName
from models.base import Base
from models.place_forms import latvian_forms

LOCALITY_NAME_MAX = 80


class Named:
    """A place with its official Latvian `name`, its `names` by language code and, by
    language, the case forms of that name (`forms["lv"]["gen"]`)."""

    name: str
    names: dict[str, str]
    forms: dict[str, dict[str, str]]

    def name_in(self, language: str) -> str:
        return (self.names or {}).get(language) or self.name

    def label_in(self, language: str) -> str:
        """The name standing on its own (a button, a line of a list, a table cell), with a
        capital: "Город Алуксне", where a sentence has "в городе Алуксне"."""
        name = self.name_in(language)
        return name[:1].upper() + name[1:]

    def place_in(self, language: str) -> PlaceName:
        """The name to put in a text in `language`, with its case forms. A name without a
        translation is the Latvian one, and its Latvian forms are no use in another language."""
        translated = (self.names or {}).get(language)
        forms = (self.forms or {}).get(language, {}) if translated or language == "lv" else {}
        return PlaceName(translated or self.name, forms, language)

    def all_names(self) -> list[str]:
        return [self.name, *(self.names or {}).values()]


UNIT_KINDS = ("town", "parish")


class Municipality(Named, Base):
    """The municipality whose council this is: one row, named in texts ("Alūksnes novada
    iedzīvotāju padome")."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    forms: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    # One more at each import that changes the territory: the bot then reads it again.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Unit(Named, Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # "town" or "parish" (UNIT_KINDS)
    kind: Mapped[str] = mapped_column(String(10), default="parish", server_default="parish")
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    forms: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    sort_order: Mapped[int] = mapped_column(default=0)
    invite_link: Mapped[str | None] = mapped_column(String(300))
    telegram_group_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The bot's invite link to that group, which asks to join (the bot lets residents in),
    # or why it could not make one ("not_admin", "failed").
    telegram_join_link: Mapped[str | None] = mapped_column(String(300))
    telegram_join_link_problem: Mapped[str | None] = mapped_column(String(20))

    # Loaded on purpose with `list_localities`: most screens need the units' names only.
    localities: Mapped[list[Locality]] = relationship(
        back_populates="unit", order_by="Locality.name", lazy="raise"
    )


class Locality(Named, Base):
    __tablename__ = "localities"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(LOCALITY_NAME_MAX))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    forms: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )

    unit: Mapped[Unit] = relationship(back_populates="localities", lazy="joined")


def place_label(unit: Unit | None, locality: Locality | None, language: str) -> str:
    """ "Alsviķu pagasts, Kolberģis" in a language, for a list, a label or after a colon."""
    if locality is not None:
        return f"{locality.unit.name_in(language)}, {locality.name_in(language)}"
    return unit.name_in(language) if unit is not None else ""


# Built once: onboarding runs these for every resident.
_UNITS = select(Unit).order_by(Unit.sort_order, Unit.name)
_UNIT_BY_SLUG = select(Unit).where(Unit.slug == bindparam("slug"))
_LOCALITIES_OF = (
    select(Locality).where(Locality.unit_id == bindparam("unit_id")).order_by(Locality.name)
)


async def list_units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(_UNITS))


# By database: the territory's version and the units' names in it.
_unit_choices: dict[str, tuple[int, list[tuple[str, dict[str, str], str]]]] = {}
_VERSION = select(Municipality.version).order_by(Municipality.id).limit(1)


async def unit_choices(session: AsyncSession, language: str) -> list[tuple[str, str]]:
    """(name in `language`, slug) of every unit, in order. Onboarding shows them to every
    newcomer, so they are read again only when a territory import has changed them (the
    municipality's `version`)."""
    key = str(session.bind.url)
    version = await session.scalar(_VERSION) or 0
    cached = _unit_choices.get(key)
    if cached is None or cached[0] != version:
        cached = (
            version,
            [(unit.name, dict(unit.names or {}), unit.slug) for unit in await list_units(session)],
        )
        _unit_choices[key] = cached
    labels = [(names.get(language) or name, slug) for name, names, slug in cached[1]]
    return [(label[:1].upper() + label[1:], slug) for label, slug in labels]


async def get_municipality(session: AsyncSession) -> Municipality | None:
    """The municipality; None only before a territory is imported."""
    return await session.scalar(select(Municipality).order_by(Municipality.id).limit(1))


async def unit_by_slug(session: AsyncSession, slug: str) -> Unit | None:
    return await session.scalar(_UNIT_BY_SLUG, {"slug": slug})


async def unit_by_group_chat(session: AsyncSession, chat_id: int) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.telegram_group_chat_id == chat_id))


async def list_localities(session: AsyncSession, unit_id: int) -> list[Locality]:
    return list(await session.scalars(_LOCALITIES_OF, {"unit_id": unit_id}))


async def locality_by_id(session: AsyncSession, locality_id: int) -> Locality | None:
    return await session.get(Locality, locality_id)


def _clean(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > LOCALITY_NAME_MAX:
        raise ValueError(f"a locality name has 1 to {LOCALITY_NAME_MAX} characters")
    if not any(ch.isalpha() for ch in clean):
        raise ValueError("a locality name has letters (residents choose it by its name)")
    return clean


async def add_locality(
    session: AsyncSession,
    *,
    unit: Unit,
    name: str,
    forms: dict[str, str] | None = None,
    russian: str | None = None,
) -> Locality:
    """Add a locality to a unit; the same name twice (any letter case) is refused. Its
    Latvian case forms are derived from its ending where that is certain; `forms` given
    ({"gen": ...}) replace derived ones."""
    clean = _clean(name)
    # casefold in Python: SQLite's lower() leaves Latvian letters as they are
    existing = await list_localities(session, unit.id)
    if any(item.name.casefold() == clean.casefold() for item in existing):
        raise ValueError("this unit already has a locality of that name")
    locality = Locality(unit_id=unit.id, name=clean, names={"lv": clean}, forms={})
    set_locality_names(locality, forms=forms or {}, russian=russian, derive=True)
    session.add(locality)
    await session.flush()
    return locality


def set_locality_names(
    locality: Locality,
    *,
    forms: dict[str, str],
    russian: str | None = None,
    derive: bool = False,
) -> None:
    """Set a locality's Latvian case forms (given ones over derived ones; an empty string
    removes a form) and its Russian name. Russian case forms are not kept for localities:
    Russian texts name a locality without declining it."""
    unknown = set(forms) - {"gen", "dat", "loc", "acc"}
    if unknown:
        raise ValueError(f"unknown case: {', '.join(sorted(unknown))}")
    latvian = latvian_forms(locality.name) if derive else dict((locality.forms or {}).get("lv", {}))
    for case, form in forms.items():
        if form.strip():
            latvian[case] = _clean(form)
        else:
            latvian.pop(case, None)
    names = dict(locality.names or {})
    if russian is not None:
        if russian.strip():
            names["ru"] = _clean(russian)
        else:
            names.pop("ru", None)
    # new dicts, so the JSON columns are seen as changed
    locality.names = names
    locality.forms = {"lv": latvian} if latvian else {}


# Cyrillic as a Russian speaker spells Latvian place names, letter by letter in Latin.
_LATIN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "z",
        "з": "z",
        "и": "i",
        "й": "j",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "h",
        "ц": "c",
        "ч": "c",
        "ш": "s",
        "щ": "s",
        "ъ": "",
        "ы": "i",
        "ь": "",
        "э": "e",
        "ю": "ju",
        "я": "ja",
    }
)
# A typed word and a name's first word must share this many letters at least.
_STEM = 4
# Endings a typed word may differ by ("Alsviķi", "Алсвики", "Алсвикская").
_ENDING = 3

# Words that say what kind of place it is, not which one.
_GENERIC = {"pagasts", "pilseta", "volost", "gorod", "parish", "town"}

P = TypeVar("P", bound=Named)


def _words(name: str) -> list[str]:
    words = fold(name).translate(_LATIN).replace("-", " ").replace(",", " ").split()
    return [word for word in words if word not in _GENERIC]


def _shared(typed: str, word: str) -> int:
    length = 0
    for mine, theirs in zip(typed, word, strict=False):
        if mine != theirs:
            break
        length += 1
    return length


def match_places(places: Sequence[P], typed: str, *, slugs: Iterable[str] = ()) -> list[P]:
    """The places a typed name means, in any language, any case, with or without diacritics:
    the whole name ("Алсвикская волость"), without "parish" or "town", or a stem of its first
    word ("Алсвики", "alsviki"). Only the best matches are returned: one is an answer."""
    wanted = _words(typed)
    if not wanted:
        return []
    slug_list = list(slugs)
    exact = [
        place
        for index, place in enumerate(places)
        if any(_words(name) == wanted for name in place.all_names())
        or (index < len(slug_list) and [slug_list[index]] == wanted)
    ]
    if exact:
        return exact
    first = wanted[0]
    if len(first) < _STEM:
        return []
    scored: list[tuple[int, P]] = []
    for place in places:
        best = 0
        for name in place.all_names():
            words = _words(name)
            if not words:
                continue
            shared = _shared(first, words[0])
            if shared >= _STEM and shared >= min(len(first), len(words[0])) - _ENDING:
                best = max(best, shared)
        if best:
            scored.append((best, place))
    if not scored:
        return []
    top = max(score for score, _ in scored)
    return [place for score, place in scored if score == top]
