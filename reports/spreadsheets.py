"""Tables for staff as CSV and XLSX files: nominations, survey results, residents' ideas."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit on a sheet's name; also no []:*?/\ in it.
_SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = str.maketrans({character: " " for character in "[]:*?/\\"})


@dataclass
class Table:
    """One sheet: a title, the column headings (already translated) and the rows."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: callers pass local times; keep the wall clock.
        return value.replace(tzinfo=None)
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte order mark, so that Excel shows Latvian letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(
            [
                value.strftime("%d.%m.%Y %H:%M") if isinstance(value, datetime) else value
                for value in row
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table, bold headings, the heading row frozen, columns wide enough."""
    # Imported here: the bot process should not carry openpyxl until someone exports.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
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
            values = [_cell(value) for value in row]
            sheet.append(values)
            for index, value in enumerate(values[: len(widths)]):
                widths[index] = max(widths[index], min(60, len(str(value or ""))))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width + 2
            if table.rows and isinstance(_cell(table.rows[0][index - 1]), datetime):
                for cell in sheet[get_column_letter(index)][1:]:
                    cell.number_format = "DD.MM.YYYY HH:MM"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
