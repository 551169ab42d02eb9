"""CSV and XLSX exports open in the tools staff use: with Latvian or Russian regional settings
Excel splits a CSV at ";" and reads "3,5" as a number, so that is what those files hold; the
XLSX prints on A4 and keeps numbers as numbers."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.i18n import Translator
from models.survey_results import OptionCount, QuestionResult, Results, UnitRate
from models.surveys import Question, Survey
from reports.spreadsheets import Fixed, Percent, Phone, Table, to_csv, to_xlsx
from reports.surveys import chart_figures, results_csv, results_tables, results_text, results_xlsx

RIGA = ZoneInfo("Europe/Riga")
FREE_TEXT = 'Ceļš uz skolu; bedres "visur".\nOtrā rindā: apgaismojums'


def table() -> Table:
    return Table(
        title="Alsviķu pagasts: atbalstītāji?",
        headers=["Vārds", "Laiks", "Skaits", "Tālrunis", "Teksts", "%", "Vidēji"],
        rows=[
            [
                "Jānis Ozoliņš",
                datetime(2026, 11, 25, 18, 0, tzinfo=RIGA),
                7,
                Phone("+37129123456"),
                FREE_TEXT,
                Percent(33.3),
                Fixed(3.5),
            ],
            [
                '=HYPERLINK("http://x")',
                datetime(2026, 11, 26, 9, 30, tzinfo=RIGA),
                1234,
                Phone(""),
                "-2+3",
                Percent(50.0),
                Fixed(3.0),
            ],
            ["@SUM(A1)", None, 0, Phone("+37120000000"), "+371 ir kods", Percent(0.0), None],
        ],
    )


def read_csv(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


@pytest.mark.parametrize("language", ["lv", "ru"])
def test_csv_in_latvian_and_russian_splits_at_semicolons_with_decimal_commas(
    language: str,
) -> None:
    data = to_csv(table(), language=language)
    rows = read_csv(data, ";")
    assert rows == [
        ["Vārds", "Laiks", "Skaits", "Tālrunis", "Teksts", "%", "Vidēji"],
        [
            "Jānis Ozoliņš",
            "25.11.2026 18:00",
            "7",
            '="+37129123456"',  # Excel shows the text +37129123456, not a number
            FREE_TEXT,  # the ";", the quotes and the new line stay in one cell
            "33,3",
            "3,5",
        ],
        # a resident's text that Excel would take for a formula gets an apostrophe
        ['\'=HYPERLINK("http://x")', "26.11.2026 09:30", "1234", "", "'-2+3", "50", "3,0"],
        ["'@SUM(A1)", "", "0", '="+37120000000"', "'+371 ir kods", "0", ""],
    ]
    # The lines a coordinator's Excel splits: four records, the free text quoted whole.
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Vārds;Laiks;Skaits;Tālrunis;Teksts;%;Vidēji"
    assert '"Ceļš uz skolu; bedres ""visur"".\nOtrā rindā: apgaismojums"' in text


def test_csv_in_english_splits_at_commas_with_decimal_points() -> None:
    rows = read_csv(to_csv(table(), language="en"), ",")
    assert rows[0] == ["Vārds", "Laiks", "Skaits", "Tālrunis", "Teksts", "%", "Vidēji"]
    assert rows[1][2:] == ["7", '="+37129123456"', FREE_TEXT, "33.3", "3.5"]
    assert rows[2][0] == '\'=HYPERLINK("http://x")'
    assert rows[2][5:] == ["50", "3.0"]


def assert_printed_on_a4(sheet: Worksheet) -> None:
    setup = sheet.page_setup
    assert setup.orientation == "landscape"
    assert setup.paperSize == 9  # A4 in the file format's paper codes
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"  # the headings on every page


def test_xlsx_opens_with_one_sheet_per_table_printed_on_a4() -> None:
    second = Table(title="Alsviķu pagasts: atbalstītāji?", headers=["A"], rows=[["ā"]])
    workbook = load_workbook(io.BytesIO(to_xlsx([table(), second])))
    assert workbook.sheetnames == [
        "Alsviķu pagasts  atbalstītāji ",
        "Alsviķu pagasts  atbalstītā (2)",
    ]
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Vārds", "Laiks", "Skaits", "Tālrunis", "Teksts", "%", "Vidēji"]
    assert values[1] == [
        "Jānis Ozoliņš",
        datetime(2026, 11, 25, 18, 0),
        7,
        "+37129123456",
        FREE_TEXT,
        0.333,
        3.5,
    ]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    # numbers are numbers, shown as a percentage and with one decimal
    assert sheet["D2"].data_type == "s" and sheet["C3"].data_type == "n"
    assert (sheet["F2"].data_type, sheet["F2"].number_format) == ("n", "0.0%")
    assert (sheet["G2"].data_type, sheet["G2"].number_format) == ("n", "0.0")
    assert sheet["B2"].number_format == "DD.MM.YYYY HH:MM"
    assert sheet["E2"].alignment.wrap_text  # the free text's second line shows
    # a resident's "=…" stays text: no formula in the file
    assert sheet["A3"].value == '=HYPERLINK("http://x")' and sheet["A3"].data_type == "s"
    for printed in workbook.worksheets:
        assert_printed_on_a4(printed)


# --------------------------------------------------------------------------- survey results


def survey_results() -> tuple[Results, dict[int, str]]:
    scale = Question(
        kind="scale",
        texts={"lv": "Cik apmierināts esat ar ceļiem?", "en": "How happy are you with roads?"},
        scale_max=5,
    )
    # 2 answered 3 in Alsviķi, one each 3 and 5 in Anna: an average of 3.5
    counts = [
        OptionCount(label_texts={"lv": str(value)}, key=value, total=0) for value in range(1, 6)
    ]
    counts[2].total, counts[2].by_unit = 3, {1: 2, 2: 1}
    counts[4].total, counts[4].by_unit = 1, {2: 1}
    scale_result = QuestionResult(
        question=scale, answered=4, answered_by_unit={1: 2, 2: 2}, counts=counts
    )
    text = Question(kind="text", texts={"lv": "Ko uzlabot?", "en": "What to improve?"})
    text_result = QuestionResult(
        question=text, answered=1, answered_by_unit={1: 1}, texts=[(1, "chat", FREE_TEXT)]
    )
    results = Results(
        survey=Survey(
            title={"lv": "Ceļi"}, status="open", closes_at=datetime(2026, 12, 1, tzinfo=RIGA)
        ),
        responses=4,
        paper=0,
        questions=[scale_result, text_result],
        units=[
            UnitRate(unit_id=1, registered=6, chat=2),
            UnitRate(unit_id=2, registered=4, chat=2),
        ],
        registered=10,
    )
    return results, {1: "Alsviķu pagasts", 2: "Annas pagasts"}


def test_survey_csv_in_latvian_has_the_averages_the_chat_shows() -> None:
    results, names = survey_results()
    t = Translator("lv", timezone=RIGA)
    assert "Vidēji: 3,5" in results_text(results, t, unit_names=names, staff=True)
    rows = read_csv(results_csv(results, t, unit_names=names), ";")
    question = "Cik apmierināts esat ar ceļiem?"
    assert rows[0] == [
        "#",
        "Jautājums",
        "Atbilde",
        "Pagasts vai pilsēta",
        "Atbildes",
        "%",
        "Vidēji",
    ]
    assert ["1", question, "3", "Visas", "3", "75", ""] in rows
    assert ["1", question, "Vidēji", "Visas", "4", "", "3,5"] in rows
    assert ["1", question, "3", "Annas pagasts", "1", "50", ""] in rows
    assert ["1", question, "Vidēji", "Alsviķu pagasts", "2", "", "3,0"] in rows
    assert ["1", question, "Vidēji", "Annas pagasts", "2", "", "4,0"] in rows


def test_survey_xlsx_has_averages_and_percentages_as_numbers() -> None:
    results, names = survey_results()
    t = Translator("en", timezone=RIGA)
    workbook = load_workbook(io.BytesIO(results_xlsx(results, t, unit_names=names)))
    sheet = workbook["Results"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("#", "Question", "Answer", "Responses", "%", "Of them on paper", "Average")
    question = "How happy are you with roads?"
    assert (1, question, "3", 3, 0.75, 0, None) in rows
    assert (1, question, "Average", 4, None, 0, 3.5) in rows
    average = next(row for row in sheet.iter_rows() if row[2].value == "Average")[6]
    assert average.number_format == "0.0"
    percent = next(row for row in sheet.iter_rows() if row[2].value == "3")[4]
    assert percent.number_format == "0.0%"
    rates = list(workbook["Response rate"].iter_rows(values_only=True))
    assert rates[-1] == ("All", 10, 4, 0, 4, 0.4)
    texts = list(workbook["Free-text answers"].iter_rows(values_only=True))
    assert texts[1] == (2, "What to improve?", "Alsviķu pagasts", "chat", FREE_TEXT)
    for printed in workbook.worksheets:
        assert_printed_on_a4(printed)
    assert len(results_tables(results, t, unit_names=names)) == len(workbook.worksheets)


def test_chart_counts_run_along_whole_numbers() -> None:
    results, _ = survey_results()  # at most 3 answers to an option: no room for 0.5
    [(questions, figure)] = chart_figures(results, Translator("lv", timezone=RIGA))
    assert questions == (1,)
    [axes] = figure.axes
    figure.canvas.draw()
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= axes.get_xlim()[1]]
    assert ticks == [0, 1, 2, 3]
    labels = [label.get_text() for label in axes.get_xticklabels() if label.get_text()]
    assert all(label.lstrip("−-").isdigit() for label in labels), labels
