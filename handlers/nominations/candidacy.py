"""A candidate's own screens: consent, a few words about themselves, withdrawal."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from broadcasts.notices import send_notice
from handlers.menu import show_menu
from handlers.nominations.buttons import (
    ConsentAnswer,
    MyCandidacy,
    SkipBio,
    WithdrawCandidacy,
    WriteBio,
)
from handlers.nominations.overview import back_to_nominations, nominations
from handlers.nominations.texts import progress, refusal_text, share_text, status_label
from models.nominations import (
    ACTIVE,
    REASON_MAX,
    Nomination,
    NominationStatus,
    Refused,
    get_nomination,
    list_nominations,
    record_consent,
    standings,
    withdraw_nomination,
)

router = Router()


class State(enum.StrEnum):
    BIO = "nom.bio"


async def candidate_nomination(ctx: Context, nomination_id: int, action: str) -> Nomination | None:
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
    nomination = await candidate_nomination(ctx, press.nomination_id, "nomination_consent")
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
                unit=t.place(nomination.unit),
            )
            yes = t._("Yes, I agree")
        else:
            question = t._(
                "Decline the nomination as a candidate for {unit}? It cannot be undone: "
                "the nomination ends and the resident who made it is told.",
                unit=t.place(nomination.unit),
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
                        "characters), or choose Skip.",
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
    nomination = await candidate_nomination(ctx, press.nomination_id, "nomination_bio")
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
        [Button(ctx.t._("My candidacy"), MyCandidacy()), Button(ctx.t._("Main menu"), "menu")],
    )


@router.button(SkipBio)
async def bio_skipped(ctx: Context, press: SkipBio) -> None:
    nomination = await candidate_nomination(ctx, press.nomination_id, "nomination_bio")
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
                unit=t.place(item.unit),
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
    buttons += [back_to_nominations(ctx), Button(t._("Main menu"), "menu")]
    ctx.clear_state()
    ctx.reply("\n\n".join(blocks), buttons)


@router.button(WithdrawCandidacy)
async def withdraw_candidacy(ctx: Context, press: WithdrawCandidacy) -> None:
    """Ask, then withdraw the candidate's own nomination."""
    nomination = await candidate_nomination(ctx, press.nomination_id, "nomination_withdraw")
    if nomination is None:
        return
    if not press.sure:
        ctx.clear_state()
        ctx.reply(
            ctx.t._(
                "Withdraw your candidacy for {unit}? Your supporters' support ends with it.",
                unit=ctx.t.place(nomination.unit),
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


router.flow({State.BIO: Step(bio_written, free_text=True)})
