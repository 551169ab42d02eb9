"""Calling a meeting in chat (`/meeting`): kind, audience (only what the person may call),
title, date and time, how long, place or online (and the video link: made or pasted), for
sessions whether the coordinators are invited, agenda, a preview, and Call. Every screen has a way
back; the right to call is checked again when the meeting is stored."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import DATETIME_FORMAT, N_
from handlers.meetings import texts
from handlers.meetings.payloads import (
    NewAlsoOnline,
    NewAudience,
    NewBack,
    NewCoordinators,
    NewDuration,
    NewGo,
    NewKind,
    NewNoAgenda,
    NewOnlineOnly,
    NewTime,
    NewVideo,
    Screen,
)
from handlers.menu import MenuEntry, add_help, add_menu_entry, choose_one, show_menu
from models.meetings import (
    AGENDA_ITEM_MAX,
    AGENDA_ITEMS_MAX,
    DURATION_DEFAULT,
    PLACE_MAX,
    SESSION_CALLERS,
    TITLE_MAX,
    VIDEO_URL_MAX,
    Meeting,
    MeetingKind,
    MeetingPlan,
    check_video_url,
    create_meeting,
    invited_ids,
    may_call,
    may_call_any,
)
from models.roles import Role
from models.territory import Locality, Unit, list_localities, list_units, place_label

router = Router()

DURATIONS_OFFERED = (60, 90, 120)
# Typed durations: a quarter of an hour to a working day.
DURATION_TYPED_MIN = 15
DURATION_TYPED_MAX = 8 * 60


class State(enum.StrEnum):
    CHOOSE = "meetings.choose"  # a screen answered with its buttons
    TITLE = "meetings.title"
    TIME = "meetings.time"
    DURATION = "meetings.duration"
    PLACE = "meetings.place"
    VIDEO = "meetings.video"
    AGENDA = "meetings.agenda"


def _may_call(ctx: Context) -> bool:
    return may_call_any(ctx.roles)


add_menu_entry(MenuEntry(N_("Call a meeting"), "mtnew", order=163, visible=_may_call))
add_help("meeting", N_("call a council session, a community or a working group meeting"), _may_call)


def _cancel(ctx: Context) -> Button:
    return Button(ctx.t._("Cancel"), "menu")


def _back(ctx: Context, to: Screen) -> Button:
    return Button(ctx.t._("Back"), NewBack(to))


def _flow(ctx: Context) -> dict[str, Any]:
    return ctx.flow if str(ctx.state or "").startswith("meetings.") else {}


def _kinds(ctx: Context) -> list[MeetingKind]:
    roles = ctx.roles
    kinds = []
    if any(roles.has(role) for role in SESSION_CALLERS):
        kinds.append(MeetingKind.SESSION)
    if roles.is_staff or roles.units_as(Role.REPRESENTATIVE) or roles.localities_as(Role.DEPUTY):
        kinds.append(MeetingKind.COMMUNITY)
    if roles.units_as(Role.REPRESENTATIVE):
        kinds.append(MeetingKind.WORKING_GROUP)
    return kinds


@router.command("meeting")
@router.button(NewKind)
async def new_meeting(ctx: Context, press: NewKind | None = None) -> None:
    """Start calling a meeting: its kind (only those the person may call)."""
    t = ctx.t
    kinds = _kinds(ctx)
    if not kinds:
        await ctx.refuse("meeting_call")
        return
    kind = press.meeting_kind if press is not None else None
    if kind is None and len(kinds) == 1:
        kind = kinds[0]
    if kind is None:
        buttons = [Button(t._(texts.KIND_LABELS[k.value]), NewKind(k)) for k in kinds]
        ctx.ask(State.CHOOSE, t._("Which meeting do you want to call?"), buttons=buttons)
        return
    if kind not in kinds:
        await ctx.refuse("meeting_call", kind=kind.value)
        return
    # A choice there was none to make is not offered again by Back.
    flow: dict[str, Any] = {"kind": kind.value, "one_kind": len(kinds) == 1}
    if kind is MeetingKind.SESSION:
        _ask_title(ctx, flow)
        return
    await _ask_audience(ctx, flow)


async def _audiences(ctx: Context, kind: MeetingKind) -> list[tuple[Unit, Locality | None]]:
    """The places this person may call a meeting of this kind for."""
    roles = ctx.roles
    found: list[tuple[Unit, Locality | None]] = []
    for unit in await list_units(ctx.session):
        if kind is MeetingKind.WORKING_GROUP:
            if may_call(roles, kind=kind, unit_id=unit.id, locality=None):
                found.append((unit, None))
            continue
        if may_call(roles, kind=kind, unit_id=unit.id, locality=None):
            found.append((unit, None))
            if unit.id in roles.units_as(Role.REPRESENTATIVE):
                found.extend((unit, place) for place in await list_localities(ctx.session, unit.id))
            continue
        for place in await list_localities(ctx.session, unit.id):
            if may_call(roles, kind=kind, unit_id=unit.id, locality=place):
                found.append((unit, place))
    return found


async def _ask_audience(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    kind = MeetingKind(flow["kind"])
    options = await _audiences(ctx, kind)
    if len(options) == 1:
        unit, place = options[0]
        flow.update(unit_id=unit.id, locality_id=place.id if place else None, one_place=True)
        _ask_title(ctx, flow)
        return
    buttons = [
        Button(
            place_label(unit, place, t.language), NewAudience(unit.id, place.id if place else None)
        )
        for unit, place in options
    ]
    ctx.ask(
        State.CHOOSE,
        t._("For whom is the meeting?"),
        buttons=[*buttons, _back(ctx, Screen.KIND)],
        back=_cancel(ctx),
        **flow,
    )


@router.button(NewAudience)
async def chosen_audience(ctx: Context, press: NewAudience) -> None:
    """Take the audience, if the person may call this meeting for it."""
    flow = _flow(ctx)
    if "kind" not in flow:
        await new_meeting(ctx)
        return
    kind = MeetingKind(flow["kind"])
    locality = (
        await ctx.session.get(Locality, press.locality_id)
        if press.locality_id is not None
        else None
    )
    wrong_place = press.locality_id is not None and (
        locality is None or locality.unit_id != press.unit_id
    )
    if (
        wrong_place
        or kind is MeetingKind.SESSION
        or not may_call(ctx.roles, kind=kind, unit_id=press.unit_id, locality=locality)
    ):
        await ctx.refuse("meeting_call", kind=kind.value, unit=press.unit_id)
        return
    flow.update(unit_id=press.unit_id, locality_id=press.locality_id)
    _ask_title(ctx, flow)


def _ask_title(ctx: Context, flow: dict[str, Any]) -> None:
    back: Screen | None = Screen.AUDIENCE
    if flow["kind"] == MeetingKind.SESSION.value or flow.get("one_place"):
        back = None if flow.get("one_kind") else Screen.KIND
    ctx.ask(
        State.TITLE,
        ctx.t._("What is the meeting about? Write a short title."),
        limit=TITLE_MAX,
        buttons=[_back(ctx, back)] if back is not None else [],
        back=_cancel(ctx),
        **flow,
    )


async def typed_title(ctx: Context) -> None:
    flow = ctx.flow
    title = (ctx.incoming.text or "").strip()
    if not title:
        ctx.ask_again(ctx.t._("Please write a short title."))
        return
    flow["title"] = title
    _ask_time(ctx, flow)


def _example(ctx: Context) -> str:
    """A week from now at 18:00, as a time to copy."""
    week = (ctx.now + timedelta(days=7)).astimezone(ctx.settings.tz)
    return week.replace(hour=18, minute=0).strftime(DATETIME_FORMAT)


def _ask_time(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.ask(
        State.TIME,
        ctx.t._(
            "When does it begin? Write the date and time like {example}.", example=_example(ctx)
        ),
        buttons=[_back(ctx, Screen.TITLE)],
        back=_cancel(ctx),
        **flow,
    )


async def typed_time(ctx: Context) -> None:
    await _read_time(ctx, ctx.flow, ctx.incoming.text or "", fold=None)


@router.button(NewTime)
async def twice(ctx: Context, press: NewTime) -> None:
    """Which of the two moments a time the clocks pass twice means."""
    flow = _flow(ctx)
    if "typed" not in flow or press.fold not in (0, 1):
        await new_meeting(ctx)
        return
    await _read_time(ctx, flow, str(flow["typed"]), fold=press.fold)


async def _read_time(ctx: Context, flow: dict[str, Any], text: str, *, fold: int | None) -> None:
    starts = ctx.read_time(text, example=_example(ctx), choose=NewTime().pack(), fold=fold)
    if starts is None:
        flow["typed"] = text
        ctx.remember("flow", flow)
        return
    if starts <= ctx.now:
        ctx.ask_again(ctx.t._("That time has already passed. Please choose a later one."))
        return
    flow.pop("typed", None)
    flow["starts_at"] = starts.isoformat()
    _ask_duration(ctx, flow)


def _ask_duration(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    offered = [
        Button(t.ngettext("{n} minute", "{n} minutes", minutes), NewDuration(minutes))
        for minutes in DURATIONS_OFFERED
    ]
    ctx.ask(
        State.DURATION,
        t._(
            "How long will it last? Choose, or write the minutes (from {low} to {high}).",
            low=DURATION_TYPED_MIN,
            high=DURATION_TYPED_MAX,
        ),
        limit=10,
        buttons=[*offered, _back(ctx, Screen.TIME)],
        back=_cancel(ctx),
        **flow,
    )


async def typed_duration(ctx: Context) -> None:
    text = (ctx.incoming.text or "").strip()
    minutes = int(text) if text.isascii() and text.isdigit() else 0
    if not DURATION_TYPED_MIN <= minutes <= DURATION_TYPED_MAX:
        ctx.ask_again(
            ctx.t._(
                "Please write the minutes as a number from {low} to {high}, like 45.",
                low=DURATION_TYPED_MIN,
                high=DURATION_TYPED_MAX,
            )
        )
        return
    flow = ctx.flow
    flow["duration"] = minutes
    _ask_place(ctx, flow)


@router.button(NewDuration)
async def chosen_duration(ctx: Context, press: NewDuration) -> None:
    flow = _flow(ctx)
    if "starts_at" not in flow or press.minutes not in DURATIONS_OFFERED:
        await new_meeting(ctx)
        return
    flow["duration"] = press.minutes
    _ask_place(ctx, flow)


def _ask_place(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    ctx.ask(
        State.PLACE,
        t._("Where will it be held? Write the place (an address, a hall), or choose Online only."),
        limit=PLACE_MAX,
        buttons=[Button(t._("Online only"), NewOnlineOnly()), _back(ctx, Screen.DURATION)],
        back=_cancel(ctx),
        **flow,
    )


async def typed_place(ctx: Context) -> None:
    t = ctx.t
    flow = ctx.flow
    place = (ctx.incoming.text or "").strip()
    if not place:
        ctx.ask_again(t._("Please write the place, or choose Online only."))
        return
    flow["place"] = place
    ctx.ask(
        State.CHOOSE,
        t._("Can people also take part online, by a video link?"),
        buttons=[
            Button(t._("Yes, also online"), NewAlsoOnline(True)),
            Button(t._("No, in person only"), NewAlsoOnline(False)),
            _back(ctx, Screen.PLACE),
        ],
        back=_cancel(ctx),
        **flow,
    )


@router.button(NewOnlineOnly)
async def online_only(ctx: Context, press: NewOnlineOnly) -> None:
    flow = _flow(ctx)
    if "starts_at" not in flow:
        await new_meeting(ctx)
        return
    flow.pop("place", None)
    flow["online"] = True
    _ask_video(ctx, flow)


@router.button(NewAlsoOnline)
async def also_online(ctx: Context, press: NewAlsoOnline) -> None:
    flow = _flow(ctx)
    if "place" not in flow:
        await new_meeting(ctx)
        return
    flow["online"] = press.online
    if press.online:
        _ask_video(ctx, flow)
    else:
        _after_video(ctx, flow)


def _ask_video(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    ctx.ask(
        State.CHOOSE,
        t._(
            "The video link: Padome can make one (a room of its own that nobody guesses), or "
            "you paste a link you have."
        ),
        buttons=[
            Button(t._("Make a video link"), NewVideo(paste=False)),
            Button(t._("Paste a link"), NewVideo(paste=True)),
            _back(ctx, Screen.PLACE),
        ],
        back=_cancel(ctx),
        **flow,
    )


@router.button(NewVideo)
async def chosen_video(ctx: Context, press: NewVideo) -> None:
    flow = _flow(ctx)
    if not flow.get("online") or "starts_at" not in flow:
        await new_meeting(ctx)
        return
    if not press.paste:
        flow.pop("video_url", None)
        _after_video(ctx, flow)
        return
    ctx.ask(
        State.VIDEO,
        ctx.t._("Paste the video link; it begins with https://."),
        limit=VIDEO_URL_MAX,
        buttons=[_back(ctx, Screen.VIDEO)],
        back=_cancel(ctx),
        **flow,
    )


async def typed_video(ctx: Context) -> None:
    try:
        url = check_video_url(ctx.incoming.text or "")
    except ValueError:
        ctx.ask_again(
            ctx.t._("That is not a link that begins with https://. Please paste the whole link.")
        )
        return
    flow = ctx.flow
    flow["video_url"] = url
    _after_video(ctx, flow)


def _after_video(ctx: Context, flow: dict[str, Any]) -> None:
    """Sessions ask about the coordinators; every meeting then asks for the agenda."""
    if flow["kind"] != MeetingKind.SESSION.value:
        _ask_agenda(ctx, flow)
        return
    t = ctx.t
    ctx.ask(
        State.CHOOSE,
        t._("Invite the coordinators too?"),
        buttons=[
            Button(t._("Yes, invite the coordinators"), NewCoordinators(True)),
            Button(t._("No, the council only"), NewCoordinators(False)),
            _back(ctx, Screen.VIDEO if flow.get("online") else Screen.PLACE),
        ],
        back=_cancel(ctx),
        **flow,
    )


@router.button(NewCoordinators)
async def chosen_coordinators(ctx: Context, press: NewCoordinators) -> None:
    flow = _flow(ctx)
    if flow.get("kind") != MeetingKind.SESSION.value or "online" not in flow:
        await new_meeting(ctx)
        return
    flow["with_coordinators"] = press.invite
    _ask_agenda(ctx, flow)


def _agenda_back(flow: dict[str, Any]) -> Screen:
    if flow["kind"] == MeetingKind.SESSION.value:
        return Screen.COORDINATORS
    return Screen.VIDEO if flow.get("online") else Screen.PLACE


def _ask_agenda(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    ctx.ask(
        State.AGENDA,
        t._("Write the agenda, one item a line, or choose Without an agenda."),
        limit=AGENDA_ITEM_MAX * 4,
        buttons=[
            Button(t._("Without an agenda"), NewNoAgenda()),
            _back(ctx, _agenda_back(flow)),
        ],
        back=_cancel(ctx),
        **flow,
    )


async def typed_agenda(ctx: Context) -> None:
    t = ctx.t
    flow = ctx.flow
    items = [line.strip().lstrip("-•*").strip() for line in (ctx.incoming.text or "").splitlines()]
    items = [item for item in items if item]
    if len(items) > AGENDA_ITEMS_MAX or any(len(item) > AGENDA_ITEM_MAX for item in items):
        ctx.ask_again(
            t._(
                "At most {n} items of at most {limit} characters each, please.",
                n=AGENDA_ITEMS_MAX,
                limit=AGENDA_ITEM_MAX,
            )
        )
        return
    flow["agenda"] = items
    await _preview(ctx, flow)


@router.button(NewNoAgenda)
async def no_agenda(ctx: Context, press: NewNoAgenda) -> None:
    flow = _flow(ctx)
    if "starts_at" not in flow:
        await new_meeting(ctx)
        return
    flow["agenda"] = []
    await _preview(ctx, flow)


async def _plan(ctx: Context, flow: dict[str, Any], *, urgent: bool = False) -> MeetingPlan:
    unit = await ctx.session.get(Unit, flow["unit_id"]) if flow.get("unit_id") else None
    locality = (
        await ctx.session.get(Locality, flow["locality_id"]) if flow.get("locality_id") else None
    )
    return MeetingPlan(
        kind=MeetingKind(flow["kind"]),
        title=flow["title"],
        unit=unit,
        locality=locality,
        starts_at=datetime.fromisoformat(flow["starts_at"]),
        duration_minutes=int(flow.get("duration") or DURATION_DEFAULT),
        place=flow.get("place"),
        online=bool(flow.get("online")),
        video_url=flow.get("video_url") if flow.get("online") else None,
        agenda=tuple(flow.get("agenda") or ()),
        urgent=urgent,
        with_coordinators=bool(flow.get("with_coordinators")),
    )


async def _preview(ctx: Context, flow: dict[str, Any]) -> None:
    """The invitation as the invited will read it, how many get it, and Call."""
    t = ctx.t
    plan = await _plan(ctx, flow)
    sample = Meeting(
        kind=plan.kind.value,
        title=plan.title,
        unit=plan.locality.unit if plan.locality else plan.unit,
        locality=plan.locality,
        unit_id=(plan.locality.unit_id if plan.locality else plan.unit.id if plan.unit else None),
        locality_id=plan.locality.id if plan.locality else None,
        starts_at=plan.starts_at,
        duration_minutes=plan.duration_minutes,
        place=plan.place,
        online=plan.online,
        agenda=list(plan.agenda),
        urgent=False,
        with_coordinators=plan.with_coordinators,
    )
    invited = len(await invited_ids(ctx.session, sample))
    preview = texts.details(sample, t, with_link=False)
    choices = []
    if plan.online:
        choices.append(
            t._("Video link: {url}", url=plan.video_url)
            if plan.video_url
            else t._("Video link: Padome makes one when the meeting is called.")
        )
    if plan.kind is MeetingKind.SESSION:
        choices.append(
            t._("The coordinators are invited too.")
            if plan.with_coordinators
            else t._("The coordinators are not invited.")
        )
    if choices:
        preview += "\n\n" + "\n".join(choices)
    count = t.ngettext(
        "The invitation goes to {n} person.", "The invitation goes to {n} people.", invited
    )
    buttons = [Button(t._("Call the meeting"), NewGo())]
    if plan.kind is MeetingKind.SESSION:
        buttons.append(Button(t._("Call it as an urgent session"), NewGo(urgent=True)))
    ctx.ask(
        State.CHOOSE,
        t._("This is the invitation:") + "\n\n" + preview + "\n\n" + count,
        buttons=[*buttons, _back(ctx, Screen.AGENDA)],
        back=_cancel(ctx),
        **flow,
    )


@router.button(NewGo)
async def call(ctx: Context, press: NewGo) -> None:
    """Store the meeting, its caller's right checked again; the invitations go on the next
    tick of the scheduler."""
    flow = _flow(ctx)
    if "agenda" not in flow:
        await new_meeting(ctx)
        return
    plan = await _plan(ctx, flow, urgent=press.urgent)
    unit_id = plan.unit.id if plan.unit else None
    if not may_call(ctx.roles, kind=plan.kind, unit_id=unit_id, locality=plan.locality):
        await ctx.refuse("meeting_call", kind=plan.kind.value)
        return
    try:
        meeting = await create_meeting(
            ctx.session,
            plan=plan,
            organiser=ctx.resident,
            video_base_url=ctx.settings.meeting_video_base_url,
            now=ctx.now,
        )
    except ValueError:
        # The time passed while the meeting was being written.
        _ask_time(ctx, flow)
        return
    await ctx.audit("meeting_created", meeting=meeting.id)
    show_menu(
        ctx,
        ctx.t._(
            'The meeting "{title}" is called. The invitations go out in a moment; you see the '
            "answers under Meetings.",
            title=meeting.title,
        ),
    )


@router.button(NewBack)
async def back(ctx: Context, press: NewBack) -> None:
    """Back to an earlier screen, keeping what was written."""
    flow = _flow(ctx)
    if "kind" not in flow or press.to is Screen.KIND:
        await new_meeting(ctx)
        return
    if press.to is Screen.AUDIENCE:
        await _ask_audience(ctx, {"kind": flow["kind"], "one_kind": flow.get("one_kind")})
    elif press.to is Screen.TITLE:
        _ask_title(ctx, flow)
    elif press.to is Screen.TIME and "title" in flow:
        _ask_time(ctx, flow)
    elif press.to is Screen.DURATION and "starts_at" in flow:
        _ask_duration(ctx, flow)
    elif press.to is Screen.PLACE and "starts_at" in flow:
        _ask_place(ctx, flow)
    elif press.to is Screen.VIDEO and flow.get("online"):
        _ask_video(ctx, flow)
    elif press.to is Screen.COORDINATORS and "online" in flow:
        _after_video(ctx, flow)
    elif press.to is Screen.AGENDA and "online" in flow:
        _ask_agenda(ctx, flow)
    else:
        await new_meeting(ctx)


async def typed_on_buttons(ctx: Context) -> None:
    """Text typed where a button is to be chosen: the same screen again."""
    ctx.ask_again(choose_one(ctx))


router.flow(
    {
        State.CHOOSE: typed_on_buttons,
        State.TITLE: Step(typed_title, free_text=True),
        State.TIME: Step(typed_time, free_text=True),
        # A typed number is the minutes, never an option: "5" is refused as too short, not
        # taken for Cancel; the lengths offered, Back and Cancel are chosen by their words.
        State.DURATION: Step(typed_duration, numbers=True),
        State.PLACE: Step(typed_place, free_text=True),
        State.VIDEO: Step(typed_video, free_text=True),
        State.AGENDA: Step(typed_agenda, free_text=True),
    }
)
