"""Nominations for residents: nominate, consent as a candidate, support, and the round job.

Coordinators' screens are in `handlers/nomination_staff.py`. Signatures and the vote stay on
paper: the assistant gathers nominations and support and prepares the form; it says so.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router, Step
from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.onboarding import add_deep_link, deep_link, resume_onboarding
from models.codes import normal
from models.nominations import (
    ACTIVE,
    BIO_SHOWN,
    CODE_TYPED,
    COLLECTING,
    NAME_MAX,
    REASON_MAX,
    Nomination,
    NominationRound,
    NominationStatus,
    Refused,
    RoundStatus,
    Standing,
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
    standings,
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


class State(enum.StrEnum):
    NAME = "nom.name"
    CONTACT = "nom.contact"
    REASON = "nom.reason"
    BIO = "nom.bio"
    SUPPORTER = "sup.name"
    # Waiting for a button (no typed answer): the declaration of a supporter.
    DECLARATION = "sup.confirm"


@payload("nomnew")
class NominateStart(Payload):
    """Start a nomination: whom?"""


@payload("nomwho")
class NominateWho(Payload):
    """Nominate oneself (True) or someone else."""

    myself: bool


@payload("nommyname")
class OwnName(Payload):
    """Use one's messenger name as the name on the form."""


@payload("nomskip")
class SkipContact(Payload):
    """Nominate without a way to reach the candidate."""


@payload("nomlist")
class Candidates(Payload):
    """The candidates of the resident's unit."""


@payload("nommine")
class MyCandidacy(Payload):
    """The resident's own candidacy."""


@payload("nomconsent")
class ConsentAnswer(Payload):
    """The candidate's answer to a nomination; `sure` after the confirmation screen."""

    nomination_id: int
    agreed: bool
    sure: bool = False


@payload("nombio")
class WriteBio(Payload):
    nomination_id: int


@payload("nomnobio")
class SkipBio(Payload):
    nomination_id: int


@payload("nomwithdraw")
class WithdrawCandidacy(Payload):
    nomination_id: int
    sure: bool = False


@payload("supcode")
class SupportPage(Payload):
    """A candidate's support page, by the candidate's support code."""

    code: str


@payload("supmyname")
class SupporterOwnName(Payload):
    """Use one's messenger name as a supporter's name."""


@payload("supyes")
class SupportDeclared(Payload):
    nomination_id: int


@payload("supno")
class SupportNotDeclared(Payload):
    nomination_id: int


@payload("supmine")
class MySupport(Payload):
    """The candidates the resident supports."""


@payload("supdrop")
class WithdrawSupport(Payload):
    support_id: int
    sure: bool = False


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


def _back_to_nominations(ctx: Context) -> Button:
    return Button(ctx.t._("Back to nominations"), "nom")


@router.command("nominations")
@router.payload("nom")
async def nominations(ctx: Context) -> None:
    """The round of the resident's unit, and what they can do in it."""
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
        buttons.append(Button(t._("Nominate a candidate"), NominateStart()))
    buttons.append(Button(t._("Candidates of my parish or town"), Candidates()))
    if await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE):
        buttons.append(Button(t._("My candidacy"), MyCandidacy()))
    if await supports_of(ctx.session, ctx.resident.id):
        buttons.append(Button(t._("My support"), MySupport()))
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
async def nominate_command(ctx: Context) -> None:
    await start_nomination(ctx, NominateStart())


@router.button(NominateStart)
async def start_nomination(ctx: Context, press: NominateStart) -> None:
    """Ask whom the resident nominates: themselves or someone else."""
    if await _open_round(ctx) is None:
        return
    assert ctx.resident is not None and ctx.resident.unit is not None
    ctx.clear_state()
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
            Button(ctx.t._("Myself"), NominateWho(myself=True)),
            Button(ctx.t._("Someone else"), NominateWho(myself=False)),
            _back_to_nominations(ctx),
        ],
    )


@router.button(NominateWho)
async def nominate_who(ctx: Context, press: NominateWho) -> None:
    """Ask the candidate's name: one's own (with one's name as a button) or another's."""
    item = await _open_round(ctx)
    if item is None:
        return
    assert ctx.resident is not None
    back = Button(ctx.t._("Back"), NominateStart())
    if not press.myself:
        ctx.ask(
            State.NAME,
            ctx.t._("The candidate's name and surname:"),
            limit=NAME_MAX,
            back=back,
            who="other",
        )
        return
    mine = await list_nominations(
        ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE, round_id=item.id
    )
    if mine:
        await my_candidacy(
            ctx, MyCandidacy(), ctx.t._("Your candidacy in this round is already registered.")
        )
        return
    buttons = []
    if ctx.resident.display_name:
        buttons.append(Button(ctx.resident.display_name[:NAME_MAX], OwnName()))
    ctx.ask(
        State.NAME,
        ctx.t._(
            "Your name and surname, as they should be on the nomination form. Type them, or "
            "tap your name if it is right."
        ),
        limit=NAME_MAX,
        buttons=buttons,
        back=back,
        who="self",
    )


@router.button(OwnName)
async def own_name_chosen(ctx: Context, press: OwnName) -> None:
    if ctx.state != State.NAME or ctx.flow.get("who") != "self" or ctx.resident is None:
        await nominations(ctx)
        return
    await _name_given(ctx, ctx.resident.display_name or "")


async def name_typed(ctx: Context) -> None:
    await _name_given(ctx, ctx.incoming.text or "")


async def _name_given(ctx: Context, text: str) -> None:
    flow = ctx.flow
    try:
        name = clean_name(text)
    except Refused as refused:
        ctx.ask_again(refusal_text(ctx.t, refused, now=ctx.now))
        return
    flow["name"] = name
    if flow.get("who") == "self":
        ctx.ask(
            State.REASON,
            ctx.t._(
                "Tell the residents briefly about yourself and why you stand (at most {limit} "
                "characters). They see it in the list of candidates.",
                limit=ctx.t.number(REASON_MAX),
            ),
            limit=REASON_MAX,
            back=_back_to_nominations(ctx),
            **flow,
        )
        return
    ctx.ask(
        State.CONTACT,
        ctx.t._(
            "How can {name} be reached? Send their phone number or share their Telegram "
            "contact. You may skip this.",
            name=name,
        ),
        limit=40,
        buttons=[Button(ctx.t._("Skip"), SkipContact())],
        back=_back_to_nominations(ctx),
        **flow,
    )


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
            ctx.ask_again(refusal_text(ctx.t, refused, now=ctx.now))
            return
        phone = None
    flow["phone"] = phone
    flow["contact_user"] = incoming.contact_user_id
    _ask_reason(ctx, flow)


@router.button(SkipContact)
async def contact_skipped(ctx: Context, press: SkipContact) -> None:
    if ctx.state != State.CONTACT:
        await nominations(ctx)
        return
    _ask_reason(ctx, ctx.flow)


def _ask_reason(ctx: Context, flow: dict[str, object]) -> None:
    ctx.ask(
        State.REASON,
        ctx.t._(
            "Why do you nominate {name}? (at most {limit} characters)",
            name=flow["name"],
            limit=ctx.t.number(REASON_MAX),
        ),
        limit=REASON_MAX,
        back=_back_to_nominations(ctx),
        **flow,
    )


async def reason_written(ctx: Context) -> None:
    """Record the nomination; ask a registered candidate for consent."""
    flow = ctx.flow
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.ask_again(ctx.t._("Please write a few words."))
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
        ctx.clear_state()
        ctx.reply(
            "\n\n".join(
                [
                    ctx.t._(
                        "Your candidacy for the representative of {unit} is registered.",
                        unit=nomination.unit.name,
                    ),
                    share_text(ctx.t, ctx.settings, nomination),
                ]
            ),
            [
                Button(ctx.t._("My candidacy"), MyCandidacy()),
                Button(ctx.t._("Main menu"), "menu"),
            ],
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
                    "{nominator} has nominated you as a candidate for the representative of "
                    "{unit} on the residents' council.",
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
        now=ctx.now,
        write=write,
        buttons=[
            (N_("I agree"), ConsentAnswer(nomination.id, agreed=True).pack()),
            (N_("I decline"), ConsentAnswer(nomination.id, agreed=False).pack()),
        ],
    )


async def _candidate_nomination(ctx: Context, nomination_id: int, action: str) -> Nomination | None:
    """The nomination, if this resident is its candidate; else refused and written down."""
    nomination = await get_nomination(ctx.session, nomination_id)
    assert ctx.resident is not None
    if nomination is None or nomination.candidate_id != ctx.resident.id:
        await ctx.refuse(action, nomination=nomination_id)
        return None
    return nomination


@router.button(ConsentAnswer)
async def consent_answered(ctx: Context, press: ConsentAnswer) -> None:
    """The candidate accepts or declines a nomination by someone else, after confirming."""
    nomination = await _candidate_nomination(ctx, press.nomination_id, "nomination_consent")
    if nomination is None:
        return
    t = ctx.t
    if nomination.status != NominationStatus.AWAITING_CONSENT.value:
        await my_candidacy(ctx, MyCandidacy(), t._("This nomination has already been answered."))
        return
    if not press.sure:
        ctx.clear_state()
        if press.agreed:
            question = t._(
                "Do you agree to be a candidate for the representative of {unit}? Your name "
                "is then shown to the residents of {unit} in the list of candidates, and they "
                "can support you. Your answer cannot be changed here later; you can withdraw "
                "your candidacy.",
                unit=nomination.unit.name,
            )
            yes = t._("Yes, I agree")
        else:
            question = t._(
                "Decline the nomination as a candidate for {unit}? It cannot be undone: "
                "the nomination ends and the resident who made it is told.",
                unit=nomination.unit.name,
            )
            yes = t._("Yes, I decline")
        ctx.reply(
            question,
            [
                Button(yes, ConsentAnswer(nomination.id, agreed=press.agreed, sure=True)),
                Button(t._("Back"), MyCandidacy()),
            ],
        )
        return
    agreed = press.agreed
    try:
        record_consent(nomination, agreed=agreed, origin="chat", now=ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_consent", nomination=nomination.id, agreed=agreed)
    name = nomination.candidate_name
    if agreed:
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=[nomination.nominated_by_id],
            now=ctx.now,
            write=lambda t: t._("{name} accepted your nomination.", name=name),
        )
        ctx.ask(
            State.BIO,
            "\n\n".join(
                [
                    t._("Thank you! Your candidacy is registered."),
                    t._(
                        "Write a few words about yourself for the residents (at most {limit} "
                        "characters), or tap Skip.",
                        limit=t.number(REASON_MAX),
                    ),
                ]
            ),
            limit=REASON_MAX,
            buttons=[Button(t._("Skip"), SkipBio(nomination.id))],
            back=Button(t._("Skip"), SkipBio(nomination.id)),
            nomination=nomination.id,
        )
        return
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[nomination.nominated_by_id],
        now=ctx.now,
        write=lambda t: t._("{name} declined your nomination.", name=name),
    )
    show_menu(ctx, t._("You declined the nomination. Nothing more will happen with it."))


@router.button(WriteBio)
async def ask_bio(ctx: Context, press: WriteBio) -> None:
    nomination = await _candidate_nomination(ctx, press.nomination_id, "nomination_bio")
    if nomination is None:
        return
    ctx.ask(
        State.BIO,
        ctx.t._(
            "Write a few words about yourself for the residents (at most {limit} characters).",
            limit=ctx.t.number(REASON_MAX),
        ),
        limit=REASON_MAX,
        back=Button(ctx.t._("Back"), MyCandidacy()),
        nomination=nomination.id,
    )


async def bio_written(ctx: Context) -> None:
    nomination = await get_nomination(ctx.session, int(ctx.flow.get("nomination") or 0))
    assert ctx.resident is not None
    if nomination is None or nomination.candidate_id != ctx.resident.id:
        await nominations(ctx)
        return
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.ask_again(ctx.t._("Please write a few words."))
        return
    nomination.bio = text
    _shared(ctx, nomination)


def _shared(ctx: Context, nomination: Nomination) -> None:
    ctx.clear_state()
    ctx.reply(
        share_text(ctx.t, ctx.settings, nomination),
        [
            Button(ctx.t._("My candidacy"), MyCandidacy()),
            Button(ctx.t._("Main menu"), "menu"),
        ],
    )


@router.button(SkipBio)
async def bio_skipped(ctx: Context, press: SkipBio) -> None:
    nomination = await _candidate_nomination(ctx, press.nomination_id, "nomination_bio")
    if nomination is None:
        return
    _shared(ctx, nomination)


@router.button(MyCandidacy)
async def my_candidacy(ctx: Context, press: MyCandidacy, heading: str | None = None) -> None:
    """The resident's active nominations as a candidate: progress, link, answers, withdraw."""
    assert ctx.resident is not None
    t = ctx.t
    mine = await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE)
    if not mine:
        show_menu(ctx, t._("You have no candidacy."))
        return
    standing = await standings(ctx.session, mine)
    blocks = [heading] if heading else []
    buttons = []
    for item in mine:
        lines = [
            t._(
                "Your candidacy in {unit}: {status}.",
                unit=item.unit.name,
                status=status_label(t, item.status),
            )
        ]
        if item.status == NominationStatus.AWAITING_CONSENT.value:
            buttons += [
                Button(t._("I agree"), ConsentAnswer(item.id, agreed=True)),
                Button(t._("I decline"), ConsentAnswer(item.id, agreed=False)),
            ]
        else:
            lines.append(progress(t, standing[item.id].count, item.round.supporters_needed))
            lines.append(share_text(t, ctx.settings, item))
            buttons += [
                Button(t._("Write about myself"), WriteBio(item.id)),
                Button(t._("Withdraw my candidacy"), WithdrawCandidacy(item.id)),
            ]
        blocks.append("\n".join(lines))
    buttons += [_back_to_nominations(ctx), Button(t._("Main menu"), "menu")]
    ctx.clear_state()
    ctx.reply("\n\n".join(blocks), buttons)


@router.button(WithdrawCandidacy)
async def withdraw_candidacy(ctx: Context, press: WithdrawCandidacy) -> None:
    """Ask, then withdraw the candidate's own nomination."""
    nomination = await _candidate_nomination(ctx, press.nomination_id, "nomination_withdraw")
    if nomination is None:
        return
    if not press.sure:
        ctx.clear_state()
        ctx.reply(
            ctx.t._(
                "Withdraw your candidacy for {unit}? Your supporters' support ends with it.",
                unit=nomination.unit.name,
            ),
            [
                Button(ctx.t._("Yes, withdraw"), WithdrawCandidacy(nomination.id, sure=True)),
                Button(ctx.t._("No, keep my candidacy"), MyCandidacy()),
            ],
        )
        return
    try:
        withdraw_nomination(nomination, ctx.now)
    except Refused as refused:
        show_menu(ctx, refusal_text(ctx.t, refused, now=ctx.now))
        return
    await ctx.audit("nomination_withdrawn", nomination=nomination.id)
    show_menu(ctx, ctx.t._("You have withdrawn your candidacy."))


@router.button(Candidates)
async def candidates(ctx: Context, press: Candidates) -> None:
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
        ctx.clear_state()
        ctx.reply(
            t._("There are no candidates in {unit} yet.", unit=unit.name),
            [_back_to_nominations(ctx), Button(t._("Main menu"), "menu")],
        )
        return
    standing = await standings(ctx.session, found)
    blocks = [t._("Candidates in {unit}:", unit=unit.name)]
    buttons = []
    for number, nomination in enumerate(found, start=1):
        about = nomination.bio or nomination.reason or ""
        if len(about) > BIO_SHOWN:
            about = about[: BIO_SHOWN - 1].rstrip() + "…"
        lines = [
            f"{number}. {nomination.candidate_name} "
            f"({progress(t, standing[nomination.id].count, item.supporters_needed)})"
        ]
        if about:
            lines.append(about)
        blocks.append("\n".join(lines))
        if item.is_open(ctx.now) and nomination.candidate_id != ctx.resident.id:
            buttons.append(
                Button(
                    t._("Support {name}", name=nomination.candidate_name),
                    SupportPage(nomination.support_code),
                )
            )
    blocks.append(t._(PAPER_NOTE))
    buttons += [_back_to_nominations(ctx), Button(t._("Main menu"), "menu")]
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
                "No candidate has the support code {code}. Please check it.", code=normal(code)
            ),
        )
        return
    try:
        await _check_support(ctx, nomination)
    except Refused as refused:
        await _refused_support(ctx, refused)
        return
    t = ctx.t
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
    )
    buttons = []
    if ctx.resident.display_name:
        buttons.append(Button(ctx.resident.display_name[:NAME_MAX], SupporterOwnName()))
    ctx.ask(
        State.SUPPORTER,
        "\n\n".join(lines),
        limit=NAME_MAX,
        buttons=buttons,
        nomination=nomination.id,
    )


@router.button(SupportPage)
async def support_page(ctx: Context, press: SupportPage) -> None:
    await start_support(ctx, press.code)


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
                    WithdrawSupport(support.id),
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


@router.keyword(SUPPORT_WORD, argument=CODE_TYPED, needs=Needs.NOTHING)
async def support_word_typed(ctx: Context) -> None:
    """`ATBALSTS <code>` typed on any channel; a newcomer registers first, then goes on."""
    code = normal(ctx.argument)
    if ctx.resident is None or ctx.resident.unit_id is None:
        ctx.remember("start_arg", f"{SUPPORT_LINK}_{code}")
        await resume_onboarding(ctx)
        return
    await start_support(ctx, code)


@router.button(SupporterOwnName)
async def supporter_own_name(ctx: Context, press: SupporterOwnName) -> None:
    if ctx.state != State.SUPPORTER or ctx.resident is None:
        await nominations(ctx)
        return
    await _supporter_named(ctx, ctx.resident.display_name or "")


async def supporter_name_typed(ctx: Context) -> None:
    await _supporter_named(ctx, ctx.incoming.text or "")


async def _supporter_named(ctx: Context, text: str) -> None:
    flow = ctx.flow
    nomination = await get_nomination(ctx.session, int(flow.get("nomination") or 0))
    if nomination is None:
        await nominations(ctx)
        return
    try:
        name = clean_name(text)
    except Refused as refused:
        ctx.ask_again(refusal_text(ctx.t, refused, now=ctx.now))
        return
    item = nomination.round
    ctx.set_state(State.DECLARATION, nomination=nomination.id, name=name)
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
            Button(ctx.t._("Yes, I confirm"), SupportDeclared(nomination.id)),
            Button(ctx.t._("No"), SupportNotDeclared(nomination.id)),
        ],
    )


@router.button(SupportDeclared)
async def support_confirmed(ctx: Context, press: SupportDeclared) -> None:
    """Record the support; of attempts that race, the database lets exactly one through."""
    assert ctx.resident is not None
    nomination = await get_nomination(ctx.session, press.nomination_id)
    if nomination is None:
        await nominations(ctx)
        return
    flow = ctx.flow
    if ctx.state != State.DECLARATION or flow.get("nomination") != nomination.id:
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
    ctx.clear_state()
    ctx.reply(
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
        [
            Button(ctx.t._("My support"), MySupport()),
            Button(ctx.t._("Main menu"), "menu"),
        ],
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


@router.button(SupportNotDeclared)
async def support_declined(ctx: Context, press: SupportNotDeclared) -> None:
    nomination = await get_nomination(ctx.session, press.nomination_id)
    if nomination is None:
        await nominations(ctx)
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


@router.button(MySupport)
async def my_support(ctx: Context, press: MySupport) -> None:
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
                    WithdrawSupport(support.id),
                )
            )
    buttons += [_back_to_nominations(ctx), Button(ctx.t._("Main menu"), "menu")]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(WithdrawSupport)
async def withdraw_my_support(ctx: Context, press: WithdrawSupport) -> None:
    """Withdraw one's own support while the round is open, after confirming; another's is
    refused."""
    assert ctx.resident is not None
    support = await ctx.session.get(Support, press.support_id)
    if support is None:
        show_menu(ctx, ctx.t._("That support no longer exists."))
        return
    if support.supporter_id != ctx.resident.id:
        await ctx.refuse("support_withdraw", support=support.id)
        return
    name = support.nomination.candidate_name
    round_ = support.nomination.round
    if not round_.is_open(ctx.now):
        show_menu(ctx, refusal_text(ctx.t, Refused("round_closed", round=round_), now=ctx.now))
        return
    if not press.sure:
        ctx.clear_state()
        ctx.reply(
            ctx.t._(
                "Withdraw your support for {name}? Your name leaves the nomination form. "
                "You can support again while the round is open.",
                name=name,
            ),
            [
                Button(ctx.t._("Yes, withdraw my support"), WithdrawSupport(support.id, sure=True)),
                Button(ctx.t._("Back"), MySupport()),
            ],
        )
        return
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
    """Each registered candidate still in the round learns their count and what comes next:
    the count every list shows, and the coordinator's verification where it was made."""
    nominations = [
        nomination
        for nomination in await list_nominations(session, round_id=item.id, statuses=COLLECTING)
        if nomination.candidate_id is not None
    ]
    standing = await standings(session, nominations)
    needed = item.supporters_needed
    for nomination in nominations:
        candidate_id = nomination.candidate_id
        assert candidate_id is not None
        now_stands = standing[nomination.id]
        unit = nomination.unit.name

        def write(t: Translator, stands: Standing = now_stands, unit: str = unit) -> str:
            head = t._(
                "Nominations in {unit} have closed. Your nomination has {progress}.",
                unit=unit,
                progress=progress(t, stands.count, needed),
            )
            if stands.status == NominationStatus.VERIFIED.value:
                then = t._(
                    "The coordinator has verified your nomination, so it goes further. You and "
                    "your supporters sign the nomination form on paper, and the coordinator "
                    "tells you the result."
                )
            elif stands.goes_further:
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


router.flow(
    {
        State.NAME: Step(name_typed, free_text=True),
        State.CONTACT: contact_given,
        State.REASON: Step(reason_written, free_text=True),
        State.BIO: Step(bio_written, free_text=True),
        State.SUPPORTER: Step(supporter_name_typed, free_text=True),
    }
)
