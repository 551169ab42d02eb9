"""The territory file (YAML): the municipality, its parishes and towns and their villages and
neighbourhoods, with the names and case forms the texts need. Read, checked, stored, written.

The README ("Territory: running Padome for another municipality") describes the format;
`models/territories/aluksne.yaml` is the one that ships with Padome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CASES
from models.base import Base
from models.place_forms import latvian_forms
from models.survey_file import _Loader
from models.territory import (
    LOCALITY_NAME_MAX,
    UNIT_KINDS,
    Locality,
    Municipality,
    Unit,
)

TERRITORIES_DIR = Path(__file__).parent / "territories"
DEFAULT_TERRITORY_FILE = TERRITORIES_DIR / "aluksne.yaml"

NAME_MAX = 80
SLUG_MAX = 40
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Names in other languages than Latvian: the Latvian one is `name`.
OTHER_LANGUAGES = ("ru", "en")
_CASE_WORDS = {
    "gen": "genitive",
    "dat": "dative",
    "loc": "locative",
    "acc": "accusative",
    "ins": "instrumental",
    "prep": "prepositional",
}
_MUNICIPALITY_KEYS = {"name", "ru", "en", "forms"}
_UNIT_KEYS = {"slug", "name", "kind", "ru", "en", "forms", "localities"}
_LOCALITY_KEYS = {"name", "ru", "en", "forms", "formerly"}


class TerritoryFileError(Exception):
    """The file cannot be used; `problems` says every reason, each with its line and entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class PlaceSpec:
    name: str
    names: dict[str, str]
    forms: dict[str, dict[str, str]]


@dataclass
class LocalitySpec(PlaceSpec):
    formerly: str | None = None


@dataclass
class UnitSpec(PlaceSpec):
    slug: str = ""
    kind: str = "parish"
    localities: list[LocalitySpec] = field(default_factory=list)


@dataclass
class TerritorySpec:
    municipality: PlaceSpec
    units: list[UnitSpec]


class _Reader:
    def __init__(self, loader: _Loader, name: str) -> None:
        self.loader = loader
        self.name = name
        self.problems: list[str] = []

    def line_of(self, mapping: Any, key: str | None = None) -> int:
        if key is not None and (id(mapping), key) in self.loader.key_lines:
            return self.loader.key_lines[(id(mapping), key)]
        return self.loader.lines.get(id(mapping), 1)

    def problem(self, line: int, entry: str | None, message: str) -> None:
        where = f"{self.name}, line {line}"
        if entry:
            where += f" ({entry})"
        self.problems.append(f"{where}: {message}")

    def unknown_keys(self, mapping: dict[str, Any], allowed: set[str], entry: str) -> None:
        for key in mapping:
            if str(key) not in allowed:
                self.problem(
                    self.line_of(mapping, str(key)),
                    entry,
                    f"unknown setting '{key}' (known: {', '.join(sorted(allowed))})",
                )

    def text(
        self, mapping: dict[str, Any], key: str, entry: str, *, required: bool, limit: int
    ) -> str | None:
        raw = mapping.get(key)
        line = self.line_of(mapping, key)
        if raw is None:
            if required:
                self.problem(self.line_of(mapping), entry, f"'{key}' is missing")
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            self.problem(line, entry, f"'{key}' must be a text")
            return None
        value = " ".join(str(raw).split())
        if not value:
            self.problem(line, entry, f"'{key}' is empty")
            return None
        if len(value) > limit:
            self.problem(line, entry, f"'{key}' is longer than {limit} characters")
            return None
        return value

    def place(
        self, mapping: dict[str, Any], entry: str, *, every_case: bool, derive: bool
    ) -> PlaceSpec | None:
        """Name, names in other languages and case forms. Forms left out are derived from the
        Latvian name's ending where it tells them for certain (`derive`); forms written are
        taken as they are. `every_case`: a name in a language needs all its cases."""
        name = self.text(mapping, "name", entry, required=True, limit=NAME_MAX)
        names = {"lv": name} if name else {}
        for language in OTHER_LANGUAGES:
            other = self.text(mapping, language, entry, required=False, limit=NAME_MAX)
            if other:
                names[language] = other
        forms: dict[str, dict[str, str]] = {}
        raw = mapping.get("forms")
        forms_line = self.line_of(mapping, "forms")
        if raw is not None and not isinstance(raw, dict):
            self.problem(forms_line, entry, "'forms' must list cases by language (lv:, ru:)")
        elif raw is not None:
            for language, cases in raw.items():
                line = self.line_of(raw, str(language))
                if language not in ("lv", "ru"):
                    self.problem(line, entry, f"forms in '{language}': only lv and ru have cases")
                    continue
                if cases is None:
                    cases = {}
                if not isinstance(cases, dict):
                    self.problem(
                        line, entry, f"forms.{language} must list cases, e.g. gen: Alsviķu pagasta"
                    )
                    continue
                known = CASES[language]
                kept: dict[str, str] = {}
                for case in cases:
                    where = f"forms.{language}.{case}"
                    if case not in known:
                        self.problem(
                            self.line_of(cases, str(case)),
                            entry,
                            f"'{where}': {language} cases are {', '.join(known)}",
                        )
                        continue
                    form = self.text(cases, case, entry, required=False, limit=NAME_MAX)
                    if form:
                        kept[str(case)] = form
                if kept:
                    forms[str(language)] = kept
        # Latvian forms not written (`lv:` absent; `lv: {}` means none): from the ending.
        if derive and name and not (isinstance(raw, dict) and "lv" in raw):
            if derived := latvian_forms(name):
                forms["lv"] = derived
        if every_case and name:
            for language in ("lv", "ru"):
                if language not in names:
                    continue
                missing = [
                    _CASE_WORDS[case]
                    for case in CASES[language]
                    if case not in forms.get(language, {})
                ]
                if missing:
                    self.problem(
                        forms_line if raw is not None else self.line_of(mapping),
                        entry,
                        f"the {'Latvian' if language == 'lv' else 'Russian'} name needs every "
                        f"case; missing: {', '.join(missing)} (forms.{language})",
                    )
        if not name:
            return None
        return PlaceSpec(name=name, names=names, forms=forms)


def parse_territory(content: str, *, name: str) -> TerritorySpec:
    """Read and check a territory file; TerritoryFileError lists everything that is wrong."""
    loader = _Loader(content)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise TerritoryFileError(
            [f"{name}, line {line}: this is not valid YAML ({error.problem or error})"]
        ) from None
    except yaml.YAMLError as error:
        raise TerritoryFileError([f"{name}: this is not valid YAML ({error})"]) from None
    finally:
        loader.dispose()
    reader = _Reader(loader, name)
    if not isinstance(data, dict):
        raise TerritoryFileError(
            [f"{name}, line 1: the file must start with 'municipality:' and then 'units:'"]
        )
    reader.unknown_keys(data, {"municipality", "units"}, "")
    municipality = None
    raw = data.get("municipality")
    if not isinstance(raw, dict):
        reader.problem(
            reader.line_of(data, "municipality"),
            None,
            "'municipality' is missing: its name, e.g. name: Alūksnes novads",
        )
    else:
        reader.unknown_keys(raw, _MUNICIPALITY_KEYS, "municipality")
        municipality = reader.place(raw, "municipality", every_case=True, derive=True)
    units = _units(reader, data)
    if reader.problems:
        raise TerritoryFileError(reader.problems)
    assert municipality is not None
    return TerritorySpec(municipality=municipality, units=units)


def _units(reader: _Reader, data: dict[str, Any]) -> list[UnitSpec]:
    raw = data.get("units")
    if not isinstance(raw, list) or not raw:
        reader.problem(
            reader.line_of(data, "units"),
            None,
            "'units' must list the parishes and towns, each starting with '- slug:'",
        )
        return []
    units: list[UnitSpec] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for number, item in enumerate(raw, start=1):
        entry = f"unit {number}"
        if not isinstance(item, dict):
            reader.problem(
                reader.line_of(data, "units"), entry, "each unit has slug, name, kind and forms"
            )
            continue
        slug = reader.text(item, "slug", entry, required=True, limit=SLUG_MAX)
        if slug:
            entry = f"unit {number}, '{slug}'"
            if not _SLUG.match(slug):
                reader.problem(
                    reader.line_of(item, "slug"),
                    entry,
                    "a slug has small Latin letters, digits and '-' only, without spaces",
                )
            elif slug in slugs:
                reader.problem(reader.line_of(item, "slug"), entry, "this slug is used twice")
            slugs.add(slug)
        reader.unknown_keys(item, _UNIT_KEYS, entry)
        kind = item.get("kind")
        if kind not in UNIT_KINDS:
            reader.problem(
                reader.line_of(item, "kind"),
                entry,
                f"'kind' must be town or parish, not {kind!r}"
                if kind is not None
                else "'kind' is missing: town or parish",
            )
        place = reader.place(item, entry, every_case=True, derive=True)
        if place is not None:
            if place.name.casefold() in names:
                reader.problem(reader.line_of(item, "name"), entry, "this name is used twice")
            names.add(place.name.casefold())
        localities = _localities(reader, item, entry)
        if place is not None and slug:
            units.append(
                UnitSpec(
                    name=place.name,
                    names=place.names,
                    forms=place.forms,
                    slug=slug,
                    kind=str(kind),
                    localities=localities,
                )
            )
    return units


def _localities(reader: _Reader, unit: dict[str, Any], unit_entry: str) -> list[LocalitySpec]:
    raw = unit.get("localities")
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.problem(
            reader.line_of(unit, "localities"),
            unit_entry,
            "'localities' must list villages or neighbourhoods, each starting with '- name:'",
        )
        return []
    localities: list[LocalitySpec] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        entry = f"{unit_entry}, locality {number}"
        if not isinstance(item, dict):
            reader.problem(reader.line_of(unit, "localities"), entry, "each locality has a name")
            continue
        if isinstance(item.get("name"), str):
            entry = f"{unit_entry}, locality '{' '.join(item['name'].split())}'"
        reader.unknown_keys(item, _LOCALITY_KEYS, entry)
        # Russian texts name a locality without declining it: its forms are optional.
        place = reader.place(item, entry, every_case=False, derive=True)
        formerly = reader.text(item, "formerly", entry, required=False, limit=LOCALITY_NAME_MAX)
        if place is None:
            continue
        if len(place.name) > LOCALITY_NAME_MAX:
            reader.problem(
                reader.line_of(item, "name"),
                entry,
                f"a locality's name has at most {LOCALITY_NAME_MAX} characters",
            )
        if place.name.casefold() in seen:
            reader.problem(
                reader.line_of(item, "name"), entry, "this parish or town lists it twice"
            )
        seen.add(place.name.casefold())
        localities.append(
            LocalitySpec(name=place.name, names=place.names, forms=place.forms, formerly=formerly)
        )
    return localities


# Storing


@dataclass
class Change:
    """What an import does (or would do), in words for the person running it."""

    lines: list[str] = field(default_factory=list)
    # Units and localities in use that the file leaves out, with what uses them.
    refused: list[str] = field(default_factory=list)
    # Unused ones the file leaves out, kept because removing was not asked for.
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.lines)


def _columns_referring_to(table: str, *, skip: set[str]) -> list[Any]:
    """Every column of the schema that refers to `table`.id (residents.unit_id, ...)."""
    columns = []
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table.name == table and f"{other.name}.{key.parent.name}" not in skip:
                columns.append(key.parent)
    return columns


async def usage(session: AsyncSession, table: str, row_id: int) -> list[str]:
    """What uses a unit or locality: "residents: 3", "role grants: 1", one per table."""
    found = []
    for column in _columns_referring_to(table, skip={"localities.unit_id"}):
        count = await session.scalar(
            select(func.count()).select_from(column.table).where(column == row_id)
        )
        if count:
            found.append(f"{column.table.name.replace('_', ' ')}: {count}")
    return found


def _place_changes(row: Any, spec: PlaceSpec) -> list[str]:
    changes = []
    if row.name != spec.name:
        changes.append(f"name {row.name} → {spec.name}")
    for language, label in (("ru", "Russian name"), ("en", "English name")):
        old, new = (row.names or {}).get(language), spec.names.get(language)
        if old != new:
            changes.append(f"{label} {old or '-'} → {new or '-'}")
    if (row.forms or {}) != spec.forms:
        changes.append("case forms")
    return changes


def _set_place(row: Any, spec: PlaceSpec) -> None:
    row.name = spec.name
    row.names = dict(spec.names)
    row.forms = {language: dict(cases) for language, cases in spec.forms.items()}


async def import_territory(
    session: AsyncSession, spec: TerritorySpec, *, retire_missing: bool = False
) -> Change:
    """Bring the database's territory to the file's: units matched by slug and localities by
    name (or by `formerly`, a locality's earlier name) keep their ids; new ones are added.
    A unit or locality the file leaves out is removed only with `retire_missing`; without it,
    one in use is named in `refused` (and nothing is stored: the caller rolls back), an
    unused one in `kept`. The caller commits, or rolls back for a dry run."""
    change = Change()
    municipality = await session.scalar(select(Municipality).order_by(Municipality.id).limit(1))
    if municipality is None:
        municipality = Municipality()
        _set_place(municipality, spec.municipality)
        session.add(municipality)
        change.lines.append(f"Municipality: {spec.municipality.name}")
    elif changes := _place_changes(municipality, spec.municipality):
        change.lines.append(f"Municipality: {'; '.join(changes)}")
        _set_place(municipality, spec.municipality)

    existing = {unit.slug: unit for unit in await session.scalars(select(Unit))}
    wanted = {unit.slug for unit in spec.units}
    for slug, unit in existing.items():
        if slug in wanted:
            continue
        used = await usage(session, "units", unit.id)
        for locality in await session.scalars(select(Locality).where(Locality.unit_id == unit.id)):
            used += [
                f"{locality.name}'s {what}"
                for what in await usage(session, "localities", locality.id)
            ]
        await _leave_out(session, change, unit, f"{unit.name} ({slug})", used, retire_missing)
    for order, unit_spec in enumerate(spec.units):
        unit = existing.get(unit_spec.slug)
        if unit is None:
            unit = Unit(slug=unit_spec.slug, kind=unit_spec.kind, sort_order=order)
            _set_place(unit, unit_spec)
            session.add(unit)
            await session.flush()
            change.lines.append(f"New {unit_spec.kind}: {unit_spec.name} ({unit_spec.slug})")
        else:
            changes = _place_changes(unit, unit_spec)
            if unit.kind != unit_spec.kind:
                changes.append(f"kind {unit.kind} → {unit_spec.kind}")
            if unit.sort_order != order:
                changes.append("place in the list")
            if changes:
                change.lines.append(f"Changed {unit_spec.slug}: {'; '.join(changes)}")
            _set_place(unit, unit_spec)
            unit.kind = unit_spec.kind
            unit.sort_order = order
        await _import_localities(session, change, unit, unit_spec, retire_missing)
    if change.changed:
        municipality.version = (municipality.version or 0) + 1
    await session.flush()
    return change


async def _leave_out(
    session: AsyncSession,
    change: Change,
    row: Unit | Locality,
    label: str,
    used: list[str],
    retire_missing: bool,
) -> None:
    if retire_missing:
        what = f", which had {', '.join(used)}" if used else ""
        change.lines.append(f"Removed: {label}{what}")
        await session.execute(delete(type(row)).where(type(row).id == row.id))
    elif used:
        change.refused.append(f"{label} — {', '.join(used)}")
    else:
        change.kept.append(label)


async def _import_localities(
    session: AsyncSession,
    change: Change,
    unit: Unit,
    spec: UnitSpec,
    retire_missing: bool,
) -> None:
    rows = list(await session.scalars(select(Locality).where(Locality.unit_id == unit.id)))
    by_name = {row.name.casefold(): row for row in rows}
    matched: dict[int, LocalitySpec] = {}
    for item in spec.localities:
        row = by_name.get(item.name.casefold())
        if row is None and item.formerly:
            row = by_name.get(item.formerly.casefold())
        if row is not None and row.id not in matched:
            matched[row.id] = item
    for row in rows:
        if row.id in matched:
            continue
        used = await usage(session, "localities", row.id)
        await _leave_out(session, change, row, f"{row.name} ({unit.slug})", used, retire_missing)
    known = {row.id: row for row in rows}
    old_names = {row.id: row.name for row in rows}
    # Renames in two steps, so that two localities may swap names.
    renamed = [row for row in rows if row.id in matched and row.name != matched[row.id].name]
    for row in renamed:
        row.name = f"~{row.id}"
    if renamed:
        await session.flush()
    for item in spec.localities:
        row_id = next((key for key, value in matched.items() if value is item), None)
        if row_id is None:
            locality = Locality(unit_id=unit.id)
            _set_place(locality, item)
            session.add(locality)
            change.lines.append(f"New locality in {unit.slug}: {item.name}")
            continue
        row = known[row_id]
        changes = _place_changes(_Snapshot(old_names[row_id], row.names, row.forms), item)
        if changes:
            change.lines.append(f"Changed locality {unit.slug}/{item.name}: {'; '.join(changes)}")
        _set_place(row, item)
    await session.flush()


@dataclass
class _Snapshot:
    name: str
    names: dict[str, str]
    forms: dict[str, dict[str, str]]


def read_territory(path: Path) -> TerritorySpec:
    """Read and check a territory file; TerritoryFileError says what is wrong."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TerritoryFileError([f"{path}: cannot be read ({error.strerror})"]) from None
    except UnicodeDecodeError:
        raise TerritoryFileError([f"{path.name}: this is not a text file in UTF-8"]) from None
    return parse_territory(content, name=path.name)


# Writing


def _place_out(row: Any, *, slug: str | None = None, kind: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if slug is not None:
        out["slug"] = slug
    out["name"] = row.name
    if kind is not None:
        out["kind"] = kind
    for language in OTHER_LANGUAGES:
        if other := (row.names or {}).get(language):
            out[language] = other
    forms = row.forms or {}
    # `lv: {}` says "no Latvian forms", where leaving it out would derive them.
    out["forms"] = {"lv": _Cases(forms.get("lv", {}))}
    if "ru" in forms:
        out["forms"]["ru"] = _Cases(forms["ru"])
    return out


class _Cases(dict):  # type: ignore[type-arg]
    """A language's case forms, written on one line: `lv: {gen: ..., dat: ...}`."""


class _Dumper(yaml.SafeDumper):
    """The safe dumper, with its own representers (a `_Cases` on one line) added below."""


_Dumper.add_representer(
    _Cases,
    lambda dumper, data: dumper.represent_mapping(
        "tag:yaml.org,2002:map", data.items(), flow_style=True
    ),
)


async def export_territory(session: AsyncSession) -> str:
    """The territory stored, as a territory file that imports back with no change."""
    municipality = await session.scalar(select(Municipality).order_by(Municipality.id).limit(1))
    units = list(await session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name)))
    data: dict[str, Any] = {}
    if municipality is not None:
        data["municipality"] = _place_out(municipality)
    data["units"] = []
    for unit in units:
        item = _place_out(unit, slug=unit.slug, kind=unit.kind)
        localities = list(
            await session.scalars(
                select(Locality).where(Locality.unit_id == unit.id).order_by(Locality.name)
            )
        )
        if localities:
            item["localities"] = [_place_out(locality) for locality in localities]
        data["units"].append(item)
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)
    return "# Territory file of Padome (see README: Territory)\n" + body
