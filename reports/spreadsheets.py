"""Tables for staff as CSV and XLSX files: nominations, survey results, residents' ideas.

Coordinators open these in Excel with Latvian or Russian regional settings, where "," is the
decimal separator and ";" separates a CSV's columns; so a CSV is written with the separator and
the decimal comma of its language, and the XLSX stores numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit on a sheet's name; also no []:*?/\ in it.
_SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = str.maketrans({character: " " for character in "[]:*?/\\"})
# Excel's list separator where the decimal separator is a comma (Latvian, Russian).
_CSV_SEPARATORS = {"lv": ";", "ru": ";", "en": ","}
# A cell starting with one of these is a formula to Excel (CSV injection); residents write
# the texts, so such a text gets a leading apostrophe and stays text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_COLUMN_WIDTH_MAX = 60
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"


@dataclass(frozen=True)
class Percent:
    """A share in per cent (33.3 for a third): a number in a CSV, a percentage in a sheet."""

    value: float


@dataclass(frozen=True)
class Fixed:
    """A number shown with a fixed number of decimals, such as an average (3.0)."""

    value: float
    places: int = 1


@dataclass(frozen=True)
class Phone:
    """A phone number: text in every file, so Excel keeps the "+" and every digit."""

    number: str


@dataclass
class Table:
    """One sheet: a title, the column headings (already translated) and the rows."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def csv_separator(language: str) -> str:
    return _CSV_SEPARATORS.get(language, ";")


def _csv_cell(value: Any, language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, Phone):
        # A formula that gives the text: opened as a plain number, +371… lost its "+".
        return '="' + value.number.replace('"', "") + '"' if value.number else ""
    if isinstance(value, Percent):
        return format_decimal(value.value, format="0.#", locale=language)
    if isinstance(value, Fixed):
        return format_decimal(value.value, format="0." + "0" * value.places, locale=language)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)  # no group separators: Excel would read "1 234" as text
    if isinstance(value, float):
        return format_decimal(value, format="0.###", locale=language)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(table: Table, *, language: str) -> bytes:
    """UTF-8 with a byte order mark (so that Excel shows Latvian letters right), columns
    separated as Excel in that language expects, decimals with the language's comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_separator(language))
    writer.writerow([_csv_cell(header, language) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(value, language) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_cell(value: Any) -> tuple[Any, str | None]:
    """The value a sheet stores, and its number format if it needs one."""
    if isinstance(value, datetime):
        # Excel has no time zones: callers pass local times; keep the wall clock.
        return value.replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, Phone):
        return value.number or None, None
    if isinstance(value, Percent):
        return value.value / 100, "0.0%"
    if isinstance(value, Fixed):
        return value.value, "0." + "0" * value.places
    return value, None


def _shown_width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, Percent | Fixed):
        return 6
    if isinstance(value, Phone):
        return len(value.number)
    return max(
        (len(line) for line in str(value if value is not None else "").split("\n")), default=0
    )


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: bold headings, the heading row frozen, columns wide enough, long
    texts wrapped, and printed on A4 landscape, as wide as the page, the headings on each page."""
    # Imported here: the bot process should not carry openpyxl until someone exports.
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    wrapped = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        name = table.title.translate(_NOT_IN_SHEET_NAMES)[:_SHEET_NAME_MAX] or "Sheet"
        base, number = name, 2
        while name in used:
            suffix = f" ({number})"
            name = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
            number += 1
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(header)) for header in table.headers]
        for row in table.rows:
            cells = [_xlsx_cell(value) for value in row]
            sheet.append([value for value, _ in cells])
            for index, (value, number_format) in enumerate(cells):
                cell = sheet.cell(row=sheet.max_row, column=index + 1)
                if isinstance(value, str) and value.startswith("="):
                    # openpyxl takes a text starting with "=" for a formula: keep it text.
                    cell.data_type = TYPE_STRING
                if number_format:
                    cell.number_format = number_format
                shown = _shown_width(row[index])
                if shown > _COLUMN_WIDTH_MAX or (isinstance(value, str) and "\n" in value):
                    cell.alignment = wrapped
                if index < len(widths):
                    widths[index] = max(widths[index], min(_COLUMN_WIDTH_MAX, shown))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width + 2
        sheet.freeze_panes = "A2"
        sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.print_title_rows = "1:1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
