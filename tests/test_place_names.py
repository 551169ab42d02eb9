"""Names of places in the case the sentence needs: the units' forms, the rules for localities,
the translator's `{unit:gen}`, and the coordinator's command that stores and shows forms."""

from __future__ import annotations

import json
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from bot.i18n import CASES, LOCALES_DIR, PlaceName, Translator
from handlers.roles import Grant
from models import Unit
from models.place_forms import latvian_forms
from models.roles import Role
from models.territory import Locality, add_locality, list_units
from tests.chat import Chat
from tests.test_console import run_padome

RIGA = ZoneInfo("Europe/Riga")


def translator(language: str) -> Translator:
    return Translator(language, timezone=RIGA)


async def unit_named(app, slug: str) -> Unit:
    async with app.sessionmaker() as session:
        [unit] = [item for item in await list_units(session) if item.slug == slug]
        return unit


# ------------------------------------------------------------------------------ the units


async def test_every_unit_has_every_case_in_latvian_and_russian(app) -> None:
    async with app.sessionmaker() as session:
        units = await list_units(session)
    assert len(units) == 16
    for unit in units:
        for language in ("lv", "ru"):
            place = unit.place_in(language)
            assert place.declined, (unit.slug, language, place.forms)
            assert set(place.forms) == set(CASES[language])


async def test_the_units_forms_are_right(app) -> None:
    async with app.sessionmaker() as session:
        units = {unit.slug: unit for unit in await list_units(session)}
    assert units["aluksne"].forms == {
        "lv": {
            "gen": "Alūksnes pilsētas",
            "dat": "Alūksnes pilsētai",
            "loc": "Alūksnes pilsētā",
            "acc": "Alūksnes pilsētu",
        },
        "ru": {
            "gen": "города Алуксне",
            "dat": "городу Алуксне",
            "acc": "город Алуксне",
            "ins": "городом Алуксне",
            "prep": "городе Алуксне",
        },
    }
    assert units["alsviku"].forms["ru"] == {
        "gen": "Алсвикской волости",
        "dat": "Алсвикской волости",
        "acc": "Алсвикскую волость",
        "ins": "Алсвикской волостью",
        "prep": "Алсвикской волости",
    }
    latvian = {slug: unit.forms["lv"] for slug, unit in units.items()}
    assert latvian["jaunaluksnes"]["gen"] == "Jaunalūksnes pagasta"
    assert latvian["malupes"]["dat"] == "Mālupes pagastam"
    assert latvian["ziemera"]["loc"] == "Ziemera pagastā"
    assert latvian["zeltinu"]["acc"] == "Zeltiņu pagastu"
    assert units["ziemera"].forms["ru"]["prep"] == "Зиемерской волости"


async def test_messages_put_a_unit_in_the_case_they_need(app) -> None:
    alsviku = await unit_named(app, "alsviku")
    town = await unit_named(app, "aluksne")
    lv, ru, en = translator("lv"), translator("ru"), translator("en")

    def said(t: Translator, message: str, unit: Unit) -> str:
        return t._(message, unit=t.place(unit))

    goes = "It goes to the representative of {unit}."
    assert said(lv, goes, alsviku) == "To saņems Alsviķu pagasta pārstāvis."
    assert said(ru, goes, alsviku) == "Его получит представитель Алсвикской волости."
    assert said(en, goes, alsviku) == "It goes to the representative of Alsviķi parish."
    nobody = (
        "{unit} has no representative yet: the council chair and the coordinators will read it."
    )
    assert said(lv, nobody, alsviku).startswith("Alsviķu pagastam vēl nav pārstāvja")
    assert said(ru, nobody, town).startswith("У города Алуксне пока нет представителя")
    linked = "This group is already linked to {unit}."
    assert said(lv, linked, town) == "Šī grupa jau ir piesaistīta Alūksnes pilsētai."
    assert said(ru, linked, alsviku) == "Эта группа уже привязана к Алсвикской волости."
    candidates = "Candidates in {unit}:"
    assert said(lv, candidates, town) == "Kandidāti Alūksnes pilsētā:"
    assert said(ru, candidates, town) == "Кандидаты в городе Алуксне:"
    assert "Alsviķu" not in said(ru, candidates, alsviku)
    nominate = (
        "Nominate yourself or another resident of {unit} as its representative, or support a "
        "candidate: choose the option below, or send /nominate."
    )
    assert said(lv, nominate, town).startswith(
        "Izvirziet sevi vai citu Alūksnes pilsētas iedzīvotāju pārstāvja amatam vai"
    )
    assert said(ru, nominate, alsviku).startswith(
        "Выдвиньте себя или другого жителя Алсвикской волости в представители либо"
    )
    assert said(en, nominate, alsviku).startswith(
        "Nominate yourself or another resident of Alsviķi parish as its representative"
    )


def test_a_case_spec_given_a_plain_str_does_not_fail() -> None:
    lv = translator("lv")
    # "{unit:gen}" in the translation, a plain str from the code: the str as it is
    assert lv._("It goes to the representative of {unit}.", unit="Kolberģis") == (
        "To saņems Kolberģis pārstāvis."
    )
    assert format(PlaceName("Kolberģis"), "gen") == "Kolberģis"
    assert format(PlaceName("Kolberģis", {"gen": "Kolberģa"}), "gen") == "Kolberģa"
    # a spec that is not a case still means what str.format makes of it
    assert f"{PlaceName('Anna'):>6}" == "  Anna"


def test_every_case_a_translation_asks_for_exists_in_its_language() -> None:
    for language in ("lv", "ru"):
        with open(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as file:
            catalog = read_po(file, locale=language)
        for message in catalog:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for form in forms:
                for _, field, spec, _ in string.Formatter().parse(form or ""):
                    if field is not None and spec and spec.isalpha():
                        assert spec in CASES[language], (language, message.id, spec)


# ------------------------------------------------------------------------- the localities

# Names of villages around Alūksne with forms no Latvian speaker doubts.
CERTAIN = {
    "Kolberģis": ("Kolberģa", "Kolberģim", "Kolberģī", "Kolberģi"),
    "Jaunanna": ("Jaunannas", "Jaunannai", "Jaunannā", "Jaunannu"),
    "Anna": ("Annas", "Annai", "Annā", "Annu"),
    "Liepna": ("Liepnas", "Liepnai", "Liepnā", "Liepnu"),
    "Mālupe": ("Mālupes", "Mālupei", "Mālupē", "Mālupi"),
    "Ilzene": ("Ilzenes", "Ilzenei", "Ilzenē", "Ilzeni"),
    "Pededze": ("Pededzes", "Pededzei", "Pededzē", "Pededzi"),
    "Māriņkalns": ("Māriņkalna", "Māriņkalnam", "Māriņkalnā", "Māriņkalnu"),
    "Ziemeri": ("Ziemeru", "Ziemeriem", "Ziemeros", "Ziemerus"),
    "Zeltiņi": ("Zeltiņu", "Zeltiņiem", "Zeltiņos", "Zeltiņus"),
    "Strautiņi": ("Strautiņu", "Strautiņiem", "Strautiņos", "Strautiņus"),
    "Kalncempji": ("Kalncempju", "Kalncempjiem", "Kalncempjos", "Kalncempjus"),
    "Alsviķi": ("Alsviķu", "Alsviķiem", "Alsviķos", "Alsviķus"),
    "Alūksnes ezers": ("Alūksnes ezera", "Alūksnes ezeram", "Alūksnes ezerā", "Alūksnes ezeru"),
    "Daugavpils": ("Daugavpils", "Daugavpilij", "Daugavpilī", "Daugavpili"),
}


@pytest.mark.parametrize("name", sorted(CERTAIN))
def test_a_locality_name_is_declined_where_its_ending_is_certain(name: str) -> None:
    gen, dat, loc, acc = CERTAIN[name]
    assert latvian_forms(name) == {"gen": gen, "dat": dat, "loc": loc, "acc": acc}


@pytest.mark.parametrize(
    "name",
    [
        "Jānis",  # 2nd declension with alternation: Jāņa, which the ending does not tell
        "Cēsis",  # 6th declension plural
        "Lielais Kalns",  # a definite adjective agrees with the noun
        "Vecā Ilzene",
        "Mežs 2",  # digits
        "Kalna „Sētas”",  # quotes
        "Kaivo",  # an ending Latvian nouns do not have
        "Lielie",
    ],
)
def test_a_locality_name_is_not_guessed_where_the_ending_is_uncertain(name: str) -> None:
    assert latvian_forms(name) == {}


def test_a_plural_in_es_keeps_only_the_forms_without_alternation() -> None:
    # Mežmales → Mežmaļu: the genitive alternates, so it is left out
    assert latvian_forms("Mežmales") == {"dat": "Mežmalēm", "loc": "Mežmalēs", "acc": "Mežmales"}
    assert latvian_forms("Kalnaģes")["gen"] == "Kalnaģu"


async def test_a_locality_without_forms_is_named_where_no_case_is_needed(app) -> None:
    async with app.sessionmaker() as session, session.begin():
        unit = (await session.scalars(select(Unit).where(Unit.slug == "alsviku"))).one()
        known = await add_locality(session, unit=unit, name="Kolberģis")
        unknown = await add_locality(session, unit=unit, name="Jānis")
    lv, ru = translator("lv"), translator("ru")
    assert lv.place(known).declined and not lv.place(unknown).declined
    # Russian texts have no Russian forms of a locality: the Latvian name, undeclined
    assert not ru.place(known).declined
    assert ru.place(known).nominative == "Kolberģis"
    assert lv._("It goes to the deputy of {locality}.", locality=lv.place(known)) == (
        "To saņems Kolberģa uzticības persona."
    )
    plain = "It goes to the deputy of the village or neighbourhood {locality}."
    assert lv._(plain, locality=lv.place(unknown)) == (
        "To saņems uzticības persona (ciems vai mikrorajons: Jānis)."
    )
    assert ru._(plain, locality=ru.place(known)) == (
        "Его получит доверенное лицо (село или микрорайон: Kolberģis)."
    )


def test_the_coordinator_adds_a_locality_and_sees_and_corrects_its_forms(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str):
        done = run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    added = padome("localities", "add", "alsviku", "Kolberģis", "--russian", "Колберьгис")
    assert "Added Kolberģis to Alsviķu pagasts." in added
    assert "genitive: Kolberģa" in added and "locative: Kolberģī" in added
    assert "Russian name: Колберьгис" in added

    guessed = padome("localities", "add", "alsviku", "Jānis")
    assert "genitive: - (texts avoid this case)" in guessed
    assert "Russian name: - (Russian texts show the Latvian name)" in guessed

    given = padome(
        "localities",
        "add",
        "alsviku",
        "Jaunsētas Jānis",
        "--genitive",
        "Jaunsētas Jāņa",
        "--dative",
        "Jaunsētas Jānim",
    )
    assert "genitive: Jaunsētas Jāņa" in given and "dative: Jaunsētas Jānim" in given
    assert "locative: - (texts avoid this case)" in given

    corrected = padome(
        "localities",
        "forms",
        "alsviku",
        "janis",
        "--genitive",
        "Jāņa",
        "--dative",
        "Jānim",
        "--locative",
        "Jānī",
        "--accusative",
        "Jāni",
    )
    assert "Jānis (Alsviķu pagasts):" in corrected
    assert "genitive: Jāņa" in corrected and "accusative: Jāni" in corrected
    removed = padome("localities", "forms", "alsviku", "Kolberģis", "--accusative", "")
    assert "accusative: - (texts avoid this case)" in removed
    assert "genitive: Kolberģa" in removed
    shown = padome("localities", "forms", "alsviku", "Kolberģis")
    assert shown == removed

    wrong = run_padome(
        ["localities", "forms", "alsviku", "Nav tāda"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1 and "has no village or neighbourhood" in wrong.stderr


async def test_stored_forms_are_those_shown(database_url: str, tmp_path: Path, app) -> None:
    done = run_padome(
        ["localities", "add", "alsviku", "Ziemeri", "--locative", "Ziemeros"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    async with app.sessionmaker() as session:
        locality = (await session.scalars(select(Locality).where(Locality.name == "Ziemeri"))).one()
    assert locality.forms == {
        "lv": {"gen": "Ziemeru", "dat": "Ziemeriem", "loc": "Ziemeros", "acc": "Ziemerus"}
    }
    assert locality.names == {"lv": "Ziemeri"}


async def test_roles_name_the_place_in_the_readers_language(chat: Chat, app) -> None:
    await chat.onboard("admin")
    await chat.say("admin", "/grant")
    reply = await chat.say("admin", payload=Grant(Role.REPRESENTATIVE, "alsviku").pack())
    code = reply.text.split("/start role_")[1].split()[0]
    await chat.onboard("olga", language="Русский", unit="Алсвикская волость")
    became = await chat.say("olga", f"/start role_{code}")
    assert "(Алсвикская волость)" in became.text
    assert "Alsviķu" not in became.text
    data = await chat.say("olga", "/mydata")
    assert "Алсвикская волость" in data.text and "Alsviķu" not in data.text

    listed = await chat.say("admin", "/roles")
    assert "olga (Terminal): parish or town representative (Alsviķi parish)" in listed.text


async def test_a_russian_reader_finds_the_parish_in_russian_in_their_data(chat: Chat) -> None:
    await chat.say("ivan", "/start")
    await chat.say("ivan", "Русский")
    units = await chat.say("ivan", "1")  # agree
    # a button stands on its own: "Город Алуксне", as a sentence has "в городе Алуксне"
    assert [option.label for option in units.options][:2] == [
        "Город Алуксне",
        "Алсвикская волость",
    ]
    await chat.say("ivan", "Алсвикская волость")
    outgoing = await chat.send("ivan", "/mydata")
    [summary] = [item.reply.text for item in outgoing if "Алсвикская волость" in item.reply.text]
    assert "Alsviķu" not in summary
    [file] = [item.reply.attachment for item in outgoing if item.reply.attachment is not None]
    data = json.loads(file.content.decode("utf-8"))
    assert data["resident"]["unit"] == "Алсвикская волость"
