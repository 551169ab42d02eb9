"""Composing a council message or an announcement in chat: texts, audience, time, preview."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router, Step
from bot.i18n import IN_LANGUAGE, N_
from broadcasts.compose import (
    Audience,
    NotAllowed,
    create_broadcast,
    kind_for,
    may_broadcast,
    may_reach_house,
    may_send_council,
    may_send_urgent,
    place_of,
    places_of,
    preview_facts,
    quick_times,
)
from broadcasts.quiet_hours import goes_at
from broadcasts.render import render
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from handlers.onboarding import unit_checklist
from models.broadcasts import TEXT_MAX, Broadcast, Kind
from models.houses import House, has_houses, houses_of, match_address
from models.messaging import find_media, store_media
from models.roles import Role
from models.territory import list_localities, list_units, locality_by_id, place_label

router = Router()


class State(enum.StrEnum):
    TEXT = "bc.text"
    LANGUAGES = "bc.languages"
    TRANSLATION = "bc.translation"
    AUDIENCE = "bc.audience"
    HOUSE = "bc.house"
    URGENT = "bc.urgent"
    TIME = "bc.time"
    CONFIRM = "bc.confirm"


class Target(enum.StrEnum):
    ALL = "all"
    UNITS = "units"  # the units ticked in the checklist
    UNIT = "unit"
    LOCALITY = "loc"
    HOUSE = "house"


class When(enum.StrEnum):
    NOW = "now"
    EVENING = "evening"
    TOMORROW = "tomorrow"
    TWICE = "twice"  # a typed time the clocks make happen twice: `fold` says which


@payload("bclang")
class AddLanguage(Payload):
    """Add (or replace) the version in a language; None shows the languages again."""

    language: str | None = None


@payload("bcaud")
class ChooseAudience(Payload):
    """Go on to choosing who gets the message."""


@payload("bcpick")
class PickUnit(Payload):
    """Tick or untick a unit in a council sender's checklist; None shows it."""

    unit_id: int | None = None


@payload("bcto")
class SendTo(Payload):
    target: Target
    place_id: int | None = None  # the unit or locality


@payload("bchouse")
class AskHouse(Payload):
    """Send to the residents of one house: ask for its address."""


@payload("bcurg")
class Urgency(Payload):
    urgent: bool


@payload("bcimp")
class Importance(Payload):
    important: bool


@payload("bcat")
class SendAt(Payload):
    when: When
    fold: int | None = None


@payload("bcsend")
class Confirm(Payload):
    """Send the message as previewed."""


@payload("bcdrop")
class Drop(Payload):
    """Drop the message being written."""


PDF = "application/pdf"


def may_send(ctx: Context) -> bool:
    """Whether the person may send messages to residents (for menus and help)."""
    return may_broadcast(ctx.roles)


add_menu_entry(MenuEntry(N_("Send a message to residents"), "bc", order=160, visible=may_send))
add_help("announce", N_("send a message to residents"), may_send)


@router.command("announce")
@router.payload("bc")
async def announce(ctx: Context) -> None:
    """Start a new message: first its Latvian text."""
    if not may_broadcast(ctx.roles):
        await ctx.refuse("broadcast")
        return
    _ask_text(ctx, {"texts": {}})


def _ask_text(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.ask(
        State.TEXT,
        ctx.t._(
            "Write the message in Latvian (at most {limit} characters). You may send one "
            "photo or PDF with it, the text as its caption.",
            limit=ctx.t.number(TEXT_MAX),
        ),
        limit=TEXT_MAX,
        back=Button(ctx.t._("Cancel"), Drop()),
        **flow,
    )


async def _sender(ctx: Context) -> bool:
    """Whether the person may still send messages; refused (and written down) if not."""
    if may_broadcast(ctx.roles):
        return True
    await ctx.refuse("broadcast")
    return False


async def text_written(ctx: Context) -> None:
    """Keep the Latvian text (and the attachment), then offer the other languages."""
    flow = ctx.flow
    attachment = ctx.incoming.attachment
    if attachment is not None:
        if attachment.kind == "document" and attachment.mime_type != PDF:
            ctx.ask_again(
                ctx.t._("Only a photo or a PDF can go with the message. Please try again.")
            )
            return
        flow["attachment"] = {
            "kind": attachment.kind,
            "name": attachment.filename,
            "ref": attachment.file_ref,
        }
        if attachment.content:
            # The file itself waits in the media store, so that residents on other
            # messengers get it too, not only its name.
            media = await store_media(
                ctx.session,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                content=attachment.content,
            )
            flow["attachment"]["media"] = media.token
    text = (ctx.incoming.text or "").strip()
    if not text:
        _keep(ctx, flow)
        ctx.ask_again(ctx.t._("Please write the text of the message too."))
        return
    flow["texts"] = {**flow.get("texts", {}), "lv": text}
    _ask_languages(ctx, flow)


def _keep(ctx: Context, flow: dict[str, Any]) -> None:
    """Keep what the flow gathered while the same question stays asked."""
    ctx.remember("flow", flow)


def _ask_languages(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state(State.LANGUAGES, **flow)
    texts = flow.get("texts", {})
    buttons = []
    for language in ("ru", "en"):
        in_language = ctx.t._(IN_LANGUAGE[language])
        label = ctx.t._("Add a version {in_language}", in_language=in_language)
        if language in texts:
            label = ctx.t._("Replace the version {in_language}", in_language=in_language)
        buttons.append(Button(label, AddLanguage(language)))
    buttons.append(Button(ctx.t._("Continue"), ChooseAudience()))
    buttons.append(Button(ctx.t._("Cancel"), Drop()))
    ctx.reply(
        ctx.t._(
            "Each resident gets the message in their language, in Latvian when there is no "
            "version in theirs. Add another version?"
        ),
        buttons,
    )


def _draft(ctx: Context) -> dict[str, Any] | None:
    """The message being composed; None (and a note) when there is none any more."""
    flow = ctx.flow
    if not (ctx.state or "").startswith("bc.") or "lv" not in flow.get("texts", {}):
        show_menu(ctx, ctx.t._("That message is no longer being prepared."))
        return None
    return flow


# Every button of the composing flow checks the right to send again: it may be gone.


@router.button(AddLanguage)
async def language_chosen(ctx: Context, press: AddLanguage) -> None:
    """Ask for the version in another language (or show the languages again)."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    flow.pop("language", None)
    if press.language not in ("ru", "en"):
        _ask_languages(ctx, flow)
        return
    ctx.ask(
        State.TRANSLATION,
        ctx.t._(
            "Write the text of the message {in_language}.",
            in_language=ctx.t._(IN_LANGUAGE[press.language]),
        ),
        limit=TEXT_MAX,
        back=Button(ctx.t._("Back"), AddLanguage()),
        **flow,
        language=press.language,
    )


async def translation_written(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    text = (ctx.incoming.text or "").strip()
    language = flow.pop("language", "ru")
    if not text:
        ctx.ask_again(ctx.t._("Please write the text."))
        return
    flow["texts"] = {**flow["texts"], language: text}
    _ask_languages(ctx, flow)


@router.button(ChooseAudience)
async def ask_audience(ctx: Context, press: ChooseAudience) -> None:
    """Offer the audiences this sender may reach."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    buttons: list[Button] = []
    if may_send_council(ctx.roles):
        buttons.append(Button(ctx.t._("All parishes and the town"), SendTo(Target.ALL)))
        buttons.append(Button(ctx.t._("Choose parishes"), PickUnit()))
    else:
        units = {unit.id: unit for unit in await list_units(ctx.session)}
        # A village offered once, also to a deputy of it who represents its unit too.
        offered: set[int] = set()
        for unit_id in sorted(ctx.roles.units_as(Role.REPRESENTATIVE)):
            if unit_id in units:
                buttons.append(
                    Button(units[unit_id].label_in(ctx.t.language), SendTo(Target.UNIT, unit_id))
                )
                for locality in await list_localities(ctx.session, unit_id):
                    label = place_label(units[unit_id], locality, ctx.t.language)
                    buttons.append(Button(label, SendTo(Target.LOCALITY, locality.id)))
                    offered.add(locality.id)
        for locality_id in sorted(ctx.roles.localities_as(Role.DEPUTY)):
            locality = await locality_by_id(ctx.session, locality_id)
            if locality is not None and locality.id not in offered:
                label = place_label(locality.unit, locality, ctx.t.language)
                buttons.append(Button(label, SendTo(Target.LOCALITY, locality.id)))
    if await _has_reachable_houses(ctx):
        buttons.append(Button(ctx.t._("One house"), AskHouse()))
    buttons.append(Button(ctx.t._("Back"), AddLanguage()))
    ctx.set_state(State.AUDIENCE, **flow)
    ctx.reply(ctx.t._("Who should get it?"), buttons)


async def _has_reachable_houses(ctx: Context) -> bool:
    """Whether any house is known where this sender may write: else "One house" is not
    offered."""
    roles = ctx.roles
    if may_send_council(roles):
        return await ctx.session.scalar(select(House.id).limit(1)) is not None
    for unit_id in roles.units_as(Role.REPRESENTATIVE):
        if await has_houses(ctx.session, unit_id=unit_id, locality_id=None):
            return True
    for locality_id in roles.localities_as(Role.DEPUTY):
        locality = await locality_by_id(ctx.session, locality_id)
        if locality is not None and await has_houses(
            ctx.session, unit_id=locality.unit_id, locality_id=locality.id
        ):
            return True
    return False


async def _reachable_houses(ctx: Context) -> list[House]:
    """The houses this sender may write to."""
    houses = []
    for unit in await list_units(ctx.session):
        houses.extend(
            house
            for house in await houses_of(ctx.session, unit_id=unit.id)
            if may_reach_house(ctx.roles, house)
        )
    return houses


@router.button(AskHouse)
async def ask_house(ctx: Context, press: AskHouse) -> None:
    """Ask for the address of the one house the message is for."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    ctx.ask(
        State.HOUSE,
        ctx.t._(
            "Type the address of the house: the street and number, or the name of a house "
            "without a street. Its residents get the message, and its house elders."
        ),
        limit=120,
        back=Button(ctx.t._("Back"), ChooseAudience()),
        **flow,
    )


async def house_typed(ctx: Context) -> None:
    """Find the typed address among the houses this sender may write to."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    houses = await _reachable_houses(ctx)
    found, _ = match_address(houses, ctx.incoming.text or "")
    if len(found) == 1:
        await audience_chosen(ctx, SendTo(Target.HOUSE, found[0].id))
        return
    if not found:
        ctx.ask_again(ctx.t._("I did not find that address among the houses you may write to."))
        return
    buttons = [
        Button(
            f"{place_label(house.unit, house.locality, ctx.t.language)}, {house.label}",
            SendTo(Target.HOUSE, house.id),
        )
        for house in found[:10]
    ]
    buttons.append(Button(ctx.t._("Back"), ChooseAudience()))
    ctx.set_state(State.AUDIENCE, **flow)
    ctx.reply(ctx.t._("Which of these houses?"), buttons)


@router.button(PickUnit)
async def unit_toggled(ctx: Context, press: PickUnit) -> None:
    """Council senders tick the units one by one, then go on."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    if not may_send_council(ctx.roles):
        await ctx.refuse("broadcast_units")
        return
    picked = set(flow.get("picked", []))
    if press.unit_id is not None:
        picked ^= {press.unit_id}
    flow["picked"] = sorted(picked)
    ctx.set_state(State.AUDIENCE, **flow)
    buttons = await unit_checklist(ctx, picked, pick=PickUnit, done=SendTo(Target.UNITS))
    buttons.append(Button(ctx.t._("Back"), ChooseAudience()))
    ctx.reply(ctx.t._("Tap the parishes that should get it, then Continue."), buttons)


@router.button(SendTo)
async def audience_chosen(ctx: Context, press: SendTo) -> None:
    """Keep the audience, once the sender is checked to reach it."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    target = press.target
    try:
        if target is Target.ALL:
            audience = Audience()
        elif target is Target.UNITS:
            audience = Audience(unit_ids=tuple(flow.get("picked", [])))
        elif target is Target.UNIT and press.place_id is not None:
            audience = Audience(unit_ids=(press.place_id,))
        elif target is Target.LOCALITY and press.place_id is not None:
            audience = Audience(locality_id=press.place_id)
        elif target is Target.HOUSE and press.place_id is not None:
            audience = Audience(house_id=press.place_id)
        else:
            raise ValueError(target)
        await kind_for(ctx.session, ctx.roles, audience)
    except (NotAllowed, ValueError):
        await ctx.refuse("broadcast_audience", target=target.value)
        return
    flow["audience"] = {
        "units": audience.unit_ids,
        "locality": audience.locality_id,
        "house": audience.house_id,
    }
    if may_send_urgent(ctx.roles):
        ctx.set_state(State.URGENT, **flow)
        ctx.reply(
            ctx.t._("Is it urgent? Urgent messages go at once, also during quiet hours."),
            [
                Button(ctx.t._("Not urgent"), Urgency(urgent=False)),
                Button(ctx.t._("Urgent"), Urgency(urgent=True)),
                Button(ctx.t._("Back"), ChooseAudience()),
            ],
        )
        return
    flow["urgent"] = False
    _ask_time(ctx, flow)


@router.button(Urgency)
async def urgency_chosen(ctx: Context, press: Urgency) -> None:
    if not await _sender(ctx) or (flow := _draft(ctx)) is None or "audience" not in flow:
        return
    if press.urgent and not may_send_urgent(ctx.roles):
        await ctx.refuse("broadcast_urgent")
        return
    flow["urgent"] = press.urgent
    _ask_time(ctx, flow)


@router.button(Importance)
async def importance_chosen(ctx: Context, press: Importance) -> None:
    """Mark the previewed message important (a call list a day later), or not."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None or "due" not in flow:
        return
    if ctx.state != State.CONFIRM:
        show_menu(ctx)
        return
    flow["important"] = press.important
    await _preview(ctx, flow)


def _ask_time(ctx: Context, flow: dict[str, Any], why: str | None = None) -> None:
    flow.pop("typed", None)
    picks = quick_times(ctx.now, ctx.settings.tz)
    buttons = [Button(ctx.t._("Send now"), SendAt(When.NOW))]
    if When.EVENING in picks:
        buttons.append(Button(ctx.t._("This evening at 18:00"), SendAt(When.EVENING)))
    buttons.append(Button(ctx.t._("Tomorrow at 09:00"), SendAt(When.TOMORROW)))
    example = ctx.t.datetime(picks[When.TOMORROW])
    question = ctx.t._(
        "When should it go? Tap a button or type a date and time like {example}.",
        example=example,
    )
    ctx.ask(
        State.TIME,
        f"{why}\n\n{question}" if why else question,
        limit=40,
        buttons=buttons,
        back=Button(ctx.t._("Back"), ChooseAudience()),
        **flow,
    )


@router.button(SendAt)
async def time_chosen(ctx: Context, press: SendAt) -> None:
    if not await _sender(ctx) or (flow := _draft(ctx)) is None or "audience" not in flow:
        return
    if press.when is When.TWICE:
        if press.fold not in (0, 1) or "typed" not in flow:
            _ask_time(ctx, flow)
            return
        await _typed_time(ctx, flow, str(flow["typed"]), fold=press.fold)
        return
    if press.when is When.NOW:
        due = ctx.now
    else:
        due_local = quick_times(ctx.now, ctx.settings.tz).get(press.when.value)
        if due_local is None:
            _ask_time(ctx, flow)
            return
        due = due_local
    flow["due"] = due.isoformat()
    await _preview(ctx, flow)


async def time_typed(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    await _typed_time(ctx, flow, ctx.incoming.text or "", fold=None)


async def _typed_time(ctx: Context, flow: dict[str, Any], text: str, *, fold: int | None) -> None:
    due = ctx.read_time(
        text,
        example=ctx.t.datetime(quick_times(ctx.now, ctx.settings.tz)["tomorrow"]),
        choose=SendAt(When.TWICE).pack(),
        fold=fold,
    )
    if due is None:
        # Kept for the answer when the time happens twice and the sender is asked which.
        flow["typed"] = text
        _keep(ctx, flow)
        return
    if due <= ctx.now:
        ctx.ask_again(ctx.t._("That time has already passed. Please choose a later one."))
        return
    flow["due"] = due.isoformat()
    await _preview(ctx, flow)


def _draft_broadcast(flow: dict[str, Any], kind: Kind, place: str | None) -> Broadcast:
    attachment = flow.get("attachment") or {}
    audience = flow["audience"]
    return Broadcast(
        kind=kind.value,
        place=place,
        texts=flow["texts"],
        urgent=bool(flow.get("urgent")),
        important=bool(flow.get("important")),
        unit_ids=list(audience["units"]) if audience["units"] is not None else None,
        locality_id=audience["locality"],
        house_id=audience.get("house"),
        attachment_kind=attachment.get("kind"),
        attachment_name=attachment.get("name"),
        attachment_ref=attachment.get("ref"),
    )


def _audience_of(flow: dict[str, Any]) -> Audience:
    audience = flow["audience"]
    units = audience["units"]
    return Audience(
        tuple(units) if units is not None else None,
        audience["locality"],
        house_id=audience.get("house"),
    )


async def _preview(ctx: Context, flow: dict[str, Any]) -> None:
    """Show the message exactly as residents will get it, and how many will."""
    audience = _audience_of(flow)
    try:
        kind = await kind_for(ctx.session, ctx.roles, audience)
    except NotAllowed:
        await ctx.refuse("broadcast_audience")
        return
    place = await place_of(ctx.session, audience) if kind is Kind.ANNOUNCEMENT else None
    draft = _draft_broadcast(flow, kind, place)
    ctx.set_state(State.CONFIRM, **flow)
    ctx.reply(ctx.t._("This is how residents will see it:"))
    places = await places_of(ctx.session, draft)
    for reply in render(draft, ctx.t.language, timezone=ctx.settings.tz, places=places):
        ctx.send(ctx.here, reply)
    lines = await preview_facts(
        ctx.session,
        ctx.t,
        draft,
        settings=ctx.settings,
        media_token=(flow.get("attachment") or {}).get("media"),
        due=datetime.fromisoformat(flow["due"]),
        now=ctx.now,
    )
    buttons = [Button(ctx.t._("Send"), Confirm())]
    if draft.important or draft.urgent:
        lines.append(
            ctx.t._(
                "Important: a day after it goes, the representatives and deputies get the list "
                "of residents of their place it did not reach, to tell them in person or by "
                "phone."
            )
        )
    if not draft.urgent:
        # Urgent messages always get their call list.
        buttons.append(
            Button(ctx.t._("Not important after all"), Importance(important=False))
            if draft.important
            else Button(ctx.t._("Mark as important"), Importance(important=True))
        )
    buttons.append(Button(ctx.t._("Cancel"), Drop()))
    ctx.reply("\n".join(lines), buttons)


@router.button(Confirm)
async def confirmed(ctx: Context, press: Confirm) -> None:
    """Create the message shown in the preview: only from the preview just shown."""
    if not await _sender(ctx) or (flow := _draft(ctx)) is None:
        return
    if ctx.state != State.CONFIRM:
        show_menu(ctx)
        return
    assert ctx.resident is not None
    due = datetime.fromisoformat(flow["due"])
    attachment = flow.get("attachment") or {}
    media = (
        await find_media(ctx.session, attachment["media"], now=ctx.now)
        if attachment.get("media")
        else None
    )
    try:
        broadcast = await create_broadcast(
            ctx.session,
            roles=ctx.roles,
            created_by_id=ctx.resident.id,
            audience=_audience_of(flow),
            texts=flow["texts"],
            due_at=due,
            now=ctx.now,
            urgent=bool(flow.get("urgent")),
            important=bool(flow.get("important")),
            attachment_kind=attachment.get("kind"),
            attachment_name=attachment.get("name"),
            attachment=media.content if media is not None else None,
            attachment_ref=attachment.get("ref"),
            report_to=(ctx.incoming.channel, ctx.incoming.chat_id),
        )
    except NotAllowed:
        await ctx.refuse("broadcast_audience")
        return
    except ValueError:
        _ask_time(ctx, flow, ctx.t._("That time has already passed. Please choose a later one."))
        return
    await ctx.audit("broadcast_created", broadcast=broadcast.id)
    goes = goes_at(ctx.settings, due_at=due, urgent=broadcast.urgent, now=ctx.now)
    if goes <= ctx.now:
        text = ctx.t._(
            "Message #{id} is on its way. You will see the progress here.", id=broadcast.id
        )
    else:
        text = ctx.t._(
            "Message #{id} will go on {time}. /broadcasts shows it and can cancel it.",
            id=broadcast.id,
            time=ctx.t.datetime(goes),
        )
    show_menu(ctx, text)


@router.button(Drop)
async def dropped(ctx: Context, press: Drop) -> None:
    """Leave the message being composed."""
    show_menu(ctx, ctx.t._("The message was not sent."))


router.flow(
    {
        State.TEXT: Step(text_written, free_text=True),
        State.TRANSLATION: Step(translation_written, free_text=True),
        State.TIME: time_typed,
        State.HOUSE: house_typed,
    }
)
