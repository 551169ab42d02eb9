"""Coordinators' files: a parish's nominations as XLSX or CSV, and printable forms."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from handlers.nominations.buttons import (
    ExportTable,
    NominationForm,
    NominationShown,
    TableFormat,
    UnitList,
    UnitNominations,
)
from handlers.nominations.coordinator import may_coordinate
from handlers.nominations.staff_review import choose_unit, staff_nomination, unit_by_id
from reports.nomination_papers import PDF_MIME, forms_pdf, nomination_tables, paper_of, unit_papers
from reports.spreadsheets import CSV_MIME, XLSX_MIME, to_csv, to_xlsx

router = Router()


@router.button(ExportTable)
async def export(ctx: Context, press: ExportTable) -> None:
    """The unit's nominations and supporters as an XLSX or CSV file."""
    if not await may_coordinate(ctx, "export"):
        return
    unit = await unit_by_id(ctx, press.unit_id)
    if unit is None:
        await choose_unit(ctx, UnitList())
        return
    papers = await unit_papers(ctx.session, unit.id)
    nominations, supporters = nomination_tables(ctx.t, papers)
    if press.format is TableFormat.CSV:
        attachment = Attachment(
            f"nominations-{unit.slug}.csv",
            to_csv(nominations, language=ctx.t.language),
            mime_type=CSV_MIME,
        )
    else:
        attachment = Attachment(
            f"nominations-{unit.slug}.xlsx", to_xlsx([nominations, supporters]), mime_type=XLSX_MIME
        )
    await ctx.audit("nominations_exported", unit=unit.id, format=press.format.value)
    ctx.reply(
        ctx.t.ngettext(
            "{unit}: {n} nomination.",
            "{unit}: {n} nominations.",
            len(papers),
            unit=ctx.t.place(unit),
        ),
        [Button(ctx.t._("Back"), UnitNominations(unit.id)), Button(ctx.t._("Main menu"), "menu")],
        attachment=attachment,
    )


@router.button(NominationForm)
async def form(ctx: Context, press: NominationForm) -> None:
    """The printable nomination form of one candidate, with the supporters' names."""
    nomination = await staff_nomination(ctx, press.nomination_id, "pdf")
    if nomination is None:
        return
    content = forms_pdf(
        [await paper_of(ctx.session, nomination)], timezone=ctx.settings.tz, printed_at=ctx.now
    )
    await ctx.audit("nomination_form_printed", nomination=nomination.id)
    ctx.reply(
        ctx.t._(
            "The nomination form of {name}: print it; the candidate and the supporters sign it.",
            name=nomination.candidate_name,
        ),
        [
            Button(ctx.t._("Back"), NominationShown(nomination.id)),
            Button(ctx.t._("Main menu"), "menu"),
        ],
        attachment=Attachment(f"nomination-{nomination.id}.pdf", content, mime_type=PDF_MIME),
    )
