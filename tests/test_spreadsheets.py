"""CSV and XLSX exports open in the tools staff use, with Latvian letters intact."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from reports.spreadsheets import Table, to_csv, to_xlsx

RIGA = ZoneInfo("Europe/Riga")


def table() -> Table:
    return Table(
        title="Alsviķu pagasts: atbalstītāji?",
        headers=["Vārds", "Laiks", "Skaits"],
        rows=[
            ["Jānis Ozoliņš", datetime(2026, 11, 25, 18, 0, tzinfo=RIGA), 7],
            ["Līga Bērziņa", datetime(2026, 11, 26, 9, 30, tzinfo=RIGA), 10],
        ],
    )


def test_csv_parses_and_keeps_diacritics_and_local_times() -> None:
    data = to_csv(table())
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["Vārds", "Laiks", "Skaits"],
        ["Jānis Ozoliņš", "25.11.2026 18:00", "7"],
        ["Līga Bērziņa", "26.11.2026 09:30", "10"],
    ]


def test_xlsx_opens_with_one_sheet_per_table() -> None:
    second = Table(title="Alsviķu pagasts: atbalstītāji?", headers=["A"], rows=[["ā"]])
    workbook = load_workbook(io.BytesIO(to_xlsx([table(), second])))
    assert workbook.sheetnames == [
        "Alsviķu pagasts  atbalstītāji ",
        "Alsviķu pagasts  atbalstītā (2)",
    ]
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Vārds", "Laiks", "Skaits"]
    assert values[1] == ["Jānis Ozoliņš", datetime(2026, 11, 25, 18, 0), 7]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
