"""Survey results as people read them: a chat text, a bar chart (PNG) and CSV/XLSX tables."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from bot.i18n import Translator
from models.survey_results import QuestionResult, Results
from models.surveys import Origin, QuestionKind, Status, text_in
from reports.spreadsheets import Fixed, Percent, Table, to_csv, to_xlsx

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# DejaVu Sans ships with matplotlib and has every Latvian and Russian letter.
CHART_FONT = "DejaVu Sans"
TEXTS_IN_CHAT = 10
# Charts are 850 px wide and at most 2,000 px high: Telegram refuses a photo whose width
# and height add up to over 10,000 px, and a phone shrinks a taller one past reading.
CHART_DPI = 100
CHART_WIDTH_INCHES = 8.5
CHART_PAGE_INCHES = 20.0
# The survey's title above the charts and the note under them.
CHART_FRAME_INCHES = 1.2
QUESTION_WRAP = 80
TEXT_IN_CHAT_MAX = 300


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def show_percent(t: Translator, part: int, whole: int) -> str:
    return f"{format_decimal(percent(part, whole), format='0.#', locale=t.language)} %"


def _option_label(result: QuestionResult, texts: dict[str, str], t: Translator) -> str:
    label = text_in(texts, t.language)
    question = result.question
    if question.kind == QuestionKind.SCALE.value:
        top = question.scale_max or 5
        if label == "1" and question.low_texts:
            return f"1 ({text_in(question.low_texts, t.language)})"
        if label == str(top) and question.high_texts:
            return f"{top} ({text_in(question.high_texts, t.language)})"
    return label


def _mean(counts: list[tuple[int, int]]) -> float | None:
    """The average of scale values, from (value, how many chose it) pairs."""
    answered = sum(total for _, total in counts)
    if not answered:
        return None
    return sum(value * total for value, total in counts) / answered


def _average(result: QuestionResult) -> float | None:
    return _mean([(item.key, item.total) for item in result.counts])


def _unit_average(result: QuestionResult, unit_id: int | None) -> float | None:
    return _mean([(item.key, item.by_unit.get(unit_id, 0)) for item in result.counts])


def results_text(
    results: Results, t: Translator, *, unit_names: dict[int, str], staff: bool
) -> str:
    """The results for the chat: per question counts and percentages; for staff also the
    response rate per parish or town and the free-text answers."""
    survey = results.survey
    lines = [
        t._("Results: {title}", title=text_in(survey.title, t.language)),
        t.ngettext("{n} response", "{n} responses", results.responses)
        + (" " + t._("(on paper: {n})", n=t.number(results.paper)) if results.paper else "")
        + (
            " " + t._("(through a trusted person: {n})", n=t.number(results.helper))
            if results.helper
            else ""
        ),
    ]
    if survey.status == Status.CLOSED.value:
        lines.append(
            t._(
                "The survey closed on {time}.",
                time=t.datetime(survey.closed_at or survey.closes_at),
            )
        )
    else:
        lines.append(t._("The survey is open until {time}.", time=t.datetime(survey.closes_at)))
    lines.append(
        t._("The results are advisory: they help the council, they do not decide anything.")
    )
    for number, result in enumerate(results.questions, start=1):
        question = result.question
        lines.append("")
        lines.append(f"{number}. {text_in(question.texts, t.language)}")
        answered = t.ngettext("{n} answered", "{n} answered", result.answered)
        if result.answered_paper:
            answered += " " + t._("(on paper: {n})", n=t.number(result.answered_paper))
        lines.append(answered)
        if question.kind == QuestionKind.TEXT.value:
            if staff:
                for _, origin, text in result.texts[:TEXTS_IN_CHAT]:
                    mark = " " + t._("(paper)") if origin == Origin.PAPER.value else ""
                    lines.append(f"• {text[:TEXT_IN_CHAT_MAX]}{mark}")
                rest = result.answered - min(len(result.texts), TEXTS_IN_CHAT)
                if rest > 0:
                    lines.append(
                        t.ngettext(
                            "…and {n} more in the spreadsheet.",
                            "…and {n} more in the spreadsheet.",
                            rest,
                        )
                    )
            continue
        for item in result.counts:
            line = (
                f"• {_option_label(result, item.label_texts, t)}: {t.number(item.total)} "
                f"({show_percent(t, item.total, result.answered)})"
            )
            if item.paper:
                line += " " + t._("on paper: {n}", n=t.number(item.paper))
            lines.append(line)
        if question.kind == QuestionKind.SCALE.value:
            average = _average(result)
            if average is not None:
                lines.append(
                    t._(
                        "Average: {value}",
                        value=format_decimal(round(average, 1), format="0.0", locale=t.language),
                    )
                )
    if staff:
        lines.append("")
        lines.append(
            t._(
                "Answers in chat by parish or town, of the registered residents the survey is "
                "for, and paper questionnaires:"
            )
        )
        for rate in sorted(results.units, key=lambda item: unit_names.get(item.unit_id or 0, "")):
            if not rate.registered and not rate.responses:
                continue
            line = t._(
                "{unit}: {responses} of {registered} ({rate})",
                unit=unit_names.get(rate.unit_id or 0, t._("unknown")),
                responses=t.number(rate.chat),
                registered=t.number(rate.registered),
                rate=show_percent(t, rate.chat, rate.registered),
            )
            if rate.paper:
                line += ", " + t._("on paper: {n}", n=t.number(rate.paper))
            if rate.helper:
                line += ", " + t._("through a trusted person: {n}", n=t.number(rate.helper))
            lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Chart:
    """One image of the results: the numbers of the questions it shows, and the PNG."""

    questions: tuple[int, ...]
    png: bytes


def _chart_height(result: QuestionResult, t: Translator) -> float:
    """Inches one question takes: its title lines and a bar per option."""
    title = textwrap.wrap(f"0. {text_in(result.question.texts, t.language)}", QUESTION_WRAP)
    return 0.8 + 0.2 * max(len(title), 1) + 0.42 * len(result.counts)


def _pages(
    charted: list[tuple[int, QuestionResult]], heights: list[float]
) -> list[list[tuple[int, QuestionResult, float]]]:
    """The questions in order, as many to an image as fit in CHART_PAGE_INCHES."""
    pages: list[list[tuple[int, QuestionResult, float]]] = []
    used = 0.0
    for (number, result), height in zip(charted, heights, strict=True):
        if not pages or used + height > CHART_PAGE_INCHES - CHART_FRAME_INCHES:
            pages.append([])
            used = 0.0
        pages[-1].append((number, result, height))
        used += height
    return pages


def charts_png(results: Results, t: Translator) -> list[Chart]:
    """Horizontal bar charts of the choice and scale questions, a few to an image: one tall
    image of a long survey would be refused by Telegram and unreadable on a phone."""
    charts = []
    for questions, figure in chart_figures(results, t):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        charts.append(Chart(questions, buffer.getvalue()))
    return charts


def chart_figures(results: Results, t: Translator) -> list[tuple[tuple[int, ...], Figure]]:
    """The charts' figures, each with the numbers of the questions it shows."""
    charted = [
        (number, result)
        for number, result in enumerate(results.questions, start=1)
        if result.question.kind != QuestionKind.TEXT.value
    ]
    heights = [_chart_height(result, t) for _, result in charted]
    return [
        (tuple(number for number, _, _ in page), _figure(results, page, t))
        for page in _pages(charted, heights)
    ]


def _figure(
    results: Results, page: list[tuple[int, QuestionResult, float]], t: Translator
) -> Figure:
    # Imported here: the bot process should not carry matplotlib until a chart is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    heights = [height for _, _, height in page]
    figure = Figure(figsize=(CHART_WIDTH_INCHES, sum(heights) + CHART_FRAME_INCHES), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(len(page), 1, height_ratios=heights)
    figure.suptitle(
        "\n".join(textwrap.wrap(text_in(results.survey.title, t.language), 70)),
        fontfamily=CHART_FONT,
        fontsize=13,
        fontweight="bold",
    )
    for row, (number, result, _) in enumerate(page):
        axes = figure.add_subplot(grid[row])
        labels = [
            "\n".join(textwrap.wrap(_option_label(result, item.label_texts, t), 32))
            for item in result.counts
        ]
        values = [item.total for item in result.counts]
        positions = list(range(len(values)))
        axes.barh(positions, values, color="#2f6f9f")
        axes.set_yticks(positions, labels, fontfamily=CHART_FONT, fontsize=9)
        axes.invert_yaxis()
        top = max(values) if any(values) else 1
        axes.set_xlim(0, top * 1.3)
        # Counts of people: no ticks at 0.5 or 1.5.
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        for position, value in zip(positions, values, strict=True):
            axes.text(
                value + top * 0.01,
                position,
                f"{t.number(value)} ({show_percent(t, value, result.answered)})",
                va="center",
                fontfamily=CHART_FONT,
                fontsize=9,
            )
        question = text_in(result.question.texts, t.language)
        axes.set_title(
            "\n".join(textwrap.wrap(f"{number}. {question}", QUESTION_WRAP)),
            loc="left",
            fontfamily=CHART_FONT,
            fontsize=10,
        )
        axes.tick_params(axis="x", labelsize=8)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.text(
        0.01,
        0.005,
        t._("The results are advisory: they help the council, they do not decide anything."),
        fontfamily=CHART_FONT,
        fontsize=8,
        color="#555555",
    )
    figure.tight_layout(rect=(0, 0.02, 1, 0.98))
    return figure


def _unit(unit_names: dict[int, str], unit_id: int | None, t: Translator) -> str:
    return unit_names.get(unit_id or 0, t._("unknown"))


def _fixed(value: float | None) -> Fixed | None:
    return Fixed(round(value, 1)) if value is not None else None


def results_tables(results: Results, t: Translator, *, unit_names: dict[int, str]) -> list[Table]:
    """Totals, the breakdown by parish or town, response rates and the free-text answers.

    A scale question ends with a row of its average ("Average" in the answer column, the
    number in the last column), the average the chat shows."""
    question_h, answer_h, unit_h = t._("Question"), t._("Answer"), t._("Parish or town")
    average_h = t._("Average")
    totals = Table(
        t._("Results"),
        ["#", question_h, answer_h, t._("Responses"), "%", t._("Of them on paper"), average_h],
    )
    by_unit = Table(
        t._("By parish or town"),
        ["#", question_h, answer_h, unit_h, t._("Responses"), "%", average_h],
    )
    texts = Table(t._("Free-text answers"), ["#", question_h, unit_h, t._("Origin"), answer_h])
    for number, result in enumerate(results.questions, start=1):
        question = text_in(result.question.texts, t.language)
        if result.question.kind == QuestionKind.TEXT.value:
            totals.rows.append(
                [
                    number,
                    question,
                    t._("(free text)"),
                    result.answered,
                    None,
                    result.answered_paper,
                    None,
                ]
            )
            for unit_id, origin, text in result.texts:
                texts.rows.append(
                    [
                        number,
                        question,
                        _unit(unit_names, unit_id, t),
                        t._("paper") if origin == Origin.PAPER.value else t._("chat"),
                        text,
                    ]
                )
            continue
        units = sorted(
            result.answered_by_unit.items(), key=lambda pair: _unit(unit_names, pair[0], t)
        )
        for item in result.counts:
            label = _option_label(result, item.label_texts, t)
            totals.rows.append(
                [
                    number,
                    question,
                    label,
                    item.total,
                    Percent(percent(item.total, result.answered)),
                    item.paper,
                    None,
                ]
            )
            for unit_id, answered in units:
                count = item.by_unit.get(unit_id, 0)
                by_unit.rows.append(
                    [
                        number,
                        question,
                        label,
                        _unit(unit_names, unit_id, t),
                        count,
                        Percent(percent(count, answered)),
                        None,
                    ]
                )
        if result.question.kind == QuestionKind.SCALE.value:
            totals.rows.append(
                [
                    number,
                    question,
                    average_h,
                    result.answered,
                    None,
                    result.answered_paper,
                    _fixed(_average(result)),
                ]
            )
            for unit_id, answered in units:
                by_unit.rows.append(
                    [
                        number,
                        question,
                        average_h,
                        _unit(unit_names, unit_id, t),
                        answered,
                        None,
                        _fixed(_unit_average(result, unit_id)),
                    ]
                )
    rates = Table(
        t._("Response rate"),
        [
            unit_h,
            t._("Registered residents"),
            t._("Answered in chat"),
            t._("On paper"),
            t._("Responses"),
            t._("Response rate in chat, %"),
        ],
    )
    for rate in sorted(results.units, key=lambda item: _unit(unit_names, item.unit_id, t)):
        rates.rows.append(
            [
                _unit(unit_names, rate.unit_id, t),
                rate.registered,
                rate.chat,
                rate.paper,
                rate.responses,
                Percent(percent(rate.chat, rate.registered)),
            ]
        )
    rates.rows.append(
        [
            t._("All"),
            results.registered,
            results.responses - results.paper,
            results.paper,
            results.responses,
            Percent(percent(results.responses - results.paper, results.registered)),
        ]
    )
    return [totals, by_unit, rates, texts]


def results_csv(results: Results, t: Translator, *, unit_names: dict[int, str]) -> bytes:
    """One CSV table: every answer's count and each scale's average, for all residents and
    for each parish or town."""
    totals, by_unit, _, _ = results_tables(results, t, unit_names=unit_names)
    table = Table(
        t._("Results"),
        [
            "#",
            t._("Question"),
            t._("Answer"),
            t._("Parish or town"),
            t._("Responses"),
            "%",
            t._("Average"),
        ],
    )
    for row in totals.rows:
        table.rows.append([row[0], row[1], row[2], t._("All"), row[3], row[4], row[6]])
    table.rows.extend(list(row) for row in by_unit.rows)
    return to_csv(table, language=t.language)


def results_xlsx(results: Results, t: Translator, *, unit_names: dict[int, str]) -> bytes:
    return to_xlsx(results_tables(results, t, unit_names=unit_names))


def export_name(results: Results, extension: str) -> str:
    return f"survey-{results.survey.id}-results.{extension}"
