"""Supporting a candidate: by link, typed code or button; the declaration; withdrawal."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Needs, Router, Step
from bot.settings import Settings
from broadcasts.notices import send_notice
from handlers.menu import show_menu
from handlers.nominations.buttons import (
    MySupport,
    SupportDeclared,
    SupporterOwnName,
    SupportNotDeclared,
    SupportPage,
    WithdrawSupport,
)
from handlers.nominations.overview import back_to_nominations, nominations
from handlers.nominations.texts import (
    SUPPORT_LINK,
    SUPPORT_WORDS,
    progress,
    refusal_text,
)
from handlers.onboarding import add_deep_link, resume_onboarding
from models.codes import normal
from models.nominations import (
    CODE_TYPED,
    NAME_MAX,
    Nomination,
    Refused,
    Support,
    add_support,
    check_may_support,
    clean_name,
    existing_support,
    get_nomination,
    nomination_by_code,
    supports_of,
    withdraw_support,
)

router = Router()


class State(enum.StrEnum):
    SUPPORTER = "sup.name"
    DECLARATION = "sup.confirm"


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
            unit=t.place(nomination.unit),
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


@router.keyword(*SUPPORT_WORDS.values(), argument=CODE_TYPED, needs=Needs.NOTHING)
async def support_word_typed(ctx: Context) -> None:
    """`ATBALSTS <code>` (ПОДДЕРЖКА, SUPPORT) typed on any channel; a newcomer registers first."""
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
                    "• my declared place of residence is in {unit}.",
                    unit=ctx.t.place(nomination.unit),
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
            ]
        ),
        [Button(ctx.t._("My support"), MySupport()), Button(ctx.t._("Main menu"), "menu")],
    )
    if supported.reached_threshold:
        await tell_threshold(
            ctx.session,
            settings=ctx.settings,
            nomination=nomination,
            count=supported.count,
            now=ctx.now,
        )


async def tell_threshold(
    session: AsyncSession,
    *,
    settings: Settings,
    nomination: Nomination,
    count: int,
    now: datetime,
) -> None:
    """Tell the candidate they have as many supporters as needed (chat and console)."""
    needed = nomination.round.supporters_needed
    await send_notice(
        session,
        settings=settings,
        resident_ids=[nomination.candidate_id],
        now=now,
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
            unit=ctx.t.place(nomination.unit),
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
        lines.append(f"• {nomination.candidate_name} ({nomination.unit.name_in(ctx.t.language)})")
        if nomination.round.is_open(ctx.now):
            buttons.append(
                Button(
                    ctx.t._("Withdraw my support for {name}", name=nomination.candidate_name),
                    WithdrawSupport(support.id),
                )
            )
    buttons += [back_to_nominations(ctx), Button(ctx.t._("Main menu"), "menu")]
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


router.flow({State.SUPPORTER: Step(supporter_name_typed, free_text=True)})
