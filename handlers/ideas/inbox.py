"""The council's inbox of residents' ideas and concerns: the list, one item, and what is done
with it (an answer, a status, a forward, the same as another)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_, Translator
from bot.parsing import parse_id
from bot.settings import Settings
from broadcasts.notices import send_notice
from handlers.ideas.common import (
    ExportPeriod,
    ForwardElsewhere,
    ForwardIdea,
    InboxPage,
    OpenIdea,
    author_name,
    council_name,
    inbox_visible,
    same_as,
    short,
    status_label,
)
from handlers.meetings.payloads import IdeaToAgenda
from handlers.menu import MenuEntry, add_help, add_menu_entry
from models.audit import audit
from models.ideas import (
    ANSWER_MAX,
    Idea,
    IdeaArea,
    IdeaStatus,
    answer_idea,
    answers_to,
    area_members,
    get_idea,
    idea_photo,
    inbox,
    list_areas,
    mark_duplicate,
    may_read,
    may_use_inbox,
    set_status,
)
from models.meetings import may_call_any
from models.residents import Resident
from models.territory import place_label

router = Router()


class State(enum.StrEnum):
    ANSWER = "ideaitem.answer"
    DUPLICATE = "ideaitem.duplicate"


class Filter(enum.StrEnum):
    STATUS = "st"
    AREA = "ar"


@payload("inboxfilter")
class ChooseFilter(Payload):
    """Ask which status (or area) to show, keeping the other filter."""

    by: Filter
    status: IdeaStatus | None = None
    area_id: int | None = None


@payload("ideaans")
class AnswerIdea(Payload):
    idea_id: int


@payload("ideast")
class SetIdeaStatus(Payload):
    idea_id: int
    status: IdeaStatus


@payload("ideadup")
class SameAs(Payload):
    """Ask which item this one is the same as."""

    idea_id: int


@payload("ideadupok")
class ConfirmSameAs(Payload):
    """Mark `idea_id` as the same as `of`, after the confirmation screen."""

    idea_id: int
    of: int


# Statuses a handler sets with a plain button; the others come with an answer, a forward or
# the number of the original.
BUTTON_STATUSES = (IdeaStatus.IN_PROGRESS, IdeaStatus.CLOSED)
PAGE = 8
DUPLICATE_NUMBER_MAX = 20

add_menu_entry(
    MenuEntry(N_("Residents' ideas and concerns"), "inbox", order=162, visible=inbox_visible)
)
add_help("inbox", N_("residents' ideas and concerns sent to you"), inbox_visible)


async def _tell_author(
    ctx: Context, item: Idea, write: Any, *, action: tuple[str, str] | None = None
) -> None:
    await tell_author(
        ctx.session, settings=ctx.settings, item=item, write=write, now=ctx.now, action=action
    )


async def tell_author(
    session: AsyncSession,
    *,
    settings: Settings,
    item: Idea,
    write: Any,
    now: datetime,
    action: tuple[str, str] | None = None,
) -> None:
    """A notice to the author, if they are still here; their address stays with the bot."""
    if item.author_id is None:
        return
    await send_notice(
        session,
        settings=settings,
        resident_ids=[item.author_id],
        write=write,
        now=now,
        buttons=[action or (N_("My ideas and concerns"), "myideas")],
    )


async def tell_status(
    session: AsyncSession, *, settings: Settings, item: Idea, now: datetime
) -> None:
    """Tell the author the item's new status."""
    await tell_author(
        session,
        settings=settings,
        item=item,
        now=now,
        write=lambda t: t._(
            "Your idea or concern No. {id} ({area}) is now: {status}.",
            id=item.id,
            area=item.area.name_in(t.language),
            status=status_label(t, item.status),
        ),
    )


async def _tell_status(ctx: Context, item: Idea) -> None:
    await tell_status(ctx.session, settings=ctx.settings, item=item, now=ctx.now)


async def set_status_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    item: Idea,
    status: IdeaStatus,
    by: Resident,
    now: datetime,
) -> bool:
    """Mark an item in progress or closed (the statuses a plain button sets), audited, and
    tell the author: the one action behind the chat's and the staff console's buttons.
    False when it had that status already. The caller has checked that `by` may read it."""
    if status not in BUTTON_STATUSES:
        raise ValueError(f"{status.value} is not set with a plain mark")
    if not set_status(item, status, now=now):
        return False
    await audit(session, action="idea_status", actor_id=by.id, idea=item.id, status=status.value)
    await tell_status(session, settings=settings, item=item, now=now)
    return True


async def mark_same_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    item: Idea,
    other: Idea,
    by: Resident,
    now: datetime,
) -> None:
    """Mark an item as the same as another, audited, and tell its author where it is
    followed. The caller has checked that `by` may read both."""
    await mark_duplicate(session, idea=item, of=other, now=now)
    await audit(session, action="idea_duplicate", actor_id=by.id, idea=item.id, of=other.id)
    await tell_author(
        session,
        settings=settings,
        item=item,
        now=now,
        write=lambda t: t._(
            "Your idea or concern No. {id} is the same as {original}, which the council already "
            "has. It is dealt with there.",
            id=item.id,
            original=same_as(t, item, other),
        ),
    )


# ---------------------------------------------------------------------- the inbox


@router.command("inbox")
async def inbox_command(ctx: Context) -> None:
    await show_inbox(ctx, InboxPage())


@router.button(InboxPage)
async def show_inbox(ctx: Context, press: InboxPage) -> None:
    """Items this person may read, newest first; filters by status and area."""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_inbox")
        return
    assert ctx.resident is not None
    status = press.status.value if press.status else None
    area_id = press.area_id or None
    offset = press.offset or 0
    items = await inbox(
        ctx.session,
        roles=ctx.roles,
        resident_id=ctx.resident.id,
        status=status,
        area_id=area_id,
        offset=offset,
        limit=PAGE + 1,
    )
    more = len(items) > PAGE
    items = items[:PAGE]
    filters = []
    if status:
        filters.append(status_label(ctx.t, status))
    area = await ctx.session.get(IdeaArea, area_id) if area_id else None
    if area is not None:
        filters.append(area.name_in(ctx.t.language))
    heading = ctx.t._("Residents' ideas and concerns, newest first.")
    if filters:
        heading += "\n" + ctx.t._("Shown: {filters}.", filters=", ".join(filters))
    lines = [heading, ""]
    buttons: list[Button] = []
    for item in items:
        lines.append(
            ctx.t._(
                "#{id} · {time} · {unit} · {area} · {status}",
                id=item.id,
                time=ctx.t.datetime(item.created_at),
                unit=ctx.t.place(item.unit),
                area=item.area.name_in(ctx.t.language),
                status=status_label(ctx.t, item.status),
            )
        )
        lines.append("   " + (short(item.text) or ctx.t._("(the text was erased)")))
        buttons.append(Button(f"#{item.id} {short(item.text, 28)}".strip(), OpenIdea(item.id)))
    if not items:
        lines.append(ctx.t._("Nothing here."))
    if more:
        buttons.append(Button(ctx.t._("Older"), InboxPage(press.status, area_id, offset + PAGE)))
    buttons.append(
        Button(ctx.t._("Filter by status"), ChooseFilter(Filter.STATUS, press.status, area_id))
    )
    buttons.append(
        Button(ctx.t._("Filter by area"), ChooseFilter(Filter.AREA, press.status, area_id))
    )
    if filters:
        buttons.append(Button(ctx.t._("Show all"), InboxPage()))
    buttons.append(Button(ctx.t._("Export as a file"), ExportPeriod()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(ChooseFilter)
async def choose_filter(ctx: Context, press: ChooseFilter) -> None:
    """Ask which status or which area to show."""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_inbox")
        return
    if press.by is Filter.STATUS:
        question = ctx.t._("Which status?")
        buttons = [
            Button(status_label(ctx.t, status), InboxPage(status, press.area_id))
            for status in IdeaStatus
        ]
        buttons.append(Button(ctx.t._("All"), InboxPage(None, press.area_id)))
    else:
        question = ctx.t._("Which area?")
        buttons = [
            Button(area.name_in(ctx.t.language), InboxPage(press.status, area.id))
            for area in await list_areas(ctx.session, include_hidden=True)
        ]
        buttons.append(Button(ctx.t._("All"), InboxPage(press.status)))
    buttons.append(
        Button(ctx.t._("Back to the list"), InboxPage(press.status, press.area_id or None))
    )
    ctx.clear_state()
    ctx.reply(question, buttons)


# ---------------------------------------------------------------------- one item


async def readable_item(ctx: Context, idea_id: int | None, action: str) -> Idea | None:
    """The item, if this person may read it; otherwise refused and written down."""
    item = await get_idea(ctx.session, idea_id) if idea_id else None
    resident_id = ctx.resident.id if ctx.resident else None
    if item is None or not may_read(ctx.roles, resident_id, item):
        await ctx.refuse(action, idea=idea_id)
        return None
    return item


@router.button(OpenIdea)
async def open_idea(ctx: Context, press: OpenIdea) -> None:
    """Open an item; the person's right to read it is checked here, not trusted."""
    item = await readable_item(ctx, press.idea_id, "idea_read")
    if item is not None:
        await _show_item(ctx, item)


async def _show_item(ctx: Context, item: Idea) -> None:
    t = ctx.t
    place = place_label(item.unit, item.locality, t.language)
    lines = [
        t._("#{id} · {status}", id=item.id, status=status_label(t, item.status)),
        t._("From: {place}", place=place),
        t._("Area: {area}", area=item.area.name_in(t.language)),
        t._("Received: {time}", time=t.datetime(item.created_at)),
    ]
    author = await ctx.session.get(Resident, item.author_id) if item.author_id else None
    if author is None:
        lines.append(t._("Written by: the author has erased their data."))
    elif item.show_author:
        contact = author_name(t, item, author) + (f", {author.phone}" if author.phone else "")
        lines.append(t._("Written by: {name}", name=contact))
    else:
        lines.append(t._("Written by: the author asked not to show their name."))
    if item.place:
        lines.append(t._("Place: {place}", place=item.place))
    if item.duplicate_of_id:
        lines.append(t._("The same as #{id}.", id=item.duplicate_of_id))
    if item.forwarded_to_id:
        member = await ctx.session.get(Resident, item.forwarded_to_id)
        lines.append(t._("Forwarded to: {name}", name=await council_name(ctx.session, t, member)))
    if item.area.specialist_name:
        lines.append(
            t._(
                "Outside specialist for this area: {name}, {contact}",
                name=item.area.specialist_name,
                contact=item.area.specialist_contact or "–",
            )
        )
    lines.append("")
    lines.append(item.text or t._("(the text was erased at the author's request)"))
    for answer in await answers_to(ctx.session, item.id):
        lines.append("")
        lines.append(
            t._("Answer ({time}): {text}", time=t.datetime(answer.created_at), text=answer.text)
        )
    buttons: list[Button] = []
    if item.author_id is not None:
        buttons.append(Button(t._("Answer the resident"), AnswerIdea(item.id)))
    buttons.append(Button(t._("Mark: in progress"), SetIdeaStatus(item.id, IdeaStatus.IN_PROGRESS)))
    assert ctx.resident is not None
    for member in await area_members(ctx.session, item.area_id):
        if member.resident_id not in (ctx.resident.id, item.forwarded_to_id):
            name = await council_name(ctx.session, t, member.resident)
            buttons.append(
                Button(
                    t._("Forward to {name}", name=name), ForwardIdea(item.id, member.resident_id)
                )
            )
    buttons.append(
        Button(
            t._("Forward to another parish's or town's representative"), ForwardElsewhere(item.id)
        )
    )
    buttons.append(Button(t._("Mark as the same as another"), SameAs(item.id)))
    if may_call_any(ctx.roles):
        buttons.append(Button(t._("Put on a meeting's agenda"), IdeaToAgenda(item.id)))
    buttons.append(Button(t._("Close"), SetIdeaStatus(item.id, IdeaStatus.CLOSED)))
    buttons.append(Button(t._("Back to the list"), InboxPage()))
    ctx.clear_state()
    # The text first, then the photo with the buttons under it. On the messenger it came
    # from, the platform's own copy is reused.
    photo = None
    kept = await idea_photo(ctx.session, item)
    same_channel = item.photo_ref is not None and item.photo_channel == ctx.incoming.channel
    if kept is not None:
        photo = Attachment(
            filename="photo.jpg",
            kind="photo",
            mime_type=kept[1],
            content=kept[0],
            file_ref=item.photo_ref if same_channel else None,
        )
    elif same_channel:
        photo = Attachment(filename="photo.jpg", kind="photo", file_ref=item.photo_ref)
    elif item.photo_ref:
        lines.insert(4, t._("A photo was sent on another messenger."))
    ctx.reply("\n".join(lines), buttons, attachment=photo)


def item_buttons(t: Translator, item: Idea) -> list[Button]:
    """The way on after acting on an item: the item, the list, the menu."""
    return [
        Button(t._("Open #{id}", id=item.id), OpenIdea(item.id)),
        Button(t._("Back to the list"), InboxPage()),
        Button(t._("Main menu"), "menu"),
    ]


@router.button(SetIdeaStatus)
async def status_chosen(ctx: Context, press: SetIdeaStatus) -> None:
    """Set a status a plain button sets, and tell the author."""
    item = await readable_item(ctx, press.idea_id, "idea_st")
    if item is None:
        return
    if press.status not in BUTTON_STATUSES:
        await ctx.refuse("idea_st", idea=item.id, status=press.status.value)
        return
    assert ctx.resident is not None
    await set_status_and_tell(
        ctx.session,
        settings=ctx.settings,
        item=item,
        status=press.status,
        by=ctx.resident,
        now=ctx.now,
    )
    await _show_item(ctx, item)


@router.button(AnswerIdea)
async def ask_answer(ctx: Context, press: AnswerIdea) -> None:
    """Ask for the answer to the resident."""
    item = await readable_item(ctx, press.idea_id, "idea_ans")
    if item is None:
        return
    ctx.ask(
        State.ANSWER,
        ctx.t._(
            "Write your answer to the resident (at most {limit} characters). It goes to "
            "them through the assistant.",
            limit=ctx.t.number(ANSWER_MAX),
        ),
        limit=ANSWER_MAX,
        back=Button(ctx.t._("Back"), OpenIdea(item.id)),
        idea=item.id,
    )


async def _item_in_flow(ctx: Context, action: str) -> Idea | None:
    item = await readable_item(ctx, parse_id(ctx.flow.get("idea")), action)
    if item is None:
        ctx.clear_state()
    return item


async def answer_written(ctx: Context) -> None:
    """Send the answer to the author and mark the item answered."""
    item = await _item_in_flow(ctx, "idea_ans")
    if item is None:
        return
    assert ctx.resident is not None
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.ask_again(ctx.t._("Please write the answer."))
        return
    if item.author_id is None:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("The author has erased their data; the answer cannot reach them."),
            item_buttons(ctx.t, item),
        )
        return
    await answer_and_tell(
        ctx.session, settings=ctx.settings, item=item, by=ctx.resident, text=text, now=ctx.now
    )
    ctx.clear_state()
    ctx.reply(
        ctx.t._("Your answer to #{id} goes to the resident.", id=item.id),
        item_buttons(ctx.t, item),
    )


async def answer_and_tell(
    session: AsyncSession,
    *,
    settings: Settings,
    item: Idea,
    by: Resident,
    text: str,
    now: datetime,
) -> None:
    """Answer an item and send the answer to its author: the one action behind the chat's
    answer and the staff console's. The caller has checked that `by` may read the item."""
    await answer_idea(session, idea=item, by=by, text=text, now=now)
    await audit(session, action="idea_answered", actor_id=by.id, idea=item.id)
    if item.author_id is None:
        return
    await send_notice(
        session,
        settings=settings,
        resident_ids=[item.author_id],
        write=lambda t: t._(
            "An answer to your idea or concern No. {id} ({area}):\n\n{answer}",
            id=item.id,
            area=item.area.name_in(t.language),
            answer=text.strip(),
        ),
        now=now,
        buttons=[(N_("My ideas and concerns"), "myideas")],
    )


@router.button(SameAs)
async def ask_same_as(ctx: Context, press: SameAs) -> None:
    """Ask for the number of the item this one is the same as."""
    item = await readable_item(ctx, press.idea_id, "idea_dup")
    if item is None:
        return
    ctx.ask(
        State.DUPLICATE,
        ctx.t._("Which item is #{id} the same as? Write its number, e.g. 12.", id=item.id),
        limit=DUPLICATE_NUMBER_MAX,
        back=Button(ctx.t._("Back"), OpenIdea(item.id)),
        idea=item.id,
    )


async def duplicate_named(ctx: Context) -> None:
    """Show both items and ask to confirm: the author is told, which cannot be taken back."""
    item = await _item_in_flow(ctx, "idea_dup")
    if item is None:
        return
    other_id = parse_id((ctx.incoming.text or "").strip().lstrip("#"))
    other = await get_idea(ctx.session, other_id) if other_id else None
    assert ctx.resident is not None
    if other is None or other.id == item.id or not may_read(ctx.roles, ctx.resident.id, other):
        ctx.ask_again(ctx.t._("There is no other item with that number that you can read."))
        return
    t = ctx.t
    lines = [
        t._("Mark #{id} as the same as #{other}?", id=item.id, other=other.id),
        "",
        f"#{item.id} · {item.unit.name_in(t.language)} · {item.area.name_in(t.language)}",
        "   " + (short(item.text) or t._("(the text was erased)")),
        f"#{other.id} · {other.unit.name_in(t.language)} · {other.area.name_in(t.language)} · "
        f"{status_label(t, other.status)}",
        "   " + (short(other.text) or t._("(the text was erased)")),
        "",
        t._(
            "The resident who wrote #{id} is told at once that it is followed under #{other}; "
            "that message cannot be taken back.",
            id=item.id,
            other=other.id,
        ),
    ]
    ctx.clear_state()
    ctx.reply(
        "\n".join(lines),
        [
            Button(t._("Yes, mark it"), ConfirmSameAs(item.id, other.id)),
            Button(t._("Back"), OpenIdea(item.id)),
        ],
    )


@router.button(ConfirmSameAs)
async def confirm_same_as(ctx: Context, press: ConfirmSameAs) -> None:
    """Mark the item as the same as another; both are checked again here, not trusted."""
    item = await readable_item(ctx, press.idea_id, "idea_dup")
    if item is None:
        return
    other = await readable_item(ctx, press.of, "idea_dup")
    if other is None:
        return
    if other.id == item.id:
        await ctx.refuse("idea_dup", idea=item.id, of=other.id)
        return
    if item.status == IdeaStatus.DUPLICATE.value and item.duplicate_of_id == other.id:
        ctx.reply(
            ctx.t._("#{id} is already marked as the same as #{other}.", id=item.id, other=other.id),
            item_buttons(ctx.t, item),
        )
        return
    assert ctx.resident is not None
    await mark_same_and_tell(
        ctx.session, settings=ctx.settings, item=item, other=other, by=ctx.resident, now=ctx.now
    )
    ctx.clear_state()
    ctx.reply(
        ctx.t._("#{id} is marked as the same as #{other}.", id=item.id, other=other.id),
        item_buttons(ctx.t, item),
    )


router.flow(
    {
        State.ANSWER: Step(answer_written, free_text=True),
        State.DUPLICATE: Step(duplicate_named, numbers=True),
    }
)
