"""The territory file: the shipped one gives what the migrations gave, import and re-import
keep ids, a unit in use is never removed silently, export round-trips, a bad file is told by
entry, and a made-up municipality runs from its own file."""

from __future__ import annotations

import ast
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot import db
from models import Locality, Municipality, Resident, Unit
from models.territory_file import DEFAULT_TERRITORY_FILE, TerritoryFileError, parse_territory
from tests.chat import Chat
from tests.conftest import ON_POSTGRES, _pg_execute, make_settings, pg_url
from tests.fakes.telegram_api import FakeTelegramAPI, labels, payloads
from tests.telegram import fake_telegram_api, polling_bot, telegram_settings
from tests.test_console import run_padome

ROOT = Path(__file__).resolve().parent.parent
EZERMALA = Path(__file__).parent / "territories" / "ezermala.yaml"


@pytest.fixture
async def new_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database nothing has been done to yet."""
    if ON_POSTGRES:
        name = f"padome_new_{uuid.uuid4().hex[:12]}"
        await _pg_execute(f'CREATE DATABASE "{name}"')
        yield pg_url(name)
        await _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    yield f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"


async def _territory(url: str) -> dict[str, Any]:
    """Everything stored about the territory, ids aside."""
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            units = [
                (unit.slug, unit.name, unit.kind, unit.sort_order, unit.names, unit.forms)
                for unit in (await connection.execute(select(Unit).order_by(Unit.sort_order)))
            ]
            localities = sorted(
                (row.name, row.names, str(row.forms))
                for row in await connection.execute(select(Locality))
            )
            municipality = [
                (row.name, row.names, row.forms)
                for row in await connection.execute(select(Municipality))
            ]
    finally:
        await engine.dispose()
    return {"units": units, "localities": localities, "municipality": municipality}


async def test_the_shipped_file_gives_what_the_migrations_gave(
    new_database_url: str, database_url: str
) -> None:
    # A database set up before the territory file: its units came from the migrations.
    engine = db.create_engine(new_database_url)
    try:
        await db.upgrade(engine, "0018")
        await db.upgrade(engine, "head")
    finally:
        await engine.dispose()
    from_migrations = await _territory(new_database_url)
    # `database_url` is set up as a new database is now: from the shipped file.
    from_file = await _territory(database_url)
    assert len(from_migrations["units"]) == 16
    assert from_migrations["municipality"][0][0] == "Alūksnes novads"
    assert from_file == from_migrations


def _run(database_url: str, tmp_path: Path, *args: str, **env: str) -> Any:
    return run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path, **env)


def _edited(path: Path, edit: Any, folder: Path) -> Path:
    """A copy of a territory file in `folder`, changed by `edit`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    target = folder / f"edited-{uuid.uuid4().hex[:6]}.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


async def _units(app: Any) -> dict[str, Unit]:
    async with app.sessionmaker() as session:
        return {unit.slug: unit for unit in await session.scalars(select(Unit))}


async def test_export_then_import_changes_nothing(
    database_url: str, tmp_path: Path, app: Any
) -> None:
    exported = _run(database_url, tmp_path, "territory", "export", "territory.yaml")
    assert exported.returncode == 0, exported.stderr
    first = (tmp_path / "territory.yaml").read_text(encoding="utf-8")
    assert first.count("- slug:") == 16
    imported = _run(database_url, tmp_path, "territory", "import", "territory.yaml")
    assert imported.returncode == 0, imported.stderr
    assert "Nothing to change: the file and the database agree." in imported.stdout
    printed = _run(database_url, tmp_path, "territory", "export")
    assert printed.stdout == first


async def test_a_rename_keeps_the_unit_its_residents_and_their_village(
    database_url: str, tmp_path: Path, app: Any, chat: Chat
) -> None:
    await chat.onboard("anna", unit="Alsviķu pagasts")
    before = await _units(app)

    def rename(data: dict[str, Any]) -> None:
        alsviku = next(unit for unit in data["units"] if unit["slug"] == "alsviku")
        alsviku["name"] = "Alsviķa pagasts"
        alsviku["en"] = "Alsviķis parish"
        alsviku["forms"]["lv"] = {
            "gen": "Alsviķa pagasta",
            "dat": "Alsviķa pagastam",
            "loc": "Alsviķa pagastā",
            "acc": "Alsviķa pagastu",
        }
        alsviku["localities"] = [{"name": "Kolberģis", "ru": "Колберьгис"}]
        data["units"].append(
            {
                "slug": "jauna",
                "name": "Jaunais pagasts",
                "kind": "parish",
                "forms": {
                    "lv": {
                        "gen": "Jaunā pagasta",
                        "dat": "Jaunajam pagastam",
                        "loc": "Jaunajā pagastā",
                        "acc": "Jauno pagastu",
                    }
                },
            }
        )

    renamed = _edited(DEFAULT_TERRITORY_FILE, rename, tmp_path)
    dry = _run(database_url, tmp_path, "territory", "import", str(renamed), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Would change (dry run, nothing stored):" in dry.stdout
    assert "Changed alsviku: name Alsviķu pagasts → Alsviķa pagasts" in dry.stdout
    assert "New parish: Jaunais pagasts (jauna)" in dry.stdout
    assert "New locality in alsviku: Kolberģis" in dry.stdout
    assert (await _units(app))["alsviku"].name == "Alsviķu pagasts"

    done = _run(database_url, tmp_path, "territory", "import", str(renamed))
    assert done.returncode == 0, done.stderr
    after = await _units(app)
    assert after["alsviku"].id == before["alsviku"].id
    assert after["alsviku"].name == "Alsviķa pagasts"
    assert after["alsviku"].forms["lv"]["loc"] == "Alsviķa pagastā"
    assert after["jauna"].sort_order == 16
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.unit_id == before["alsviku"].id
        [kolbergis] = await session.scalars(select(Locality))
        assert kolbergis.forms == {
            "lv": {"gen": "Kolberģa", "dat": "Kolberģim", "loc": "Kolberģī", "acc": "Kolberģi"}
        }

    # The resident picks the new village; renaming it then keeps it (by `formerly`).
    await chat.say("anna", "/territory")
    await chat.say("anna", "Alsviķa pagasts")
    await chat.say("anna", "Kolberģis")

    def rename_village(data: dict[str, Any]) -> None:
        alsviku = next(unit for unit in data["units"] if unit["slug"] == "alsviku")
        alsviku["localities"] = [{"name": "Kolberģa ciems", "formerly": "Kolberģis"}]

    village = _edited(renamed, rename_village, tmp_path)
    done = _run(database_url, tmp_path, "territory", "import", str(village))
    assert done.returncode == 0, done.stderr
    assert "Changed locality alsviku/Kolberģa ciems: name Kolberģis → Kolberģa ciems" in (
        done.stdout
    )
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.locality_id == kolbergis.id
        assert (await session.get(Locality, kolbergis.id)).name == "Kolberģa ciems"


async def test_a_unit_in_use_is_not_removed_unless_retired(
    database_url: str, tmp_path: Path, app: Any, chat: Chat
) -> None:
    await chat.onboard("anna", unit="Annas pagasts")
    before = await _units(app)

    def drop(data: dict[str, Any]) -> None:
        data["units"] = [u for u in data["units"] if u["slug"] not in ("annas", "ziemera")]

    smaller = _edited(DEFAULT_TERRITORY_FILE, drop, tmp_path)
    refused = _run(database_url, tmp_path, "territory", "import", str(smaller))
    assert refused.returncode == 1
    assert "Nothing was changed. These are in use and missing from the file:" in refused.stderr
    assert "Annas pagasts (annas) — residents: 1" in refused.stderr
    assert "Ziemera" not in refused.stderr
    assert "Traceback" not in refused.stderr
    assert set(await _units(app)) == set(before)

    # Without Anna's parish the file is taken; the unused Ziemeri is kept, and said so.
    def drop_unused(data: dict[str, Any]) -> None:
        data["units"] = [u for u in data["units"] if u["slug"] != "ziemera"]

    kept = _run(
        database_url,
        tmp_path,
        "territory",
        "import",
        str(_edited(DEFAULT_TERRITORY_FILE, drop_unused, tmp_path)),
    )
    assert kept.returncode == 0, kept.stderr
    assert "Kept, though missing from the file (--retire-missing removes them):" in kept.stdout
    assert "Ziemera pagasts (ziemera)" in kept.stdout
    assert "ziemera" in await _units(app)

    retired = _run(database_url, tmp_path, "territory", "import", str(smaller), "--retire-missing")
    assert retired.returncode == 0, retired.stderr
    assert "Removed: Annas pagasts (annas), which had residents: 1" in retired.stdout
    assert "Removed: Ziemera pagasts (ziemera)" in retired.stdout
    assert not {"annas", "ziemera"} & set(await _units(app))
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.unit_id is None
    # Anna is asked for her parish again, from the parishes there are now.
    reply = await chat.say("anna", "/menu")
    assert "Which parish or town do you live in?" in reply.text
    assert "Annas pagasts" not in [button.label for button in reply.options]


def test_what_staff_set_up_for_a_unit_ties_it_too(database_url: str, tmp_path: Path) -> None:
    # Anything that refers to a unit counts as use, not only residents.
    added = _run(
        database_url, tmp_path, "help", "destinations", "add", "malupes", "Parcel terminal"
    )
    assert added.returncode == 0, added.stderr

    def drop(data: dict[str, Any]) -> None:
        data["units"] = [u for u in data["units"] if u["slug"] != "malupes"]

    refused = _run(
        database_url,
        tmp_path,
        "territory",
        "import",
        str(_edited(DEFAULT_TERRITORY_FILE, drop, tmp_path)),
    )
    assert refused.returncode == 1
    assert "Mālupes pagasts (malupes) — help destinations: 1" in refused.stderr


BAD = """\
municipality:
  name: Kalnu novads
units:
  - slug: Kalni Town
    name: Kalnu pilsēta
    kind: city
  - slug: lejas
    name: Lejas pagasts
    kind: parish
    ru: Лейская волость
    forms:
      ru: {gen: Лейской волости, dative: Лейской волости}
    localities:
      - name: Ozoli
      - name: ozoli
  - slug: lejas
    name: Augšas pagasts
    kind: parish
    colour: green
"""


def test_a_bad_file_is_told_by_line_and_entry(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(TerritoryFileError) as error:
        parse_territory(BAD, name="kalni.yaml")
    assert error.value.problems == [
        "kalni.yaml, line 4 (unit 1, 'Kalni Town'): a slug has small Latin letters, digits "
        "and '-' only, without spaces",
        "kalni.yaml, line 6 (unit 1, 'Kalni Town'): 'kind' must be town or parish, not 'city'",
        "kalni.yaml, line 12 (unit 2, 'lejas'): 'forms.ru.dative': ru cases are gen, dat, acc, "
        "ins, prep",
        "kalni.yaml, line 11 (unit 2, 'lejas'): the Russian name needs every case; missing: "
        "dative, accusative, instrumental, prepositional (forms.ru)",
        "kalni.yaml, line 15 (unit 2, 'lejas', locality 'ozoli'): this parish or town lists "
        "it twice",
        "kalni.yaml, line 16 (unit 3, 'lejas'): this slug is used twice",
        "kalni.yaml, line 19 (unit 3, 'lejas'): unknown setting 'colour' (known: en, forms, "
        "kind, localities, name, ru, slug)",
    ]
    path = tmp_path / "kalni.yaml"
    path.write_text(BAD, encoding="utf-8")
    told = _run(database_url, tmp_path, "territory", "import", "kalni.yaml")
    assert told.returncode == 1
    assert told.stderr.startswith("The territory file has problems:\nkalni.yaml, line 4")
    assert "Traceback" not in told.stderr
    path.write_text("units: [unclosed\n", encoding="utf-8")
    told = _run(database_url, tmp_path, "territory", "import", "kalni.yaml")
    assert "kalni.yaml, line 2: this is not valid YAML" in told.stderr
    assert "Traceback" not in told.stderr


def test_a_new_database_is_not_set_up_from_a_bad_territory_file(
    new_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "kalni.yaml"
    path.write_text(BAD, encoding="utf-8")
    told = _run(new_database_url, tmp_path, "units", "list", TERRITORY_FILE=str(path))
    assert told.returncode == 1
    assert "The database was not set up: the territory file (TERRITORY_FILE) has problems:" in (
        told.stderr
    )
    assert "kind' must be town or parish" in told.stderr
    assert "Traceback" not in told.stderr


async def test_another_municipality_onboards_its_residents_into_its_parishes(
    new_database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        settings = telegram_settings(new_database_url, api.base_url, territory_file=EZERMALA)
        async with polling_bot(api, settings) as bot:
            await _onboard_in_ezermala(bot, api)


async def _onboard_in_ezermala(bot: Any, api: FakeTelegramAPI) -> None:
    for user, language, notice_words, unit_label, saved, nominations in (
        (
            101,
            "lv",
            "tikai Ezermalas novada iedzīvotāju padomes darbam",
            "Kalnu pagasts",
            "Saglabāts: Kalnu pagasts.",
            "Kalnu pagastā kandidātu izvirzīšana vēl nav izsludināta.",
        ),
        (
            102,
            "ru",
            "для работы совета жителей Эзермальского края",
            "Город Эзермала",
            "Сохранено: город Эзермала.",
            "В городе Эзермала выдвижение кандидатов ещё не объявлено.",
        ),
        (
            103,
            "en",
            "the residents' council of Ezermala municipality",
            "Priedaine parish",
            "Saved: Priedaine parish.",
            "No nomination round has been announced for Priedaine parish yet.",
        ),
    ):
        await bot.send(user, "/start")
        [notice] = await bot.press(user, f"lang:{language}")
        assert notice_words in notice["text"]
        [units] = await bot.press(user, "privacy:agree")
        assert len(labels(units)) == 4
        assert unit_label in labels(units)
        [menu] = await bot.press(user, payloads(units)[labels(units).index(unit_label)])
        assert saved in menu["text"]
        [reply] = await bot.send(user, "/nominations")
        assert nominations in reply["text"]
    # A village of Ezeri, its name declined from its ending.
    await bot.send(104, "/start")
    await bot.press(104, "lang:lv")
    [units] = await bot.press(104, "privacy:agree")
    [villages] = await bot.press(104, payloads(units)[labels(units).index("Ezeru pagasts")])
    assert "Mežezeri" in labels(villages)
    async with bot.app.sessionmaker() as session:
        village = await session.scalar(select(Locality).where(Locality.name == "Mežezeri"))
        assert village is not None and village.forms["lv"]["loc"] == "Mežezeros"
        assert {unit.slug for unit in await session.scalars(select(Unit))} == {
            "ezermala",
            "ezeru",
            "priedaines",
            "kalnu",
        }


def test_the_settings_name_a_territory_file_that_exists(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", territory_file=str(EZERMALA))
    assert settings.territory_file == EZERMALA
    with pytest.raises(ValueError, match="no file"):
        make_settings("sqlite+aiosqlite://", territory_file=str(tmp_path / "none.yaml"))
    assert "TERRITORY_FILE=" in (ROOT / ".env.example").read_text(encoding="utf-8")


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_no_code_names_the_shipped_municipality_s_places() -> None:
    shipped = parse_territory(DEFAULT_TERRITORY_FILE.read_text(encoding="utf-8"), name="x")
    names = {shipped.municipality.name, *shipped.municipality.names.values()}
    for unit in shipped.units:
        names |= {unit.slug, unit.name, *unit.names.values(), *unit.forms.get("lv", {}).values()}
    found = []
    for folder in ("bot", "handlers", "models", "broadcasts", "reports", "padome"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            hits = _string_literals(path) & names
            if hits:
                found.append(f"{path.relative_to(ROOT)}: {sorted(hits)}")
    assert found == []
