"""A placement's code (`/start u_<code>` from the QR code, `START <code>` on WhatsApp or
SMS): a newcomer is registered straight into the place of the poster; a resident already
registered elsewhere is asked before anything changes."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router
from handlers.menu import show_menu
from handlers.onboarding import (
    add_deep_link,
    add_place_link,
    ask_unit,
    remember_deep_link,
    resume_onboarding,
    settle_place,
)
from models import codes
from models.outreach import CODE_TYPED, Placement, placement_by_code, record_join
from models.territory import place_label
from reports.outreach_posters import LINK_KIND

router = Router()


@payload("outmove")
class MoveToPlacement(Payload):
    """Move to the place of the poster the resident opened."""

    placement_id: int


async def _valid(ctx: Context, code: str) -> Placement | None:
    placement = await placement_by_code(ctx.session, code)
    if placement is None or not placement.active:
        return None
    return placement


async def newcomer_link(ctx: Context, code: str) -> None:
    """Settle a newcomer in the poster's place and write down which poster brought them."""
    assert ctx.resident is not None
    placement = await _valid(ctx, code)
    if placement is None:
        await ask_unit(
            ctx, ctx.t._("I do not know the code on that poster (it may be an old one).")
        )
        return
    await record_join(
        ctx.session, resident=ctx.resident, placement=placement, channel=ctx.incoming.channel
    )
    await ctx.audit("outreach_joined", placement=placement.id)
    await settle_place(ctx, placement.unit, placement.locality)


async def resident_link(ctx: Context, code: str) -> None:
    """A registered resident opened a poster's code: nothing moves without asking."""
    assert ctx.resident is not None
    placement = await _valid(ctx, code)
    if placement is None:
        show_menu(ctx, ctx.t._("I do not know the code on that poster (it may be an old one)."))
        return
    language = ctx.t.language
    there = placement.place_in(language)
    same_unit = ctx.resident.unit_id == placement.unit_id
    if same_unit and placement.locality_id in (None, ctx.resident.locality_id):
        show_menu(ctx, ctx.t._("You are already registered in {place}.", place=there))
        return
    here = place_label(ctx.resident.unit, ctx.resident.locality, language)
    ctx.reply(
        ctx.t._(
            "This poster is for {there}. You are registered in {here}. "
            "Do you want to move to {there}?",
            there=there,
            here=here,
        ),
        [
            Button(ctx.t._("Yes, move me"), MoveToPlacement(placement.id)),
            Button(ctx.t._("No, keep it as it is"), "menu"),
        ],
    )


@router.button(MoveToPlacement)
async def move_to_placement(ctx: Context, press: MoveToPlacement) -> None:
    """Move the resident to the poster's place, as choosing it in the menu would."""
    placement = await ctx.session.get(Placement, press.placement_id)
    if placement is None or not placement.active:
        show_menu(ctx, ctx.t._("I do not know the code on that poster (it may be an old one)."))
        return
    await ctx.audit("territory_changed", placement=placement.id)
    await settle_place(ctx, placement.unit, placement.locality)


@router.keyword("start", "sākt", "старт", argument=CODE_TYPED, needs=Needs.NOTHING)
async def start_word_typed(ctx: Context) -> None:
    """`START <code>` typed on WhatsApp or SMS, as the poster says: as the Telegram link."""
    code = codes.normal(ctx.argument)
    if ctx.resident is None or ctx.resident.unit_id is None:
        remember_deep_link(ctx, LINK_KIND, code)
        await resume_onboarding(ctx)
        return
    if not ctx.resident.subscribed:
        # START is also the word that brings the council's messages back.
        ctx.resident.subscribed = True
        await ctx.audit("subscribed", channel=ctx.incoming.channel)
    await resident_link(ctx, code)


add_place_link(LINK_KIND, newcomer_link)
add_deep_link(LINK_KIND, resident_link)
