"""Translations (gettext catalogs kept with Babel), plural forms, dates and numbers."""

from __future__ import annotations

import gettext
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from babel.support import Translations

from bot.settings import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
# Each language is named in itself, so a resident finds theirs whatever is shown now.
LANGUAGE_NAMES = {"lv": "Latviešu", "ru": "Русский", "en": "English"}
DATETIME_FORMAT = "%d.%m.%Y %H:%M"
# The cases a translation may ask of a place name, `{unit:gen}`, by language; the
# nominative is the field without a case, `{unit}`.
CASES: dict[str, tuple[str, ...]] = {
    "lv": ("gen", "dat", "loc", "acc"),
    "ru": ("gen", "dat", "acc", "ins", "prep"),
    "en": (),
}
ALL_CASES = frozenset(case for cases in CASES.values() for case in cases)


@dataclass(frozen=True)
class PlaceName:
    """A unit's or locality's name in one language, with the case forms known for it.

    `format(place, "gen")` gives the genitive, or the nominative when the form is not known;
    `declined` tells whether every case of the language is known, so that a text can choose
    a construction that needs no case when it is not."""

    nominative: str
    forms: Mapping[str, str] = field(default_factory=dict)
    language: str = "lv"

    @property
    def declined(self) -> bool:
        return all(self.forms.get(case) for case in CASES.get(self.language, ()))

    def __str__(self) -> str:
        return self.nominative

    def __format__(self, spec: str) -> str:
        if spec in ALL_CASES:
            return self.forms.get(spec) or self.nominative
        return format(self.nominative, spec)


class Place(Protocol):
    """A unit or a locality (models/territory.py), as the texts need it."""

    def place_in(self, language: str) -> PlaceName: ...


class _PlaceFormatter(string.Formatter):
    """str.format where a case spec (`{unit:gen}`) picks a PlaceName's form and leaves any
    other value (a plain str) as it is, so a translation never fails on a case spec."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in ALL_CASES and not isinstance(value, PlaceName):
            return format(value)
        return super().format_field(value, format_spec)


_formatter = _PlaceFormatter()


def _format(text: str, values: dict[str, Any]) -> str:
    # str.format is much faster and handles a PlaceName itself; only a case spec on a plain
    # str makes it fail, and the slower formatter then reads that spec as "no case".
    try:
        return text.format(**values)
    except ValueError:
        return _formatter.format(text, **values)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


# A language named inside a sentence, in that sentence's language and case ("krievu valodā",
# "на русском языке"): "Write the question {in_language}".
IN_LANGUAGE = {"lv": N_("in Latvian"), "ru": N_("in Russian"), "en": N_("in English")}


@cache
def _translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], domain=DOMAIN)


class Translator:
    """Everything a resident reads passes through one of these, in their language."""

    def __init__(self, language: str, *, timezone: ZoneInfo) -> None:
        self.language = language if language in SUPPORTED_LANGUAGES else "lv"
        self.timezone = timezone
        self._catalog = _translations(self.language)

    def _(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return _format(text, values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return _format(text, {"n": self.number(n), **values})

    def place(self, named: Place) -> PlaceName:
        """A unit's or locality's name in this language, with its case forms."""
        return named.place_in(self.language)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.language)

    def amount(self, value: float) -> str:
        """A sum of money with two decimals, as this language writes it (12,60)."""
        return format_decimal(value, format="#,##0.00", locale=self.language)

    def datetime(self, moment: datetime) -> str:
        """Show a moment as `25.11.2026 18:00` in the municipality's time zone."""
        return moment.astimezone(self.timezone).strftime(DATETIME_FORMAT)
