"""The printed bulletin in chat: coordinators choose any parish or town, a representative
gets their own; the PDF comes as a file to print."""

from __future__ import annotations

from datetime import timedelta

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry
from models.roles import Role, Roles
from models.territory import Unit, list_units
from reports.bulletin import PDF_MIME, bulletin_pdf, gather_bulletin

router = Router()
DAYS = 30


@payload("bltn")
class PrintBulletin(Payload):
    unit_id: int | None = None


def bulletin_units(roles: Roles) -> set[int] | None:
    """The units whose bulletin the person may print; None: every unit (staff)."""
    if roles.is_staff:
        return None
    return roles.units_as(Role.REPRESENTATIVE)


def may_print(ctx: Context) -> bool:
    allowed = bulletin_units(ctx.roles)
    return allowed is None or bool(allowed)


add_menu_entry(MenuEntry(N_("Printed bulletin"), "bltn", order=163, visible=may_print))
add_help("bulletin", N_("a large-print bulletin to print for residents without a phone"), may_print)


@router.command("bulletin")
@router.button(PrintBulletin)
async def print_bulletin(ctx: Context, press: PrintBulletin | None = None) -> None:
    """Choose the parish or town (when there is a choice), then send its bulletin."""
    allowed = bulletin_units(ctx.roles)
    if allowed is not None and not allowed:
        await ctx.refuse("bulletin")
        return
    units = [
        unit for unit in await list_units(ctx.session) if allowed is None or unit.id in allowed
    ]
    wanted = press.unit_id if press is not None else None
    if wanted is None and len(units) == 1:
        wanted = units[0].id
    if wanted is None:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("The bulletin of which parish or town?"),
            [Button(unit.label_in(ctx.t.language), PrintBulletin(unit.id)) for unit in units]
            + [Button(ctx.t._("Main menu"), "menu")],
        )
        return
    unit = next((item for item in units if item.id == wanted), None)
    if unit is None:
        await ctx.refuse("bulletin", unit=wanted)
        return
    await _send(ctx, unit)


async def _send(ctx: Context, unit: Unit) -> None:
    found = await gather_bulletin(
        ctx.session,
        unit=unit,
        since=ctx.now - timedelta(days=DAYS),
        now=ctx.now,
        settings=ctx.settings,
    )
    content = bulletin_pdf(found, ctx.t, printed_at=ctx.now)
    await ctx.audit("bulletin_printed", unit=unit.id)
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "The bulletin of {place}: print it and leave it at the library and the "
            "client-service point. Returned slips are entered under the survey's results, "
            "with Enter a paper questionnaire.",
            place=unit.label_in(ctx.t.language),
        ),
        [Button(ctx.t._("Main menu"), "menu")],
        attachment=Attachment(f"bulletin-{unit.slug}.pdf", content, mime_type=PDF_MIME),
    )
