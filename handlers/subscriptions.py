"""STOP and START: a resident stops or resumes the council's messages by typing one word."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Needs, Router
from handlers.menu import show_menu
from handlers.onboarding import resume_onboarding

router = Router()


@router.keyword("stop", "beigt", "стоп", needs=Needs.NOTHING)
async def stop(ctx: Context) -> None:
    """Stop the council's messages (replies to the resident's own messages still come)."""
    if ctx.resident is None:
        ctx.reply(ctx.t._("You will not get messages from us. Send START to begin."))
        return
    ctx.resident.subscribed = False
    await ctx.audit("unsubscribed", channel=ctx.incoming.channel)
    ctx.clear_state()
    # The menu stays open: what the resident asks for is still answered.
    buttons = [Button(ctx.t._("Main menu"), "menu")] if ctx.resident.unit_id else []
    ctx.reply(
        ctx.t._(
            "You will no longer get the council's messages. Send START to get them again. "
            "You can still write to me at any time."
        ),
        buttons,
    )


@router.keyword("start", "sākt", "старт", needs=Needs.NOTHING)
async def start_again(ctx: Context) -> None:
    """Resume the council's messages; for a newcomer, begin as /start does."""
    if ctx.resident is None or ctx.resident.unit_id is None:
        await resume_onboarding(ctx)
        return
    if not ctx.resident.subscribed:
        ctx.resident.subscribed = True
        await ctx.audit("subscribed", channel=ctx.incoming.channel)
        show_menu(ctx, ctx.t._("You will get the council's messages again."))
        return
    show_menu(ctx)
