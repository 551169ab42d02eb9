"""The way into the staff console: a one-time sign-in link, sent on the person's messenger."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.staff_console import LINK_LIFETIME, create_link, may_use_console

router = Router()
LOGIN_PATH = "/console/login/"


def _console_visible(ctx: Context) -> bool:
    """On the menu only where the console is set up: a house elder has no use for the name
    of a setting. Typed, /console still says what is missing."""
    return may_use_console(ctx.roles) and ctx.settings.console_base_url is not None


add_menu_entry(
    MenuEntry(N_("Staff console in the browser"), "console", order=172, visible=_console_visible)
)
add_help("console", N_("a sign-in link to the staff console in the browser"), _console_visible)


@router.command("console")
@router.payload("console")
async def console_link(ctx: Context) -> None:
    """Send a one-time sign-in link to the staff console; only to those it is for, checked here."""
    if not may_use_console(ctx.roles):
        await ctx.refuse("console_link")
        return
    assert ctx.resident is not None
    base_url = ctx.settings.console_base_url
    if base_url is None:
        show_menu(
            ctx,
            ctx.t._(
                "The staff console is not set up on this server yet: the administrator "
                "sets PUBLIC_BASE_URL to its https address."
            ),
        )
        return
    token = await create_link(ctx.session, resident_id=ctx.resident.id, now=ctx.now)
    await ctx.audit("console_link")
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "Your link to the staff console, good once and for {n} minute:\n{link}\n\n"
            "Do not pass it on: whoever opens it acts in your name.",
            "Your link to the staff console, good once and for {n} minutes:\n{link}\n\n"
            "Do not pass it on: whoever opens it acts in your name.",
            minutes,
            link=f"{base_url}{LOGIN_PATH}{token}",
        ),
    )
