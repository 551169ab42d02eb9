"""The residents' nominations screen and the list of candidates of their parish or town."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.nominations.buttons import (
    Candidates,
    MyCandidacy,
    MySupport,
    NominateStart,
    SupportPage,
)
from handlers.nominations.texts import PAPER_NOTE, progress, refusal_text, round_line
from models.nominations import (
    ACTIVE,
    BIO_SHOWN,
    COLLECTING,
    NominationRound,
    Refused,
    list_nominations,
    open_round_for_unit,
    round_for_unit,
    standings,
    supports_of,
)

router = Router()


add_menu_entry(MenuEntry(N_("Nominations"), "nom", order=20))
add_help("nominate", N_("nominate a candidate for your parish or town"), everyone)
add_help("nominations", N_("nominations: the candidates, your support, your candidacy"), everyone)


def back_to_nominations(ctx: Context) -> Button:
    return Button(ctx.t._("Back to nominations"), "nom")


@router.command("nominations")
@router.payload("nom")
async def nominations(ctx: Context) -> None:
    """The round of the resident's unit, and what they can do in it."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    t = ctx.t
    unit = ctx.resident.unit
    item = await round_for_unit(ctx.session, unit.id, ctx.now)
    lines = [round_line(t, item, ctx.now, unit)]
    if item is not None and item.is_open(ctx.now):
        lines.append(
            t.ngettext(
                "A candidate needs {n} supporter: residents of {unit} aged {age} or older.",
                "A candidate needs {n} supporters: residents of {unit} aged {age} or older.",
                item.supporters_needed,
                unit=t.place(unit),
                age=t.number(item.minimum_age),
            )
        )
    lines.append(t._(PAPER_NOTE))
    buttons = []
    if item is not None and item.is_open(ctx.now):
        buttons.append(Button(t._("Nominate a candidate"), NominateStart()))
    buttons.append(Button(t._("Candidates of my parish or town"), Candidates()))
    if await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE):
        buttons.append(Button(t._("My candidacy"), MyCandidacy()))
    if await supports_of(ctx.session, ctx.resident.id):
        buttons.append(Button(t._("My support"), MySupport()))
    if ctx.roles.is_staff:
        buttons.append(Button(t._("Nominations: coordinator"), "nomc"))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n\n".join(lines), buttons)


async def open_round_or_say_why(ctx: Context) -> NominationRound | None:
    """The open round of the resident's unit; None (and the reason said) when none is open."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    try:
        return await open_round_for_unit(ctx.session, ctx.resident.unit.id, ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now, unit=ctx.resident.unit))
        return None


@router.button(Candidates)
async def candidates(ctx: Context, press: Candidates) -> None:
    """The consenting candidates of the resident's unit, with short bios and Support buttons."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    t = ctx.t
    unit = ctx.resident.unit
    item = await round_for_unit(ctx.session, unit.id, ctx.now)
    found = (
        await list_nominations(ctx.session, unit_id=unit.id, round_id=item.id, statuses=COLLECTING)
        if item is not None
        else []
    )
    if item is None or not found:
        ctx.clear_state()
        ctx.reply(
            t._("There are no candidates in {unit} yet.", unit=t.place(unit)),
            [back_to_nominations(ctx), Button(t._("Main menu"), "menu")],
        )
        return
    standing = await standings(ctx.session, found)
    blocks = [t._("Candidates in {unit}:", unit=t.place(unit))]
    buttons = []
    for number, nomination in enumerate(found, start=1):
        about = nomination.bio or nomination.reason or ""
        if len(about) > BIO_SHOWN:
            about = about[: BIO_SHOWN - 1].rstrip() + "…"
        lines = [
            f"{number}. {nomination.candidate_name} "
            f"({progress(t, standing[nomination.id].count, item.supporters_needed)})"
        ]
        if about:
            lines.append(about)
        blocks.append("\n".join(lines))
        if item.is_open(ctx.now) and nomination.candidate_id != ctx.resident.id:
            buttons.append(
                Button(
                    t._("Support {name}", name=nomination.candidate_name),
                    SupportPage(nomination.support_code),
                )
            )
    buttons += [back_to_nominations(ctx), Button(t._("Main menu"), "menu")]
    ctx.clear_state()
    ctx.reply("\n\n".join(blocks), buttons)
