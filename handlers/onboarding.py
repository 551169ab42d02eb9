"""First contact: language, privacy notice, unit and locality; later changes of each."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

from bot.dialog.context import Context, button_rows
from bot.dialog.messages import Button, Reply
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router, Step
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.parsing import parse_id, parse_number
from bot.settings import SUPPORTED_LANGUAGES, Settings
from handlers.menu import (
    MenuEntry,
    add_help,
    add_menu_entry,
    choose_one,
    everyone,
    no_such_option,
    show_menu,
)
from models.conversations import drop_conversation
from models.parish_groups import community_link
from models.residents import (
    add_identity,
    is_phone_number,
    register_resident,
    resident_with_phone,
)
from models.territory import (
    Locality,
    Unit,
    get_municipality,
    list_localities,
    list_units,
    match_places,
    place_label,
    unit_by_slug,
    unit_choices,
)

router = Router()


class State(enum.StrEnum):
    UNIT = "onboarding.unit"
    LOCALITY = "onboarding.locality"


@payload("lang")
class LanguagePick(Payload):
    language: str


class Consent(enum.StrEnum):
    AGREE = "agree"
    DECLINE = "decline"


@payload("privacy")
class PrivacyAnswer(Payload):
    answer: Consent


@payload("unit")
class UnitPick(Payload):
    unit: str  # the unit's slug


SKIP = "skip"


@payload("loc")
class LocalityPick(Payload):
    """A village or neighbourhood of the resident's own unit by its id, or `skip`."""

    choice: str = SKIP

    @property
    def locality(self) -> int | None:
        return parse_id(self.choice)


# Deep-link starts (`/start <kind>_<code>`) other features answer once onboarding is done.
DeepLinkHandler = Callable[[Context, str], Awaitable[None]]
_DEEP_LINKS: dict[str, DeepLinkHandler] = {}


# Called when a person has chosen (or changed) their unit, before the summary is shown;
# each may return a line to add to it (a group's join request answered, say).
UnitSettled = Callable[[Context], Awaitable[str | None]]
_UNIT_SETTLED: list[UnitSettled] = []


def add_unit_settled(hook: UnitSettled) -> None:
    _UNIT_SETTLED.append(hook)


# Asked once the place is saved, instead of the menu: an optional further question (which
# house), given the summary to show above it; False when it has nothing to ask.
FollowUp = Callable[[Context, str], Awaitable[bool]]
_FOLLOW_UPS: list[FollowUp] = []


def add_follow_up(follow_up: FollowUp) -> None:
    _FOLLOW_UPS.append(follow_up)


def add_deep_link(kind: str, handler: DeepLinkHandler) -> None:
    _DEEP_LINKS[kind] = handler


# Deep links that say where the person lives (a poster's `/start u_<code>`): answered in
# place of the first question for the parish or town, so the handler settles the place
# (`settle_place`) or asks for it itself.
_PLACE_LINKS: dict[str, DeepLinkHandler] = {}


def add_place_link(kind: str, handler: DeepLinkHandler) -> None:
    _PLACE_LINKS[kind] = handler


async def _place_from_link(ctx: Context) -> bool:
    """Answer a remembered place link instead of the unit question; False when there is none."""
    kind, _, code = str(ctx.recall("start_arg") or "").partition("_")
    handler = _PLACE_LINKS.get(kind)
    if handler is None or not code:
        return False
    ctx.remember("start_arg", None)
    await handler(ctx, code)
    return True


async def settle_place(ctx: Context, unit: Unit, locality: Locality | None) -> None:
    """Put the resident in a unit (and locality) they did not have to choose; without a
    locality, the village question still comes when the unit has villages."""
    assert ctx.resident is not None
    ctx.resident.unit_id = unit.id
    ctx.resident.unit = unit
    ctx.resident.locality_id = locality.id if locality else None
    ctx.resident.locality = locality
    if locality is None:
        await ask_locality(ctx)
        return
    await _finish(ctx)


def deep_link(settings: Settings, kind: str, code: str) -> str:
    """The link that opens the bot with `/start <kind>_<code>`: a t.me link when the bot's
    username is known, otherwise the command to type."""
    username = settings.telegram_bot_username
    if username:
        return f"https://t.me/{username}?start={kind}_{code}"
    return f"/start {kind}_{code}"


add_help("language", N_("change the language"), everyone)
add_help("territory", N_("change your parish or town"), everyone)
add_menu_entry(MenuEntry(N_("Change my parish or town"), "territory", order=80))
add_menu_entry(MenuEntry(N_("Language"), "language", order=85))


def ask_language(ctx: Context) -> None:
    # Shown before anyone knows the person's language, so the question is in all three.
    prompts = [
        Translator(code, timezone=ctx.t.timezone)._("Please choose your language.")
        for code in SUPPORTED_LANGUAGES
    ]
    buttons = [Button(LANGUAGE_NAMES[code], LanguagePick(code)) for code in SUPPORTED_LANGUAGES]
    if ctx.resident is not None and ctx.resident.unit_id is not None:
        buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.reply("\n".join(prompts), buttons)


async def ask_consent(ctx: Context) -> None:
    t = ctx.t
    municipality = await get_municipality(ctx.session)
    text = t._(
        "Before we start: to route you to your parish or town, I store your messenger account "
        "and the name it shows, your chosen language and your parish or town, and later what "
        "you send to the council yourself. "
        "The data is used only for the residents' council of {municipality}. You can see it "
        "with /mydata and erase it with /forget at any time.\n\n"
        "Do you agree?",
        municipality=t.place(municipality) if municipality else "",
    )
    ctx.reply(
        text,
        [
            Button(t._("I agree"), PrivacyAnswer(Consent.AGREE)),
            Button(t._("I do not agree"), PrivacyAnswer(Consent.DECLINE)),
        ],
    )


def _settled(ctx: Context) -> bool:
    """Whether the person has finished onboarding, so a way back to the menu exists."""
    return ctx.resident is not None and ctx.resident.unit_id is not None


async def ask_unit(ctx: Context, why: str | None = None) -> None:
    """Ask for the parish or town; a typed name in any language is an answer too."""
    if not _settled(ctx) and await _place_from_link(ctx):
        return
    question = ctx.t._("Which parish or town do you live in?")
    buttons = [
        Button(name, UnitPick(slug))
        for name, slug in await unit_choices(ctx.session, ctx.t.language)
    ]
    if _settled(ctx):
        buttons.append(Button(ctx.t._("Back to the menu"), "menu"))
    ctx.set_state(State.UNIT)
    ctx.reply(f"{why}\n\n{question}" if why else question, buttons)


async def unit_checklist(
    ctx: Context,
    picked: set[int],
    *,
    pick: Callable[[int], Payload | str] | str,
    done: Payload | str,
) -> list[Button]:
    """Every unit as a button that ticks or unticks it (`pick(unit id)`), and Continue
    (`done`) once one is ticked: for choosing several parishes at once."""
    if isinstance(pick, str):
        # A caller still on plain payloads: `<prefix>:<unit id>`.
        prefix = pick

        def pick(unit_id: int) -> str:
            return ":".join((prefix, str(unit_id)))

    buttons = [
        Button(("✓ " if unit.id in picked else "") + unit.label_in(ctx.t.language), pick(unit.id))
        for unit in await list_units(ctx.session)
    ]
    if picked:
        buttons.append(Button(ctx.t._("Continue"), done))
    return buttons


async def resume_onboarding(ctx: Context) -> None:
    """Take the person to the first onboarding step they have not done yet."""
    if ctx.resident is None and await adopt_known_number(ctx):
        return
    if ctx.resident is None:
        if ctx.recall("language") is None:
            ask_language(ctx)
        else:
            await ask_consent(ctx)
        return
    await ask_unit(ctx)


async def adopt_known_number(ctx: Context) -> bool:
    """A new WhatsApp or SMS account whose number a registered resident has shared (from
    Telegram) is that resident's: no second registration."""
    user_id = ctx.incoming.user_id
    if not is_phone_number(user_id):
        return False
    resident = await resident_with_phone(ctx.session, user_id)
    if resident is None:
        return False
    await add_identity(ctx.session, resident, channel=ctx.incoming.channel, external_id=user_id)
    await ctx.audit("linked", resident=resident.id, channel=ctx.incoming.channel)
    ctx.resident = resident
    ctx.use_language(resident.language)
    if resident.unit_id is None:
        await ask_unit(ctx)
        return True
    show_menu(
        ctx,
        ctx.t._(
            "Welcome! This phone number is already linked to your registration, so you can "
            "write to me here too."
        ),
    )
    return True


def remember_deep_link(ctx: Context, kind: str, code: str) -> None:
    """Keep `<kind>_<code>` to answer once the person has finished onboarding."""
    ctx.remember("start_arg", f"{kind}_{code}"[:64])


@router.command("start", needs=Needs.NOTHING)
async def start(ctx: Context) -> None:
    """Begin onboarding, or show the menu to someone who has finished it."""
    if ctx.argument:
        ctx.remember("start_arg", ctx.argument.split()[0][:64])
    if not _settled(ctx):
        await resume_onboarding(ctx)
        return
    if await answer_deep_link(ctx):
        return
    show_menu(ctx)


async def answer_deep_link(ctx: Context) -> bool:
    """Answer a remembered `/start <kind>_<code>`; False when there is none."""
    argument = ctx.recall("start_arg")
    if not argument:
        return False
    ctx.remember("start_arg", None)
    kind, _, code = str(argument).partition("_")
    handler = _DEEP_LINKS.get(kind)
    if handler is None or not code:
        return False
    await handler(ctx, code)
    return True


@router.command("language", needs=Needs.NOTHING)
@router.payload("language", needs=Needs.NOTHING)
async def change_language(ctx: Context) -> None:
    """Offer the languages."""
    ask_language(ctx)


@router.button(LanguagePick, needs=Needs.NOTHING)
async def language_chosen(ctx: Context, press: LanguagePick) -> None:
    """Store the chosen language and go on."""
    if press.language not in SUPPORTED_LANGUAGES:
        ask_language(ctx)
        return
    ctx.use_language(press.language)
    if ctx.resident is None:
        ctx.remember("language", press.language)
        await ask_consent(ctx)
        return
    ctx.resident.language = press.language
    if ctx.resident.unit_id is None:
        await ask_unit(ctx)
        return
    show_menu(ctx, ctx.t._("Language changed to English."))


START_AGAIN = "restart"
START_AGAIN_WORDS = ("Sākt no jauna", "Начать заново", "Start again")


@router.payload(START_AGAIN, needs=Needs.NOTHING)
@router.keyword(*START_AGAIN_WORDS, needs=Needs.NOTHING)
async def start_again(ctx: Context) -> None:
    """After declining the privacy notice: begin onboarding again."""
    await start(ctx)


@router.button(PrivacyAnswer, needs=Needs.NOTHING)
async def privacy_answered(ctx: Context, press: PrivacyAnswer) -> None:
    """Register the person on agreement; on refusal, forget the conversation."""
    if ctx.resident is not None:
        if ctx.resident.unit_id is None:
            await resume_onboarding(ctx)
        else:
            show_menu(ctx)
        return
    if press.answer is Consent.DECLINE:
        if ctx.conversation is not None:
            await drop_conversation(ctx.session, ctx.conversation)
        ctx.forgotten = True
        # Nothing is remembered, yet whatever a person without a conversation types starts
        # again: the option's number as well as its words (START_AGAIN_WORDS).
        text = ctx.t._(
            "All right. Nothing about you has been stored. If you change your mind, send /start."
        )
        again = [Button(ctx.t._("Start again"), START_AGAIN)]
        ctx.outbox.add(ctx.here, Reply(text, button_rows(again)))
        return
    ctx.resident = await register_resident(
        ctx.session,
        channel=ctx.incoming.channel,
        external_id=ctx.incoming.user_id,
        language=ctx.t.language,
        display_name=ctx.incoming.display_name,
    )
    await ctx.audit("consented", resident=ctx.resident.id)
    await ask_unit(ctx)


@router.command("territory", needs=Needs.CONSENT)
@router.payload("territory", needs=Needs.CONSENT)
async def change_territory(ctx: Context) -> None:
    """Offer the units again, with the way back to the menu."""
    await ask_unit(ctx)


@router.button(UnitPick, needs=Needs.CONSENT)
async def unit_chosen(ctx: Context, press: UnitPick) -> None:
    """Store the unit; ask for the locality when the unit has any."""
    assert ctx.resident is not None
    unit = await unit_by_slug(ctx.session, press.unit)
    if unit is None:
        await ask_unit(ctx)
        return
    ctx.resident.unit_id = unit.id
    ctx.resident.unit = unit
    ctx.resident.locality_id = None
    ctx.resident.locality = None
    await ask_locality(ctx)


async def ask_locality(ctx: Context, why: str | None = None) -> None:
    """Ask for the village or neighbourhood of the resident's unit, or finish without."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    localities = await list_localities(ctx.session, ctx.resident.unit.id)
    if not localities:
        await _finish(ctx)
        return
    buttons = [Button(item.name, LocalityPick(str(item.id))) for item in localities]
    buttons.append(Button(ctx.t._("Skip"), LocalityPick(SKIP)))
    buttons.append(Button(ctx.t._("Back"), "territory"))
    question = ctx.t._("Which village or neighbourhood? You may skip this.")
    ctx.set_state(State.LOCALITY)
    ctx.reply(f"{why}\n\n{question}" if why else question, buttons)


@router.button(LocalityPick, needs=Needs.UNIT)
async def locality_chosen(ctx: Context, press: LocalityPick) -> None:
    """Store the locality (only one of the resident's own unit) or skip it."""
    assert ctx.resident is not None
    if press.choice != SKIP:
        localities = await list_localities(ctx.session, ctx.resident.unit_id or 0)
        chosen = next((item for item in localities if item.id == press.locality), None)
        if chosen is None:
            await change_territory(ctx)
            return
        ctx.resident.locality_id = chosen.id
        ctx.resident.locality = chosen
    await _finish(ctx)


async def unit_typed(ctx: Context) -> None:
    """Take a unit's name typed in any language ("Алсвики"); otherwise ask again."""
    text = (ctx.incoming.text or "").strip()
    units = await list_units(ctx.session)
    found = match_places(units, text, slugs=[unit.slug for unit in units])
    if len(found) == 1:
        await unit_chosen(ctx, UnitPick(found[0].slug))
        return
    await ask_unit(ctx, _not_understood(ctx, text))


async def locality_typed(ctx: Context) -> None:
    """Take a village's name typed in any language; otherwise ask again."""
    assert ctx.resident is not None
    text = (ctx.incoming.text or "").strip()
    if ctx.resident.unit is None:
        await ask_unit(ctx)
        return
    found = match_places(await list_localities(ctx.session, ctx.resident.unit.id), text)
    if len(found) == 1:
        await locality_chosen(ctx, LocalityPick(str(found[0].id)))
        return
    await ask_locality(ctx, _not_understood(ctx, text))


def _not_understood(ctx: Context, text: str) -> str:
    """Why a place's question is asked again: a number no option carries is named, as on
    any other screen; other text gets the way to answer."""
    if ctx.conversation is not None and ctx.conversation.options:
        if parse_number(text, low=1, high=10**6) is not None:
            return no_such_option(ctx)
    return choose_one(ctx)


async def _finish(ctx: Context) -> None:
    assert ctx.resident is not None and ctx.resident.unit is not None
    unit = ctx.resident.unit
    place = place_label(unit, ctx.resident.locality, ctx.t.language)
    lines = [ctx.t._("Saved: {place}.", place=place)]
    for hook in _UNIT_SETTLED:
        line = await hook(ctx)
        if line:
            lines.append(line)
    if link := community_link(unit):
        lines.append(ctx.t._("Join your community group: {link}", link=link))
    else:
        lines.append(
            ctx.t._(
                "There is no community group link for your parish or town yet; your representative "
                "will add it."
            )
        )
    text = "\n".join(lines)
    if ctx.recall("start_arg"):
        ctx.reply(text)
        if not await answer_deep_link(ctx):
            show_menu(ctx)
        return
    for follow_up in _FOLLOW_UPS:
        if await follow_up(ctx, text):
            return
    show_menu(ctx, text)


router.flow(
    {State.UNIT: Step(unit_typed), State.LOCALITY: Step(locality_typed)}, needs=Needs.CONSENT
)
