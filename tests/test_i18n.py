"""The gettext catalogs: complete, compiled, placeholders intact, plural forms and dates right.

The workflow these tests guard is in the README ("Translations"): extract, update, translate,
compile. A failure here names the message and the catalog to fix.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

import pytest
from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n import DOMAIN, LOCALES_DIR, Translator

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
POT = LOCALES_DIR / f"{DOMAIN}.pot"
RIGA = ZoneInfo("Europe/Riga")

COMPLETE = ("lv", "ru")  # every message must be translated in these
ALL = ("lv", "ru", "en")  # en: message ids are English, translations stay empty
LV_PLURAL_FORMS = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);"
# n -> index of the Latvian plural form: 1, 21 "viens"; 2, 11 "divi, vienpadsmit"; 0 "nulle".
LV_PLURAL_INDEX = {1: 0, 21: 0, 11: 1, 2: 1, 0: 2}

MessageKey = tuple[str, str | None]  # (singular msgid, msgctxt)


def _po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _mo_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def _catalog(language: str) -> Catalog:
    with _po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def _extracted() -> dict[MessageKey, str | tuple[str, ...]]:
    """Extract from the source exactly as `pybabel extract -F babel.cfg` does."""
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse(handle)
    found: dict[MessageKey, str | tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        singular = message[0] if isinstance(message, tuple) else message
        found[(singular, context)] = message
    return found


def _translated_messages(language: str):
    return [message for message in _catalog(language) if message.id]


def _fields(text: str) -> set[str]:
    """The `{names}` of a str.format string; malformed braces raise ValueError."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_extraction_finds_the_marked_strings() -> None:
    # Guards the config itself: a broken babel.cfg would extract nothing and pass everything.
    extracted = _extracted()
    assert ("Please choose your language.", None) in extracted
    assert ("council chair", None) in extracted  # marked with N_
    assert len(extracted) > 50


def test_template_is_up_to_date() -> None:
    with POT.open("rb") as handle:
        template = read_po(handle)
    in_template = {
        (message.id if isinstance(message.id, str) else message.id[0], message.context)
        for message in template
        if message.id
    }
    extracted = set(_extracted())
    assert sorted(extracted - in_template, key=str) == [], "run pybabel extract (README)"
    assert sorted(in_template - extracted, key=str) == [], "run pybabel extract (README)"


@pytest.mark.parametrize("language", ALL)
def test_catalog_header(language: str) -> None:
    catalog = _catalog(language)
    assert str(catalog.locale) == language
    assert not catalog.fuzzy, "a fuzzy header makes pybabel compile skip the whole catalog"
    if language in COMPLETE:
        assert catalog.num_plurals == 3
    if language == "lv":
        assert catalog.plural_forms == LV_PLURAL_FORMS


@pytest.mark.parametrize("language", COMPLETE)
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(language)
    problems = []
    for (msgid, context), message_id in _extracted().items():
        message = catalog.get(message_id, context=context)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif isinstance(message_id, tuple):
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != catalog.num_plurals or not all(form.strip() for form in forms):
                problems.append(f"plural forms incomplete: {msgid!r}")
        elif not isinstance(message.string, str) or not message.string.strip():
            problems.append(f"untranslated: {msgid!r}")
    assert problems == [], f"{language}: run pybabel update and translate (README)"


@pytest.mark.parametrize("language", ALL)
def test_placeholders_match_the_message_id(language: str) -> None:
    problems = []
    for message in _translated_messages(language):
        if isinstance(message.id, tuple):
            expected = _fields(message.id[1])
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
        else:
            expected = _fields(message.id)
            forms = (message.string,)
        for form in forms:
            if not form:
                continue  # empty: falls back to the English message id
            try:
                fields = _fields(form)
            except ValueError as error:
                problems.append(f"{message.id!r}: {error}")
                continue
            if fields != expected:
                problems.append(f"{message.id!r}: {sorted(fields)} != {sorted(expected)}")
    assert problems == [], language


@pytest.mark.parametrize("language", ALL)
def test_compiled_catalog_is_up_to_date(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))  # what `pybabel compile` writes (no fuzzy entries)
    compiled.seek(0)
    fresh = Translations(fp=compiled, domain=DOMAIN)
    with _mo_path(language).open("rb") as handle:
        committed = Translations(fp=handle, domain=DOMAIN)

    # Compared by their messages and plural rule, never by the header's "Generated-By" line,
    # which names whichever Babel release compiled the file.
    def messages(translations: Translations) -> dict[object, str]:
        return {key: text for key, text in translations._catalog.items() if key != ""}

    assert messages(committed) == messages(fresh), "run pybabel compile (README)"
    assert [committed.plural(n) for n in range(200)] == [fresh.plural(n) for n in range(200)]


def test_translator_loads_the_catalogs() -> None:
    for language, expected in (
        ("lv", "Lūdzu, izvēlieties valodu."),
        ("ru", "Пожалуйста, выберите язык."),
        ("en", "Please choose your language."),
    ):
        translator = Translator(language, timezone=RIGA)
        assert translator._("Please choose your language.") == expected
    assert Translator("lv", timezone=RIGA)._("Language changed to English.") == (
        "Valoda nomainīta uz latviešu."
    )
    assert Translator("ru", timezone=RIGA)._("Language changed to English.") == (
        "Язык изменён на русский."
    )


def test_lv_plural_rule_of_the_compiled_catalog() -> None:
    translations = Translations.load(str(LOCALES_DIR), ["lv"], domain=DOMAIN)
    assert isinstance(translations, Translations), "lv catalog not found"
    assert {n: translations.plural(n) for n in LV_PLURAL_INDEX} == LV_PLURAL_INDEX


def test_lv_plural_message_reads_right_for_each_number() -> None:
    translator = Translator("lv", timezone=RIGA)
    singular = "The link works once, for {n} day."
    plural = "The link works once, for {n} days."
    expected = {
        1: "Saiti var izmantot vienu reizi 1 dienas laikā.",
        21: "Saiti var izmantot vienu reizi 21 dienas laikā.",
        7: "Saiti var izmantot vienu reizi 7 dienu laikā.",
        11: "Saiti var izmantot vienu reizi 11 dienu laikā.",
        0: "Saiti var izmantot vienu reizi 0 dienu laikā.",
    }
    assert {n: translator.ngettext(singular, plural, n) for n in expected} == expected


def test_datetime_is_shown_in_riga_time() -> None:
    moment = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert Translator("lv", timezone=RIGA).datetime(moment) == "25.11.2026 18:00"


def _text(message: object) -> str:
    string = getattr(message, "string", "")
    return string if isinstance(string, str) else " ".join(string)


def test_a_resident_s_trusted_person_and_a_village_s_deputy_have_their_own_words() -> None:
    """Latvian "atbalsta persona" / "uzticības persona", Russian "контактное лицо" /
    "доверенное лицо": a text about one is never worded as the other."""
    latvian, russian = _catalog("lv"), _catalog("ru")
    trusted = deputy = 0
    for message in russian:
        if not message.id:
            continue
        lv_text = _text(latvian.get(message.id)).lower()
        ru_text = _text(message).lower()
        if "atbalsta person" in lv_text:
            trusted += 1
            assert "доверенн" not in ru_text, message.id
        if "uzticības person" in lv_text:
            deputy += 1
            assert "контактн" not in ru_text, message.id
            assert "доверенн" in ru_text, message.id
        if "контактн" in ru_text:
            assert "atbalsta person" in lv_text, message.id
    assert trusted >= 30 and deputy >= 5
