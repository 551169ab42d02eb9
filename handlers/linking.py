"""One person on several messengers: a shared phone number links Telegram with WhatsApp and
SMS, and the resident chooses where the council's messages come."""

from __future__ import annotations

import enum

from bot.channels import deployed, messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import N_
from handlers.menu import MenuEntry, add_help, add_menu_entry, show_menu
from models.residents import (
    find_identity,
    identities_of,
    is_phone_number,
    merge_into,
    normalise_phone,
    phone_channels,
)

router = Router()


class State(enum.StrEnum):
    PHONE = "linking.phone"


@payload("prefer")
class Prefer(Payload):
    """Choose where the council's messages come (the choices shown when None)."""

    channel: str | None = None


def _may_link(ctx: Context) -> bool:
    """A phone number is linked by sharing it, verified, where the messenger can."""
    return (
        ctx.settings.twilio_enabled
        and ctx.resident is not None
        and ctx.resident.phone is None
        and messenger(ctx.incoming.channel).contact_sharing
    )


add_menu_entry(MenuEntry(N_("Link WhatsApp or SMS"), "phone", order=70, visible=_may_link))
add_menu_entry(
    MenuEntry(
        N_("Where I get the messages"),
        "prefer",
        order=71,
        visible=lambda ctx: (
            ctx.settings.twilio_enabled
            and ctx.resident is not None
            and ctx.resident.phone is not None
        ),
    )
)
add_help("phone", N_("link your WhatsApp or SMS by sharing your phone number"), _may_link)


@router.command("phone")
@router.payload("phone")
async def ask_phone(ctx: Context) -> None:
    """Explain linking and ask for the person's own phone number."""
    if not messenger(ctx.incoming.channel).contact_sharing:
        able = [ctx.t._(item.label) for item in deployed(ctx.settings) if item.contact_sharing]
        if able:
            text = ctx.t._(
                "Your phone number cannot be shared here. Send /phone on {messengers}, which "
                "can share it.",
                messengers=", ".join(able),
            )
        else:
            text = ctx.t._("Your phone number cannot be shared here.")
        show_menu(ctx, text)
        return
    ctx.set_state(State.PHONE)
    ctx.reply(
        ctx.t._(
            "If you also write to the council on WhatsApp or by SMS, share your phone number "
            "here: messages from that number will then be recognised as yours, and you choose "
            "where you get the council's messages. The number is stored only for this."
        ),
        [
            Button(ctx.t._("Share my phone number"), "phone:share", asks_contact=True),
            Button(ctx.t._("Back to the menu"), "menu"),
        ],
    )


async def contact_shared(ctx: Context) -> None:
    """Store the shared number and take in the WhatsApp and SMS accounts with it. Only the
    person's own contact counts: the messenger has verified that number as theirs."""
    assert ctx.resident is not None
    incoming = ctx.incoming
    own = incoming.contact_user_id is not None and incoming.contact_user_id == incoming.user_id
    shared = incoming.contact_phone if own else None
    phone = normalise_phone(shared, region=ctx.settings.phone_region) if shared else None
    if phone is None:
        show_menu(ctx, ctx.t._("That is not a phone number I can use. Please share your own."))
        return
    ctx.resident.phone = phone
    others = {
        identity.resident_id
        for channel in phone_channels()
        if (identity := await find_identity(ctx.session, channel, phone)) is not None
        and identity.resident_id != ctx.resident.id
    }
    for other_id in sorted(others):
        other = await ctx.session.get(type(ctx.resident), other_id)
        if other is not None:
            await merge_into(ctx.session, keep=ctx.resident, other=other)
    await ctx.audit("phone_shared", merged=sorted(others))
    await ask_preferred(ctx, ctx.t._("Thank you, your phone number is saved."))


@router.command("channel")
async def prefer_command(ctx: Context) -> None:
    """`/channel`, or `/channel whatsapp` to choose at once."""
    chosen = ctx.argument.casefold()
    if chosen and Prefer.unpack(f"prefer:{chosen}") is None:
        await ctx.refuse("prefer", channel=chosen[:32])
        return
    await prefer(ctx, Prefer(chosen or None))


@router.button(Prefer)
async def prefer(ctx: Context, press: Prefer) -> None:
    """Choose the messenger the council's messages go to; checked against the person's own."""
    assert ctx.resident is not None
    channels = await _channels(ctx)
    if press.channel is not None:
        chosen = press.channel
        if chosen not in channels:
            await ctx.refuse("prefer", channel=chosen)
            return
        ctx.resident.preferred_channel = chosen
        show_menu(
            ctx,
            ctx.t._(
                "The council's messages will come on {channel}.",
                channel=ctx.t._(messenger(chosen).label),
            ),
        )
        return
    await ask_preferred(ctx, None)


async def ask_preferred(ctx: Context, intro: str | None) -> None:
    assert ctx.resident is not None
    channels = await _channels(ctx)
    lines = [intro] if intro else []
    lines.append(ctx.t._("Where would you like to get the council's messages?"))
    ctx.reply(
        "\n\n".join(lines),
        [Button(ctx.t._(messenger(channel).label), Prefer(channel)) for channel in channels]
        + [Button(ctx.t._("Back to the menu"), "menu")],
    )


async def _channels(ctx: Context) -> list[str]:
    """The messengers this person can get messages on: their accounts, and WhatsApp and SMS
    (as this deployment runs them) for their number, which work once they write from it."""
    assert ctx.resident is not None
    found: list[str] = []
    for identity in await identities_of(ctx.session, ctx.resident.id):
        if identity.channel not in found:
            found.append(identity.channel)
    if ctx.resident.phone is not None and is_phone_number(ctx.resident.phone):
        found += [channel for channel in ctx.settings.phone_channels if channel not in found]
    return found


router.flow({State.PHONE: contact_shared})
