"""Composing council messages and announcements in chat, following them, and the News."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Button, Reply
from bot.dialog.router import Router
from bot.i18n import LANGUAGE_NAMES, N_
from bot.parsing import parse_id, parse_number
from broadcasts.compose import (
    Audience,
    NotAllowed,
    create_broadcast,
    kind_for,
    may_broadcast,
    may_send_council,
    may_send_urgent,
    place_of,
    quick_times,
    sms_estimate,
)
from broadcasts.dispatcher import RESEND_UNKNOWN
from broadcasts.quiet_hours import goes_at, held, when_it_goes
from broadcasts.render import render
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from handlers.onboarding import unit_checklist
from models.broadcasts import (
    TEXT_MAX,
    Broadcast,
    DeliveryStatus,
    Kind,
    Status,
    cancel_broadcast,
    count_recipients,
    delivery_counts,
    first_line,
    get_broadcast,
    list_broadcasts,
    news_for,
    resend_unknown,
)
from models.messaging import find_media, store_media
from models.roles import Role
from models.territory import list_localities, list_units, locality_by_id

router = Router()

PDF = "application/pdf"
STATUS_LABELS = {
    Status.SCHEDULED.value: N_("scheduled"),
    Status.SENDING.value: N_("sending"),
    Status.DONE.value: N_("sent"),
    Status.CANCELLED.value: N_("cancelled"),
}


def _may_broadcast(ctx: Context) -> bool:
    return may_broadcast(ctx.roles)


add_menu_entry(MenuEntry(N_("News"), "news", order=10))
add_menu_entry(MenuEntry(N_("Send a message to residents"), "bc", order=60, visible=_may_broadcast))
add_menu_entry(MenuEntry(N_("My messages to residents"), "bcs", order=61, visible=_may_broadcast))
add_help("news", N_("the latest messages for your parish or town"), lambda ctx: True)
add_help("announce", N_("send a message to residents"), _may_broadcast)
add_help("broadcasts", N_("follow or cancel your messages to residents"), _may_broadcast)


# ---------------------------------------------------------------------- composing


@router.command("announce")
@router.payload("bc")
async def announce(ctx: Context) -> None:
    """Start a new message (first its Latvian text), or take a step of the flow's buttons."""
    if ctx.payload and ctx.args:
        await _step(ctx)
        return
    if not may_broadcast(ctx.roles):
        await ctx.refuse("broadcast")
        return
    ctx.set_state("bc.text", texts={})
    ctx.reply(
        ctx.t._(
            "Write the message in Latvian (at most {limit} characters). You may send one "
            "photo or PDF with it, the text as its caption. /cancel stops.",
            limit=ctx.t.number(TEXT_MAX),
        )
    )


@router.state("bc.text", free_text=True)
async def text_written(ctx: Context) -> None:
    """Keep the Latvian text (and the attachment), then offer the other languages."""
    flow = ctx.flow
    attachment = ctx.incoming.attachment
    if attachment is not None:
        if attachment.kind == "document" and attachment.mime_type != PDF:
            ctx.reply(ctx.t._("Only a photo or a PDF can go with the message. Please try again."))
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
        ctx.set_state("bc.text", **flow)
        ctx.reply(ctx.t._("Please write the text of the message too."))
        return
    if len(text) > TEXT_MAX:
        ctx.set_state("bc.text", **flow)
        ctx.reply(_too_long(ctx))
        return
    flow["texts"] = {**flow.get("texts", {}), "lv": text}
    ctx.set_state("bc.languages", **flow)
    _ask_languages(ctx, flow)


def _too_long(ctx: Context) -> str:
    return ctx.t._(
        "That is too long: at most {limit} characters, please.", limit=ctx.t.number(TEXT_MAX)
    )


def _ask_languages(ctx: Context, flow: dict[str, Any]) -> None:
    texts = flow.get("texts", {})
    buttons = []
    for language in ("ru", "en"):
        label = ctx.t._("Add a version in {language}", language=LANGUAGE_NAMES[language])
        if language in texts:
            label = ctx.t._("Replace the version in {language}", language=LANGUAGE_NAMES[language])
        buttons.append(Button(label, f"bc:lang:{language}"))
    buttons.append(Button(ctx.t._("Continue"), "bc:audience"))
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


async def _step(ctx: Context) -> None:
    """Dispatch the buttons of the composing flow; every step checks the right again."""
    if not may_broadcast(ctx.roles):
        await ctx.refuse("broadcast")
        return
    step = ctx.args[0] if ctx.args else ""
    if step == "lang":
        await _language_chosen(ctx)
    elif step == "audience":
        await _ask_audience(ctx)
    elif step == "pick":
        await _unit_toggled(ctx)
    elif step == "to":
        await _audience_chosen(ctx)
    elif step == "urgent":
        await _urgency_chosen(ctx)
    elif step == "at":
        await _time_chosen(ctx)
    elif step == "send":
        await _confirmed(ctx)
    elif step == "cancel":
        await _cancel(ctx)
    else:
        show_menu(ctx)


async def _language_chosen(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    language = ctx.args[1] if len(ctx.args) > 1 else ""
    if language not in ("ru", "en"):
        _ask_languages(ctx, flow)
        return
    ctx.set_state("bc.translation", **flow, language=language)
    ctx.reply(ctx.t._("Write the version in {language}.", language=LANGUAGE_NAMES[language]))


@router.state("bc.translation", free_text=True)
async def translation_written(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    text = (ctx.incoming.text or "").strip()
    language = flow.pop("language", "ru")
    if not text or len(text) > TEXT_MAX:
        ctx.set_state("bc.translation", **flow, language=language)
        ctx.reply(_too_long(ctx) if text else ctx.t._("Please write the text."))
        return
    flow["texts"] = {**flow["texts"], language: text}
    ctx.set_state("bc.languages", **flow)
    _ask_languages(ctx, flow)


async def _ask_audience(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    buttons: list[Button] = []
    if may_send_council(ctx.roles):
        buttons.append(Button(ctx.t._("All parishes and the town"), "bc:to:all"))
        buttons.append(Button(ctx.t._("Choose parishes"), "bc:pick"))
    else:
        units = {unit.id: unit for unit in await list_units(ctx.session)}
        for unit_id in sorted(ctx.roles.units_as(Role.REPRESENTATIVE)):
            if unit_id in units:
                buttons.append(Button(units[unit_id].name, f"bc:to:unit:{unit_id}"))
                for locality in await list_localities(ctx.session, unit_id):
                    label = f"{units[unit_id].name}, {locality.name}"
                    buttons.append(Button(label, f"bc:to:loc:{locality.id}"))
        for locality_id in sorted(ctx.roles.localities_as(Role.DEPUTY)):
            locality = await locality_by_id(ctx.session, locality_id)
            if locality is not None:
                label = f"{locality.unit.name}, {locality.name}"
                buttons.append(Button(label, f"bc:to:loc:{locality.id}"))
    ctx.set_state("bc.audience", **flow)
    ctx.reply(ctx.t._("Who should get it?"), buttons)


async def _unit_toggled(ctx: Context) -> None:
    """Council senders tick the units one by one, then go on."""
    flow = _draft(ctx)
    if flow is None:
        return
    if not may_send_council(ctx.roles):
        await ctx.refuse("broadcast_units")
        return
    picked = set(flow.get("picked", []))
    unit_id = parse_id(ctx.args[1]) if len(ctx.args) > 1 else None
    if unit_id is not None:
        picked ^= {unit_id}
    flow["picked"] = sorted(picked)
    ctx.set_state("bc.audience", **flow)
    buttons = await unit_checklist(ctx, picked, pick="bc:pick", done="bc:to:units")
    ctx.reply(ctx.t._("Tap the parishes that should get it, then Continue."), buttons)


async def _audience_chosen(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    target = ctx.args[1] if len(ctx.args) > 1 else ""
    value = ctx.args[2] if len(ctx.args) > 2 else ""
    try:
        if target == "all":
            audience = Audience()
        elif target == "units":
            audience = Audience(unit_ids=tuple(flow.get("picked", [])))
        elif target == "unit" and (unit_id := parse_id(value)) is not None:
            audience = Audience(unit_ids=(unit_id,))
        elif target == "loc" and (locality_id := parse_id(value)) is not None:
            audience = Audience(locality_id=locality_id)
        else:
            raise ValueError(target)
        await kind_for(ctx.session, ctx.roles, audience)
    except (NotAllowed, ValueError):
        await ctx.refuse("broadcast_audience", target=target)
        return
    flow["audience"] = {"units": audience.unit_ids, "locality": audience.locality_id}
    if may_send_urgent(ctx.roles):
        ctx.set_state("bc.urgent", **flow)
        ctx.reply(
            ctx.t._("Is it urgent? Urgent messages go at once, also during quiet hours."),
            [
                Button(ctx.t._("Not urgent"), "bc:urgent:no"),
                Button(ctx.t._("Urgent"), "bc:urgent:yes"),
            ],
        )
        return
    flow["urgent"] = False
    _ask_time(ctx, flow)


async def _urgency_chosen(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None or "audience" not in flow:
        return
    urgent = len(ctx.args) > 1 and ctx.args[1] == "yes"
    if urgent and not may_send_urgent(ctx.roles):
        await ctx.refuse("broadcast_urgent")
        return
    flow["urgent"] = urgent
    _ask_time(ctx, flow)


def _ask_time(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.set_state("bc.time", **flow)
    picks = quick_times(ctx.now, ctx.settings.tz)
    buttons = [Button(ctx.t._("Send now"), "bc:at:now")]
    if "evening" in picks:
        buttons.append(Button(ctx.t._("This evening at 18:00"), "bc:at:evening"))
    buttons.append(Button(ctx.t._("Tomorrow at 09:00"), "bc:at:tomorrow"))
    example = ctx.t.datetime(picks["tomorrow"])
    ctx.reply(
        ctx.t._(
            "When should it go? Tap a button or type a date and time like {example}.",
            example=example,
        ),
        buttons,
    )


async def _time_chosen(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None or "audience" not in flow:
        return
    pick = ctx.args[1] if len(ctx.args) > 1 else ""
    if pick == "twice":
        fold = parse_number(ctx.args[2] if len(ctx.args) > 2 else None, low=0, high=1)
        if fold is None or "typed" not in flow:
            _ask_time(ctx, flow)
            return
        await _typed_time(ctx, flow, str(flow["typed"]), fold=fold)
        return
    if pick == "now":
        due = ctx.now
    else:
        due_local = quick_times(ctx.now, ctx.settings.tz).get(pick)
        if due_local is None:
            _ask_time(ctx, flow)
            return
        due = due_local
    flow["due"] = due.isoformat()
    await _preview(ctx, flow)


@router.state("bc.time")
async def time_typed(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    await _typed_time(ctx, flow, ctx.incoming.text or "", fold=None)


async def _typed_time(ctx: Context, flow: dict[str, Any], text: str, *, fold: int | None) -> None:
    due = ctx.read_time(
        text,
        example=ctx.t.datetime(quick_times(ctx.now, ctx.settings.tz)["tomorrow"]),
        choose="bc:at:twice",
        fold=fold,
    )
    if due is None:
        # Kept for the answer when the time happens twice and the sender is asked which.
        flow["typed"] = text
        ctx.set_state("bc.time", **flow)
        return
    if due <= ctx.now:
        ctx.reply(ctx.t._("That time has already passed. Please choose a later one."))
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
        unit_ids=list(audience["units"]) if audience["units"] is not None else None,
        locality_id=audience["locality"],
        attachment_kind=attachment.get("kind"),
        attachment_name=attachment.get("name"),
        attachment_ref=attachment.get("ref"),
    )


def _audience_of(flow: dict[str, Any]) -> Audience:
    audience = flow["audience"]
    units = audience["units"]
    return Audience(tuple(units) if units is not None else None, audience["locality"])


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
    recipients = await count_recipients(ctx.session, draft)
    ctx.set_state("bc.confirm", **flow)
    ctx.reply(ctx.t._("This is how residents will see it:"))
    for reply in render(draft, ctx.t.language, timezone=ctx.settings.tz):
        ctx.send(ctx.here, reply)
    due = datetime.fromisoformat(flow["due"])
    lines = [
        ctx.t.ngettext("It goes to {n} resident.", "It goes to {n} residents.", recipients).format(
            n=ctx.t.number(recipients)
        ),
    ]
    sms = await sms_estimate(
        ctx.session,
        draft,
        media_token=(flow.get("attachment") or {}).get("media"),
        settings=ctx.settings,
    )
    if sms is not None:
        lines.append(
            ctx.t.ngettext(
                "By SMS to {n} resident, SMS segments each: {segments}, about {cost} {currency}.",
                "By SMS to {n} residents, SMS segments each: {segments}, about {cost} {currency}.",
                sms.recipients,
                segments=ctx.t.number(sms.segments),
                cost=ctx.t.amount(sms.cost),
                currency=ctx.settings.sms_currency,
            )
        )
    others = [LANGUAGE_NAMES[lang] for lang in ("ru", "en") if lang in flow["texts"]]
    if others:
        lines.append(ctx.t._("Also in: {languages}.", languages=", ".join(others)))
    lines.append(when_it_goes(ctx.t, ctx.settings, due_at=due, urgent=draft.urgent, now=ctx.now))
    ctx.reply(
        "\n".join(lines),
        [Button(ctx.t._("Send"), "bc:send"), Button(ctx.t._("Cancel"), "bc:cancel")],
    )


async def _confirmed(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None or ctx.state != "bc.confirm":
        if flow is not None:
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
        ctx.set_state("bc.time", **flow)
        ctx.reply(ctx.t._("That time has already passed. Please choose a later one."))
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


async def _cancel(ctx: Context) -> None:
    show_menu(ctx, ctx.t._("The message was not sent."))


# ---------------------------------------------------------------------- following


@router.command("broadcasts")
@router.payload("bcs")
async def my_broadcasts(ctx: Context) -> None:
    """The sender's latest messages (all of them for staff), with a Cancel button each."""
    if not may_broadcast(ctx.roles):
        await ctx.refuse("broadcasts")
        return
    assert ctx.resident is not None
    items = [
        item
        for item in await list_broadcasts(ctx.session, limit=50, with_notices=False)
        if ctx.roles.is_staff or item.created_by_id == ctx.resident.id
    ][:10]
    if not items:
        show_menu(ctx, ctx.t._("There are no messages yet."))
        return
    lines = []
    buttons = []
    for item in items:
        counts = await delivery_counts(ctx.session, item.id)
        delivered = counts[DeliveryStatus.DELIVERED.value]
        total = sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value]
        status = ctx.t._(STATUS_LABELS[item.status])
        when = item.started_at or item.due_at
        if item.status == Status.SCHEDULED.value:
            when = goes_at(ctx.settings, due_at=item.due_at, urgent=item.urgent, now=ctx.now)
        elif item.status == Status.SENDING.value and held(
            ctx.settings, urgent=item.urgent, moment=ctx.now
        ):
            status = ctx.t._("waiting for the quiet hours to end")
            when = goes_at(ctx.settings, due_at=ctx.now, urgent=item.urgent, now=ctx.now)
        lines.append(
            ctx.t._(
                "#{id} {status}, {time}: {delivered} of {total} delivered. {text}",
                id=item.id,
                status=status,
                time=ctx.t.datetime(when),
                delivered=ctx.t.number(delivered),
                total=ctx.t.number(total),
                text=first_line(item, 60),
            )
        )
        if item.status in (Status.SCHEDULED.value, Status.SENDING.value):
            buttons.append(Button(ctx.t._("Cancel #{id}", id=item.id), f"bcx:{item.id}"))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.payload("bcx")
async def cancel_one(ctx: Context) -> None:
    """Cancel a scheduled or running message: its sender or staff only."""
    broadcast_id = (parse_id(ctx.args[0]) if ctx.args else None) or 0
    broadcast = await get_broadcast(ctx.session, broadcast_id)
    assert ctx.resident is not None
    if broadcast is None or not (
        ctx.roles.is_staff
        or (broadcast.created_by_id == ctx.resident.id and may_broadcast(ctx.roles))
    ):
        await ctx.refuse("broadcast_cancel", broadcast=broadcast_id)
        return
    if broadcast.status not in (Status.SCHEDULED.value, Status.SENDING.value):
        show_menu(ctx, ctx.t._("Message #{id} can no longer be cancelled.", id=broadcast.id))
        return
    # Before its time a message has no rows yet: everyone it would have reached misses it.
    waiting = broadcast.status == Status.SCHEDULED.value
    stopped = await cancel_broadcast(ctx.session, broadcast)
    if waiting:
        stopped = await count_recipients(ctx.session, broadcast)
    await ctx.audit("broadcast_cancelled", broadcast=broadcast.id)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "Message #{id} is cancelled; {n} resident will not get it.",
            "Message #{id} is cancelled; {n} residents will not get it.",
            stopped,
            id=broadcast.id,
        ),
    )


def _may_follow(ctx: Context, broadcast: Broadcast) -> bool:
    """Staff, or the message's own sender while they may still send messages."""
    assert ctx.resident is not None
    return ctx.roles.is_staff or (
        broadcast.created_by_id == ctx.resident.id and may_broadcast(ctx.roles)
    )


@router.payload(RESEND_UNKNOWN)
async def resend_unknown_ones(ctx: Context) -> None:
    """Send a message again to the residents a crash left unknown, once the sender confirms."""
    broadcast_id = (parse_id(ctx.args[0]) if ctx.args else None) or 0
    broadcast = await get_broadcast(ctx.session, broadcast_id)
    if broadcast is None or not _may_follow(ctx, broadcast):
        await ctx.refuse("broadcast_resend", broadcast=broadcast_id)
        return
    counts = await delivery_counts(ctx.session, broadcast.id)
    unknown = counts[DeliveryStatus.UNKNOWN.value]
    if broadcast.status != Status.DONE.value or not unknown:
        show_menu(ctx, ctx.t._("Message #{id} has nobody to send it again to.", id=broadcast.id))
        return
    if ctx.args[1:] != ["yes"]:
        ctx.reply(
            ctx.t.ngettext(
                "Sending message #{id} was interrupted while it was on its way to {n} "
                "resident. They may already have it: if you send it again, they may get it "
                "twice. Send it again?",
                "Sending message #{id} was interrupted while it was on its way to {n} "
                "residents. They may already have it: if you send it again, they may get it "
                "twice. Send it again?",
                unknown,
                id=broadcast.id,
            ),
            [
                Button(ctx.t._("Send again"), f"{RESEND_UNKNOWN}:{broadcast.id}:yes"),
                Button(ctx.t._("Do not send"), "menu"),
            ],
        )
        return
    again = await resend_unknown(ctx.session, broadcast)
    await ctx.audit("broadcast_resent_unknown", broadcast=broadcast.id, rows=again)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "Message #{id} goes again to {n} resident.",
            "Message #{id} goes again to {n} residents.",
            again,
            id=broadcast.id,
        ),
    )


# ---------------------------------------------------------------------- News


@router.command("news")
@router.payload("news")
async def news(ctx: Context) -> None:
    """The latest messages that reached this resident's parish or town."""
    assert ctx.resident is not None
    items = await news_for(ctx.session, ctx.resident)
    if not items:
        show_menu(ctx, ctx.t._("No news yet for your parish or town."))
        return
    ctx.clear_state()
    for item in reversed(items):
        when = ctx.t.datetime(item.started_at or item.due_at)
        for reply in render(item, ctx.t.language, timezone=ctx.settings.tz):
            text = f"{when}\n{reply.text}" if reply.text else ""
            ctx.send(ctx.here, Reply(text, attachment=reply.attachment))
    show_menu(ctx)
