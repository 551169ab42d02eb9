"""One voice in every language: the glossary's terms, one form of address, one quotation style.

The glossary (`GLOSSARY.toml` at the repository root) names one term per concept and the terms
retired; the README ("Translations") states the conventions. A failure names the message.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "lv", "ru")
TRANSLATED = ("lv", "ru")

# Lowercase forms of the formal address; the convention capitalises them everywhere.
LOWERCASE_ADDRESS = {
    "lv": re.compile(r"(?<!\w)(jūs|jums|jūsu|jūsēj\w*)(?!\w)"),
    "ru": re.compile(r"(?<!\w)(вы|вас|вам|вами|ваш\w*)(?!\w)"),
}
# Quotation marks that the language does not use, and the pair it does use.
FOREIGN_QUOTES = {"en": "“”„«»", "lv": '"“«»', "ru": '"“”„'}
QUOTE_PAIR = {"en": ('"', '"'), "lv": ("„", "”"), "ru": ("«", "»")}
# "« Back": an arrow on a button, not a quotation mark.
BACK_ARROW = re.compile(r"^« ")
# Words that hold only for men (or only for women), said of the reader or of a person whose
# gender is not known: participles and adjectives after "esat"/"esmu" ("esat reģistrējies",
# "esmu gatavs"), words that are about a person whatever precedes them ("pārliecināts",
# "pieteicies"), and in Russian the short forms and past tenses of "я" and of one person
# ("я прочитал", "готов", "уверена"); "Вы" takes the plural ("Вы согласны").
MASCULINE_ONLY = {
    "lv": re.compile(
        r"(?<!\w)(viņš|viņam|viņa ir|gadus vec[sa]|(sevi|Jūs|es)\s+pat[si]"
        r"|(esat|neesat|esmu|neesmu|bijāt|biju|kļuvāt|kļuvu|būsiet|būtu)\s+(\w+\s+)?"
        r"(\w+(jies|jis|usies|usi|ies|ts|ta|gs|ga|vs|va)|pats|pati)"
        r"|pārliecināt[sa]|pārliecinājies|pārliecinājusies|reģistrējies|reģistrējusies"
        r"|pieteicies|pieteikusies|apņēmies|apņēmusies|piekritis|piekritusi"
        r"|iepazinies|iepazinusies|ieinteresēt[sa])(?!\w)",
        re.IGNORECASE,
    ),
    "ru": re.compile(
        r"(?<!\w)(согласен|согласна|готов|готова|сам|сама|рад|рада|уверен|уверена"
        r"|должен|должна|обязан|обязана|зарегистрировался|зарегистрировалась"
        r"|записался|записалась|ознакомился|ознакомилась"
        r"|я\s+(не\s+)?\w+(л|ла|лся|лась))(?!\w)",
        re.IGNORECASE,
    ),
}
# What is not a word of the text: {placeholders}, /commands and <arguments> of commands.
NOT_WORDS = re.compile(r"\{[^}]*\}|(?<!\w)/\w+|<[^>]*>")


@cache
def _glossary() -> list[dict]:
    with (ROOT / "GLOSSARY.toml").open("rb") as handle:
        return tomllib.load(handle)["term"]


@cache
def _catalog(language: str) -> Catalog:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _texts(language: str) -> list[tuple[str, str]]:
    """(msgid, text) for every text of the language: English ids, or lv/ru translations."""
    found = []
    for message in _catalog("lv" if language == "en" else language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if language == "en":
            texts = ids
        else:
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
        found.extend((ids[0], text) for text in texts if text)
    return found


def _retired(language: str) -> re.Pattern[str]:
    stems = [stem for term in _glossary() for stem in term["retired"].get(language, [])]
    return re.compile(r"(?<!\w)(" + "|".join(stems) + r")", re.IGNORECASE)


def test_glossary_names_every_concept_in_every_language() -> None:
    terms = _glossary()
    assert len(terms) >= 15
    for term in terms:
        assert term["concept"].strip()
        for language in LANGUAGES:
            assert term[language].strip(), f"{term['concept']}: no {language} term"
            for stem in term["retired"].get(language, []):
                re.compile(stem)
                chosen = NOT_WORDS.sub(" ", term[language])
                assert not re.search(r"(?<!\w)" + stem, chosen, re.IGNORECASE), (
                    f"{term['concept']}: {language} retires {stem!r}, which its own term uses"
                )
    concepts = [term["concept"] for term in terms]
    assert len(concepts) == len(set(concepts))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_uses_a_retired_term(language: str) -> None:
    retired = _retired(language)
    wrong = [
        (match.group(0), text)
        for msgid, text in _texts(language)
        if (match := retired.search(NOT_WORDS.sub(" ", text)))
    ]
    assert not wrong, f"{language}: terms the glossary retired:\n" + "\n".join(map(str, wrong))


@pytest.mark.parametrize("language", TRANSLATED)
def test_formal_address_is_capitalised(language: str) -> None:
    wrong = [text for _msgid, text in _texts(language) if LOWERCASE_ADDRESS[language].search(text)]
    assert not wrong, f"{language}: lowercase formal address:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_quotation_style(language: str) -> None:
    opening, closing = QUOTE_PAIR[language]
    wrong = []
    for _msgid, text in _texts(language):
        quoted = BACK_ARROW.sub("", text)
        if (
            any(mark in quoted for mark in FOREIGN_QUOTES[language])
            or quoted.count(opening) != quoted.count(closing)
            or (opening == closing and quoted.count(opening) % 2)
        ):
            wrong.append(text)
    assert not wrong, f"{language}: quotation marks other than {opening}…{closing}:\n" + "\n".join(
        wrong
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_texts_hold_for_women_and_men(language: str) -> None:
    wrong = [
        (match.group(0), text)
        for _msgid, text in _texts(language)
        if (match := MASCULINE_ONLY[language].search(text))
    ]
    assert not wrong, f"{language}: masculine-only words:\n" + "\n".join(map(str, wrong))


@pytest.mark.parametrize(
    ("language", "text", "caught"),
    [
        ("lv", "Jūs esat reģistrējies.", True),
        ("lv", "Jūs jau esat pieteikusies.", True),
        ("lv", "Vai esat pārliecināts?", True),
        ("lv", "Jūs esat pārstāvja kandidāts.", True),
        ("lv", "Esmu gatavs kandidēt.", True),
        ("lv", "Izvirzīja sevi pats.", True),
        ("lv", "Man ir vismaz 16 gadu.", False),
        ("lv", "Jūsu kandidatūra ir reģistrēta.", False),
        ("lv", "Veidlapa ir gatava.", False),
        ("ru", "Вы уверен?", True),
        ("ru", "Я прочитал и согласна.", True),
        ("ru", "Вы готовы?", False),
        ("ru", "Вы согласны быть кандидатом?", False),
        ("ru", "Записан файл.", False),
    ],
)
def test_the_check_for_one_gender_catches_what_it_should(
    language: str, text: str, caught: bool
) -> None:
    assert bool(MASCULINE_ONLY[language].search(text)) is caught
