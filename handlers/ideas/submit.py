"""Residents' ideas and concerns to their representative; the inbox, areas, digest and exports."""

from __future__ import annotations

import enum
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
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_, Translator
from bot.parsing import clean_text, parse_day, parse_id
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.ideas import (
    ANSWER_MAX,
    AUTHOR_NAME_MAX,
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
from models.roles import Role, RoleGrant, list_grants_of
from models.territory import list_units
from reports.spreadsheets import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx

logger = logging.getLogger(__name__)
router = Router()


class State(enum.StrEnum):
    AREA = "idea.area"
    TEXT = "idea.text"
    PHOTO = "idea.photo"
    PLACE = "idea.place"
    WHO = "idea.who"
    NAME = "idea.name"
    KEEP = "idea.keep"
    CONFIRM = "idea.confirm"
    ANSWER = "ideaitem.answer"
    DUPLICATE = "ideaitem.duplicate"
    SPECIALIST = "areas.specialist"
    PERIOD = "ideaexp.period"
    FORMAT = "ideaexp.format"


class Draft(enum.StrEnum):
    """A step of writing an idea that a button takes."""

    NO_PHOTO = "nophoto"
    NO_PLACE = "noplace"
    WHO = "who"
    SEND = "send"
    CANCEL = "cancel"


class Filter(enum.StrEnum):
    STATUS = "st"
    AREA = "ar"


class Period(enum.StrEnum):
    WEEK = "7"
    MONTH = "30"
    YEAR = "year"


class FileFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@payload("ideaarea")
class AreaChosen(Payload):
    """The area a new idea is about."""

    area_id: int


@payload("ideastep")
class DraftStep(Payload):
    step: Draft


@payload("ideawho")
class ShowName(Payload):
    """Whether the representative may see who wrote it."""

    show: bool


@payload("ideakeep")
class KeepText(Payload):
    """Whether the text stays if the author erases their data."""

    keep: bool


@payload("inbox")
class InboxPage(Payload):
    """The inbox, filtered by status and area, from `offset` on; plain `inbox` is all of it."""

    status: IdeaStatus | None = None
    area_id: int | None = None
    offset: int | None = None


@payload("inboxfilter")
class ChooseFilter(Payload):
    """Ask which status (or area) to show, keeping the other filter."""

    by: Filter
    status: IdeaStatus | None = None
    area_id: int | None = None


@payload("ideaitem")
class OpenIdea(Payload):
    idea_id: int


@payload("ideaans")
class AnswerIdea(Payload):
    idea_id: int


@payload("ideast")
class SetIdeaStatus(Payload):
    idea_id: int
    status: IdeaStatus


@payload("ideafwd")
class ForwardIdea(Payload):
    idea_id: int
    to: int


@payload("ideadup")
class SameAs(Payload):
    """Ask which item this one is the same as."""

    idea_id: int


@payload("ideadupok")
class ConfirmSameAs(Payload):
    """Mark `idea_id` as the same as `of`, after the confirmation screen."""

    idea_id: int
    of: int


@payload("areas")
class Areas(Payload):
    """The areas of responsibility; one area when `area_id` is given."""

    area_id: int | None = None


@payload("areamember")
class ToggleAreaMember(Payload):
    area_id: int
    resident_id: int


@payload("areaspec")
class AskSpecialist(Payload):
    area_id: int


@payload("ideaexp")
class ExportPeriod(Payload):
    """Export the items of a period; plain `ideaexp` asks which."""

    period: Period | None = None


@payload("ideaexpf")
class ExportFormat(Payload):
    fmt: FileFormat


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
# How a council member without a name from their messenger is shown: by their office.
COUNCIL_ROLE_LABELS = {
    Role.CHAIR: N_("council chair"),
    Role.VICE_CHAIR: N_("council vice-chair"),
    Role.COUNCIL_MEMBER: N_("council member"),
    Role.REPRESENTATIVE: N_("unit representative"),
    Role.DEPUTY: N_("locality deputy"),
}
PAGE = 8
PREVIEW = 60
DUPLICATE_NUMBER_MAX = 20
PERIOD_MAX = 40


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


def _short(text: str | None, limit: int = PREVIEW) -> str:
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def author_name(t: Translator, item: Idea, author: Resident | None) -> str:
    """Who wrote an item, as the council reads it: the name only where the author allowed it."""
    if author is None:
        return t._("erased their data")
    if not item.show_author:
        return t._("name not shown")
    return author.display_name or t._("no name given")


async def council_name(session: AsyncSession, t: Translator, person: Resident | None) -> str:
    """A council member by name; by their office where their messenger gives no name."""
    if person is None:
        return "–"
    if person.display_name:
        return person.display_name
    offices = []
    for grant in await list_grants_of(session, person.id):
        label = COUNCIL_ROLE_LABELS.get(Role(grant.role))
        if label is not None:
            offices.append(f"{t._(label)}, {grant.place}" if grant.place else t._(label))
    return "; ".join(offices) or t._("a council member without a name")


def _list_buttons(t: Translator) -> list[Button]:
    return [Button(t._("Back to the list"), InboxPage()), Button(t._("Main menu"), "menu")]


# ---------------------------------------------------------------------- residents: submitting


@router.command("idea")
@router.payload("idea")
async def idea(ctx: Context) -> None:
    """Start a new idea or concern: its area first."""
    areas = await list_areas(ctx.session)
    ctx.set_state(State.AREA, key=secrets.token_hex(12))
    buttons = [Button(area.name_in(ctx.t.language), AreaChosen(area.id)) for area in areas]
    buttons.append(Button(ctx.t._("My ideas and concerns"), "myideas"))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.reply(
        ctx.t._(
            "Here you can write to your representative: an idea for your parish or town, or a "
            "problem you see. What is it about?"
        ),
        buttons,
    )


def _draft(ctx: Context, *needed: str) -> dict[str, Any] | None:
    """The idea being written, if it has got as far as `needed`; None (and a note) when there
    is none any more."""
    flow = ctx.flow
    if not (ctx.state or "").startswith("idea.") or "key" not in flow:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return None
    if any(key not in flow for key in needed):
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return None
    return flow


def _cancel_button(t: Translator) -> Button:
    return Button(t._("Cancel"), DraftStep(Draft.CANCEL))


@router.button(AreaChosen)
async def area_chosen(ctx: Context, press: AreaChosen) -> None:
    """Keep the area and ask for the text."""
    flow = _draft(ctx)
    if flow is None:
        return
    area = await ctx.session.get(IdeaArea, press.area_id)
    if area is None or area.hidden:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return
    flow["area"] = area.id
    _ask_text(ctx, flow)


def _ask_text(ctx: Context, flow: dict[str, Any], note: str | None = None) -> None:
    question = ctx.t._(
        "Write it in your own words (at most {limit} characters). You may send a photo "
        "with it: then write the text as the photo's caption.",
        limit=ctx.t.number(TEXT_MAX),
    )
    ctx.ask(
        State.TEXT,
        f"{note}\n\n{question}" if note else question,
        limit=TEXT_MAX,
        back=_cancel_button(ctx.t),
        **flow,
    )


@router.button(DraftStep)
async def draft_step(ctx: Context, press: DraftStep) -> None:
    """Skip the photo or the place, go back to the name question, send, or cancel."""
    if press.step is Draft.CANCEL:
        show_menu(ctx, ctx.t._("Nothing was sent."))
        return
    if press.step is Draft.NO_PHOTO and (flow := _draft(ctx, "text")) is not None:
        _ask_place(ctx, flow)
    elif press.step is Draft.NO_PLACE and (flow := _draft(ctx, "text")) is not None:
        flow.pop("place", None)
        _ask_who(ctx, flow)
    elif press.step is Draft.WHO and (flow := _draft(ctx, "text")) is not None:
        _ask_who(ctx, flow)
    elif press.step is Draft.SEND:
        if ctx.state != State.CONFIRM:
            show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        elif (flow := _draft(ctx, "text", "show_author", "keep_text")) is not None:
            await _send(ctx, flow)


async def _take_photo(ctx: Context, flow: dict[str, Any]) -> bool:
    """Keep a photo the resident sent; False for other files.

    The photo's bytes, when the channel could fetch them, wait in the media store until the
    idea is sent; the idea then keeps them, so the photo shows on any messenger."""
    attachment = ctx.incoming.attachment
    if attachment is None:
        return True
    if attachment.kind != "photo" or not attachment.file_ref:
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


async def text_written(ctx: Context) -> None:
    """Keep the text (and a photo sent with it), then ask for a photo or the place."""
    flow = _draft(ctx)
    if flow is None:
        return
    if not await _take_photo(ctx, flow):
        ctx.ask_again(ctx.t._("Only a photo can go with it. Please send a photo, not a file."))
        return
    text = (ctx.incoming.text or "").strip()
    if not text:
        if "photo" in flow:
            _ask_text(ctx, flow, ctx.t._("Thank you for the photo. Now please write the text."))
        else:
            ctx.ask_again(ctx.t._("Please write the text."))
        return
    flow["text"] = text
    if "photo" in flow:
        _ask_place(ctx, flow)
        return
    ctx.ask(
        State.PHOTO,
        ctx.t._("Would you like to add a photo? Send it now, or tap Skip."),
        buttons=[Button(ctx.t._("Skip"), DraftStep(Draft.NO_PHOTO))],
        back=_cancel_button(ctx.t),
        **flow,
    )


async def photo_sent(ctx: Context) -> None:
    """Keep the photo, then ask for the place."""
    flow = _draft(ctx, "text")
    if flow is None:
        return
    if ctx.incoming.attachment is None:
        ctx.ask_again(ctx.t._("Please send a photo, or tap Skip."))
        return
    if not await _take_photo(ctx, flow):
        ctx.ask_again(ctx.t._("Only a photo can go with it. Please send a photo, not a file."))
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
    ctx.ask(
        State.PLACE,
        ctx.t._(
            "Where is it? Write the place: a street and house, a road or a landmark "
            "(at most {limit} characters). Or tap Skip.",
            limit=ctx.t.number(PLACE_MAX),
        )
        + "\n"
        + ctx.t._("You may also share the location from your messenger's attachment menu."),
        limit=PLACE_MAX,
        buttons=[Button(ctx.t._("Skip"), DraftStep(Draft.NO_PLACE))],
        back=_cancel_button(ctx.t),
        **flow,
    )


async def place_written(ctx: Context) -> None:
    """Keep the place, typed or shared as a location."""
    flow = _draft(ctx, "text")
    if flow is None:
        return
    place = (
        place_of(*ctx.incoming.location)
        if ctx.incoming.location is not None
        else " ".join((ctx.incoming.text or "").split())
    )
    if not place:
        ctx.ask_again(ctx.t._("Please write the place, or tap Skip."))
        return
    flow["place"] = place
    _ask_who(ctx, flow)


def _ask_who(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state(State.WHO, **flow)
    ctx.reply(
        ctx.t._(
            "May your representative see who wrote it? If not, they see only what you wrote; "
            "their answer still reaches you here."
        ),
        [
            Button(ctx.t._("Yes, show my name"), ShowName(True)),
            Button(ctx.t._("No, do not show my name"), ShowName(False)),
            _cancel_button(ctx.t),
        ],
    )


@router.button(ShowName)
async def show_name_chosen(ctx: Context, press: ShowName) -> None:
    """Keep the answer; ask for the name to show when the messenger gives none."""
    flow = _draft(ctx, "text")
    if flow is None:
        return
    assert ctx.resident is not None
    flow["show_author"] = press.show
    flow.pop("name", None)
    if press.show and not ctx.resident.display_name:
        ctx.ask(
            State.NAME,
            ctx.t._(
                "Which name may your representative see? Write your name and surname "
                "(at most {limit} characters).",
                limit=ctx.t.number(AUTHOR_NAME_MAX),
            ),
            limit=AUTHOR_NAME_MAX,
            back=Button(ctx.t._("Back"), DraftStep(Draft.WHO)),
            **flow,
        )
        return
    _ask_keep(ctx, flow)


async def name_written(ctx: Context) -> None:
    """Keep the name the author allows their representative to see."""
    flow = _draft(ctx, "text", "show_author")
    if flow is None:
        return
    name = " ".join(clean_text(ctx.incoming.text or "").split())
    if not any(ch.isalpha() for ch in name):
        ctx.ask_again(ctx.t._("Please write your name in letters."))
        return
    flow["name"] = name
    _ask_keep(ctx, flow)


def _ask_keep(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state(State.KEEP, **flow)
    ctx.reply(
        ctx.t._(
            "If you erase your data one day (/forget), may the text stay, without your name, "
            "so that the council can go on working on it?"
        ),
        [
            Button(ctx.t._("Yes, the text may stay"), KeepText(True)),
            Button(ctx.t._("No, erase the text too"), KeepText(False)),
            _cancel_button(ctx.t),
        ],
    )


@router.button(KeepText)
async def keep_text_chosen(ctx: Context, press: KeepText) -> None:
    """Keep the answer and show the idea before it is sent."""
    flow = _draft(ctx, "text", "show_author")
    if flow is None:
        return
    flow["keep_text"] = press.keep
    await _preview(ctx, flow)


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


def _shown_name(ctx: Context, flow: dict[str, Any]) -> str | None:
    """The name the representative will see, when the author allows it."""
    assert ctx.resident is not None
    if not flow.get("show_author"):
        return None
    return flow.get("name") or ctx.resident.display_name


async def _preview(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    area = await ctx.session.get(IdeaArea, flow["area"])
    if area is None:
        show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        return
    yes, no = ctx.t._("yes"), ctx.t._("no")
    name = _shown_name(ctx, flow)
    lines = [
        ctx.t._("Please check it:"),
        ctx.t._("About: {area}", area=area.name_in(ctx.t.language)),
        ctx.t._("Text: {text}", text=flow["text"]),
        ctx.t._("Place: {place}", place=flow.get("place") or "–"),
        ctx.t._("Photo: {answer}", answer=yes if flow.get("photo") else no),
        ctx.t._("Your name is shown: {answer}", answer=f"{yes} ({name})" if name else no),
        ctx.t._(
            "The text stays if you erase your data: {answer}",
            answer=yes if flow["keep_text"] else no,
        ),
        "",
        await _destination(ctx),
    ]
    ctx.set_state(State.CONFIRM, **flow)
    ctx.reply(
        "\n".join(lines),
        [Button(ctx.t._("Send"), DraftStep(Draft.SEND)), _cancel_button(ctx.t)],
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
    if flow.get("show_author") and flow.get("name") and not ctx.resident.display_name:
        # The name the author gave to be shown; their messenger gave none.
        ctx.resident.display_name = flow["name"]
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
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "Thank you! It is registered as #{id}. You will get a message here when its "
            "status changes or an answer comes.",
            id=item.id,
        ),
        [
            Button(ctx.t._("My ideas and concerns"), "myideas"),
            Button(ctx.t._("Another idea or concern"), "idea"),
            Button(ctx.t._("Main menu"), "menu"),
        ],
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
        buttons=[(N_("Open"), OpenIdea(item.id).pack())],
    )


# ---------------------------------------------------------------------- residents: their list


def same_as(t: Translator, item: Idea, original: Idea | None) -> str:
    """Which item a duplicate is followed under, as its author may read it: the number and
    area, and the first words where the original is theirs too."""
    if original is None:
        return t._("another item, which the council already has")
    if original.author_id is not None and original.author_id == item.author_id:
        return t._(
            "#{id} ({area}): “{start}”",
            id=original.id,
            area=original.area.name_in(t.language),
            start=_short(original.text, 40),
        )
    return t._("#{id} ({area})", id=original.id, area=original.area.name_in(t.language))


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
        ]
        if item.status == IdeaStatus.DUPLICATE.value:
            original = (
                await get_idea(ctx.session, item.duplicate_of_id) if item.duplicate_of_id else None
            )
            lines.append(
                ctx.t._("The same as {original}.", original=same_as(ctx.t, item, original))
            )
        lines.append(_short(item.text, 200))
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
                unit=item.unit.name,
                area=item.area.name_in(ctx.t.language),
                status=status_label(ctx.t, item.status),
            )
        )
        lines.append("   " + (_short(item.text) or ctx.t._("(the text was erased)")))
        buttons.append(Button(f"#{item.id} {_short(item.text, 28)}".strip(), OpenIdea(item.id)))
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


async def _readable_item(ctx: Context, idea_id: int | None, action: str) -> Idea | None:
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
    item = await _readable_item(ctx, press.idea_id, "idea_read")
    if item is not None:
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
    buttons.append(Button(t._("Mark as the same as another"), SameAs(item.id)))
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


def _item_buttons(t: Translator, item: Idea) -> list[Button]:
    """The way on after acting on an item: the item, the list, the menu."""
    return [
        Button(t._("Open #{id}", id=item.id), OpenIdea(item.id)),
        Button(t._("Back to the list"), InboxPage()),
        Button(t._("Main menu"), "menu"),
    ]


@router.button(SetIdeaStatus)
async def status_chosen(ctx: Context, press: SetIdeaStatus) -> None:
    """Set a status a plain button sets, and tell the author."""
    item = await _readable_item(ctx, press.idea_id, "idea_st")
    if item is None:
        return
    if press.status not in BUTTON_STATUSES:
        await ctx.refuse("idea_st", idea=item.id, status=press.status.value)
        return
    if set_status(item, press.status, now=ctx.now):
        await ctx.audit("idea_status", idea=item.id, status=press.status.value)
        await _tell_status(ctx, item)
    await _show_item(ctx, item)


@router.button(ForwardIdea)
async def forward(ctx: Context, press: ForwardIdea) -> None:
    """Forward to a council member responsible for the item's area."""
    item = await _readable_item(ctx, press.idea_id, "idea_fwd")
    if item is None:
        return
    try:
        await forward_idea(ctx.session, idea=item, to_resident_id=press.to, now=ctx.now)
    except ValueError:
        await ctx.refuse("idea_forward", idea=item.id, to=press.to)
        return
    await ctx.audit("idea_forwarded", idea=item.id, to=press.to)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[press.to],
        write=lambda t: t._(
            "Forwarded to you as responsible for {area}: #{id}, {unit}. Open it with the "
            "button or /inbox.",
            id=item.id,
            unit=item.unit.name,
            area=item.area.name_in(t.language),
        ),
        now=ctx.now,
        buttons=[(N_("Open"), OpenIdea(item.id).pack())],
    )
    await _tell_status(ctx, item)
    member = await ctx.session.get(Resident, press.to)
    name = await council_name(ctx.session, ctx.t, member)
    ctx.clear_state()
    ctx.reply(
        ctx.t._("#{id} is forwarded to {name}.", id=item.id, name=name), _item_buttons(ctx.t, item)
    )


@router.button(AnswerIdea)
async def ask_answer(ctx: Context, press: AnswerIdea) -> None:
    """Ask for the answer to the resident."""
    item = await _readable_item(ctx, press.idea_id, "idea_ans")
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
    item = await _readable_item(ctx, parse_id(ctx.flow.get("idea")), action)
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
            _item_buttons(ctx.t, item),
        )
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
    ctx.clear_state()
    ctx.reply(
        ctx.t._("Your answer to #{id} goes to the resident.", id=item.id),
        _item_buttons(ctx.t, item),
    )


@router.button(SameAs)
async def ask_same_as(ctx: Context, press: SameAs) -> None:
    """Ask for the number of the item this one is the same as."""
    item = await _readable_item(ctx, press.idea_id, "idea_dup")
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
        f"#{item.id} · {item.unit.name} · {item.area.name_in(t.language)}",
        "   " + (_short(item.text) or t._("(the text was erased)")),
        f"#{other.id} · {other.unit.name} · {other.area.name_in(t.language)} · "
        f"{status_label(t, other.status)}",
        "   " + (_short(other.text) or t._("(the text was erased)")),
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
    item = await _readable_item(ctx, press.idea_id, "idea_dup")
    if item is None:
        return
    other = await _readable_item(ctx, press.of, "idea_dup")
    if other is None:
        return
    if other.id == item.id:
        await ctx.refuse("idea_dup", idea=item.id, of=other.id)
        return
    if item.status == IdeaStatus.DUPLICATE.value and item.duplicate_of_id == other.id:
        ctx.reply(
            ctx.t._("#{id} is already marked as the same as #{other}.", id=item.id, other=other.id),
            _item_buttons(ctx.t, item),
        )
        return
    await mark_duplicate(ctx.session, idea=item, of=other, now=ctx.now)
    await ctx.audit("idea_duplicate", idea=item.id, of=other.id)
    await _tell_author(
        ctx,
        item,
        lambda t: t._(
            "Your idea or concern #{id} is the same as {original}, which the council already "
            "has. It is followed there.",
            id=item.id,
            original=same_as(t, item, other),
        ),
    )
    ctx.clear_state()
    ctx.reply(
        ctx.t._("#{id} is marked as the same as #{other}.", id=item.id, other=other.id),
        _item_buttons(ctx.t, item),
    )


# ---------------------------------------------------------------------- areas of responsibility


@router.command("areas")
async def areas_command(ctx: Context) -> None:
    await areas(ctx, Areas())


@router.button(Areas)
async def areas(ctx: Context, press: Areas) -> None:
    """The areas and who is responsible for each; one area when it names one."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    if press.area_id is None:
        await _list_areas(ctx)
        return
    area = await ctx.session.get(IdeaArea, press.area_id)
    if area is None:
        await ctx.refuse("idea_areas", area=press.area_id)
        return
    await _show_area(ctx, area)


@router.button(ToggleAreaMember)
async def toggle_area_member(ctx: Context, press: ToggleAreaMember) -> None:
    """Give a council member the area, or take it away; only the chair and staff may."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    assert ctx.resident is not None
    area = await ctx.session.get(IdeaArea, press.area_id)
    member = await ctx.session.get(Resident, press.resident_id)
    if area is None or member is None:
        await ctx.refuse("idea_area_assign", area=press.area_id)
        return
    if not await unassign_area(ctx.session, area=area, resident_id=member.id):
        try:
            await assign_area(ctx.session, area=area, resident=member, by=ctx.resident)
        except ValueError:
            await ctx.refuse("idea_area_assign", area=area.id, member=member.id)
            return
    await ctx.audit("idea_area_assigned", area=area.id, member=member.id)
    await _show_area(ctx, area)


async def _list_areas(ctx: Context) -> None:
    lines = [ctx.t._("Areas of responsibility. Tap an area to change who is responsible.")]
    buttons = []
    for area in await list_areas(ctx.session):
        members = ", ".join(
            [
                await council_name(ctx.session, ctx.t, member.resident)
                for member in await area_members(ctx.session, area.id)
            ]
        )
        line = f"{area.name_in(ctx.t.language)}: {members or '–'}"
        if area.specialist_name:
            line += " · " + ctx.t._("specialist: {name}", name=area.specialist_name)
        lines.append(line)
        buttons.append(Button(area.name_in(ctx.t.language), Areas(area.id)))
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
            ("✓ " if person.id in responsible else "")
            + await council_name(ctx.session, ctx.t, person),
            ToggleAreaMember(area.id, person.id),
        )
        for person in await council_people(ctx.session)
    ]
    if not buttons:
        lines.append(ctx.t._("Nobody has a council role yet."))
    buttons.append(Button(ctx.t._("Outside specialist"), AskSpecialist(area.id)))
    buttons.append(Button(ctx.t._("Back to the list"), Areas()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(AskSpecialist)
async def ask_specialist(ctx: Context, press: AskSpecialist) -> None:
    """Ask for the outside specialist of an area."""
    if not may_see_all(ctx.roles):
        await ctx.refuse("idea_areas")
        return
    area = await ctx.session.get(IdeaArea, press.area_id)
    if area is None:
        await ctx.refuse("idea_areas", area=press.area_id)
        return
    ctx.ask(
        State.SPECIALIST,
        ctx.t._(
            "Write the outside specialist for {area} as: name; contact (phone or e-mail). "
            "Write - to remove the specialist.",
            area=area.name_in(ctx.t.language),
        ),
        limit=SPECIALIST_MAX,
        back=Button(ctx.t._("Back"), Areas(area.id)),
        area=area.id,
    )


async def specialist_written(ctx: Context) -> None:
    """Name the area's outside specialist, or remove them with -."""
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
    if text != "-" and not name.strip():
        ctx.ask_again(ctx.t._("Please write it as: name; contact."))
        return
    set_specialist(area, name=None if text == "-" else name, contact=contact)
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
                author_name(t, item, author),
                await council_name(session, t, forwarded) if forwarded else "",
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
async def export_command(ctx: Context) -> None:
    await export(ctx, ExportPeriod())


@router.button(ExportPeriod)
async def export(ctx: Context, press: ExportPeriod) -> None:
    """Export the items this person may read for a period, as CSV or XLSX: which period?"""
    if not may_use_inbox(ctx.roles):
        await ctx.refuse("ideas_export")
        return
    if press.period is not None:
        local = ctx.now.astimezone(ctx.settings.tz).date()
        if press.period is Period.YEAR:
            first = local.replace(month=1, day=1)
        else:
            first = local - timedelta(days=int(press.period.value) - 1)
        _ask_format(ctx, *local_period(first, local, ctx.settings.tz))
        return
    ctx.ask(
        State.PERIOD,
        ctx.t._(
            "Which period? Tap a button or write it like {example}.",
            example="01.11.2026-30.11.2026",
        ),
        limit=PERIOD_MAX,
        buttons=[
            Button(ctx.t._("The last 7 days"), ExportPeriod(Period.WEEK)),
            Button(ctx.t._("The last 30 days"), ExportPeriod(Period.MONTH)),
            Button(ctx.t._("This year"), ExportPeriod(Period.YEAR)),
        ],
        back=Button(ctx.t._("Back to the list"), InboxPage()),
    )


async def period_written(ctx: Context) -> None:
    """Take a typed period, then ask which file."""
    if not may_use_inbox(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("ideas_export")
        return
    first, _, last = (ctx.incoming.text or "").replace("–", "-").partition("-")
    try:
        start, end = local_period(parse_day(first), parse_day(last or first), ctx.settings.tz)
    except (ValueError, OverflowError):
        ctx.ask_again(
            ctx.t._("Please write the period like {example}.", example="01.11.2026-30.11.2026")
        )
        return
    _ask_format(ctx, start, end)


def _ask_format(ctx: Context, start: datetime, end: datetime) -> None:
    ctx.set_state(State.FORMAT, start=start.isoformat(), end=end.isoformat())
    ctx.reply(
        ctx.t._("Which file?"),
        [
            # The names of the file formats, the same in every language.
            Button("Excel (XLSX)", ExportFormat(FileFormat.XLSX)),
            Button("CSV", ExportFormat(FileFormat.CSV)),
            Button(ctx.t._("Back"), ExportPeriod()),
        ],
    )


@router.button(ExportFormat)
async def send_export(ctx: Context, press: ExportFormat) -> None:
    """Send the file of the period chosen, of the items this person may read."""
    if not may_use_inbox(ctx.roles):
        ctx.clear_state()
        await ctx.refuse("ideas_export")
        return
    flow = ctx.flow
    if ctx.state != State.FORMAT or "start" not in flow:
        await export(ctx, ExportPeriod())
        return
    assert ctx.resident is not None
    start = datetime.fromisoformat(flow["start"])
    end = datetime.fromisoformat(flow["end"])
    items = await ideas_between(
        ctx.session, start=start, end=end, roles=ctx.roles, resident_id=ctx.resident.id
    )
    tables = await export_tables(ctx.session, items, ctx.t)
    attachment = export_file(
        tables, fmt=press.fmt.value, stem=export_stem(start, end, ctx.settings.tz)
    )
    await ctx.audit("ideas_exported", count=len(items), format=press.fmt.value)
    ctx.clear_state()
    ctx.reply(
        ctx.t.ngettext("{n} item in the file.", "{n} items in the file.", len(items)),
        [
            Button(ctx.t._("Another file"), ExportPeriod()),
            *_list_buttons(ctx.t),
        ],
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
                buttons=[(N_("Open the list"), InboxPage().pack())],
                personal=False,
            )
            sent += 1
        digest.recipients = sent
    logger.info("weekly ideas digest %s sent to %d people", week, sent)


router.flow(
    {
        State.TEXT: Step(text_written, free_text=True),
        State.PHOTO: photo_sent,
        State.PLACE: Step(place_written, free_text=True),
        State.NAME: Step(name_written, free_text=True),
        State.ANSWER: Step(answer_written, free_text=True),
        State.DUPLICATE: Step(duplicate_named, free_text=True),
        State.SPECIALIST: Step(specialist_written, free_text=True),
        State.PERIOD: period_written,
    }
)
# Answered by their buttons (typed text keeps the question): State.AREA, State.WHO,
# State.KEEP, State.CONFIRM, State.FORMAT.
