"""Nomination paperwork for coordinators: per-unit tables (CSV, XLSX) and the printable form.

The form is a PDF in Latvian, the language of the municipality's paperwork: the candidate's
details and consent line, then the supporters' names with empty columns for their signatures.
Signatures stay on paper; the form says that the assistant only gathered the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from models.nominations import (
    COLLECTING,
    Nomination,
    Support,
    SupportOrigin,
    list_nominations,
    supporters_of,
)
from reports.spreadsheets import Phone, Table

if TYPE_CHECKING:
    from fpdf import FPDF

PDF_MIME = "application/pdf"
FORM_LANGUAGE = "lv"
# Empty rows under the supporters already known, for those who sign only on paper.
SPARE_ROWS = 5
STATUS_LABELS = {
    "awaiting_consent": N_("waiting for the candidate's consent"),
    "consented": N_("collecting support"),
    "verified": N_("verified"),
    "rejected": N_("rejected"),
    "declined": N_("declined by the candidate"),
    "withdrawn": N_("withdrawn"),
}
ORIGIN_LABELS = {SupportOrigin.CHAT.value: N_("chat"), SupportOrigin.PAPER.value: N_("paper")}


@dataclass(frozen=True)
class Paper:
    """One nomination with its supporters, as the exports and the form show it."""

    nomination: Nomination
    supporters: list[Support]


async def unit_papers(
    session: AsyncSession, unit_id: int, *, collecting_only: bool = False
) -> list[Paper]:
    nominations = await list_nominations(
        session, unit_id=unit_id, statuses=COLLECTING if collecting_only else None
    )
    return [Paper(item, await supporters_of(session, item.id)) for item in nominations]


async def paper_of(session: AsyncSession, nomination: Nomination) -> Paper:
    return Paper(nomination, await supporters_of(session, nomination.id))


def _local(t: Translator, moment: datetime | None) -> datetime | None:
    return moment.astimezone(t.timezone) if moment is not None else None


def nomination_tables(t: Translator, papers: list[Paper]) -> list[Table]:
    """Two tables: the nominations (one row each) and their supporters (one row each)."""
    nominations = Table(
        title=t._("Nominations"),
        headers=[
            t._("No."),
            t._("Parish or town"),
            t._("Candidate"),
            t._("Phone"),
            t._("Status"),
            t._("Nominated"),
            t._("Consent"),
            t._("Consent given"),
            t._("Supporters"),
            t._("Needed"),
            t._("Why / about the candidate"),
            t._("Decision note"),
            t._("Round"),
            t._("Nominated on"),
        ],
    )
    supporters = Table(
        title=t._("Supporters"),
        headers=[
            t._("No."),
            t._("Candidate"),
            t._("Supporter"),
            t._("How"),
            t._("Declared aged at least"),
            t._("Declared on"),
        ],
    )
    consent_labels = {
        "self": t._("nominated themselves"),
        "chat": t._("in chat"),
        "offline": t._("told the coordinator"),
    }
    for paper in papers:
        item = paper.nomination
        nominations.rows.append(
            [
                item.id,
                item.unit.label_in(t.language),
                item.candidate_name,
                Phone(item.candidate_phone or ""),
                t._(STATUS_LABELS[item.status]),
                t._("self") if item.self_nominated else t._("by another resident"),
                consent_labels.get(item.consent_origin or "", ""),
                _local(t, item.consented_at),
                len(paper.supporters),
                item.round.supporters_needed,
                item.bio or item.reason or "",
                item.decision_reason or "",
                f"{t.datetime(item.round.starts_at)} – {t.datetime(item.round.ends_at)}",
                _local(t, item.created_at),
            ]
        )
        for support in paper.supporters:
            supporters.rows.append(
                [
                    item.id,
                    item.candidate_name,
                    support.name,
                    t._(ORIGIN_LABELS[support.origin]),
                    support.declared_age,
                    _local(t, support.declared_at),
                ]
            )
    return [nominations, supporters]


@cache
def font_files() -> tuple[str, str]:
    # DejaVu Sans has every Latvian (and Russian) letter; matplotlib ships it.
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


def forms_pdf(papers: list[Paper], *, timezone: ZoneInfo, printed_at: datetime) -> bytes:
    """One printable nomination form per candidate (each on its own pages), in Latvian."""
    # Imported here: fpdf2 takes longer to import than most commands take to run.
    from fpdf import FPDF

    t = Translator(FORM_LANGUAGE, timezone=timezone)
    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_title(t._("Nomination form"))
    for paper in papers:
        _form(pdf, t, paper, printed_at)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, *, size: float = 11, bold: bool = False, gap: float = 6) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, gap, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _form(pdf: FPDF, t: Translator, paper: Paper, printed_at: datetime) -> None:
    item = paper.nomination
    unit = t.place(item.unit)
    pdf.add_page()
    _line(
        pdf,
        t._("Nomination of a candidate for the representative of {unit}", unit=unit),
        size=15,
        bold=True,
        gap=8,
    )
    _line(pdf, t._("Residents' council"), size=12)
    _line(
        pdf,
        t._(
            "Nomination period: {start} – {end}",
            start=t.datetime(item.round.starts_at),
            end=t.datetime(item.round.ends_at),
        ),
        size=10,
    )
    pdf.ln(4)
    _line(pdf, t._("Candidate"), size=12, bold=True)
    _line(pdf, t._("Name, surname: {name}", name=item.candidate_name))
    _line(pdf, t._("Phone: {phone}", phone=item.candidate_phone or "–"))
    _line(pdf, t._("Nomination no. {id}", id=item.id))
    pdf.ln(2)
    _line(
        pdf,
        t._(
            "I agree to be nominated as a candidate for the representative of {unit} on the "
            "residents' council.",
            unit=unit,
        ),
        size=10,
    )
    pdf.ln(4)
    _line(
        pdf,
        t._("Candidate's signature: ______________________    Date: ____________"),
        size=10,
    )
    pdf.ln(6)
    _line(
        pdf,
        t.ngettext(
            "Residents who support the nomination ({n} supporter needed)",
            "Residents who support the nomination ({n} supporters needed)",
            item.round.supporters_needed,
        ),
        size=12,
        bold=True,
    )
    _line(
        pdf,
        t._(
            "By signing, each supporter confirms being {age} or older and having their "
            "declared place of residence in {unit}.",
            age=t.number(item.round.minimum_age),
            unit=unit,
        ),
        size=9,
        gap=5,
    )
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    rows = [
        (support.name, t.datetime(support.declared_at).split(" ")[0])
        for support in paper.supporters
    ]
    blank = max(item.round.supporters_needed - len(rows), 0) + SPARE_ROWS
    with pdf.table(
        col_widths=(10, 78, 30, 56),
        line_height=9,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT"),
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        for title in (t._("No."), t._("Name, surname"), t._("Supported on"), t._("Signature")):
            heading.cell(title)
        for number, (name, day) in enumerate(rows, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(name)
            row.cell(day)
            row.cell("")
        for number in range(len(rows) + 1, len(rows) + blank + 1):
            row = table.row()
            row.cell(str(number))
            for _ in range(3):
                row.cell("")
    pdf.ln(4)
    _line(
        pdf,
        t._(
            "Prepared by the residents' council assistant on {date}. The assistant only "
            "gathered the names: the signatures on this form make the nomination.",
            date=t.datetime(printed_at),
        ),
        size=8,
        gap=4,
    )
