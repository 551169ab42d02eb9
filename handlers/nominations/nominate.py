"""Nominating a candidate: oneself or another resident, who is asked to consent."""

from __future__ import annotations

import enum

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import N_, Translator
from broadcasts.notices import send_notice
from handlers.menu import show_menu
from handlers.nominations.buttons import (
    ConsentAnswer,
    MyCandidacy,
    NominateStart,
    NominateWho,
    OwnName,
    SkipContact,
)
from handlers.nominations.candidacy import my_candidacy
from handlers.nominations.overview import back_to_nominations, nominations, open_round_or_say_why
from handlers.nominations.texts import PAPER_NOTE, refusal_text, share_text
from models.nominations import (
    ACTIVE,
    NAME_MAX,
    REASON_MAX,
    Nomination,
    Refused,
    candidate_phone,
    clean_name,
    find_by_phone,
    list_nominations,
    nominate,
)
from models.residents import Resident

router = Router()


class State(enum.StrEnum):
    WHO = "nom.who"  # answered by its buttons: typed text keeps the question
    NAME = "nom.name"
    CONTACT = "nom.contact"
    REASON = "nom.reason"


@router.command("nominate")
async def nominate_command(ctx: Context) -> None:
    await start_nomination(ctx, NominateStart())


@router.button(NominateStart)
async def start_nomination(ctx: Context, press: NominateStart) -> None:
    """Ask whom the resident nominates: themselves or someone else."""
    if await open_round_or_say_why(ctx) is None:
        return
    assert ctx.resident is not None and ctx.resident.unit is not None
    ctx.set_state(State.WHO)
    ctx.reply(
        ctx.t._(
            "Whom do you nominate as the representative of {unit} on the residents' council?",
            unit=ctx.t.place(ctx.resident.unit),
        ),
        [
            Button(ctx.t._("Myself"), NominateWho(myself=True)),
            Button(ctx.t._("Someone else"), NominateWho(myself=False)),
            back_to_nominations(ctx),
        ],
    )


@router.button(NominateWho)
async def nominate_who(ctx: Context, press: NominateWho) -> None:
    """Ask the candidate's name: one's own (with one's name as a button) or another's."""
    item = await open_round_or_say_why(ctx)
    if item is None:
        return
    assert ctx.resident is not None
    ctx.clear_state()
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
        )
        if buttons and messenger(ctx.incoming.channel).buttons
        else ctx.t._("Type your name and surname as they should be on the nomination form."),
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
                "Tell the residents briefly about yourself and why you want to be a candidate (at "
                "most {limit} characters). They see it in the list of candidates.",
                limit=ctx.t.number(REASON_MAX),
            ),
            limit=REASON_MAX,
            back=back_to_nominations(ctx),
            **flow,
        )
        return
    ctx.ask(
        State.CONTACT,
        ctx.t._(
            "How can {name} be reached? Send their phone number or share their Telegram "
            "contact. You may skip this.",
            name=name,
        )
        if messenger(ctx.incoming.channel).contact_sharing
        else ctx.t._(
            "How can {name} be reached? Write their phone number, or choose Skip.", name=name
        ),
        limit=40,
        buttons=[Button(ctx.t._("Skip"), SkipContact())],
        back=back_to_nominations(ctx),
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
        back=back_to_nominations(ctx),
        **flow,
    )


async def reason_written(ctx: Context) -> None:
    """Record the nomination; ask a registered candidate for consent."""
    flow = ctx.flow
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.ask_again(ctx.t._("Please write a few words."))
        return
    item = await open_round_or_say_why(ctx)
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
                        unit=ctx.t.place(nomination.unit),
                    ),
                    share_text(ctx.t, ctx.settings, nomination),
                ]
            ),
            [Button(ctx.t._("My candidacy"), MyCandidacy()), Button(ctx.t._("Main menu"), "menu")],
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
                    unit=t.place(nomination.unit),
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


router.flow(
    {
        State.NAME: Step(name_typed, free_text=True),
        State.CONTACT: contact_given,
        State.REASON: Step(reason_written, free_text=True),
    }
)
