"""Posters and flyers in chat: a representative (their own parish or town) or a coordinator
(any) chooses the place where it will hang and gets the PDF; sees who joined through each
place; a representative agrees to show their name; coordinators keep the unified text."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Router
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.settings import SUPPORTED_LANGUAGES
from handlers.menu import MenuEntry, add_help, add_menu_entry
from models.outreach import (
    KIND_LABELS,
    KINDS,
    POSTER_NAME_MAX,
    TEXT_MAX,
    Placement,
    list_placements,
    placement_of_kind,
    poster_name_of,
    reach,
    set_poster_name,
    set_text,
    stored_text,
)
from models.roles import Role
from models.territory import Unit, list_localities, list_units, place_label, unit_by_slug
from reports.outreach_posters import (
    DEFAULT_TEXT,
    PDF_MIME,
    Format,
    placement_links,
    poster_for,
    poster_pdf,
)

router = Router()

# Weeks of joins shown per place in chat (the command line shows all).
WEEKS_SHOWN = 4


class State(enum.StrEnum):
    NAME = "outreach.name"
    TEXT = "outreach.text"


@payload("outunit")
class KitUnit(Payload):
    unit: str  # the unit's slug


# The parish or town chosen last in the kit: the buttons below it act on it (checked again
# on each press), so they stay the same for every parish.
KIT_UNIT = "kit_unit"


@payload("outkind")
class KitKinds(Payload):
    """Choose the kind of a new place; with `place_kind`, its village next."""

    place_kind: str | None = None


@payload("outnew")
class KitNew(Payload):
    """Make (or find) the place of a kind in the chosen unit, or in one of its villages."""

    place_kind: str
    locality: int | None = None


@payload("outplace")
class KitPlace(Payload):
    placement_id: int


@payload("outpdf")
class KitPrint(Payload):
    placement_id: int
    page_format: Format
    language: str | None = None


@payload("outreach")
class KitReach(Payload):
    """Who joined through the places of the chosen unit."""


@payload("outname")
class KitName(Payload):
    """A representative shows (`show`) or hides their name on the chosen unit's posters."""

    show: bool


@payload("outtext")
class KitText(Payload):
    """The unified text; with `language`, change it in that language."""

    language: str | None = None


def may_print(ctx: Context) -> bool:
    return ctx.roles.is_staff or bool(ctx.roles.units_as(Role.REPRESENTATIVE))


add_menu_entry(MenuEntry(N_("Posters and flyers"), "kit", order=176, visible=may_print))
add_help("kit", N_("posters and flyers that bring residents to the council's chat"), may_print)


def _back(ctx: Context, to: Payload | str) -> list[Button]:
    return [Button(ctx.t._("Back"), to), Button(ctx.t._("Main menu"), "menu")]


def _no_way_in(ctx: Context, back: Payload | str) -> bool:
    """Refuse a poster that would show no way to join, as `padome outreach poster` does:
    none of the settings that give one is set."""
    if placement_links(ctx.settings, "").leads_anywhere:
        return False
    ctx.reply(
        ctx.t._(
            "A poster cannot be made yet: it would show no way to join. The administrator "
            "has to set TELEGRAM_BOT_USERNAME, TWILIO_WHATSAPP_FROM or TWILIO_SMS_FROM first."
        ),
        _back(ctx, back),
    )
    return True


async def _units(ctx: Context) -> list[Unit]:
    return [unit for unit in await list_units(ctx.session) if ctx.roles.may_manage_unit(unit.id)]


async def _unit(ctx: Context, slug: str, action: str) -> Unit | None:
    """The unit of a press, when this person may make its posters; refused otherwise."""
    unit = await unit_by_slug(ctx.session, slug)
    if unit is None or not ctx.roles.may_manage_unit(unit.id):
        await ctx.refuse(action, unit=slug)
        return None
    return unit


async def _chosen_unit(ctx: Context, action: str) -> Unit | None:
    """The unit chosen last in the kit, when this person may still make its posters; the
    kit's start when none is chosen."""
    slug = ctx.recall(KIT_UNIT)
    if not isinstance(slug, str):
        await kit(ctx)
        return None
    return await _unit(ctx, slug, action)


async def _placement(ctx: Context, placement_id: int, action: str) -> Placement | None:
    placement = await ctx.session.get(Placement, placement_id)
    if (
        placement is None
        or not placement.active
        or not ctx.roles.may_manage_unit(placement.unit_id)
    ):
        await ctx.refuse(action, placement=placement_id)
        return None
    return placement


@router.command("kit")
@router.payload("kit")
async def kit(ctx: Context) -> None:
    """Posters and flyers: straight to the representative's parish, or the list of all."""
    units = await _units(ctx)
    if not units:
        await ctx.refuse("outreach_kit")
        return
    if len(units) == 1:
        await kit_unit(ctx, KitUnit(units[0].slug))
        return
    buttons = [Button(unit.label_in(ctx.t.language), KitUnit(unit.slug)) for unit in units]
    if ctx.roles.is_staff:
        buttons.append(Button(ctx.t._("The unified text"), KitText()))
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply(ctx.t._("Posters and flyers: for which parish or town?"), buttons)


@router.button(KitUnit)
async def kit_unit(ctx: Context, press: KitUnit) -> None:
    """The places of a unit where posters hang, and what else can be done here."""
    unit = await _unit(ctx, press.unit, "outreach_kit")
    if unit is None:
        return
    ctx.clear_state()
    ctx.remember(KIT_UNIT, unit.slug)
    placements = await list_placements(ctx.session, unit_id=unit.id)
    buttons = [Button(item.name, KitPlace(item.id)) for item in placements]
    buttons.append(Button(ctx.t._("Another place"), KitKinds()))
    buttons.append(Button(ctx.t._("Who joined through them"), KitReach()))
    text = ctx.t._(
        "Posters and flyers for {unit}: each place where one hangs gets its own code. Residents "
        "who scan it or write it are registered straight in their parish or town, and you see "
        "which place works. Choose the place.",
        unit=ctx.t.place(unit),
    )
    assert ctx.resident is not None
    if unit.id in ctx.roles.units_as(Role.REPRESENTATIVE):
        shown = await poster_name_of(ctx.session, ctx.resident.id)
        if shown:
            text += "\n\n" + ctx.t._("Your name on the posters: {name}.", name=shown)
            buttons.append(Button(ctx.t._("Hide my name"), KitName(False)))
        else:
            text += "\n\n" + ctx.t._("Your name is not shown on the posters.")
            buttons.append(Button(ctx.t._("Show my name on posters"), KitName(True)))
    back = "kit" if len(await _units(ctx)) > 1 else "menu"
    buttons += _back(ctx, back) if back != "menu" else [Button(ctx.t._("Main menu"), "menu")]
    ctx.reply(text, buttons)


@router.button(KitKinds)
async def kit_kinds(ctx: Context, press: KitKinds) -> None:
    """Choose the kind of the new place, then (in a unit with villages) its village."""
    unit = await _chosen_unit(ctx, "outreach_kit")
    if unit is None:
        return
    if press.place_kind is None or press.place_kind not in KINDS:
        ctx.reply(
            ctx.t._("Where will the poster hang?"),
            [Button(ctx.t._(KIND_LABELS[kind]), KitKinds(kind)) for kind in KINDS]
            + _back(ctx, KitUnit(unit.slug)),
        )
        return
    localities = await list_localities(ctx.session, unit.id)
    if not localities:
        await kit_new(ctx, KitNew(press.place_kind))
        return
    ctx.reply(
        ctx.t._("In which village or neighbourhood?"),
        [Button(item.name, KitNew(press.place_kind, item.id)) for item in localities]
        + [
            Button(
                ctx.t._("The whole of {unit}", unit=ctx.t.place(unit)),
                KitNew(press.place_kind),
            )
        ]
        + _back(ctx, KitKinds()),
    )


@router.button(KitNew)
async def kit_new(ctx: Context, press: KitNew) -> None:
    """The place of that kind there (made now if there is none), with its code."""
    unit = await _chosen_unit(ctx, "outreach_place")
    if unit is None:
        return
    if press.place_kind not in KINDS:
        await kit_kinds(ctx, KitKinds())
        return
    if _no_way_in(ctx, KitUnit(unit.slug)):
        return
    locality = None
    if press.locality is not None:
        locality = next(
            (
                item
                for item in await list_localities(ctx.session, unit.id)
                if item.id == press.locality
            ),
            None,
        )
        if locality is None:
            await kit_kinds(ctx, KitKinds(press.place_kind))
            return
    # Named in the municipality's language, as a coordinator would write it.
    lv = Translator("lv", timezone=ctx.settings.tz)
    name = f"{lv._(KIND_LABELS[press.place_kind])}, {place_label(unit, locality, 'lv')}"
    try:
        placement, made = await placement_of_kind(
            ctx.session,
            unit=unit,
            locality=locality,
            kind=press.place_kind,
            default_name=name,
            created_by=ctx.resident,
        )
    except LookupError:
        await kit_unit(ctx, KitUnit(unit.slug))
        return
    if made:
        await ctx.audit("outreach_place_added", placement=placement.id)
    await kit_place(ctx, KitPlace(placement.id))


@router.button(KitPlace)
async def kit_place(ctx: Context, press: KitPlace) -> None:
    """A place's links and the printables."""
    placement = await _placement(ctx, press.placement_id, "outreach_place")
    if placement is None or _no_way_in(ctx, KitUnit(placement.unit.slug)):
        return
    links = placement_links(ctx.settings, placement.code)
    lines = [
        ctx.t._(
            "{name} ({place}). Code: {code}",
            name=placement.name,
            place=placement.place_in(ctx.t.language),
            code=placement.code,
        )
    ]
    if links.telegram:
        lines.append(ctx.t._("Telegram: {link}", link=links.telegram))
    if links.whatsapp:
        lines.append(ctx.t._("WhatsApp: {link}", link=links.whatsapp))
    if links.sms_number:
        lines.append(
            ctx.t._(
                "SMS: send {keyword} to {number}", keyword=links.keyword, number=links.sms_number
            )
        )
    ctx.reply(
        "\n".join(lines),
        [
            Button(ctx.t._("A4 poster (PDF)"), KitPrint(placement.id, Format.A4)),
            Button(ctx.t._("A6 flyers, four to a page (PDF)"), KitPrint(placement.id, Format.A6)),
            *_back(ctx, KitUnit(placement.unit.slug)),
        ],
    )


@router.button(KitPrint)
async def kit_print(ctx: Context, press: KitPrint) -> None:
    """Ask the poster's language, then send the PDF."""
    placement = await _placement(ctx, press.placement_id, "outreach_poster")
    if placement is None or _no_way_in(ctx, KitUnit(placement.unit.slug)):
        return
    if press.language not in SUPPORTED_LANGUAGES:
        ctx.reply(
            ctx.t._("In which language?"),
            [
                Button(LANGUAGE_NAMES[code], KitPrint(placement.id, press.page_format, code))
                for code in SUPPORTED_LANGUAGES
            ]
            + _back(ctx, KitPlace(placement.id)),
        )
        return
    assert press.language is not None
    poster = await poster_for(ctx.session, ctx.settings, placement, press.language)
    content = poster_pdf(poster, page_format=press.page_format)
    await ctx.audit(
        "outreach_poster",
        placement=placement.id,
        format=press.page_format.value,
        language=press.language,
    )
    text = (
        ctx.t._("The poster for {name}: print it on A4.", name=placement.name)
        if press.page_format is Format.A4
        else ctx.t._(
            "The flyers for {name}: four to an A4 page, cut along the lines.", name=placement.name
        )
    )
    ctx.reply(
        text,
        _back(ctx, KitPlace(placement.id)),
        attachment=Attachment(
            f"poster-{placement.code}-{press.page_format.value}-{press.language}.pdf",
            content,
            mime_type=PDF_MIME,
        ),
    )


@router.button(KitReach)
async def kit_reach(ctx: Context, press: KitReach) -> None:
    """Residents who joined through each place of the unit, by week."""
    unit = await _chosen_unit(ctx, "outreach_reach")
    if unit is None:
        return
    t = ctx.t
    lines = [t._("Who joined through posters and flyers in {unit}:", unit=t.place(unit))]
    found = await reach(ctx.session, timezone=ctx.settings.tz, unit_id=unit.id)
    for item in found:
        lines.append(
            t.ngettext(
                "{name} ({code}): {n} resident",
                "{name} ({code}): {n} residents",
                item.total,
                name=item.placement.name,
                code=item.placement.code,
            )
        )
        for week, count in list(item.weeks.items())[:WEEKS_SHOWN]:
            lines.append(
                "  "
                + t._("week from {date}: {n}", date=week.strftime("%d.%m.%Y"), n=t.number(count))
            )
    if not found:
        lines.append(t._('No places yet: choose "Another place" to make the first poster.'))
    ctx.reply("\n".join(lines), _back(ctx, KitUnit(unit.slug)))


@router.button(KitName)
async def kit_name(ctx: Context, press: KitName) -> None:
    """A representative agrees to show their name on the posters, or withdraws it."""
    slug = ctx.recall(KIT_UNIT)
    unit = await unit_by_slug(ctx.session, slug) if isinstance(slug, str) else None
    if unit is None or unit.id not in ctx.roles.units_as(Role.REPRESENTATIVE):
        await ctx.refuse("outreach_name", unit=slug)
        return
    assert ctx.resident is not None
    if not press.show:
        await set_poster_name(ctx.session, resident=ctx.resident, name=None)
        await ctx.audit("poster_name_hidden")
        await kit_unit(ctx, KitUnit(unit.slug))
        return
    ctx.ask(
        State.NAME,
        ctx.t._(
            "Write your name as it should be printed on the posters of {unit}, e.g. "
            '"Anna Bērziņa". It is shown only on posters you or the coordinators print.',
            unit=ctx.t.place(unit),
        ),
        limit=POSTER_NAME_MAX,
        back=Button(ctx.t._("Back"), KitUnit(unit.slug)),
        unit=unit.slug,
    )


async def name_typed(ctx: Context) -> None:
    """Store the name to show, once the sender is still the unit's representative."""
    slug = str(ctx.flow.get("unit") or "")
    unit = await unit_by_slug(ctx.session, slug)
    if unit is None or unit.id not in ctx.roles.units_as(Role.REPRESENTATIVE):
        await ctx.refuse("outreach_name", unit=slug)
        return
    name = " ".join((ctx.incoming.text or "").split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        ctx.ask_again(ctx.t._("Please write your first name and surname."))
        return
    assert ctx.resident is not None
    await set_poster_name(ctx.session, resident=ctx.resident, name=name)
    await ctx.audit("poster_name_shown")
    await kit_unit(ctx, KitUnit(unit.slug))


@router.button(KitText)
async def kit_text(ctx: Context, press: KitText) -> None:
    """The council's unified text in each language; a coordinator changes one."""
    if not ctx.roles.is_staff:
        await ctx.refuse("outreach_text")
        return
    if press.language in SUPPORTED_LANGUAGES:
        ctx.ask(
            State.TEXT,
            ctx.t._(
                "Write the unified text in {language}: the first line is the heading, the rest "
                "is printed under it in large letters.",
                language=LANGUAGE_NAMES[press.language],
            ),
            limit=TEXT_MAX,
            back=Button(ctx.t._("Back"), KitText()),
            language=press.language,
        )
        return
    ctx.clear_state()
    parts = [ctx.t._("The unified text on every poster and flyer:")]
    for code in SUPPORTED_LANGUAGES:
        own = await stored_text(ctx.session, code)
        text = own or Translator(code, timezone=ctx.settings.tz)._(DEFAULT_TEXT)
        label = "" if own else " " + ctx.t._("(the default)")
        parts.append(f"{LANGUAGE_NAMES[code]}{label}:\n{text}")
    ctx.reply(
        "\n\n".join(parts),
        [
            Button(ctx.t._("Change: {language}", language=LANGUAGE_NAMES[code]), KitText(code))
            for code in SUPPORTED_LANGUAGES
        ]
        + _back(ctx, "kit"),
    )


async def text_typed(ctx: Context) -> None:
    """Store a unified text (staff only, checked again now)."""
    language = str(ctx.flow.get("language") or "")
    if not ctx.roles.is_staff or language not in SUPPORTED_LANGUAGES:
        await ctx.refuse("outreach_text")
        return
    try:
        await set_text(
            ctx.session, language=language, text=ctx.incoming.text or "", by=ctx.resident
        )
    except ValueError:
        ctx.ask_again(ctx.t._("Please write the text: a heading line, then the text."))
        return
    await ctx.audit("outreach_text_set", language=language)
    await kit_text(ctx, KitText())


router.flow({State.NAME: name_typed, State.TEXT: text_typed})
