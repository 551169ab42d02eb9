"""A unit's Telegram group with the bot as its host: the join link, join requests answered
(residents let in, others offered onboarding or a coordinator's decision), a collected
welcome, and few, short answers in the group itself."""

from __future__ import annotations

from bot.dialog.context import Context
from bot.dialog.messages import (
    Address,
    Button,
    Event,
    GroupAction,
    GroupActionKind,
    Outgoing,
    Reply,
)
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router
from bot.i18n import N_, Translator
from bot.settings import SUPPORTED_LANGUAGES, Settings
from broadcasts.notices import send_notice, send_to_group
from broadcasts.render import heading
from broadcasts.service import JobContext
from handlers.menu import show_menu
from handlers.onboarding import START_AGAIN, add_deep_link, add_unit_settled, deep_link
from models.audit import audit
from models.broadcasts import news_of_place
from models.ideas import holders_of
from models.parish_groups import (
    JOIN_REQUEST_WAIT,
    WELCOME_NAMES,
    ApprovedBy,
    JoinRequest,
    JoinStatus,
    decide,
    pending_requests_of,
    record_request,
    request_by_id,
    stale_requests,
    welcomes_due,
)
from models.residents import find_resident
from models.roles import Role
from models.territory import Unit, unit_by_group_chat

router = Router()

# `/start group_<command>`: a command sent in the group, continued in the private chat.
GROUP_LINK = "group"
# How many of the latest messages `/news` lists in the group, one line each.
GROUP_NEWS = 3


@payload("gjlet")
class LetIn(Payload):
    """A coordinator lets the person of a pending join request into the group."""

    request: int


@payload("gjnot")
class NotResident(Payload):
    """The person who asked to join says they do not live in the unit."""

    request: int


def _group_of(unit: Unit) -> Address:
    assert unit.telegram_group_chat_id is not None
    return Address("telegram", str(unit.telegram_group_chat_id))


def _approve(ctx: Context, request: JoinRequest, unit: Unit, by: ApprovedBy) -> None:
    decide(request, approve=True, now=ctx.now, by=by)
    ctx.act(_group_of(unit), GroupAction(GroupActionKind.APPROVE, request.user_id))


def _decline(ctx: Context, request: JoinRequest, unit: Unit) -> None:
    decide(request, approve=False, now=ctx.now)
    ctx.act(_group_of(unit), GroupAction(GroupActionKind.DECLINE, request.user_id))


# --------------------------------------------------------------------------- the join link


@router.event(Event.JOIN_LINK_MADE, Event.JOIN_LINK_REFUSED)
async def join_link_answered(ctx: Context) -> None:
    """Keep the group's new join link; where none could be made, say in the group what to do."""
    unit = await unit_by_group_chat(ctx.session, int(ctx.incoming.group_id or 0))
    if unit is None:
        return
    if ctx.incoming.event is Event.JOIN_LINK_MADE:
        unit.telegram_join_link = ctx.incoming.text
        unit.telegram_join_link_problem = None
        await ctx.audit("group_join_link_made", unit=unit.slug)
        return
    problem = ctx.incoming.text or "failed"
    unit.telegram_join_link_problem = problem
    if problem == "not_admin":
        ctx.reply(
            ctx.t._(
                "I could not make an invite link for this group, because I am not its "
                "administrator. Please make me an administrator with the right to invite users "
                "(the group's settings → Administrators), then send /linkgroup here again. "
                "Until then residents get the link set with /grouplink."
            )
        )
    else:
        ctx.reply(
            ctx.t._(
                "Telegram did not make an invite link for this group just now. Please send "
                "/linkgroup here again in a few minutes."
            )
        )


# --------------------------------------------------------------------------- join requests


@router.event(Event.JOIN_REQUEST)
async def join_requested(ctx: Context) -> None:
    """Let a resident of the unit in at once; tell anyone else what the group is and how
    to be let in, and let the coordinators know."""
    unit = await unit_by_group_chat(ctx.session, int(ctx.incoming.group_id or 0))
    if unit is None:
        return
    incoming = ctx.incoming
    before = await pending_requests_of(
        ctx.session, channel=incoming.channel, user_id=incoming.user_id
    )
    request = await record_request(
        ctx.session,
        unit=unit,
        channel=incoming.channel,
        user_id=incoming.user_id,
        user_chat_id=incoming.chat_id,
        first_name=incoming.display_name or "",
        now=ctx.now,
    )
    resident = ctx.resident
    if resident is not None and resident.unit_id == unit.id:
        _approve(ctx, request, unit, ApprovedBy.RESIDENT)
        await ctx.audit("group_join_approved", unit=unit.slug, by=ApprovedBy.RESIDENT.value)
        return
    if request.id not in {item.id for item in before}:
        await _tell_coordinators(ctx, request, unit)
    language = incoming.platform_language or ""
    if resident is None and language in SUPPORTED_LANGUAGES:
        # Someone new: in the language of their Telegram app until they choose one.
        ctx.use_language(language)
    place = ctx.t.place(unit)
    about = ctx.t._(
        "You asked to join the community group of {unit}. It is the group of the residents "
        "of {unit}: the council's news, the representative's announcements and neighbours "
        "helping each other with rides and parcels.",
        unit=place,
    )
    not_there = Button(ctx.t._("I do not live there"), NotResident(request.id))
    if resident is None or resident.unit_id is None:
        ctx.reply(
            about
            + "\n\n"
            + ctx.t._("I let in the residents of {unit}. Tell me where you live:", unit=place),
            [Button(ctx.t._("Start"), START_AGAIN), not_there],
        )
        return
    assert resident.unit is not None
    ctx.reply(
        about
        + "\n\n"
        + ctx.t._(
            "Your parish or town here is {home}. If you now live in {unit}, change it and I "
            "will let you in.",
            home=ctx.t.place(resident.unit),
            unit=place,
        ),
        [Button(ctx.t._("Change my parish or town"), "territory"), not_there],
    )


async def _tell_coordinators(ctx: Context, request: JoinRequest, unit: Unit) -> None:
    """A pending request of someone who is not a resident there: a coordinator may let them in."""
    coordinators = set(await holders_of(ctx.session, Role.COORDINATOR))
    coordinators.update(await holders_of(ctx.session, Role.ADMIN))
    name = request.first_name or "?"
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=coordinators,
        write=lambda t: t._(
            "{name} asked to join the community group of {unit} and is not registered as a "
            "resident there. If they should be in it (a municipal worker, a neighbour from "
            "across the border), let them in.",
            name=name,
            unit=t.place(unit),
        ),
        now=ctx.now,
        buttons=[(N_("Let them in"), LetIn(request.id).pack())],
    )


@payload("gjask")
class AskCoordinator(Payload):
    """The person who does not live in the unit asks a coordinator to let them in."""

    request: int


@payload("gjdrop")
class WithdrawRequest(Payload):
    """The person who does not live in the unit withdraws their request to join."""

    request: int


async def _own_pending_request(
    ctx: Context, request_id: int, action: str
) -> tuple[JoinRequest, Unit] | None:
    """The pressing person's own request, still pending; otherwise refused or told it is
    settled, and None."""
    request = await request_by_id(ctx.session, request_id)
    if request is None or request.user_id != ctx.incoming.user_id:
        await ctx.refuse(action, request=request_id)
        return None
    if request.status != JoinStatus.PENDING.value:
        ctx.reply(
            ctx.t._("You are already in the group.")
            if request.status == JoinStatus.APPROVED.value
            else ctx.t._("That request is already closed."),
            _next_buttons(ctx),
        )
        return None
    unit = await ctx.session.get(Unit, request.unit_id)
    assert unit is not None
    return request, unit


def _next_buttons(ctx: Context) -> list[Button]:
    """Someone new may start; a resident goes back to the menu."""
    if ctx.resident is None or ctx.resident.unit_id is None:
        return [Button(ctx.t._("Start"), START_AGAIN)]
    return [Button(ctx.t._("Back to the menu"), "menu")]


@router.button(NotResident, needs=Needs.NOTHING)
async def not_resident(ctx: Context, press: NotResident) -> None:
    """The person does not live in the unit: they ask a coordinator, or withdraw."""
    found = await _own_pending_request(ctx, press.request, "group_join")
    if found is None:
        return
    request, unit = found
    ctx.reply(
        ctx.t._(
            "The group is meant for the residents of {unit}. If you have another reason to be "
            "in it, such as work there or a home just across the border, a coordinator of the "
            "municipality can let you in. Otherwise withdraw the request.",
            unit=ctx.t.place(unit),
        ),
        [
            Button(ctx.t._("Ask a coordinator"), AskCoordinator(request.id)),
            Button(ctx.t._("Withdraw my request"), WithdrawRequest(request.id)),
        ],
    )


@router.button(AskCoordinator, needs=Needs.NOTHING)
async def ask_coordinator(ctx: Context, press: AskCoordinator) -> None:
    """The request stays for the coordinators, who heard of it when it came."""
    found = await _own_pending_request(ctx, press.request, "group_join")
    if found is None:
        return
    _, unit = found
    ctx.reply(
        ctx.t._(
            "Thank you. A coordinator of the municipality will look at your request to join the "
            "community group of {unit}; if they let you in, I will tell you here.",
            unit=ctx.t.place(unit),
        ),
        _next_buttons(ctx),
    )


@router.button(WithdrawRequest, needs=Needs.NOTHING)
async def withdraw_request(ctx: Context, press: WithdrawRequest) -> None:
    """Declined at the person's own word, with thanks."""
    found = await _own_pending_request(ctx, press.request, "group_join")
    if found is None:
        return
    request, unit = found
    _decline(ctx, request, unit)
    await ctx.audit("group_join_declined", unit=unit.slug, by="person")
    ctx.reply(
        ctx.t._(
            "Your request to join the community group of {unit} is withdrawn. Thank you for "
            "understanding.",
            unit=ctx.t.place(unit),
        ),
        _next_buttons(ctx),
    )


async def settle_join_requests(ctx: Context) -> str | None:
    """Once a person has chosen their unit: let them into its group if they asked; turn
    down, kindly, their requests to another unit's group."""
    resident = ctx.resident
    if resident is None or resident.unit is None:
        return None
    lines = []
    for request in await pending_requests_of(
        ctx.session, channel=ctx.incoming.channel, user_id=ctx.incoming.user_id
    ):
        unit = await ctx.session.get(Unit, request.unit_id)
        if unit is None or unit.telegram_group_chat_id is None:
            continue
        if request.unit_id == resident.unit_id:
            _approve(ctx, request, unit, ApprovedBy.ONBOARDING)
            await ctx.audit("group_join_approved", unit=unit.slug, by=ApprovedBy.ONBOARDING.value)
            lines.append(
                ctx.t._(
                    "I have let you into the community group of {unit}.",
                    unit=ctx.t.place(unit),
                )
            )
        else:
            _decline(ctx, request, unit)
            await ctx.audit("group_join_declined", unit=unit.slug)
            lines.append(
                ctx.t._(
                    "The community group of {unit} is for the people who live there, so I "
                    "could not let you in. Thank you for understanding; your own parish or "
                    "town's group is below.",
                    unit=ctx.t.place(unit),
                )
            )
    return "\n".join(lines) or None


add_unit_settled(settle_join_requests)


@router.button(LetIn, needs=Needs.UNIT)
async def let_in(ctx: Context, press: LetIn) -> None:
    """A coordinator lets a non-resident into a unit's group (checked here, not by the button)."""
    if not ctx.roles.is_staff:
        await ctx.refuse("group_let_in", request=press.request)
        return
    request = await request_by_id(ctx.session, press.request)
    unit = await ctx.session.get(Unit, request.unit_id) if request is not None else None
    if request is None or unit is None or unit.telegram_group_chat_id is None:
        show_menu(ctx, ctx.t._("That request is no longer there."))
        return
    if request.status != JoinStatus.PENDING.value:
        show_menu(
            ctx,
            ctx.t._("That person is already in the group.")
            if request.status == JoinStatus.APPROVED.value
            else ctx.t._("That request was already turned down."),
        )
        return
    _approve(ctx, request, unit, ApprovedBy.COORDINATOR)
    await ctx.audit("group_join_approved", unit=unit.slug, by=ApprovedBy.COORDINATOR.value)
    person = await find_resident(ctx.session, request.channel, request.user_id)
    t = Translator(
        person.language if person is not None else ctx.settings.default_language,
        timezone=ctx.settings.tz,
    )
    ctx.send(
        Address(request.channel, request.user_chat_id),
        Reply(
            t._(
                "A coordinator has let you into the community group of {unit}.",
                unit=t.place(unit),
            )
        ),
    )
    show_menu(
        ctx,
        ctx.t._(
            "Let in: {name}, community group of {unit}.",
            name=request.first_name or "?",
            unit=ctx.t.place(unit),
        ),
    )


async def decline_stale_requests(job: JobContext) -> None:
    """Decline the requests nobody settled within JOIN_REQUEST_WAIT: the person left
    without choosing the unit and no coordinator let them in. Telegram is asked first and
    the request marked after, so a crash in between asks again rather than never."""
    if job.senders is None:
        return
    stale: list[tuple[int, Unit]] = []
    actions: list[Outgoing] = []
    async with job.sessionmaker() as session:
        for request in await stale_requests(session, before=job.now - JOIN_REQUEST_WAIT):
            unit = await session.get(Unit, request.unit_id)
            if unit is None:
                continue
            stale.append((request.id, unit))
            if unit.telegram_group_chat_id is not None:
                action = GroupAction(GroupActionKind.DECLINE, request.user_id)
                actions.append(Outgoing(_group_of(unit), Reply(""), action))
    if not stale:
        return
    await job.senders.deliver(actions)
    async with job.sessionmaker() as session, session.begin():
        for ident, unit in stale:
            request = await request_by_id(session, ident)
            if request is not None and request.status == JoinStatus.PENDING.value:
                decide(request, approve=False, now=job.now)
                await audit(
                    session,
                    action="group_join_declined",
                    actor_id=None,
                    unit=unit.slug,
                    by="unanswered",
                )


# --------------------------------------------------------------------------- the welcome


async def welcome_new_members(job: JobContext) -> None:
    """Welcome the members let in since a group's last welcome, in one message, at most one
    every few minutes a group."""
    async with job.sessionmaker() as session, session.begin():
        due = await welcomes_due(session, now=job.now)
        t = Translator(job.settings.default_language, timezone=job.settings.tz)
        for unit_id, requests in due.items():
            unit = await session.get(Unit, unit_id)
            if unit is not None and unit.telegram_group_chat_id is not None:
                await send_to_group(
                    session,
                    settings=job.settings,
                    chat_id=unit.telegram_group_chat_id,
                    text=welcome_text(t, job.settings, [item.first_name for item in requests]),
                    now=job.now,
                )
            for request in requests:
                request.welcomed_at = job.now


def welcome_text(t: Translator, settings: Settings, names: list[str]) -> str:
    shown = [name for name in names if name][:WELCOME_NAMES]
    rest = len(names) - len(shown)
    who = ", ".join(shown)
    if rest:
        who = t.ngettext("{names} and {n} more", "{names} and {n} more", rest, names=who)
    return t._(
        "Welcome to the group, {who}! For anything personal, write to me in a private chat: {link}",
        who=who,
        link=deep_link(settings, GROUP_LINK, "start"),
    )


# --------------------------------------------------------------------------- in the group


async def group_command(ctx: Context) -> None:
    """One of our commands in a unit's group: /help and /news answered shortly there, the
    rest with a link to the private chat. Other groups hear nothing."""
    unit = await unit_by_group_chat(ctx.session, int(ctx.incoming.chat_id))
    if unit is None:
        return
    name = (ctx.incoming.text or "").strip()[1:].split(" ", 1)[0].split("@", 1)[0].casefold()
    t = Translator(ctx.settings.default_language, timezone=ctx.settings.tz)
    private = deep_link(ctx.settings, GROUP_LINK, name if name.isalnum() else "start")
    if name == "help":
        ctx.reply(
            t._(
                "I am the assistant of the residents' council. Here: /news, the latest news. "
                "Everything else in a private chat: {link}",
                link=private,
            )
        )
        return
    if name == "news":
        items = await news_of_place(
            ctx.session, unit_id=unit.id, locality_id=None, limit=GROUP_NEWS
        )
        if not items:
            ctx.reply(t._("No news yet for {unit}.", unit=t.place(unit)))
            return
        lines = [
            f"{t.datetime(item.started_at or item.due_at)} {heading(item, t)}"
            for item in reversed(items)
        ]
        lines.append(
            t._("To read them in full, write to me in a private chat: {link}", link=private)
        )
        ctx.reply("\n".join(lines))
        return
    ctx.reply(t._("Let us talk about that in a private chat: {link}", link=private))


async def group_link_opened(ctx: Context, code: str) -> None:
    """`/start group_<command>`: someone came from the group to the private chat."""
    show_menu(ctx, ctx.t._("Here we can talk privately."))


add_deep_link(GROUP_LINK, group_link_opened)
