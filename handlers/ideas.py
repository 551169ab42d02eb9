"""Residents' ideas and concerns to their representative; the inbox, areas, digest and exports."""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from bot.parsing import parse_day, parse_id
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.ideas import (
    ANSWER_MAX,
    PLACE_MAX,
    SPECIALIST_MAX,
    TEXT_MAX,
    UNANSWERED_AFTER,
    Idea,
    IdeaArea,
    IdeaStatus,
    answer_idea,
    answers_to,
    area_members,
    assign_area,
    claim_digest,
    council_people,
    created_between,
    forward_idea,
    get_idea,
    holders_of,
    idea_photo,
    ideas_between,
    ideas_of,
    inbox,
    list_areas,
    local_period,
    mark_duplicate,
    may_read,
    may_see_all,
    may_use_inbox,
    recipients_for,
    set_specialist,
    set_status,
    submit_idea,
    unanswered,
    unassign_area,
)
from models.messaging import find_media, store_media
from models.residents import Resident
from models.roles import Role, RoleGrant
from models.territory import list_units
from reports.spreadsheets import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx

logger = logging.getLogger(__name__)
router = Router()

STATUS_LABELS = {
    IdeaStatus.NEW.value: N_("new"),
    IdeaStatus.IN_PROGRESS.value: N_("in progress"),
    IdeaStatus.FORWARDED.value: N_("forwarded"),
    IdeaStatus.ANSWERED.value: N_("answered"),
    IdeaStatus.CLOSED.value: N_("closed"),
    IdeaStatus.DUPLICATE.value: N_("duplicate"),
}
# Statuses a handler sets with a plain button; the others come with an answer, a forward or
# the number of the original.
BUTTON_STATUSES = (IdeaStatus.IN_PROGRESS, IdeaStatus.CLOSED)
PAGE = 8
PREVIEW = 60


def _inbox_visible(ctx: Context) -> bool:
    return may_use_inbox(ctx.roles)


def _assigns_areas(ctx: Context) -> bool:
    return may_see_all(ctx.roles)


add_menu_entry(MenuEntry(N_("Idea or concern"), "idea", order=20))
add_menu_entry(
    MenuEntry(N_("Residents' ideas and concerns"), "inbox", order=62, visible=_inbox_visible)
)
add_menu_entry(MenuEntry(N_("Areas of responsibility"), "areas", order=63, visible=_assigns_areas))
add_help("idea", N_("send an idea or a concern to your representative"), everyone)
add_help("myideas", N_("your ideas and concerns and their status"), everyone)
add_help("inbox", N_("residents' ideas and concerns sent to you"), _inbox_visible)
add_help("ideasexport", N_("residents' ideas and concerns as a CSV or XLSX file"), _inbox_visible)
add_help("areas", N_("give council members their areas; outside specialists"), _assigns_areas)


def status_label(t: Translator, status: str) -> str:
    return t._(STATUS_LABELS.get(status, N_("new")))


def _arg(ctx: Context, index: int) -> str | None:
    return ctx.args[index] if len(ctx.args) > index else None


def _short(text: str | None, limit: int = PREVIEW) -> str:
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _person(resident: Resident | None) -> str:
    if resident is None:
        return "–"
    return resident.display_name or f"#{resident.id}"


# ---------------------------------------------------------------------- residents: submitting


@router.command("idea")
@router.payload("idea")
async def idea(ctx: Context) -> None:
    """Start a new idea or concern (its area first), or take a step of the flow's buttons."""
    if ctx.payload and ctx.args:
        await _idea_step(ctx)
        return
    areas = await list_areas(ctx.session)
    ctx.set_state("idea.area", key=secrets.token_hex(12))
    buttons = [Button(area.name_in(ctx.t.language), f"idea:area:{area.id}") for area in areas]
    buttons.append(Button(ctx.t._("My ideas and concerns"), "myideas"))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.reply(
        ctx.t._(
            "Here you can write to your representative: an idea for your parish or town, or a "
            "problem you see. What is it about?"
        ),
        buttons,
    )


def _draft(ctx: Context) -> dict[str, Any] | None:
    """The idea being written; None (and a note) when there is none any more."""
    flow = ctx.flow
    if not (ctx.state or "").startswith("idea.") or "key" not in flow:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return None
    return flow


async def _idea_step(ctx: Context) -> None:
    step = _arg(ctx, 0)
    flow = _draft(ctx)
    if flow is None:
        return
    if step == "area":
        await _area_chosen(ctx, flow)
    elif step == "nophoto" and "text" in flow:
        _ask_place(ctx, flow)
    elif step == "noplace" and "text" in flow:
        flow.pop("place", None)
        _ask_who(ctx, flow)
    elif step == "who" and "text" in flow:
        flow["show_author"] = _arg(ctx, 1) == "yes"
        _ask_keep(ctx, flow)
    elif step == "keep" and "show_author" in flow:
        flow["keep_text"] = _arg(ctx, 1) == "yes"
        await _preview(ctx, flow)
    elif step == "send" and ctx.state == "idea.confirm":
        await _send(ctx, flow)
    elif step == "cancel":
        show_menu(ctx, ctx.t._("Nothing was sent."))
    else:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))


async def _area_chosen(ctx: Context, flow: dict[str, Any]) -> None:
    area_id = parse_id(_arg(ctx, 1))
    area = await ctx.session.get(IdeaArea, area_id) if area_id else None
    if area is None or area.hidden:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return
    flow["area"] = area.id
    ctx.set_state("idea.text", **flow)
    ctx.reply(
        ctx.t._(
            "Write it in your own words (at most {limit} characters). You may send a photo "
            "with it: then write the text as the photo's caption. /cancel stops.",
            limit=ctx.t.number(TEXT_MAX),
        )
    )


async def _take_photo(ctx: Context, flow: dict[str, Any]) -> bool:
    """Keep a photo the resident sent; False (and a note) for other files.

    The photo's bytes, when the channel could fetch them, wait in the media store until the
    idea is sent; the idea then keeps them, so the photo shows on any messenger."""
    attachment = ctx.incoming.attachment
    if attachment is None:
        return True
    if attachment.kind != "photo" or not attachment.file_ref:
        ctx.reply(ctx.t._("Only a photo can go with it. Please send a photo, not a file."))
        return False
    flow["photo"] = attachment.file_ref
    flow["photo_channel"] = ctx.incoming.channel
    flow.pop("photo_media", None)
    if attachment.content:
        media = await store_media(
            ctx.session,
            filename=attachment.filename,
            mime_type=attachment.mime_type,
            content=attachment.content,
        )
        flow["photo_media"] = media.token
    return True


@router.state("idea.text", free_text=True)
async def text_written(ctx: Context) -> None:
    """Keep the text (and a photo sent with it), then ask for a photo or the place."""
    flow = _draft(ctx)
    if flow is None:
        return
    if not await _take_photo(ctx, flow):
        ctx.set_state("idea.text", **flow)
        return
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.set_state("idea.text", **flow)
        if "photo" in flow:
            ctx.reply(ctx.t._("Thank you for the photo. Now please write the text."))
        else:
            ctx.reply(ctx.t._("Please write the text."))
        return
    if ctx.too_long(text, TEXT_MAX):
        ctx.set_state("idea.text", **flow)
        return
    flow["text"] = text
    if "photo" in flow:
        _ask_place(ctx, flow)
        return
    ctx.set_state("idea.photo", **flow)
    ctx.reply(
        ctx.t._("Would you like to add a photo? Send it now, or tap Skip."),
        [Button(ctx.t._("Skip"), "idea:nophoto")],
    )


@router.state("idea.photo")
async def photo_sent(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    if ctx.incoming.attachment is None or not await _take_photo(ctx, flow):
        ctx.set_state("idea.photo", **flow)
        if ctx.incoming.attachment is None:
            ctx.reply(
                ctx.t._("Please send a photo, or tap Skip."),
                [Button(ctx.t._("Skip"), "idea:nophoto")],
            )
        return
    _ask_place(ctx, flow)


def place_of(latitude: float, longitude: float) -> str:
    """A shared location as the place: its coordinates and a map link anyone can open."""
    return (
        f"{latitude:.5f}, {longitude:.5f} "
        f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}#map=18/"
        f"{latitude:.5f}/{longitude:.5f}"
    )


def _ask_place(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state("idea.place", **flow)
    ctx.reply(
        ctx.t._(
            "Where is it? Write the place: a street and house, a road or a landmark "
            "(at most {limit} characters). Or tap Skip.",
            limit=ctx.t.number(PLACE_MAX),
        )
        + "\n"
        + ctx.t._("You may also share the location from your messenger's attachment menu."),
        [Button(ctx.t._("Skip"), "idea:noplace")],
    )


@router.state("idea.place", free_text=True)
async def place_written(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    place = (
        place_of(*ctx.incoming.location)
        if ctx.incoming.location is not None
        else " ".join((ctx.incoming.text or "").split())
    )
    if not place or len(place) > PLACE_MAX:
        ctx.set_state("idea.place", **flow)
        ctx.reply(
            ctx.t._(
                "Please write the place in at most {limit} characters, or tap Skip.",
                limit=ctx.t.number(PLACE_MAX),
            ),
            [Button(ctx.t._("Skip"), "idea:noplace")],
        )
        return
    flow["place"] = place
    _ask_who(ctx, flow)


def _ask_who(ctx: Context, flow: dict[str, Any]) -> None:
    _ask_yes_no(
        ctx,
        flow,
        step="who",
        question=ctx.t._(
            "May your representative see who wrote it? If not, they see only what you wrote; "
            "their answer still reaches you here."
        ),
        yes=ctx.t._("Yes, show my name"),
        no=ctx.t._("No, do not show my name"),
    )


def _ask_keep(ctx: Context, flow: dict[str, Any]) -> None:
    _ask_yes_no(
        ctx,
        flow,
        step="keep",
        question=ctx.t._(
            "If you erase your data one day (/forget), may the text stay, without your name, "
            "so that the council can go on working on it?"
        ),
        yes=ctx.t._("Yes, the text may stay"),
        no=ctx.t._("No, erase the text too"),
    )


def _ask_yes_no(
    ctx: Context, flow: dict[str, Any], *, step: str, question: str, yes: str, no: str
) -> None:
    ctx.set_state(f"idea.{step}", **flow)
    ctx.reply(question, [Button(yes, f"idea:{step}:yes"), Button(no, f"idea:{step}:no")])


async def _destination(ctx: Context) -> str:
    """Who will read it, as the resident reads it in the preview."""
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    recipients = await recipients_for(
        ctx.session, unit_id=ctx.resident.unit_id, locality_id=ctx.resident.locality_id
    )
    unit = ctx.resident.unit.name if ctx.resident.unit else ""
    locality = ctx.resident.locality.name if ctx.resident.locality else ""
    if recipients.representatives and recipients.deputies:
        return ctx.t._(
            "It goes to the representative of {unit} and the deputy of {locality}.",
            unit=unit,
            locality=locality,
        )
    if recipients.representatives:
        return ctx.t._("It goes to the representative of {unit}.", unit=unit)
    if recipients.deputies:
        return ctx.t._("It goes to the deputy of {locality}.", locality=locality)
    return ctx.t._(
        "{unit} has no representative yet: the council chair and the coordinators will read it.",
        unit=unit,
    )


async def _preview(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    area = await ctx.session.get(IdeaArea, flow["area"])
    if area is None:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return
    yes, no = ctx.t._("yes"), ctx.t._("no")
    lines = [
        ctx.t._("Please check it:"),
        ctx.t._("About: {area}", area=area.name_in(ctx.t.language)),
        ctx.t._("Text: {text}", text=flow["text"]),
        ctx.t._("Place: {place}", place=flow.get("place") or "–"),
        ctx.t._("Photo: {answer}", answer=yes if flow.get("photo") else no),
        ctx.t._("Your name is shown: {answer}", answer=yes if flow["show_author"] else no),
        ctx.t._(
            "The text stays if you erase your data: {answer}",
            answer=yes if flow["keep_text"] else no,
        ),
        "",
        await _destination(ctx),
    ]
    ctx.set_state("idea.confirm", **flow)
    ctx.reply(
        "\n".join(lines),
        [Button(ctx.t._("Send"), "idea:send"), Button(ctx.t._("Cancel"), "idea:cancel")],
    )


async def _send(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None
    area = await ctx.session.get(IdeaArea, flow["area"])
    if area is None or ctx.resident.unit_id is None:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return
    media = (
        await find_media(ctx.session, flow["photo_media"], now=ctx.now)
        if flow.get("photo_media")
        else None
    )
    item, created = await submit_idea(
        ctx.session,
        author=ctx.resident,
        area=area,
        text=flow["text"],
        place=flow.get("place"),
        photo_ref=flow.get("photo"),
        photo_channel=flow.get("photo_channel"),
        photo=(media.content, media.mime_type) if media is not None else None,
        show_author=bool(flow["show_author"]),
        keep_text=bool(flow["keep_text"]),
        submission_key=flow["key"],
        now=ctx.now,
    )
    if created:
        await ctx.audit("idea_submitted", idea=item.id)
        await _tell_readers(ctx, item)
    show_menu(
        ctx,
        ctx.t._(
            "Thank you! It is registered as #{id}. You will get a message here when its "
            "status changes or an answer comes. /myideas shows all of yours.",
            id=item.id,
        ),
    )


async def _tell_readers(ctx: Context, item: Idea) -> None:
    """Tell the unit's representatives and the locality's deputies; the chair when nobody."""
    recipients = (
        await recipients_for(ctx.session, unit_id=item.unit_id, locality_id=item.locality_id)
    ).everyone
    if not recipients:
        recipients = tuple(await holders_of(ctx.session, Role.CHAIR))
    unit = item.unit.name
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=recipients,
        write=lambda t: t._(
            "A resident wrote: #{id}, {unit}, {area}. Open it with the button or /inbox.",
            id=item.id,
            unit=unit,
            area=item.area.name_in(t.language),
        ),
        now=ctx.now,
        buttons=[(N_("Open"), f"ideaitem:{item.id}")],
    )


# ---------------------------------------------------------------------- residents: their list


@router.command("myideas")
@router.payload("myideas")
async def my_ideas(ctx: Context) -> None:
    """The resident's own ideas and concerns, newest first, with status and answers."""
    assert ctx.resident is not None
    items = await ideas_of(ctx.session, ctx.resident.id, limit=10)
    if not items:
        show_menu(
            ctx,
            ctx.t._("You have not sent any ideas or concerns yet. Tap “Idea or concern” to start."),
        )
        return
    blocks = []
    for item in items:
        lines = [
            ctx.t._(
                "#{id} · {time} · {area}",
                id=item.id,
                time=ctx.t.datetime(item.created_at),
                area=item.area.name_in(ctx.t.language),
            ),
            ctx.t._("Status: {status}", status=status_label(ctx.t, item.status)),
            _short(item.text, 200),
        ]
        for answer in await answers_to(ctx.session, item.id):
            lines.append(
                ctx.t._(
                    "Answer ({time}): {text}",
                    time=ctx.t.datetime(answer.created_at),
                    text=answer.text,
                )
            )
        blocks.append("\n".join(lines))
    ctx.clear_state()
    ctx.reply(
        "\n\n".join(blocks),
        [Button(ctx.t._("Idea or concern"), "idea"), Button(ctx.t._("Main menu"), "menu")],
    )


async def _tell_author(
    ctx: Context, item: Idea, write: Any, *, action: tuple[str, str] | None = None
) -> None:
    """A notice to the author, if they are still here; their address stays with the bot."""
    if item.author_id is None:
        return
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[item.author_id],
        write=write,
        now=ctx.now,
        buttons=[action or (N_("My ideas and concerns"), "myideas")],
    )


async def _tell_status(ctx: Context, item: Idea) -> None:
    await _tell_author(
        ctx,
        item,
        lambda t: t._(
            "Your idea or concern #{id} ({area}) is now: {status}.",
            id=item.id,
            area=item.area.name_in(t.language),
            status=status_label(t, item.status),
        ),
    )


# ---------------------------------------------------------------------- the inbox


@router.command("inbox")
@router.payload("inbox")
async def show_inbox(ctx: Context) -> None:
    """Items this person may read, newest first; filters by status and area."""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_inbox")
        return
    assert ctx.resident is not None
    if not ctx.payload:
        ctx.args = []
    step = _arg(ctx, 0)
    if step == "fs":
        await _choose_status(ctx, parse_id(_arg(ctx, 1)) or 0)
        return
    if step == "fa":
        await _choose_area(ctx, _arg(ctx, 1) or "all")
        return
    status = step if step in STATUS_LABELS else None
    area_id = parse_id(_arg(ctx, 1)) or None
    offset = parse_id(_arg(ctx, 2)) or 0
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
                unit=item.unit.name,
                area=item.area.name_in(ctx.t.language),
                status=status_label(ctx.t, item.status),
            )
        )
        lines.append("   " + (_short(item.text) or ctx.t._("(the text was erased)")))
        buttons.append(Button(f"#{item.id} {_short(item.text, 28)}".strip(), f"ideaitem:{item.id}"))
    if not items:
        lines.append(ctx.t._("Nothing here."))
    key_status = status or "all"
    key_area = str(area_id or 0)
    if more:
        buttons.append(Button(ctx.t._("Older"), f"inbox:{key_status}:{key_area}:{offset + PAGE}"))
    buttons.append(Button(ctx.t._("Filter by status"), f"inbox:fs:{key_area}"))
    buttons.append(Button(ctx.t._("Filter by area"), f"inbox:fa:{key_status}"))
    if filters:
        buttons.append(Button(ctx.t._("Show all"), "inbox"))
    buttons.append(Button(ctx.t._("Export as a file"), "ideaexp"))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _choose_status(ctx: Context, area_id: int) -> None:
    buttons = [
        Button(status_label(ctx.t, status), f"inbox:{status}:{area_id}") for status in STATUS_LABELS
    ]
    buttons.append(Button(ctx.t._("All"), f"inbox:all:{area_id}"))
    ctx.reply(ctx.t._("Which status?"), buttons)


async def _choose_area(ctx: Context, status: str) -> None:
    buttons = [
        Button(area.name_in(ctx.t.language), f"inbox:{status}:{area.id}")
        for area in await list_areas(ctx.session, include_hidden=True)
    ]
    buttons.append(Button(ctx.t._("All"), f"inbox:{status}:0"))
    ctx.reply(ctx.t._("Which area?"), buttons)


# ---------------------------------------------------------------------- one item


async def _readable_item(ctx: Context, idea_id: int | None, action: str) -> Idea | None:
    """The item, if this person may read it; otherwise refused and written down."""
    item = await get_idea(ctx.session, idea_id) if idea_id else None
    resident_id = ctx.resident.id if ctx.resident else None
    if item is None or not may_read(ctx.roles, resident_id, item):
        await ctx.refuse(action, idea=idea_id)
        return None
    return item


@router.payload("ideaitem")
async def item_action(ctx: Context) -> None:
    """Open an item, or act on it; every step checks again that this person may read it."""
    step = _arg(ctx, 0) or ""
    opened = parse_id(step)
    if opened is not None:
        item = await _readable_item(ctx, opened, "idea_read")
        if item is not None:
            await _show_item(ctx, item)
        return
    item = await _readable_item(ctx, parse_id(_arg(ctx, 1)), f"idea_{step or 'read'}")
    if item is None:
        return
    if step == "st":
        await _status_chosen(ctx, item)
    elif step == "ans":
        ctx.set_state("ideaitem.answer", idea=item.id)
        ctx.reply(
            ctx.t._(
                "Write your answer to the resident (at most {limit} characters). It goes to "
                "them through the assistant; /cancel stops.",
                limit=ctx.t.number(ANSWER_MAX),
            )
        )
    elif step == "fwd":
        await _forward(ctx, item)
    elif step == "dup":
        ctx.set_state("ideaitem.duplicate", idea=item.id)
        ctx.reply(ctx.t._("Which item is the same? Write its number, e.g. 12."))
    else:
        await _show_item(ctx, item)


async def _show_item(ctx: Context, item: Idea) -> None:
    t = ctx.t
    place = item.unit.name + (f", {item.locality.name}" if item.locality else "")
    lines = [
        t._("#{id} · {status}", id=item.id, status=status_label(t, item.status)),
        t._("From: {place}", place=place),
        t._("About: {area}", area=item.area.name_in(t.language)),
        t._("Received: {time}", time=t.datetime(item.created_at)),
    ]
    author = await ctx.session.get(Resident, item.author_id) if item.author_id else None
    if author is None:
        lines.append(t._("Written by: the author has erased their data."))
    elif item.show_author:
        contact = _person(author) + (f", {author.phone}" if author.phone else "")
        lines.append(t._("Written by: {name}", name=contact))
    else:
        lines.append(t._("Written by: the author asked not to show their name."))
    if item.place:
        lines.append(t._("Place: {place}", place=item.place))
    if item.duplicate_of_id:
        lines.append(t._("The same as #{id}.", id=item.duplicate_of_id))
    if item.forwarded_to_id:
        member = await ctx.session.get(Resident, item.forwarded_to_id)
        lines.append(t._("Forwarded to: {name}", name=_person(member)))
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
        buttons.append(Button(t._("Answer the resident"), f"ideaitem:ans:{item.id}"))
    buttons.append(Button(t._("Mark: in progress"), f"ideaitem:st:{item.id}:in_progress"))
    assert ctx.resident is not None
    for member in await area_members(ctx.session, item.area_id):
        if member.resident_id not in (ctx.resident.id, item.forwarded_to_id):
            buttons.append(
                Button(
                    t._("Forward to {name}", name=_person(member.resident)),
                    f"ideaitem:fwd:{item.id}:{member.resident_id}",
                )
            )
    buttons.append(Button(t._("Mark as the same as another"), f"ideaitem:dup:{item.id}"))
    buttons.append(Button(t._("Close"), f"ideaitem:st:{item.id}:closed"))
    buttons.append(Button(t._("Back to the list"), "inbox"))
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


async def _status_chosen(ctx: Context, item: Idea) -> None:
    wanted = _arg(ctx, 2)
    status = next((s for s in BUTTON_STATUSES if s.value == wanted), None)
    if status is None:
        await _show_item(ctx, item)
        return
    if set_status(item, status, now=ctx.now):
        await ctx.audit("idea_status", idea=item.id, status=status.value)
        await _tell_status(ctx, item)
    await _show_item(ctx, item)


async def _forward(ctx: Context, item: Idea) -> None:
    member_id = parse_id(_arg(ctx, 2))
    try:
        if member_id is None:
            raise ValueError("no member")
        await forward_idea(ctx.session, idea=item, to_resident_id=member_id, now=ctx.now)
    except ValueError:
        await ctx.refuse("idea_forward", idea=item.id, to=member_id)
        return
    await ctx.audit("idea_forwarded", idea=item.id, to=member_id)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[member_id],
        write=lambda t: t._(
            "Forwarded to you as responsible for {area}: #{id}, {unit}. Open it with the "
            "button or /inbox.",
            id=item.id,
            unit=item.unit.name,
            area=item.area.name_in(t.language),
        ),
        now=ctx.now,
        buttons=[(N_("Open"), f"ideaitem:{item.id}")],
    )
    await _tell_status(ctx, item)
    member = await ctx.session.get(Resident, member_id)
    show_menu(ctx, ctx.t._("#{id} is forwarded to {name}.", id=item.id, name=_person(member)))


async def _item_in_flow(ctx: Context, action: str) -> Idea | None:
    item = await _readable_item(ctx, parse_id(ctx.flow.get("idea")), action)
    if item is None:
        ctx.clear_state()
    return item


@router.state("ideaitem.answer", free_text=True)
async def answer_written(ctx: Context) -> None:
    """Send the answer to the author and mark the item answered."""
    item = await _item_in_flow(ctx, "idea_ans")
    if item is None:
        return
    assert ctx.resident is not None
    text = (ctx.incoming.text or "").strip()
    if not text or len(text) > ANSWER_MAX:
        ctx.reply(
            ctx.t._(
                "Please write the answer in at most {limit} characters.",
                limit=ctx.t.number(ANSWER_MAX),
            )
        )
        return
    if item.author_id is None:
        show_menu(ctx, ctx.t._("The author has erased their data; the answer cannot reach them."))
        return
    await answer_idea(ctx.session, idea=item, by=ctx.resident, text=text, now=ctx.now)
    await ctx.audit("idea_answered", idea=item.id)
    await _tell_author(
        ctx,
        item,
        lambda t: t._(
            "An answer to your idea or concern #{id} ({area}):\n\n{answer}",
            id=item.id,
            area=item.area.name_in(t.language),
            answer=text,
        ),
    )
    show_menu(ctx, ctx.t._("Your answer to #{id} goes to the resident.", id=item.id))


@router.state("ideaitem.duplicate", free_text=True)
async def duplicate_named(ctx: Context) -> None:
    item = await _item_in_flow(ctx, "idea_dup")
    if item is None:
        return
    other_id = parse_id((ctx.incoming.text or "").strip().lstrip("#"))
    other = await get_idea(ctx.session, other_id) if other_id else None
    assert ctx.resident is not None
    if other is None or other.id == item.id or not may_read(ctx.roles, ctx.resident.id, other):
        ctx.reply(ctx.t._("There is no other item with that number that you can read. Try again."))
        return
    await mark_duplicate(ctx.session, idea=item, of=other, now=ctx.now)
    await ctx.audit("idea_duplicate", idea=item.id, of=other.id)
    await _tell_author(
        ctx,
        item,
        lambda t: t._(
            "Your idea or concern #{id} is the same as #{other}, which the council already "
            "has. It is followed there.",
            id=item.id,
            other=other.id,
        ),
    )
    show_menu(ctx, ctx.t._("#{id} is marked as the same as #{other}.", id=item.id, other=other.id))


# ---------------------------------------------------------------------- areas of responsibility


@router.command("areas")
@router.payload("areas")
async def areas(ctx: Context) -> None:
    """The chair gives council members their areas and names outside specialists."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    step = _arg(ctx, 0) if ctx.payload else None
    area_id = parse_id(_arg(ctx, 1))
    area = await ctx.session.get(IdeaArea, area_id) if area_id else None
    if step in ("a", "t", "sp") and area is None:
        await ctx.refuse("idea_areas", area=area_id)
        return
    assert ctx.resident is not None
    if step == "t" and area is not None:
        member_id = parse_id(_arg(ctx, 2))
        member = await ctx.session.get(Resident, member_id) if member_id else None
        if member is None:
            await ctx.refuse("idea_area_assign", area=area.id)
            return
        if not await unassign_area(ctx.session, area=area, resident_id=member.id):
            try:
                await assign_area(ctx.session, area=area, resident=member, by=ctx.resident)
            except ValueError:
                await ctx.refuse("idea_area_assign", area=area.id, member=member.id)
                return
        await ctx.audit("idea_area_assigned", area=area.id, member=member.id)
    if step == "sp" and area is not None:
        ctx.set_state("areas.specialist", area=area.id)
        ctx.reply(
            ctx.t._(
                "Write the outside specialist for {area} as: name; contact (phone or e-mail). "
                "Write - to remove the specialist.",
                area=area.name_in(ctx.t.language),
            )
        )
        return
    if area is not None:
        await _show_area(ctx, area)
        return
    await _list_areas(ctx)


async def _list_areas(ctx: Context) -> None:
    lines = [ctx.t._("Areas of responsibility. Tap an area to change who is responsible.")]
    buttons = []
    for area in await list_areas(ctx.session):
        members = ", ".join(
            _person(member.resident) for member in await area_members(ctx.session, area.id)
        )
        line = f"{area.name_in(ctx.t.language)}: {members or '–'}"
        if area.specialist_name:
            line += " · " + ctx.t._("specialist: {name}", name=area.specialist_name)
        lines.append(line)
        buttons.append(Button(area.name_in(ctx.t.language), f"areas:a:{area.id}"))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _show_area(ctx: Context, area: IdeaArea) -> None:
    responsible = {member.resident_id for member in await area_members(ctx.session, area.id)}
    lines = [
        area.name_in(ctx.t.language),
        ctx.t._("Tap a council member to give them this area or to take it away."),
    ]
    if area.specialist_name:
        lines.append(
            ctx.t._(
                "Outside specialist for this area: {name}, {contact}",
                name=area.specialist_name,
                contact=area.specialist_contact or "–",
            )
        )
    buttons = [
        Button(
            ("✓ " if person.id in responsible else "") + _person(person),
            f"areas:t:{area.id}:{person.id}",
        )
        for person in await council_people(ctx.session)
    ]
    if not buttons:
        lines.append(ctx.t._("Nobody has a council role yet."))
    buttons.append(Button(ctx.t._("Outside specialist"), f"areas:sp:{area.id}"))
    buttons.append(Button(ctx.t._("Back to the list"), "areas"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.state("areas.specialist", free_text=True)
async def specialist_written(ctx: Context) -> None:
    if not may_see_all(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("idea_areas")
        return
    area = await ctx.session.get(IdeaArea, parse_id(ctx.flow.get("area")))
    if area is None:
        await _list_areas(ctx)
        return
    text = (ctx.incoming.text or "").strip()
    name, _, contact = text.partition(";")
    if text != "-" and (not name.strip() or len(name) > SPECIALIST_MAX):
        ctx.reply(
            ctx.t._(
                "Please write it as: name; contact. At most {limit} characters each.",
                limit=ctx.t.number(SPECIALIST_MAX),
            )
        )
        return
    try:
        set_specialist(area, name=None if text == "-" else name, contact=contact)
    except ValueError:
        ctx.reply(
            ctx.t._(
                "Please write it as: name; contact. At most {limit} characters each.",
                limit=ctx.t.number(SPECIALIST_MAX),
            )
        )
        return
    await ctx.audit("idea_area_specialist", area=area.id)
    await _show_area(ctx, area)


# ---------------------------------------------------------------------- exports


EXPORT_HEADERS = (
    N_("No."),
    N_("Received"),
    N_("Parish or town"),
    N_("Village or neighbourhood"),
    N_("Area"),
    N_("Status"),
    N_("The same as"),
    N_("Text"),
    N_("Place"),
    N_("Photo"),
    N_("Written by"),
    N_("Forwarded to"),
    N_("Answered"),
    N_("Answers"),
)


async def export_tables(
    session: AsyncSession, items: Sequence[Idea], t: Translator
) -> tuple[Table, Table]:
    """All items (by unit and area) and a count of items per unit and area."""
    rows = []
    people: dict[int, Resident | None] = {}

    async def person(resident_id: int | None) -> Resident | None:
        if resident_id is None:
            return None
        if resident_id not in people:
            people[resident_id] = await session.get(Resident, resident_id)
        return people[resident_id]

    for item in items:
        author = await person(item.author_id)
        if author is None:
            written_by = t._("erased their data")
        elif item.show_author:
            written_by = _person(author)
        else:
            written_by = t._("name not shown")
        answers = await answers_to(session, item.id)
        forwarded = await person(item.forwarded_to_id)
        rows.append(
            [
                item.id,
                item.created_at.astimezone(t.timezone),
                item.unit.name,
                item.locality.name if item.locality else "",
                item.area.name_in(t.language),
                status_label(t, item.status),
                item.duplicate_of_id or "",
                item.text or "",
                item.place or "",
                t._("yes") if item.photo_ref or item.photo_mime else "",
                written_by,
                _person(forwarded) if forwarded else "",
                item.answered_at.astimezone(t.timezone) if item.answered_at else "",
                "\n\n".join(answer.text for answer in answers),
            ]
        )
    ideas = Table(t._("Ideas and concerns"), [t._(header) for header in EXPORT_HEADERS], rows)
    areas = await list_areas(session, include_hidden=True)
    counts = Counter((item.unit_id, item.area_id) for item in items)
    summary_rows = []
    for unit in await list_units(session):
        numbers = [counts[(unit.id, area.id)] for area in areas]
        if any(numbers):
            summary_rows.append([unit.name, *numbers, sum(numbers)])
    totals = [sum(n for (_, area_id), n in counts.items() if area_id == a.id) for a in areas]
    summary_rows.append([t._("Total"), *totals, sum(totals)])
    summary = Table(
        t._("By parish and area"),
        [t._("Parish or town"), *(area.name_in(t.language) for area in areas), t._("Total")],
        summary_rows,
    )
    return ideas, summary


def export_file(tables: tuple[Table, Table], *, fmt: str, stem: str) -> Attachment:
    if fmt == "csv":
        return Attachment(f"{stem}.csv", to_csv(tables[0]), kind="document", mime_type=CSV_MIME)
    return Attachment(f"{stem}.xlsx", to_xlsx(list(tables)), kind="document", mime_type=XLSX_MIME)


def export_stem(start: datetime, end: datetime, timezone: Any) -> str:
    last = end.astimezone(timezone) - timedelta(days=1)
    return f"padome-ideas-{start.astimezone(timezone):%Y-%m-%d}-{last:%Y-%m-%d}"


@router.command("ideasexport")
@router.payload("ideaexp")
async def export(ctx: Context) -> None:
    """Export the items this person may read for a period, as CSV or XLSX."""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_export")
        return
    step = _arg(ctx, 0) if ctx.payload else None
    if step == "p":
        local = ctx.now.astimezone(ctx.settings.tz).date()
        pick = _arg(ctx, 1)
        if pick == "year":
            first = local.replace(month=1, day=1)
        elif pick in ("7", "30"):
            first = local - timedelta(days=int(pick) - 1)
        else:
            first = local
        await _ask_format(ctx, *local_period(first, local, ctx.settings.tz))
        return
    if step == "f" and ctx.state == "ideaexp.format":
        await _send_export(ctx, _arg(ctx, 1) or "xlsx")
        return
    ctx.set_state("ideaexp.period")
    ctx.reply(
        ctx.t._(
            "Which period? Tap a button or write it like {example}.",
            example="01.11.2026-30.11.2026",
        ),
        [
            Button(ctx.t._("The last 7 days"), "ideaexp:p:7"),
            Button(ctx.t._("The last 30 days"), "ideaexp:p:30"),
            Button(ctx.t._("This year"), "ideaexp:p:year"),
        ],
    )


@router.state("ideaexp.period")
async def period_written(ctx: Context) -> None:
    if not may_use_inbox(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("ideas_export")
        return
    first, _, last = (ctx.incoming.text or "").replace("–", "-").partition("-")
    try:
        start, end = local_period(parse_day(first), parse_day(last or first), ctx.settings.tz)
    except (ValueError, OverflowError):
        ctx.reply(
            ctx.t._("Please write the period like {example}.", example="01.11.2026-30.11.2026")
        )
        return
    await _ask_format(ctx, start, end)


async def _ask_format(ctx: Context, start: datetime, end: datetime) -> None:
    ctx.set_state("ideaexp.format", start=start.isoformat(), end=end.isoformat())
    ctx.reply(
        ctx.t._("Which file?"),
        [
            # The names of the file formats, the same in every language.
            Button("Excel (XLSX)", "ideaexp:f:xlsx"),
            Button("CSV", "ideaexp:f:csv"),
        ],
    )


async def _send_export(ctx: Context, fmt: str) -> None:
    assert ctx.resident is not None
    flow = ctx.flow
    start = datetime.fromisoformat(flow["start"])
    end = datetime.fromisoformat(flow["end"])
    items = await ideas_between(
        ctx.session, start=start, end=end, roles=ctx.roles, resident_id=ctx.resident.id
    )
    tables = await export_tables(ctx.session, items, ctx.t)
    attachment = export_file(
        tables, fmt="csv" if fmt == "csv" else "xlsx", stem=export_stem(start, end, ctx.settings.tz)
    )
    await ctx.audit("ideas_exported", count=len(items), format=fmt)
    ctx.clear_state()
    ctx.reply(
        ctx.t.ngettext("{n} item in the file.", "{n} items in the file.", len(items)),
        [Button(ctx.t._("Main menu"), "menu")],
        attachment=attachment,
    )


# ---------------------------------------------------------------------- the weekly digest


def digest_week(now: datetime, settings: Any) -> tuple[str, datetime] | None:
    """This ISO week's key, if its digest is due by now (the set weekday and hour have come)."""
    local = now.astimezone(settings.tz)
    year, week, weekday = local.isocalendar()
    due = (local - timedelta(days=weekday - 1)).replace(
        hour=settings.ideas_digest_hour, minute=0, second=0, microsecond=0
    ) + timedelta(days=settings.ideas_digest_weekday - 1)
    if local < due:
        return None
    return f"{year}-W{week:02d}", due


def _digest_text(
    t: Translator,
    *,
    start: datetime,
    end: datetime,
    new: Sequence[Idea],
    waiting: Sequence[Idea],
    areas: dict[int, IdeaArea],
) -> str:
    lines = [
        t._(
            "Residents' ideas and concerns, the week {start}–{end}.",
            start=start.astimezone(t.timezone).strftime("%d.%m.%Y"),
            end=end.astimezone(t.timezone).strftime("%d.%m.%Y"),
        ),
        t.ngettext("{n} new item.", "{n} new items.", len(new)),
    ]
    by_unit: dict[str, Counter[int]] = {}
    for item in new:
        by_unit.setdefault(item.unit.name, Counter())[item.area_id] += 1
    for unit, counts in by_unit.items():
        parts = ", ".join(
            f"{areas[area_id].name_in(t.language)} {number}" for area_id, number in counts.items()
        )
        lines.append(f"{unit}: {parts}")
    if waiting:
        lines.append("")
        lines.append(
            t.ngettext(
                "{n} item has waited more than 7 days for an answer:",
                "{n} items have waited more than 7 days for an answer:",
                len(waiting),
            )
        )
        for item in waiting[:30]:
            lines.append(
                f"#{item.id} · {item.unit.name} · {item.area.name_in(t.language)} · "
                f"{t.datetime(item.created_at)}"
            )
        if len(waiting) > 30:
            lines.append(t.ngettext("and {n} more", "and {n} more", len(waiting) - 30))
    return "\n".join(lines)


async def weekly_digest(context: JobContext) -> None:
    """Once a week, each representative and the chair get new items by unit and area and the
    items unanswered for more than 7 days; the week is recorded, so it never goes twice."""
    due = digest_week(context.now, context.settings)
    if due is None:
        return
    week, _ = due
    now = context.now
    start = now - timedelta(days=7)
    async with context.sessionmaker() as session, session.begin():
        digest = await claim_digest(session, week=week, now=now)
        if digest is None:
            return
        areas = {area.id: area for area in await list_areas(session, include_hidden=True)}
        readers: dict[int, list[int] | None] = {}
        rows = await session.execute(
            select(RoleGrant.resident_id, RoleGrant.unit_id).where(
                RoleGrant.role == Role.REPRESENTATIVE.value
            )
        )
        for resident_id, unit_id in rows:
            units = readers.setdefault(resident_id, [])
            if units is not None and unit_id is not None:
                units.append(unit_id)
        for resident_id in await holders_of(session, Role.CHAIR):
            readers[resident_id] = None  # every unit
        sent = 0
        for resident_id, unit_ids in readers.items():
            new = await created_between(session, start=start, end=now, unit_ids=unit_ids)
            waiting = await unanswered(session, before=now - UNANSWERED_AFTER, unit_ids=unit_ids)
            if not new and not waiting:
                continue
            await send_notice(
                session,
                settings=context.settings,
                resident_ids=[resident_id],
                write=lambda t, new=new, waiting=waiting: _digest_text(
                    t, start=start, end=now, new=new, waiting=waiting, areas=areas
                ),
                now=now,
                buttons=[(N_("Open the list"), "inbox")],
                personal=False,
            )
            sent += 1
        digest.recipients = sent
    logger.info("weekly ideas digest %s sent to %d people", week, sent)
