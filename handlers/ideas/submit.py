"""Residents write an idea or concern to their representative, and read their own."""

from __future__ import annotations

import enum
import secrets
from typing import Any

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import N_, PlaceName, Translator
from bot.parsing import clean_text
from broadcasts.notices import send_notice
from handlers.ideas.common import OpenIdea, same_as, short, status_label
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.ideas import (
    AUTHOR_NAME_MAX,
    PLACE_MAX,
    TEXT_MAX,
    Idea,
    IdeaArea,
    IdeaStatus,
    answers_to,
    get_idea,
    holders_of,
    ideas_of,
    list_areas,
    recipients_for,
    submit_idea,
)
from models.messaging import find_media, store_media
from models.roles import Role

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


class Draft(enum.StrEnum):
    """A step of writing an idea that a button takes."""

    NO_PHOTO = "nophoto"
    NO_PLACE = "noplace"
    WHO = "who"
    SEND = "send"
    CHANGE_TEXT = "text"
    CANCEL = "cancel"


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


add_menu_entry(MenuEntry(N_("Idea or concern"), "idea", order=20))
add_help("idea", N_("send an idea or a concern to your representative"), everyone)
add_help("myideas", N_("your ideas and concerns and their status"), everyone)


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
        "Write it in your own words (at most {limit} characters).", limit=ctx.t.number(TEXT_MAX)
    )
    if "photo" not in flow and messenger(ctx.incoming.channel).files:
        # A photo and its text may come in one message or in two, in either order.
        question += " " + ctx.t._("You may also add one photo: send it now, or after the text.")
    ctx.ask(
        State.TEXT,
        f"{note}\n\n{question}" if note else question,
        limit=TEXT_MAX,
        back=_cancel_button(ctx.t),
        **flow,
    )


@router.button(DraftStep)
async def draft_step(ctx: Context, press: DraftStep) -> None:
    """Skip the photo or the place, go back to the name question or the text, send, or cancel."""
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
    elif press.step is Draft.CHANGE_TEXT:
        if ctx.state != State.CONFIRM:
            show_menu(ctx, ctx.t._("That idea is no longer being prepared."))
        elif (flow := _draft(ctx, "text", "show_author", "keep_text")) is not None:
            # The other answers stay: the new text goes straight back to the check.
            flow["changing"] = True
            _ask_text(ctx, flow)
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
    if flow.pop("changing", False) and "keep_text" in flow:
        await _preview(ctx, flow)
        return
    if "photo" in flow or not messenger(ctx.incoming.channel).files:
        # No photo step where a photo cannot be sent (SMS).
        _ask_place(ctx, flow)
        return
    ctx.ask(
        State.PHOTO,
        ctx.t._("Would you like to add a photo? Send it now, or choose Skip."),
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
        ctx.ask_again(ctx.t._("Please send a photo, or choose Skip."))
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
    question = ctx.t._(
        "Where is it? Write the place: a street and house, a road or a landmark "
        "(at most {limit} characters). Or choose Skip.",
        limit=ctx.t.number(PLACE_MAX),
    )
    if messenger(ctx.incoming.channel).locations:
        question += "\n" + ctx.t._(
            'Instead of text you may also send a location (📎 → "Location").'
        )
    ctx.ask(
        State.PLACE,
        question,
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
        ctx.ask_again(ctx.t._("Please write the place, or choose Skip."))
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
    t = ctx.t
    unit = t.place(ctx.resident.unit)
    locality = t.place(ctx.resident.locality) if ctx.resident.locality else PlaceName("")
    # A locality's name is declined only where all its forms are known; otherwise the text
    # names it where no case is needed.
    if recipients.representatives and recipients.deputies:
        if locality.declined:
            return t._(
                "It goes to the representative of {unit} and the deputy of {locality}.",
                unit=unit,
                locality=locality,
            )
        return t._(
            "It goes to the representative of {unit} and to the deputy of the village or "
            "neighbourhood {locality}.",
            unit=unit,
            locality=locality,
        )
    if recipients.representatives:
        return t._("It goes to the representative of {unit}.", unit=unit)
    if recipients.deputies:
        if locality.declined:
            return t._("It goes to the deputy of {locality}.", locality=locality)
        return t._(
            "It goes to the deputy of the village or neighbourhood {locality}.",
            locality=locality,
        )
    return t._(
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
        ctx.t._("Area: {area}", area=area.name_in(ctx.t.language)),
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
        [
            Button(ctx.t._("Send"), DraftStep(Draft.SEND)),
            Button(ctx.t._("Change the text"), DraftStep(Draft.CHANGE_TEXT)),
            _cancel_button(ctx.t),
        ],
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
            "Thank you! It is registered as No. {id}. You will get a message here when its "
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
    unit = item.unit
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=recipients,
        write=lambda t: t._(
            "A resident wrote: #{id}, {unit}, {area}. Open it with the button or /inbox.",
            id=item.id,
            unit=t.place(unit),
            area=item.area.name_in(t.language),
        ),
        now=ctx.now,
        buttons=[(N_("Open"), OpenIdea(item.id).pack())],
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
            ctx.t._(
                'You have not sent any ideas or concerns yet. Choose "Idea or concern" to start.'
            ),
        )
        return
    blocks = []
    for item in items:
        lines = [
            ctx.t._(
                "No. {id} · {time} · {area}",
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
        lines.append(short(item.text, 200))
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


router.flow(
    {
        State.TEXT: Step(text_written, free_text=True),
        State.PHOTO: photo_sent,
        State.PLACE: Step(place_written, free_text=True),
        State.NAME: Step(name_written, free_text=True),
    }
)
# Answered by their buttons (typed text keeps the question): State.AREA, State.WHO,
# State.KEEP, State.CONFIRM.
