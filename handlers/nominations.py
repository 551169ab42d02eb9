"""Nominations for residents: nominate, consent as a candidate, support, and the round job.

Coordinators' screens are in `handlers/nomination_staff.py`. Signatures and the vote stay on
paper: the assistant gathers nominations and support and prepares the form; it says so.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Needs, Router
from bot.i18n import N_, Translator
from bot.parsing import parse_id
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.onboarding import add_deep_link, deep_link, resume_onboarding
from models.nominations import (
    ACTIVE,
    BIO_SHOWN,
    CODE_PATTERN,
    COLLECTING,
    NAME_MAX,
    REASON_MAX,
    Nomination,
    NominationRound,
    NominationStatus,
    Refused,
    RoundStatus,
    Support,
    add_support,
    candidate_phone,
    check_may_support,
    clean_name,
    due_to_close,
    due_to_open,
    existing_support,
    find_by_phone,
    get_nomination,
    list_nominations,
    nominate,
    nomination_by_code,
    open_round_for_unit,
    record_consent,
    round_for_unit,
    support_counts,
    supports_of,
    withdraw_nomination,
    withdraw_support,
)
from models.residents import Resident
from reports.nomination_papers import STATUS_LABELS

logger = logging.getLogger(__name__)
router = Router()

SUPPORT_LINK = "support"
# The word residents type on WhatsApp, SMS or anywhere: "ATBALSTS K7M2QP".
SUPPORT_WORD = "atbalsts"
PAPER_NOTE = N_(
    "Signatures and the vote stay on paper: the assistant only gathers nominations and "
    "support and prepares the form for signing."
)

add_menu_entry(MenuEntry(N_("Nominations"), "nom", order=20))
add_help("nominate", N_("nominate a candidate for your parish or town"), everyone)
add_help("nominations", N_("nominations: the candidates, your support, your candidacy"), everyone)


# ---------------------------------------------------------------------- shared texts


def status_label(t: Translator, status: str) -> str:
    return t._(STATUS_LABELS[status])


def progress(t: Translator, count: int, needed: int) -> str:
    """ "7 of 10 supporters"; the plural form follows the number needed."""
    # TRANSLATORS: {count} supporters so far of {n} needed, e.g. "7 no 10 atbalstītājiem".
    return t.ngettext(
        "{count} of {n} supporter", "{count} of {n} supporters", needed, count=t.number(count)
    )


def round_line(t: Translator, item: NominationRound | None, now: datetime, unit: str) -> str:
    """Where the round of a unit stands, with its dates."""
    if item is None:
        return t._("No nomination round has been announced for {unit} yet.", unit=unit)
    start, end = t.datetime(item.starts_at), t.datetime(item.ends_at)
    if item.is_open(now):
        return t._("Nominations for {unit} are open until {end}.", unit=unit, end=end)
    if item.status == RoundStatus.SCHEDULED.value and item.starts_at > now:
        return t._(
            "Nominations for {unit} open on {start} and close on {end}.",
            unit=unit,
            start=start,
            end=end,
        )
    return t._(
        "The nomination round for {unit} ran from {start} to {end} and is closed.",
        unit=unit,
        start=start,
        end=end,
    )


def refusal_text(t: Translator, refused: Refused, *, now: datetime, unit: str = "") -> str:
    """What a resident is told when a rule says no."""
    details = refused.details
    nomination: Nomination | None = details.get("nomination")
    name = nomination.candidate_name if nomination is not None else ""
    reason = refused.reason
    if reason == "round_closed":
        item = details.get("round")
        place = nomination.unit.name if nomination is not None else unit
        return "\n".join(
            [
                round_line(t, item, now, place),
                t._("Nominating and supporting are possible only while the round is open."),
            ]
        )
    if reason == "no_consent":
        return t._(
            "{name} has not agreed to be a candidate yet. Support can be given once they agree.",
            name=name,
        )
    if reason == "not_collecting":
        return t._(
            "{name} is not collecting support: the nomination is {status}.",
            name=name,
            status=status_label(t, nomination.status) if nomination else "",
        )
    if reason == "other_unit":
        theirs = nomination.unit.name if nomination is not None else ""
        yours = details["unit"].name if details.get("unit") is not None else "–"
        return t._(
            "You are registered in {yours}, and {name} stands in {theirs}. Only residents of "
            "{theirs} can support this candidate. If you live there, change your parish or "
            "town with /territory.",
            yours=yours,
            name=name,
            theirs=theirs,
        )
    if reason == "own_nomination":
        return t._("You cannot support your own nomination.")
    if reason == "already_supports":
        support: Support | None = details.get("support")
        who = support.nomination.candidate_name if support is not None else ""
        return t._("You already support {name}.", name=who)
    if reason == "supports_other":
        support = details["support"]
        return t._(
            "In this round each resident may support only one candidate, and you already "
            "support {name}. To support someone else, first withdraw that support.",
            name=support.nomination.candidate_name,
        )
    if reason == "already_nominated":
        return t._("{name} is already nominated in this round.", name=name)
    if reason == "reason_long":
        return t._(
            "That is too long: at most {limit} characters, please.",
            limit=t.number(REASON_MAX),
        )
    if reason in ("name_empty", "name_long"):
        return t._(
            "Please write a name and surname of at most {limit} characters.",
            limit=t.number(NAME_MAX),
        )
    if reason == "phone":
        return t._(
            "That does not look like a phone number. Write it like 26123456 or "
            "+371 26123456, or tap Skip."
        )
    if reason == "not_awaiting":
        return t._("This nomination has already been answered.")
    return t._("This nomination is no longer active.")


def share_text(t: Translator, settings: Settings, nomination: Nomination) -> str:
    """The candidate's support link and code, and what supporters must be."""
    item = nomination.round
    return "\n".join(
        [
            t._(
                "Share your support link with residents of {unit}: {link}",
                unit=nomination.unit.name,
                link=deep_link(settings, SUPPORT_LINK, nomination.support_code),
            ),
            t._(
                "On WhatsApp or SMS they send: ATBALSTS {code}",
                code=nomination.support_code,
            ),
            t.ngettext(
                "You need {n} supporter: residents of {unit} aged {age} or older.",
                "You need {n} supporters: residents of {unit} aged {age} or older.",
                item.supporters_needed,
                unit=nomination.unit.name,
                age=t.number(item.minimum_age),
            ),
            t._(PAPER_NOTE),
        ]
    )


# ---------------------------------------------------------------------- the residents' screen


@router.command("nominations")
@router.payload("nom")
async def nominations(ctx: Context) -> None:
    """The round of the resident's unit, and what they can do in it; sub-steps by payload."""
    step = ctx.args[0] if ctx.payload and ctx.args else ""
    steps = {
        "new": start_nomination,
        "self": _nominate_self,
        "other": _nominate_other,
        "myname": _own_name_chosen,
        "nocontact": _contact_skipped,
        "list": _candidates,
        "mine": _my_candidacy,
        "consent": _consent_answered,
        "bio": _ask_bio,
        "nobio": _bio_skipped,
        "withdraw": _withdraw,
    }
    handler = steps.get(step)
    if handler is not None:
        await handler(ctx)
        return
    await _overview(ctx)


async def _overview(ctx: Context) -> None:
    assert ctx.resident is not None and ctx.resident.unit is not None
    t = ctx.t
    unit = ctx.resident.unit
    item = await round_for_unit(ctx.session, unit.id, ctx.now)
    lines = [round_line(t, item, ctx.now, unit.name)]
    if item is not None and item.is_open(ctx.now):
        lines.append(
            t.ngettext(
                "A candidate needs {n} supporter: residents of {unit} aged {age} or older.",
                "A candidate needs {n} supporters: residents of {unit} aged {age} or older.",
                item.supporters_needed,
                unit=unit.name,
                age=t.number(item.minimum_age),
            )
        )
    lines.append(t._(PAPER_NOTE))
    buttons = []
    if item is not None and item.is_open(ctx.now):
        buttons.append(Button(t._("Nominate a candidate"), "nom:new"))
    buttons.append(Button(t._("Candidates of my parish or town"), "nom:list"))
    if await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE):
        buttons.append(Button(t._("My candidacy"), "nom:mine"))
    if await supports_of(ctx.session, ctx.resident.id):
        buttons.append(Button(t._("My support"), "sup:mine"))
    if ctx.roles.is_staff:
        buttons.append(Button(t._("Nominations: coordinator"), "nomc"))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n\n".join(lines), buttons)


async def _open_round(ctx: Context) -> NominationRound | None:
    """The open round of the resident's unit; None (and the reason said) when none is open."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    try:
        return await open_round_for_unit(ctx.session, ctx.resident.unit.id, ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now, unit=ctx.resident.unit.name))
        return None


# ---------------------------------------------------------------------- nominating


@router.command("nominate")
async def start_nomination(ctx: Context) -> None:
    """Ask whom the resident nominates: themselves or someone else."""
    if await _open_round(ctx) is None:
        return
    assert ctx.resident is not None and ctx.resident.unit is not None
    ctx.set_state("nom.who")
    ctx.reply(
        "\n\n".join(
            [
                ctx.t._(
                    "Whom do you nominate as the representative of {unit} on the residents' "
                    "council?",
                    unit=ctx.resident.unit.name,
                ),
                ctx.t._(PAPER_NOTE),
            ]
        ),
        [
            Button(ctx.t._("Myself"), "nom:self"),
            Button(ctx.t._("Someone else"), "nom:other"),
            Button(ctx.t._("Cancel"), "menu"),
        ],
    )


async def _nominate_self(ctx: Context) -> None:
    item = await _open_round(ctx)
    if item is None:
        return
    assert ctx.resident is not None
    mine = await list_nominations(
        ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE, round_id=item.id
    )
    if mine:
        await _my_candidacy(ctx, ctx.t._("You are already nominated in this round."))
        return
    ctx.set_state("nom.name", who="self")
    buttons = []
    if ctx.resident.display_name:
        buttons.append(Button(ctx.resident.display_name[:NAME_MAX], "nom:myname"))
    buttons.append(Button(ctx.t._("Cancel"), "menu"))
    ctx.reply(
        ctx.t._(
            "Your name and surname, as they should be on the nomination form. Type them, or "
            "tap your name if it is right."
        )
        if ctx.resident.display_name and messenger(ctx.incoming.channel).buttons
        else ctx.t._("Type your name and surname as they should be on the nomination form."),
        buttons,
    )


async def _nominate_other(ctx: Context) -> None:
    if await _open_round(ctx) is None:
        return
    ctx.set_state("nom.name", who="other")
    ctx.reply(ctx.t._("The candidate's name and surname:"), [Button(ctx.t._("Cancel"), "menu")])


async def _own_name_chosen(ctx: Context) -> None:
    if ctx.state != "nom.name" or ctx.flow.get("who") != "self" or ctx.resident is None:
        await _overview(ctx)
        return
    await _name_given(ctx, ctx.resident.display_name or "")


@router.state("nom.name", free_text=True)
async def name_typed(ctx: Context) -> None:
    await _name_given(ctx, ctx.incoming.text or "")


async def _name_given(ctx: Context, text: str) -> None:
    flow = ctx.flow
    try:
        name = clean_name(text)
    except Refused as refused:
        ctx.reply(refusal_text(ctx.t, refused, now=ctx.now))
        return
    flow["name"] = name
    if flow.get("who") == "self":
        ctx.set_state("nom.reason", **flow)
        ctx.reply(
            ctx.t._(
                "Tell the residents briefly about yourself and why you stand (at most {limit} "
                "characters). They see it in the list of candidates.",
                limit=ctx.t.number(REASON_MAX),
            )
        )
        return
    ctx.set_state("nom.contact", **flow)
    ctx.reply(
        ctx.t._(
            "How can {name} be reached? Send their phone number or share their Telegram "
            "contact. You may skip this.",
            name=name,
        ),
        [Button(ctx.t._("Skip"), "nom:nocontact")],
    )


@router.state("nom.contact")
async def contact_given(ctx: Context) -> None:
    """A typed phone number (normalised) or a shared contact card."""
    flow = ctx.flow
    incoming = ctx.incoming
    try:
        phone = candidate_phone(
            incoming.contact_phone or incoming.text or "", region=ctx.settings.phone_region
        )
    except Refused as refused:
        if incoming.contact_user_id is None:
            ctx.reply(
                refusal_text(ctx.t, refused, now=ctx.now),
                [Button(ctx.t._("Skip"), "nom:nocontact")],
            )
            return
        phone = None
    flow["phone"] = phone
    flow["contact_user"] = incoming.contact_user_id
    _ask_reason(ctx, flow)


async def _contact_skipped(ctx: Context) -> None:
    if ctx.state != "nom.contact":
        await _overview(ctx)
        return
    _ask_reason(ctx, ctx.flow)


def _ask_reason(ctx: Context, flow: dict[str, object]) -> None:
    ctx.set_state("nom.reason", **flow)
    ctx.reply(
        ctx.t._(
            "Why do you nominate {name}? (at most {limit} characters)",
            name=flow["name"],
            limit=ctx.t.number(REASON_MAX),
        )
    )


@router.state("nom.reason", free_text=True)
async def reason_written(ctx: Context) -> None:
    """Record the nomination; ask a registered candidate for consent."""
    flow = ctx.flow
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx.t._("Please write a few words."))
        return
    if ctx.too_long(text, REASON_MAX):
        return
    item = await _open_round(ctx)
    if item is None:
        return
    assert ctx.resident is not None and ctx.resident.unit is not None
    myself = flow.get("who") == "self"
    candidate = (
        ctx.resident
        if myself
        else await find_by_phone(
            ctx.session, phone=flow.get("phone"), telegram_user_id=flow.get("contact_user")
        )
    )
    try:
        nomination = await nominate(
            ctx.session,
            round_=item,
            unit_id=ctx.resident.unit.id,
            nominated_by=ctx.resident,
            candidate=candidate,
            name=str(flow.get("name", "")),
            phone=flow.get("phone"),
            reason=text,
            now=ctx.now,
        )
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_created", nomination=nomination.id)
    if myself:
        show_menu(
            ctx,
            "\n\n".join(
                [
                    ctx.t._(
                        "You are a candidate for the representative of {unit}.",
                        unit=nomination.unit.name,
                    ),
                    share_text(ctx.t, ctx.settings, nomination),
                ]
            ),
        )
        return
    if candidate is not None and candidate.id != ctx.resident.id:
        await _ask_consent(ctx, nomination, nominator=ctx.resident)
        text = ctx.t._(
            "Thank you. {name} uses this assistant and has been asked to accept the "
            "nomination; you will be told the answer.",
            name=nomination.candidate_name,
        )
    else:
        text = ctx.t._(
            "Thank you. The nomination of {name} waits for their consent. When they tell the "
            "coordinator that they agree, the coordinator records it and they get a support "
            "code to share.",
            name=nomination.candidate_name,
        )
    show_menu(ctx, text)


async def _ask_consent(ctx: Context, nomination: Nomination, *, nominator: Resident) -> None:
    def write(t: Translator) -> str:
        return "\n\n".join(
            [
                t._(
                    "{nominator} nominated you as a candidate for the representative of {unit} "
                    "on the residents' council.",
                    nominator=nominator.display_name or t._("A resident"),
                    unit=nomination.unit.name,
                ),
                t._("Why: {reason}", reason=nomination.reason or "–"),
                t._(
                    "Do you agree to be a candidate? If you agree, you get a link to share "
                    "with the residents who support you."
                ),
                t._(PAPER_NOTE),
            ]
        )

    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.candidate_id],
        write=write,
        now=ctx.now,
        buttons=[
            (N_("I agree"), f"nom:consent:{nomination.id}:yes"),
            (N_("I decline"), f"nom:consent:{nomination.id}:no"),
        ],
    )


async def _candidate_nomination(ctx: Context, action: str) -> Nomination | None:
    """The nomination named in the payload, if this resident is its candidate; else refused."""
    nomination_id = ctx.args[1] if len(ctx.args) > 1 else ""
    nomination = (
        await get_nomination(ctx.session, found) if (found := parse_id(nomination_id)) else None
    )
    assert ctx.resident is not None
    if nomination is None or nomination.candidate_id != ctx.resident.id:
        await ctx.refuse(action, nomination=nomination_id or None)
        return None
    return nomination


async def _consent_answered(ctx: Context) -> None:
    """The candidate accepts or declines a nomination by someone else."""
    nomination = await _candidate_nomination(ctx, "nomination_consent")
    if nomination is None:
        return
    agreed = len(ctx.args) > 2 and ctx.args[2] == "yes"
    try:
        record_consent(nomination, agreed=agreed, origin="chat", now=ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_consent", nomination=nomination.id, agreed=agreed)
    name = nomination.candidate_name
    if agreed:
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=[nomination.nominated_by_id],
            write=lambda t: t._("{name} accepted your nomination.", name=name),
            now=ctx.now,
        )
        ctx.set_state("nom.bio", nomination=nomination.id)
        ctx.reply(
            "\n\n".join(
                [
                    ctx.t._("Thank you! You are a candidate now."),
                    ctx.t._(
                        "Write a few words about yourself for the residents (at most {limit} "
                        "characters), or tap Skip.",
                        limit=ctx.t.number(REASON_MAX),
                    ),
                ]
            ),
            [Button(ctx.t._("Skip"), f"nom:nobio:{nomination.id}")],
        )
        return
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.nominated_by_id],
        write=lambda t: t._("{name} declined your nomination.", name=name),
        now=ctx.now,
    )
    show_menu(ctx, ctx.t._("You declined the nomination. Nothing more will happen with it."))


async def _ask_bio(ctx: Context) -> None:
    nomination = await _candidate_nomination(ctx, "nomination_bio")
    if nomination is None:
        return
    ctx.set_state("nom.bio", nomination=nomination.id)
    ctx.reply(
        ctx.t._(
            "Write a few words about yourself for the residents (at most {limit} characters).",
            limit=ctx.t.number(REASON_MAX),
        ),
        [Button(ctx.t._("Cancel"), "nom:mine")],
    )


@router.state("nom.bio", free_text=True)
async def bio_written(ctx: Context) -> None:
    nomination_id = ctx.flow.get("nomination")
    nomination = await get_nomination(ctx.session, int(nomination_id or 0))
    assert ctx.resident is not None
    if nomination is None or nomination.candidate_id != ctx.resident.id:
        await _overview(ctx)
        return
    text = (ctx.incoming.text or "").strip()
    if not text or len(text) > REASON_MAX:
        ctx.reply(
            ctx.t._(
                "Please write at most {limit} characters, or tap Skip.",
                limit=ctx.t.number(REASON_MAX),
            ),
            [Button(ctx.t._("Skip"), f"nom:nobio:{nomination.id}")],
        )
        return
    nomination.bio = text
    show_menu(ctx, share_text(ctx.t, ctx.settings, nomination))


async def _bio_skipped(ctx: Context) -> None:
    nomination = await _candidate_nomination(ctx, "nomination_bio")
    if nomination is None:
        return
    show_menu(ctx, share_text(ctx.t, ctx.settings, nomination))


async def _my_candidacy(ctx: Context, heading: str | None = None) -> None:
    """The resident's active nominations as a candidate: progress, link, answers, withdraw."""
    assert ctx.resident is not None
    t = ctx.t
    mine = await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE)
    if not mine:
        show_menu(ctx, t._("You are not a candidate."))
        return
    counts = await support_counts(ctx.session, [item.id for item in mine])
    blocks = [heading] if heading else []
    buttons = []
    for item in mine:
        lines = [
            t._(
                "Candidate for {unit}: {status}.",
                unit=item.unit.name,
                status=status_label(t, item.status),
            )
        ]
        if item.status == NominationStatus.AWAITING_CONSENT.value:
            buttons += [
                Button(t._("I agree"), f"nom:consent:{item.id}:yes"),
                Button(t._("I decline"), f"nom:consent:{item.id}:no"),
            ]
        else:
            lines.append(progress(t, counts[item.id], item.round.supporters_needed))
            lines.append(share_text(t, ctx.settings, item))
            buttons += [
                Button(t._("Write about myself"), f"nom:bio:{item.id}"),
                Button(t._("Withdraw my candidacy"), f"nom:withdraw:{item.id}"),
            ]
        blocks.append("\n".join(lines))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n\n".join(blocks), buttons)


async def _withdraw(ctx: Context) -> None:
    """Ask, then withdraw the candidate's own nomination."""
    nomination = await _candidate_nomination(ctx, "nomination_withdraw")
    if nomination is None:
        return
    confirmed = len(ctx.args) > 2 and ctx.args[2] == "yes"
    if not confirmed:
        ctx.set_state("nom.withdraw", nomination=nomination.id)
        ctx.reply(
            ctx.t._(
                "Withdraw your candidacy for {unit}? Your supporters' support ends with it.",
                unit=nomination.unit.name,
            ),
            [
                Button(ctx.t._("Yes, withdraw"), f"nom:withdraw:{nomination.id}:yes"),
                Button(ctx.t._("No, stay a candidate"), "nom:mine"),
            ],
        )
        return
    if ctx.state != "nom.withdraw":
        await _my_candidacy(ctx)
        return
    try:
        withdraw_nomination(nomination, ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_withdrawn", nomination=nomination.id)
    show_menu(ctx, ctx.t._("You have withdrawn your candidacy."))


async def _candidates(ctx: Context) -> None:
    """The consenting candidates of the resident's unit, with short bios and Support buttons."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    t = ctx.t
    unit = ctx.resident.unit
    item = await round_for_unit(ctx.session, unit.id, ctx.now)
    found = (
        await list_nominations(ctx.session, unit_id=unit.id, round_id=item.id, statuses=COLLECTING)
        if item is not None
        else []
    )
    if item is None or not found:
        show_menu(ctx, t._("There are no candidates in {unit} yet.", unit=unit.name))
        return
    counts = await support_counts(ctx.session, [nomination.id for nomination in found])
    blocks = [t._("Candidates in {unit}:", unit=unit.name)]
    buttons = []
    for number, nomination in enumerate(found, start=1):
        about = nomination.bio or nomination.reason or ""
        if len(about) > BIO_SHOWN:
            about = about[: BIO_SHOWN - 1].rstrip() + "…"
        lines = [
            f"{number}. {nomination.candidate_name} "
            f"({progress(t, counts[nomination.id], item.supporters_needed)})"
        ]
        if about:
            lines.append(about)
        blocks.append("\n".join(lines))
        if item.is_open(ctx.now) and nomination.candidate_id != ctx.resident.id:
            buttons.append(
                Button(
                    t._("Support {name}", name=nomination.candidate_name),
                    f"sup:code:{nomination.support_code}",
                )
            )
    blocks.append(t._(PAPER_NOTE))
    buttons.append(Button(t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n\n".join(blocks), buttons)


# ---------------------------------------------------------------------- supporting


async def start_support(ctx: Context, code: str) -> None:
    """Open a candidate's support page from a link, a typed code or a button."""
    assert ctx.resident is not None
    nomination = await nomination_by_code(ctx.session, code)
    if nomination is None:
        show_menu(
            ctx,
            ctx.t._(
                "No candidate has the support code {code}. Please check it.", code=code.upper()
            ),
        )
        return
    try:
        await _check_support(ctx, nomination)
    except Refused as refused:
        await _refused_support(ctx, refused)
        return
    t = ctx.t
    ctx.set_state("sup.name", nomination=nomination.id)
    lines = [
        t._(
            "{name} stands as a candidate for the representative of {unit}.",
            name=nomination.candidate_name,
            unit=nomination.unit.name,
        )
    ]
    if nomination.bio or nomination.reason:
        lines.append(nomination.bio or nomination.reason or "")
    lines.append(
        t._(
            "To support {name}, write your name and surname as they should be on the "
            "nomination form, or tap your name if it is right.",
            name=nomination.candidate_name,
        )
        if ctx.resident.display_name and messenger(ctx.incoming.channel).buttons
        else t._(
            "To support {name}, write your name and surname as they should be on the "
            "nomination form.",
            name=nomination.candidate_name,
        )
    )
    buttons = []
    if ctx.resident.display_name:
        buttons.append(Button(ctx.resident.display_name[:NAME_MAX], "sup:myname"))
    buttons.append(Button(t._("Cancel"), "menu"))
    ctx.reply("\n\n".join(lines), buttons)


async def _check_support(ctx: Context, nomination: Nomination) -> None:
    """Every rule before a support, plus the support already given (both raise Refused)."""
    assert ctx.resident is not None
    check_may_support(nomination, ctx.resident, ctx.now)
    other = await existing_support(ctx.session, nomination=nomination, resident=ctx.resident)
    if other is not None:
        reason = "already_supports" if other.nomination_id == nomination.id else "supports_other"
        raise Refused(reason, support=other, nomination=nomination)


async def _refused_support(ctx: Context, refused: Refused) -> None:
    text = refusal_text(ctx.t, refused, now=ctx.now)
    support: Support | None = refused.details.get("support")
    if support is not None and support.nomination.round.is_open(ctx.now):
        ctx.clear_state()
        ctx.reply(
            text,
            [
                Button(
                    ctx.t._(
                        "Withdraw my support for {name}", name=support.nomination.candidate_name
                    ),
                    f"sup:drop:{support.id}",
                ),
                Button(ctx.t._("Main menu"), "menu"),
            ],
        )
        return
    show_menu(ctx, text)


async def support_link_opened(ctx: Context, code: str) -> None:
    """`/start support_<code>`: the candidate's shared link."""
    await start_support(ctx, code)


add_deep_link(SUPPORT_LINK, support_link_opened)


@router.keyword(SUPPORT_WORD, argument=CODE_PATTERN, needs=Needs.NOTHING)
async def support_word_typed(ctx: Context) -> None:
    """`ATBALSTS <code>` typed on any channel; a newcomer registers first, then goes on."""
    code = ctx.args[0].upper()
    if ctx.resident is None or ctx.resident.unit_id is None:
        ctx.remember("start_arg", f"{SUPPORT_LINK}_{code}")
        await resume_onboarding(ctx)
        return
    await start_support(ctx, code)


@router.payload("sup")
async def support_step(ctx: Context) -> None:
    """The buttons of supporting: open, use my name, confirm, decline, list, withdraw."""
    step = ctx.args[0] if ctx.args else ""
    if step == "code" and len(ctx.args) > 1:
        await start_support(ctx, ctx.args[1])
    elif step == "myname":
        if ctx.state != "sup.name" or ctx.resident is None:
            await _overview(ctx)
            return
        await _supporter_named(ctx, ctx.resident.display_name or "")
    elif step == "yes":
        await _support_confirmed(ctx)
    elif step == "no":
        await _support_declined(ctx)
    elif step == "mine":
        await _my_support(ctx)
    elif step == "drop":
        await _drop_support(ctx)
    else:
        await _overview(ctx)


@router.state("sup.name", free_text=True)
async def supporter_name_typed(ctx: Context) -> None:
    await _supporter_named(ctx, ctx.incoming.text or "")


async def _supporter_named(ctx: Context, text: str) -> None:
    flow = ctx.flow
    nomination = await get_nomination(ctx.session, int(flow.get("nomination") or 0))
    if nomination is None:
        await _overview(ctx)
        return
    try:
        name = clean_name(text)
    except Refused as refused:
        ctx.reply(refusal_text(ctx.t, refused, now=ctx.now))
        return
    item = nomination.round
    ctx.set_state("sup.confirm", nomination=nomination.id, name=name)
    ctx.reply(
        "\n".join(
            [
                ctx.t._("Please confirm:"),
                ctx.t._("• I am {age} or older;", age=ctx.t.number(item.minimum_age)),
                ctx.t._(
                    "• my declared place of residence is in {unit}.", unit=nomination.unit.name
                ),
                "",
                ctx.t._(
                    "Your name ({name}) goes on the nomination form of {candidate} that the "
                    "coordinator prepares; the signature is given on paper.",
                    name=name,
                    candidate=nomination.candidate_name,
                ),
            ]
        ),
        [
            Button(ctx.t._("Yes, I confirm"), f"sup:yes:{nomination.id}"),
            Button(ctx.t._("No"), f"sup:no:{nomination.id}"),
        ],
    )


async def _support_confirmed(ctx: Context) -> None:
    """Record the support; of attempts that race, the database lets exactly one through."""
    assert ctx.resident is not None
    nomination_id = ctx.args[1] if len(ctx.args) > 1 else ""
    nomination = (
        await get_nomination(ctx.session, found) if (found := parse_id(nomination_id)) else None
    )
    if nomination is None:
        await _overview(ctx)
        return
    flow = ctx.flow
    if ctx.state != "sup.confirm" or flow.get("nomination") != nomination.id:
        # Pressed again, or an old button: say where the resident stands.
        try:
            await _check_support(ctx, nomination)
        except Refused as refused:
            await _refused_support(ctx, refused)
            return
        await start_support(ctx, nomination.support_code)
        return
    try:
        supported = await add_support(
            ctx.session,
            nomination=nomination,
            resident=ctx.resident,
            name=str(flow.get("name", "")),
            now=ctx.now,
        )
    except Refused as refused:
        await _refused_support(ctx, refused)
        return
    await ctx.audit("supported", nomination=nomination.id)
    needed = nomination.round.supporters_needed
    show_menu(
        ctx,
        "\n".join(
            [
                ctx.t._("Thank you! You support {name}.", name=nomination.candidate_name),
                ctx.t._(
                    "{name} now has {progress}.",
                    name=nomination.candidate_name,
                    progress=progress(ctx.t, supported.count, needed),
                ),
                ctx.t._(PAPER_NOTE),
            ]
        ),
    )
    if supported.reached_threshold:
        await tell_threshold(ctx, nomination, supported.count)


async def tell_threshold(ctx: Context, nomination: Nomination, count: int) -> None:
    needed = nomination.round.supporters_needed
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.candidate_id],
        now=ctx.now,
        write=lambda t: "\n".join(
            [
                t._(
                    "Good news: you have {progress}, as many as a candidate needs.",
                    progress=progress(t, count, needed),
                ),
                t._(
                    "The coordinator prepares the nomination form; you and your supporters "
                    "sign it on paper."
                ),
            ]
        ),
    )


async def _support_declined(ctx: Context) -> None:
    nomination_id = ctx.args[1] if len(ctx.args) > 1 else ""
    nomination = (
        await get_nomination(ctx.session, found) if (found := parse_id(nomination_id)) else None
    )
    if nomination is None:
        await _overview(ctx)
        return
    show_menu(
        ctx,
        ctx.t._(
            "Only residents aged {age} or older whose declared place of residence is in {unit} "
            "can support a candidate there. Nothing was recorded.",
            age=ctx.t.number(nomination.round.minimum_age),
            unit=nomination.unit.name,
        ),
    )


async def _my_support(ctx: Context) -> None:
    assert ctx.resident is not None
    mine = await supports_of(ctx.session, ctx.resident.id)
    if not mine:
        show_menu(ctx, ctx.t._("You do not support any candidate."))
        return
    lines = [ctx.t._("You support:")]
    buttons = []
    for support in mine:
        nomination = support.nomination
        lines.append(f"• {nomination.candidate_name} ({nomination.unit.name})")
        if nomination.round.is_open(ctx.now):
            buttons.append(
                Button(
                    ctx.t._("Withdraw my support for {name}", name=nomination.candidate_name),
                    f"sup:drop:{support.id}",
                )
            )
    buttons.append(Button(ctx.t._("Main menu"), "menu"))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _drop_support(ctx: Context) -> None:
    """Withdraw one's own support while the round is open; another's is refused."""
    assert ctx.resident is not None
    support_id = ctx.args[1] if len(ctx.args) > 1 else ""
    support = await ctx.session.get(Support, found) if (found := parse_id(support_id)) else None
    if support is None:
        show_menu(ctx, ctx.t._("That support no longer exists."))
        return
    if support.supporter_id != ctx.resident.id:
        await ctx.refuse("support_withdraw", support=support.id)
        return
    name = support.nomination.candidate_name
    try:
        await withdraw_support(ctx.session, support, ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("support_withdrawn", nomination=support.nomination_id)
    show_menu(ctx, ctx.t._("Your support for {name} has been withdrawn.", name=name))


# ---------------------------------------------------------------------- the round job


async def _tell_candidates_the_round_closed(
    session: AsyncSession, item: NominationRound, context: JobContext
) -> None:
    """Each registered candidate still in the round learns their count and what comes next."""
    nominations = [
        nomination
        for nomination in await list_nominations(session, round_id=item.id, statuses=COLLECTING)
        if nomination.candidate_id is not None
    ]
    counts = await support_counts(session, [nomination.id for nomination in nominations])
    needed = item.supporters_needed
    for nomination in nominations:
        candidate_id = nomination.candidate_id
        assert candidate_id is not None
        count = counts[nomination.id]
        unit = nomination.unit.name

        def write(t: Translator, count: int = count, unit: str = unit) -> str:
            head = t._(
                "Nominations in {unit} have closed. Your nomination has {progress}.",
                unit=unit,
                progress=progress(t, count, needed),
            )
            if count >= needed:
                then = t._(
                    "That is enough. The coordinator prepares the nomination form; you and "
                    "your supporters sign it on paper, and the coordinator tells you the result."
                )
            else:
                then = t._(
                    "That is fewer than a candidate needs, so the nomination does not go "
                    "further this time. Thank you for offering to represent your parish or town."
                )
            return f"{head}\n{then}"

        await send_notice(
            session,
            settings=context.settings,
            resident_ids=[candidate_id],
            write=write,
            now=context.now,
            personal=False,
        )


async def run_rounds(context: JobContext) -> None:
    """Close rounds whose end has come, open those whose start has, and announce them."""
    async with context.sessionmaker() as session, session.begin():
        for item in await due_to_close(session, context.now):
            await _tell_candidates_the_round_closed(session, item, context)
            logger.info("nomination round %d closed", item.id)
        for item in await due_to_open(session, context.now):
            end = item.ends_at
            needed = item.supporters_needed
            age = item.minimum_age

            def write(t: Translator, end: datetime = end, needed: int = needed, age: int = age):
                return "\n\n".join(
                    [
                        t._(
                            "Nominations of parish and town representatives on the residents' "
                            "council are open until {end}.",
                            end=t.datetime(end),
                        ),
                        t._(
                            "Nominate yourself or another resident of your parish or town, or "
                            "support a candidate: tap the button below or send /nominate."
                        ),
                        t.ngettext(
                            "A candidate needs {n} supporter aged {age} or older.",
                            "A candidate needs {n} supporters aged {age} or older.",
                            needed,
                            age=t.number(age),
                        ),
                        t._(PAPER_NOTE),
                    ]
                )

            await create_broadcast(
                session,
                roles=None,
                created_by_id=None,
                audience=Audience(unit_ids=tuple(item.unit_ids))
                if item.unit_ids is not None
                else Audience(),
                texts=in_every_language(write, timezone=context.settings.tz),
                due_at=context.now,
                now=context.now,
                action=(N_("Nominations"), "nom"),
            )
            logger.info("nomination round %d opened and announced", item.id)
