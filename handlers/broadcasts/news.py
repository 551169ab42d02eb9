"""The News: the council's latest messages that reached the resident's parish or town."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import Button, Reply
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from broadcasts.compose import places_of
from broadcasts.render import render
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.broadcasts import news_for

router = Router()


@payload("news")
class News(Payload):
    """A page of the News, 1 the latest."""

    page: int | None = None


# How many messages one page of the News shows: a few, not the whole history at once.
NEWS_PAGE = 3

add_menu_entry(MenuEntry(N_("News"), "news", order=10))
add_help("news", N_("the latest messages for your parish or town"), everyone)


@router.command("news")
async def news_command(ctx: Context) -> None:
    await news(ctx, News())


@router.button(News)
async def news(ctx: Context, press: News) -> None:
    """A few of the latest messages that reached this resident's parish or town, the
    newest last (nearest the buttons), and older ones a page at a time."""
    assert ctx.resident is not None
    page = max(press.page or 1, 1)
    skip = (page - 1) * NEWS_PAGE
    items = await news_for(ctx.session, ctx.resident, limit=skip + NEWS_PAGE + 1)
    shown = items[skip : skip + NEWS_PAGE]
    if not shown:
        show_menu(
            ctx,
            ctx.t._("No news yet for your parish or town.")
            if page == 1
            else ctx.t._("There are no older messages."),
        )
        return
    ctx.clear_state()
    for item in reversed(shown):
        when = ctx.t.datetime(item.started_at or item.due_at)
        places = await places_of(ctx.session, item)
        for reply in render(item, ctx.t.language, timezone=ctx.settings.tz, places=places):
            text = f"{when}\n{reply.text}" if reply.text else ""
            ctx.send(ctx.here, Reply(text, attachment=reply.attachment))
    # What the messages ask residents to do (answer a survey, see the candidates) is
    # offered here, under them all, so that it works on every messenger, numbers too.
    buttons = []
    for item in reversed(shown):
        for label, action in item.actions:
            if action not in (button.payload for button in buttons):
                buttons.append(Button(ctx.t._(label), action))
    if len(items) > skip + NEWS_PAGE:
        buttons.append(Button(ctx.t._("Older messages"), News(page + 1)))
    if page > 1:
        buttons.append(Button(ctx.t._("The latest messages"), News()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    text = (
        ctx.t._("These are the latest messages for your parish or town.")
        if page == 1
        else ctx.t._("These are older messages for your parish or town.")
    )
    ctx.reply(text, buttons)
