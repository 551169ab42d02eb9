"""Translations (gettext catalogs kept with Babel), plural forms, dates and numbers."""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from babel.support import Translations

from bot.settings import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
# Each language is named in itself, so a resident finds theirs whatever is shown now.
LANGUAGE_NAMES = {"lv": "Latviešu", "ru": "Русский", "en": "English"}
DATETIME_FORMAT = "%d.%m.%Y %H:%M"


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
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.language)

    def amount(self, value: float) -> str:
        """A sum of money with two decimals, as this language writes it (12,60)."""
        return format_decimal(value, format="#,##0.00", locale=self.language)

    def datetime(self, moment: datetime) -> str:
        """Show a moment as `25.11.2026 18:00` in the municipality's time zone."""
        return moment.astimezone(self.timezone).strftime(DATETIME_FORMAT)
