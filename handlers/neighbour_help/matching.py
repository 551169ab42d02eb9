"""Find a neighbour's post, ask to take it, and answer those who ask: contacts are shown
only to the two of an accepted match, read from their accounts when the screen is shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_
from bot.settings import Settings
from handlers.menu import show_menu
from handlers.neighbour_help.common import (
    POST_STATUSES,
    REQUEST_STATUSES,
    Ban,
    Block,
    BlockAuthor,
    Decide,
    Done,
    Hide,
    OpenPost,
    OpenRequest,
    Report,
    Want,
    WithdrawPost,
    WithdrawRequest,
    contact_buttons,
    contact_choice_applies,
    label,
    may_moderate,
    moderators_of,
    place_of_person,
    summary,
    tell,
    tell_withdrawn,
)
from models.audit import audit
from models.neighbour_help import (
    Contact,
    HelpError,
    HelpPost,
    HelpRequest,
    PostStatus,
    RequestStatus,
    ask_for,
    ban,
    block,
    blocked_between,
    contact_of,
    decide,
    first_name,
    hide_post,
    is_shown,
    may_see,
    open_posts,
    passing_rides,
    posts_of,
    report,
    requests_of,
    requests_to,
    withdraw_post,
    withdraw_request,
)
from models.residents import Resident

router = Router()

LIVE = (RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value)


def _back_to_help(ctx: Context) -> list[Button]:
    return [Button(ctx.t._("Neighbour help"), "nh"), Button(ctx.t._("Main menu"), "menu")]


@router.payload("nhfind")
async def find(ctx: Context) -> None:
    """Open posts of the resident's unit, their own village or neighbourhood first."""
    assert ctx.resident is not None and ctx.resident.unit is not None
    ctx.clear_state()
    posts = await open_posts(ctx.session, viewer=ctx.resident, now=ctx.now)
    passing = await passing_rides(ctx.session, viewer=ctx.resident, now=ctx.now)
    unit = ctx.t.place(ctx.resident.unit)
    if passing:
        text = ctx.t._(
            "Open offers and requests in {unit:loc}, then rides from neighbouring parishes and "
            "towns that go your way. Choose one to see it.",
            unit=unit,
        )
        ctx.reply(
            text,
            [Button(label(ctx.t, post), OpenPost(post.id)) for post in posts + passing]
            + _back_to_help(ctx),
        )
        return
    if not posts:
        ctx.reply(
            ctx.t._("There are no open offers or requests in {unit:loc} now.", unit=unit),
            [Button(ctx.t._("Offer or ask for help"), "nhnew"), *_back_to_help(ctx)],
        )
        return
    ctx.reply(
        ctx.t._("Open offers and requests in {unit:loc}. Choose one to see it.", unit=unit),
        [Button(label(ctx.t, post), OpenPost(post.id)) for post in posts] + _back_to_help(ctx),
    )


async def _post(ctx: Context, post_id: int) -> HelpPost | None:
    post = await ctx.session.get(HelpPost, post_id)
    if post is None or (post.status == PostStatus.WITHDRAWN.value and post.author_id is None):
        show_menu(ctx, ctx.t._("That post is no longer there."))
        return None
    return post


@router.button(OpenPost)
async def open_post(ctx: Context, press: OpenPost) -> None:
    """A post: its author sees who asked; staff may hide it; a neighbour may ask to take it."""
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    t = ctx.t
    status = t._("Status: {status}", status=t._(POST_STATUSES[post.status]))
    ctx.clear_state()
    if post.author_id == ctx.resident.id:
        buttons = []
        for request in await requests_to(ctx.session, post.id):
            buttons.append(
                Button(
                    t._(
                        "Request {number}: {status}",
                        number=request.id,
                        status=t._(REQUEST_STATUSES[request.status]),
                    ),
                    OpenRequest(request.id),
                )
            )
        if post.status in (PostStatus.OPEN.value, PostStatus.FULL.value):
            buttons.append(Button(t._("Withdraw it"), WithdrawPost(post.id)))
        buttons.append(Button(t._("Back"), "nhmine"))
        ctx.reply(f"{summary(t, post)}\n{status}", buttons)
        return
    moderation = []
    if may_moderate(ctx, post):
        if post.status != PostStatus.HIDDEN.value:
            moderation.append(Button(t._("Hide it"), Hide(post.id)))
        if post.author_id is not None:
            moderation.append(Button(t._("Stop its author from posting"), Ban(post.id)))
    if not await may_see(ctx.session, post, ctx.resident):
        if not moderation:
            await ctx.refuse("help_post_view", post=post.id)
            return
        ctx.reply(f"{summary(t, post)}\n{status}", moderation + _back_to_help(ctx))
        return
    mine = [
        request
        for request in await requests_to(ctx.session, post.id)
        if request.asker_id == ctx.resident.id and request.status in LIVE
    ]
    if mine:
        await _show_request(ctx, mine[0])
        return
    open_to_me = is_shown(post, ctx.now) and not (
        post.author_id is not None
        and await blocked_between(ctx.session, post.author_id, ctx.resident.id)
    )
    if not open_to_me:
        if moderation:
            # The representative reads a reported post whatever its state.
            ctx.reply(
                f"{summary(t, post)}\n{status}",
                [*moderation, Button(t._("Back"), "nhfind"), Button(t._("Main menu"), "menu")],
            )
        else:
            ctx.reply(t._("That post is no longer open."), _back_to_help(ctx))
        return
    take = t._("I would like this") if post.kind_enum.is_offer else t._("I can help")
    shown = f"{summary(t, post)}\n{status}" if moderation else summary(t, post)
    if post.unit_id != ctx.resident.unit_id:
        shown += "\n" + t._("Offered in {unit:loc}.", unit=t.place(post.unit))
    ctx.reply(
        shown,
        [
            Button(take, Want(post.id)),
            Button(t._("Report"), Report(post.id)),
            Button(t._("Do not show me this person's posts"), BlockAuthor(post.id)),
            *moderation,
            Button(t._("Back"), "nhfind"),
        ],
    )


@router.button(Want)
async def want(ctx: Context, press: Want) -> None:
    """Ask to take a post; checked here whatever the button said."""
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    if post.author_id == ctx.resident.id or not await may_see(ctx.session, post, ctx.resident):
        await ctx.refuse("help_ask", post=post.id)
        return
    if press.contact is None and contact_choice_applies(ctx):
        ctx.reply(
            ctx.t._("How may your neighbour reach you if they accept? Nobody sees it before that."),
            [Button(text, Want(post.id, choice)) for text, choice in contact_buttons(ctx)]
            + [Button(ctx.t._("Back"), OpenPost(post.id))],
        )
        return
    try:
        request = await ask_for(
            ctx.session,
            post=post,
            asker=ctx.resident,
            contact=press.contact or Contact.MESSENGER,
            channel=ctx.incoming.channel,
            now=ctx.now,
        )
    except HelpError as error:
        if error.reason == "already":
            text = ctx.t._("You have already asked for it.")
        else:
            text = ctx.t._("That post is no longer open.")
        ctx.reply(text, _back_to_help(ctx))
        return
    await ctx.audit("help_asked", post=post.id, request=request.id)
    await tell(
        ctx.session,
        ctx.settings,
        ctx.now,
        [post.author_id] if post.author_id else [],
        lambda t: t._(
            "A neighbour answered your neighbour help No. {id}. Open it to accept or decline.",
            id=post.id,
        ),
        button=(N_("Open"), OpenRequest(request.id).pack()),
    )
    ctx.reply(
        ctx.t._(
            "Your request has been sent. When it is accepted, you both get each other's "
            "contact here."
        ),
        [Button(ctx.t._("My posts and requests"), "nhmine"), *_back_to_help(ctx)],
    )


async def _request(ctx: Context, request_id: int) -> HelpRequest | None:
    """A request its poster or asker may open; anyone else is refused."""
    assert ctx.resident is not None
    request = await ctx.session.get(HelpRequest, request_id)
    if request is None:
        show_menu(ctx, ctx.t._("That post is no longer there."))
        return None
    if ctx.resident.id not in (request.asker_id, request.post.author_id):
        await ctx.refuse("help_request", request=request.id)
        return None
    return request


@router.button(OpenRequest)
async def open_request(ctx: Context, press: OpenRequest) -> None:
    request = await _request(ctx, press.request_id)
    if request is not None:
        await _show_request(ctx, request)


async def _show_request(ctx: Context, request: HelpRequest) -> None:
    """The request as the poster or the asker sees it; the other's contact once accepted."""
    assert ctx.resident is not None
    t = ctx.t
    post = request.post
    poster = ctx.resident.id == post.author_id
    lines = [summary(t, post)]
    buttons: list[Button] = []
    if poster:
        asker = await ctx.session.get(Resident, request.asker_id) if request.asker_id else None
        lines.append(
            t._(
                "{name} ({place}) would like this.",
                name=first_name(asker) or t._("A neighbour"),
                place=place_of_person(t, asker),
            )
        )
    lines.append(t._("Status: {status}", status=t._(REQUEST_STATUSES[request.status])))
    if request.status == RequestStatus.ACCEPTED.value:
        if poster and request.asker_id is not None:
            contact = await contact_of(
                ctx.session, request.asker_id, request.contact, request.channel
            )
        elif post.author_id is not None:
            contact = await contact_of(ctx.session, post.author_id, post.contact, post.channel)
        else:
            contact = "–"
        lines.append(t._("Contact: {contact}", contact=contact))
    if poster and request.status == RequestStatus.PENDING.value:
        buttons += [
            Button(t._("Accept"), Decide(request.id, True)),
            Button(t._("Decline"), Decide(request.id, False)),
        ]
    if not poster and request.status in LIVE:
        buttons.append(Button(t._("Withdraw my request"), WithdrawRequest(request.id)))
    buttons += [
        Button(t._("Report"), Report(post.id, request.id)),
        Button(t._("Block this person"), Block(request.id)),
        Button(t._("Back"), OpenPost(post.id) if poster else "nhmine"),
    ]
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


@router.button(Decide)
async def decide_request(ctx: Context, press: Decide) -> None:
    """The poster accepts or declines; only the poster, only a request still waiting."""
    assert ctx.resident is not None
    request = await _request(ctx, press.request_id)
    if request is None:
        return
    if request.post.author_id != ctx.resident.id:
        await ctx.refuse("help_decide", request=request.id)
        return
    try:
        decision = await decide(
            ctx.session, request=request, by=ctx.resident, accept=press.accept, now=ctx.now
        )
    except HelpError as error:
        if error.reason == "full":
            text = ctx.t._("It is full: no more can be accepted.")
        elif error.reason == "not_open":
            text = ctx.t._("That post is no longer open.")
        else:
            text = ctx.t._("That request has already been answered.")
        ctx.reply(text, [Button(ctx.t._("Back"), OpenPost(request.post_id))])
        return
    post = request.post
    await ctx.audit("help_decided", request=request.id, accepted=press.accept)
    if press.accept:
        await tell(
            ctx.session,
            ctx.settings,
            ctx.now,
            [request.asker_id] if request.asker_id else [],
            lambda t: t._(
                "Your request for neighbour help No. {id} was accepted. Open it to see the "
                "contact.",
                id=post.id,
            ),
            button=(N_("Open"), OpenRequest(request.id).pack()),
        )
    else:
        await tell(
            ctx.session,
            ctx.settings,
            ctx.now,
            [request.asker_id] if request.asker_id else [],
            lambda t: t._(
                "Your request for neighbour help No. {id} was not accepted this time.", id=post.id
            ),
            button=(N_("Neighbour help"), "nh"),
        )
    await tell(
        ctx.session,
        ctx.settings,
        ctx.now,
        [other.asker_id for other in decision.crowded_out if other.asker_id],
        lambda t: t._(
            "Neighbour help No. {id} is full now, so your request could not be accepted.",
            id=post.id,
        ),
        button=(N_("Neighbour help"), "nh"),
    )
    await _show_request(ctx, request)


@router.button(WithdrawPost)
async def withdraw_own_post(ctx: Context, press: WithdrawPost) -> None:
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    if post.author_id != ctx.resident.id:
        await ctx.refuse("help_withdraw", post=post.id)
        return
    if post.status not in (PostStatus.OPEN.value, PostStatus.FULL.value):
        ctx.reply(ctx.t._("That post is no longer open."), _back_to_help(ctx))
        return
    told = await withdraw_post(ctx.session, post=post, now=ctx.now)
    await ctx.audit("help_withdrawn", post=post.id)
    await tell_withdrawn(ctx.session, ctx.settings, ctx.now, told, post.id)
    ctx.reply(ctx.t._("It has been withdrawn."), _back_to_help(ctx))


@router.button(WithdrawRequest)
async def withdraw_own_request(ctx: Context, press: WithdrawRequest) -> None:
    assert ctx.resident is not None
    request = await _request(ctx, press.request_id)
    if request is None:
        return
    if request.asker_id != ctx.resident.id:
        await ctx.refuse("help_withdraw", request=request.id)
        return
    if request.status not in LIVE:
        ctx.reply(ctx.t._("That request has already been answered."), _back_to_help(ctx))
        return
    await withdraw_request(ctx.session, request=request, now=ctx.now)
    await ctx.audit("help_withdrawn", request=request.id)
    if request.post.author_id is not None:
        await tell_withdrawn(
            ctx.session, ctx.settings, ctx.now, [request.post.author_id], request.post_id
        )
    ctx.reply(ctx.t._("It has been withdrawn."), _back_to_help(ctx))


@router.payload("nhmine")
async def mine(ctx: Context) -> None:
    """The resident's own posts and requests, newest first."""
    assert ctx.resident is not None
    ctx.clear_state()
    t = ctx.t
    buttons = [
        Button(label(t, post), OpenPost(post.id))
        for post in await posts_of(ctx.session, ctx.resident.id, limit=8)
        if post.status != PostStatus.WITHDRAWN.value
    ]
    for request in await requests_of(ctx.session, ctx.resident.id, limit=8):
        buttons.append(
            Button(
                t._(
                    "My request: {post} ({status})",
                    post=label(t, request.post),
                    status=t._(REQUEST_STATUSES[request.status]),
                ),
                OpenRequest(request.id),
            )
        )
    if not buttons:
        ctx.reply(
            t._("You have no posts or requests yet."),
            [Button(t._("Offer or ask for help"), "nhnew"), *_back_to_help(ctx)],
        )
        return
    ctx.reply(t._("Your posts and requests:"), buttons + _back_to_help(ctx))


# ---------------------------------------------------------------------- safety


@router.button(Report)
async def report_post(ctx: Context, press: Report) -> None:
    """Report a post (or the other side of a request) to the unit's representative and the
    coordinators."""
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    request = None
    if press.request_id is not None:
        request = await _request(ctx, press.request_id)
        if request is None:
            return
        if request.post_id != post.id:
            await ctx.refuse("help_report", post=post.id, request=request.id)
            return
    elif not await may_see(ctx.session, post, ctx.resident):
        await ctx.refuse("help_report", post=post.id)
        return
    item = await report(ctx.session, post=post, request=request, reporter=ctx.resident, now=ctx.now)
    await ctx.audit("help_reported", post=post.id, report=item.id)
    await tell(
        ctx.session,
        ctx.settings,
        ctx.now,
        await moderators_of(ctx.session, post.unit_id),
        lambda t: t._(
            "Neighbour help No. {id} was reported. Open it to check it; you may hide it.",
            id=post.id,
        ),
        button=(N_("Open"), OpenPost(post.id).pack()),
    )
    ctx.reply(
        ctx.t._("Thank you. The representative and the coordinators will look at it."),
        _back_to_help(ctx),
    )


async def _block(ctx: Context, other_id: int | None) -> None:
    assert ctx.resident is not None
    if other_id is not None and other_id != ctx.resident.id:
        await block(ctx.session, blocker_id=ctx.resident.id, blocked_id=other_id, now=ctx.now)
        await ctx.audit("help_blocked")
    ctx.reply(
        ctx.t._(
            "Done: you will not see this person's posts, and they cannot ask for yours. "
            "They are not told."
        ),
        _back_to_help(ctx),
    )


@router.button(Block)
async def block_other(ctx: Context, press: Block) -> None:
    """Block the other side of a request; an open match between the two ends."""
    assert ctx.resident is not None
    request = await _request(ctx, press.request_id)
    if request is None:
        return
    post = request.post
    other = post.author_id if request.asker_id == ctx.resident.id else request.asker_id
    if request.status in LIVE:
        await withdraw_request(ctx.session, request=request, now=ctx.now)
        if other is not None:
            await tell_withdrawn(ctx.session, ctx.settings, ctx.now, [other], post.id)
    await _block(ctx, other)


@router.button(BlockAuthor)
async def block_author(ctx: Context, press: BlockAuthor) -> None:
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    if not await may_see(ctx.session, post, ctx.resident):
        await ctx.refuse("help_block", post=post.id)
        return
    await _block(ctx, post.author_id)


@router.button(Hide)
async def hide(ctx: Context, press: Hide) -> None:
    """Hide a post: the unit's representative and coordinators only."""
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    if not may_moderate(ctx, post):
        await ctx.refuse("help_hide", post=post.id)
        return
    assert ctx.resident is not None
    await hide_and_tell(ctx.session, ctx.settings, post=post, by=ctx.resident, now=ctx.now)
    ctx.reply(ctx.t._("It is hidden now."), _back_to_help(ctx))


async def hide_and_tell(
    session: AsyncSession, settings: Settings, *, post: HelpPost, by: Resident, now: datetime
) -> bool:
    """Hide a post, audited; those whose requests were open and its author are told: the one
    action behind the chat's "Hide it" and the staff console's. The caller has checked that
    `by` may moderate the post. False when it was hidden already."""
    if post.status == PostStatus.HIDDEN.value:
        return False
    told = await hide_post(session, post=post, now=now)
    await audit(session, action="help_hidden", actor_id=by.id, post=post.id)
    await tell_withdrawn(session, settings, now, told, post.id)
    await tell(
        session,
        settings,
        now,
        [post.author_id] if post.author_id else [],
        lambda t: t._("Your neighbour help No. {id} was hidden after a report.", id=post.id),
    )
    return True


@router.button(Ban)
async def ban_author(ctx: Context, press: Ban) -> None:
    """Stop a post's author from posting: the unit's representative and coordinators only."""
    assert ctx.resident is not None
    post = await _post(ctx, press.post_id)
    if post is None:
        return
    if not may_moderate(ctx, post) or post.author_id is None:
        await ctx.refuse("help_ban", post=post.id)
        return
    if await ban(ctx.session, resident_id=post.author_id, by_id=ctx.resident.id, now=ctx.now):
        await ctx.audit("help_banned", post=post.id)
    ctx.reply(ctx.t._("They can no longer post neighbour help."), _back_to_help(ctx))


@router.button(Done)
async def done(ctx: Context, press: Done) -> None:
    """Whether it happened, as either of the two answers."""
    assert ctx.resident is not None
    request = await _request(ctx, press.request_id)
    if request is None:
        return
    if request.status != RequestStatus.ACCEPTED.value:
        show_menu(ctx, ctx.t._("That request has already been answered."))
        return
    if request.post.author_id == ctx.resident.id:
        request.author_says_done = press.happened
    else:
        request.asker_says_done = press.happened
    show_menu(ctx, ctx.t._("Thank you!"))
