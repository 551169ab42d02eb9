"""Offer or ask for help: a ride, a parcel run or other help, in a few taps or digits."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.dialog.context import Context, time_problem
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step, fold
from bot.i18n import DATETIME_FORMAT, N_, Translator
from bot.parsing import TimeError, TimeNotUnderstood, check_horizon, parse_id, parse_local_time
from broadcasts.notices import send_to_group
from handlers.menu import MenuEntry, add_help, add_menu_entry, choose_one, everyone, show_menu
from handlers.neighbour_help.common import (
    KIND_BUTTONS,
    ContactChosen,
    CountChosen,
    FoldChosen,
    GroupChosen,
    NewPost,
    OpenPost,
    PlaceChosen,
    PostStep,
    contact_buttons,
    contact_choice_applies,
    label,
    summary,
    tell,
)
from handlers.neighbour_help.common import Step as Draft
from handlers.neighbour_help.matching import open_post
from handlers.onboarding import add_deep_link, deep_link
from models.neighbour_help import (
    COUNT_MAX,
    PLACE_MAX,
    TEXT_MAX,
    Contact,
    HelpError,
    HelpPost,
    Kind,
    create_post,
    is_banned,
    list_destinations,
    subscribers_for,
)
from models.territory import list_localities

router = Router()

HELP_LINK = "help"

PLACES_SHOWN = 10
# The kinds whose post has a count (seats, people, parcels): 1 to COUNT_MAX, chosen or typed.
COUNTED = frozenset({Kind.RIDE_OFFER, Kind.RIDE_REQUEST, Kind.PARCEL_OFFER, Kind.PARCEL_REQUEST})
# What a resident answers while writing a post: once any is given, Cancel asks first.
ANSWERS = ("from", "to", "when", "returns", "count", "text", "contact", "group")
_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$", re.ASCII)


class State(enum.StrEnum):
    FROM = "nh.from"
    TO = "nh.to"
    WHEN = "nh.when"
    BACK = "nh.back"
    COUNT = "nh.count"
    TEXT = "nh.text"
    CONTACT = "nh.contact"
    GROUP = "nh.group"
    CONFIRM = "nh.confirm"
    DISCARD = "nh.discard"


add_menu_entry(MenuEntry(N_("Neighbour help"), "nh", order=30))
add_help("neighbours", N_("neighbour help: rides, parcels and other help"), everyone)


@router.command("neighbours")
@router.payload("nh")
async def neighbour_help(ctx: Context) -> None:
    """The neighbour-help screen: find, offer or ask, one's own posts, notices of offers."""
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "Neighbour help: share a ride, bring a parcel for a neighbour, or ask for it. "
            "Your phone number is not shown to anyone: contacts are exchanged only when you "
            "accept a neighbour, or they accept you."
        ),
        [
            Button(ctx.t._("Find offers and requests"), "nhfind"),
            Button(ctx.t._("Offer or ask for help"), NewPost()),
            Button(ctx.t._("My posts and requests"), "nhmine"),
            Button(ctx.t._("Tell me of new offers"), "nhsubs"),
            Button(ctx.t._("Main menu"), "menu"),
        ],
    )


def _cancel(ctx: Context) -> Button:
    return Button(ctx.t._("Cancel"), PostStep(Draft.CANCEL))


def _draft(ctx: Context) -> dict[str, Any] | None:
    flow = ctx.flow
    if not (ctx.state or "").startswith("nh.") or "kind" not in flow:
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))
        return None
    return flow


def _draft_at(ctx: Context, *states: State) -> dict[str, Any] | None:
    """The post being written, if a button of the step now asked was pressed."""
    flow = _draft(ctx)
    if flow is not None and ctx.state == State.DISCARD:
        # A button of the step before, while Cancel waits for its answer: that answer first.
        ctx.ask_again(choose_one(ctx))
        return None
    if flow is not None and ctx.state not in states:
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))
        return None
    return flow


@router.button(NewPost)
async def new_post(ctx: Context, press: NewPost) -> None:
    """Ask what kind of help; then start asking about it."""
    assert ctx.resident is not None
    if await is_banned(ctx.session, ctx.resident.id):
        await ctx.refuse("help_post", reason="banned")
        return
    if press.what is None:
        ctx.clear_state()
        ctx.reply(
            ctx.t._("What would you like to do?"),
            [Button(ctx.t._(text), NewPost(kind)) for kind, text in KIND_BUTTONS.items()]
            + [Button(ctx.t._("Back"), "nh")],
        )
        return
    await _next(ctx, {"kind": press.what.value, "key": secrets.token_hex(8)})


async def _places(
    ctx: Context, *, destinations_first: bool, leave_out: str | None = None
) -> list[str]:
    assert ctx.resident is not None and ctx.resident.unit_id is not None
    own = [ctx.resident.locality.name] if ctx.resident.locality else []
    localities = [item.name for item in await list_localities(ctx.session, ctx.resident.unit_id)]
    destinations = [
        item.name for item in await list_destinations(ctx.session, ctx.resident.unit_id)
    ]
    ordered = (
        destinations + own + localities if destinations_first else own + localities + destinations
    )
    places: list[str] = []
    for name in ordered:
        if name not in places and (leave_out is None or fold(name) != fold(leave_out)):
            places.append(name)
    return places[:PLACES_SHOWN]


async def _ask_place(ctx: Context, flow: dict[str, Any], state: State, question: str) -> None:
    # A ride goes somewhere else: the place it starts from is not offered as where to.
    places = await _places(
        ctx,
        destinations_first=state is State.TO,
        leave_out=flow.get("from") if state is State.TO else None,
    )
    flow["places"] = places
    hint = ctx.t._("Choose one, or write the place (at most {limit} characters).", limit=PLACE_MAX)
    ctx.ask(
        state,
        f"{question}\n{hint}",
        limit=PLACE_MAX,
        buttons=[Button(name, PlaceChosen(index)) for index, name in enumerate(places)],
        back=_cancel(ctx),
        **flow,
    )


def _example(ctx: Context) -> str:
    tomorrow = (ctx.now.astimezone(ctx.settings.tz) + timedelta(days=1)).replace(hour=9, minute=0)
    return tomorrow.strftime(DATETIME_FORMAT)


async def _next(ctx: Context, flow: dict[str, Any]) -> None:
    """Ask the first question not yet answered, or show the post to check."""
    assert ctx.resident is not None
    kind = Kind(flow["kind"])
    topic, offer = kind.topic, kind.is_offer
    t = ctx.t
    if topic == "other" and "text" not in flow:
        ctx.ask(
            State.TEXT,
            t._("Describe the help in a few words (at most {limit} characters).", limit=TEXT_MAX),
            limit=TEXT_MAX,
            back=_cancel(ctx),
            **flow,
        )
    elif topic == "ride" and "from" not in flow:
        question = (
            t._("Where do you drive from?") if offer else t._("Where do you need a ride from?")
        )
        await _ask_place(ctx, flow, State.FROM, question)
    elif topic in ("ride", "parcel") and "to" not in flow:
        if topic == "ride":
            question = t._("Where to?")
        elif offer:
            question = t._("Where do you pick up parcels (a town, the parcel terminals)?")
        else:
            question = t._("Where should the parcel be picked up?")
        await _ask_place(ctx, flow, State.TO, question)
    elif "when" not in flow:
        if topic == "ride":
            question = t._(
                "When do you leave? Write the date and time like {example}.", example=_example(ctx)
            )
        elif kind is Kind.PARCEL_OFFER:
            question = t._(
                "When do you go? Write the date and time like {example}.", example=_example(ctx)
            )
        else:
            question = t._(
                "Until when? Write the date and time like {example}.", example=_example(ctx)
            )
        ctx.ask(State.WHEN, question, back=_cancel(ctx), **flow)
    elif kind is Kind.RIDE_OFFER and "returns" not in flow:
        ctx.ask(
            State.BACK,
            t._(
                "About when do you come back? Write the time like 13:00, or for another day "
                "the date and time like {example}, or choose Skip.",
                example=_back_example(ctx, flow),
            ),
            buttons=[Button(t._("Skip"), PostStep(Draft.SKIP_BACK))],
            back=_cancel(ctx),
            **flow,
        )
    elif kind in COUNTED and "count" not in flow:
        questions = {
            Kind.RIDE_OFFER: N_("How many free seats?"),
            Kind.RIDE_REQUEST: N_("How many people need the ride?"),
            Kind.PARCEL_OFFER: N_("How many parcels can you bring?"),
            Kind.PARCEL_REQUEST: N_("How many parcels?"),
        }
        ctx.ask(
            State.COUNT,
            t._(questions[kind])
            + "\n"
            + t._(
                'Choose or write a number from 1 to {last}, or "{cancel}".',
                last=COUNT_MAX,
                cancel=t._("Cancel"),
            ),
            buttons=_count_rows(),
            back=_cancel(ctx),
            **flow,
        )
    elif "text" not in flow:
        ctx.ask(
            State.TEXT,
            t._(
                "Anything to add? Write it (at most {limit} characters), or choose Skip.",
                limit=TEXT_MAX,
            ),
            limit=TEXT_MAX,
            buttons=[Button(t._("Skip"), PostStep(Draft.SKIP_TEXT))],
            back=_cancel(ctx),
            **flow,
        )
    elif "contact" not in flow and contact_choice_applies(ctx):
        ctx.set_state(State.CONTACT, **flow)
        ctx.reply(
            t._("How may a neighbour reach you once you accept them? Nobody sees it before that."),
            [Button(text, ContactChosen(choice)) for text, choice in contact_buttons(ctx)]
            + [_cancel(ctx)],
        )
    elif "group" not in flow and ctx.resident.unit and ctx.resident.unit.telegram_group_chat_id:
        ctx.set_state(State.GROUP, **flow)
        ctx.reply(
            t._(
                "Post it in the community group too? It shows there without your name or "
                "contact; neighbours answer here, in a private chat."
            ),
            [
                Button(t._("Yes, post it in the group"), GroupChosen(True)),
                Button(t._("No, only here"), GroupChosen(False)),
                _cancel(ctx),
            ],
        )
    else:
        _preview(ctx, flow)


def _count_rows() -> list[list[Button]]:
    """Every count a post may have, in rows of four. On WhatsApp and SMS a typed number is
    the count, never an option's number: 9 is refused as too many, not taken for Cancel."""
    counts = [Button(str(n), CountChosen(n)) for n in range(1, COUNT_MAX + 1)]
    return [counts[start : start + 4] for start in range(0, len(counts), 4)]


def _transient(ctx: Context, flow: dict[str, Any]) -> HelpPost:
    """The post as it will be, to show it before it is published."""
    return HelpPost(
        id=None,
        kind=flow["kind"],
        from_place=flow.get("from"),
        to_place=flow.get("to"),
        starts_at=datetime.fromisoformat(flow["when"]),
        returns_at=datetime.fromisoformat(flow["returns"]) if flow.get("returns") else None,
        count=flow.get("count") or 1,
        taken=0,
        text=flow.get("text"),
    )


def _preview(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None and ctx.resident.unit is not None
    lines = [
        ctx.t._("Please check it:"),
        summary(ctx.t, _transient(ctx, flow)),
        "",
        ctx.t._(
            "Neighbours in {unit} will see it. Your contact goes only to those you accept.",
            unit=ctx.t.place(ctx.resident.unit),
        ),
    ]
    ctx.set_state(State.CONFIRM, **flow)
    ctx.reply(
        "\n".join(lines),
        [Button(ctx.t._("Publish"), PostStep(Draft.PUBLISH)), _cancel(ctx)],
    )


@router.button(PlaceChosen)
async def place_chosen(ctx: Context, press: PlaceChosen) -> None:
    """Take one of the places offered."""
    flow = _draft_at(ctx, State.FROM, State.TO)
    if flow is None:
        return
    places = flow.get("places") or []
    if press.index >= len(places):
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))
        return
    await _take_place(ctx, flow, places[press.index])


async def _take_place(ctx: Context, flow: dict[str, Any], place: str) -> None:
    if (
        ctx.state == State.TO
        and Kind(flow["kind"]).topic == "ride"
        and fold(place) == fold(flow.get("from") or "")
    ):
        ctx.ask_again(
            ctx.t._(
                "A ride cannot end where it starts ({place}). "
                "Please choose or write another place.",
                place=flow["from"],
            )
        )
        return
    flow["from" if ctx.state == State.FROM else "to"] = place
    flow.pop("places", None)
    await _next(ctx, flow)


async def place_written(ctx: Context) -> None:
    """Take a typed place."""
    flow = _draft(ctx)
    if flow is None:
        return
    place = " ".join((ctx.incoming.text or "").split())
    if not any(ch.isalnum() for ch in place):
        ctx.ask_again(ctx.t._("Please write the place."))
        return
    await _take_place(ctx, flow, place)


async def when_written(ctx: Context, fold: int | None = None) -> None:
    """Take the date and time: in the future, and at most two years ahead."""
    flow = _draft(ctx)
    if flow is None:
        return
    typed = ctx.incoming.text or flow.get("typed_when") or ""
    flow["typed_when"] = typed
    # Kept for the button that tells which of two equal times is meant; the question stays.
    asked = ctx.recall("asked")
    ctx.set_state(State.WHEN, **flow)
    ctx.remember("asked", asked)
    moment = ctx.read_time(typed, example=_example(ctx), choose=FoldChosen.kind, fold=fold)
    if moment is None:
        return
    if moment <= ctx.now:
        ctx.ask_again(ctx.t._("That time has passed. Please write a time still to come."))
        return
    flow.pop("typed_when", None)
    flow["when"] = moment.isoformat()
    await _next(ctx, flow)


def _back_on_a_day(ctx: Context, flow: dict[str, Any], text: str) -> datetime | None:
    """A typed `dd.mm.yyyy hh:mm` of coming back, or None with the person told why. It is
    about when: of a time the clocks pass twice, the first is taken without asking."""
    try:
        return check_horizon(parse_local_time(text, ctx.settings.tz, fold=0), ctx.now)
    except TimeNotUnderstood:
        _back_not_understood(ctx, flow)
    except TimeError as error:
        ctx.ask_again(time_problem(ctx.t, error, example=_back_example(ctx, flow)))
    return None


def _back_not_understood(ctx: Context, flow: dict[str, Any]) -> None:
    ctx.ask_again(
        ctx.t._(
            "Please write the time like 13:00, or the date and time like {example}, "
            "or choose Skip.",
            example=_back_example(ctx, flow),
        )
    )


@router.button(FoldChosen)
async def fold_chosen(ctx: Context, press: FoldChosen) -> None:
    """The earlier or the later of a time the clocks pass twice."""
    if ctx.state != State.WHEN or press.index not in (0, 1):
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))
        return
    await when_written(ctx, fold=press.index)


def _back_example(ctx: Context, flow: dict[str, Any]) -> str:
    """A return the next day after leaving, as the date and time are written."""
    leaving = datetime.fromisoformat(flow["when"]).astimezone(ctx.settings.tz)
    return (leaving + timedelta(days=1)).replace(hour=18, minute=0).strftime(DATETIME_FORMAT)


async def back_written(ctx: Context) -> None:
    """Take the time of coming back: a time later on the day of leaving, or a date and time
    after leaving."""
    flow = _draft(ctx)
    if flow is None or "when" not in flow:
        return
    text = ctx.incoming.text or ""
    leaving = datetime.fromisoformat(flow["when"]).astimezone(ctx.settings.tz)
    found = _CLOCK.match(text)
    if found is None:
        back = _back_on_a_day(ctx, flow, text)
        if back is None:
            return
        if back <= leaving:
            ctx.ask_again(
                ctx.t._(
                    "You leave at {time}: the time back must be later.",
                    time=ctx.t.datetime(leaving),
                )
            )
            return
        flow["returns"] = back.isoformat()
        await _next(ctx, flow)
        return
    if int(found.group(1)) > 23 or int(found.group(2)) > 59:
        _back_not_understood(ctx, flow)
        return
    back = leaving.replace(hour=int(found.group(1)), minute=int(found.group(2)))
    if back <= leaving:
        # Coming back before leaving is a slip of the keys more often than a night away:
        # told, and asked again rather than quietly moved to the next day.
        ctx.ask_again(
            ctx.t._(
                "You leave at {time}: the time back must be later that day.",
                time=ctx.t.datetime(leaving),
            )
        )
        return
    flow["returns"] = back.isoformat()
    await _next(ctx, flow)


async def count_typed(ctx: Context) -> None:
    """Take a typed count: a number from 1 to COUNT_MAX; a bigger one is refused, naming
    the range."""
    flow = _draft(ctx)
    if flow is None:
        return
    text = (ctx.incoming.text or "").strip().rstrip(".)")
    if text.isascii() and text.isdigit() and int(text) > COUNT_MAX:
        ctx.ask_again(
            ctx.t._(
                "At most {last} in one post. Please write a number from 1 to {last}.",
                last=COUNT_MAX,
            )
        )
        return
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= COUNT_MAX:
        ctx.ask_again(ctx.t._("Please write a number from 1 to {last}.", last=COUNT_MAX))
        return
    flow["count"] = int(text)
    await _next(ctx, flow)


@router.button(CountChosen)
async def count_chosen(ctx: Context, press: CountChosen) -> None:
    flow = _draft_at(ctx, State.COUNT)
    if flow is None:
        return
    if not 1 <= press.count <= COUNT_MAX:
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))
        return
    flow["count"] = press.count
    await _next(ctx, flow)


async def text_written(ctx: Context) -> None:
    flow = _draft(ctx)
    if flow is None:
        return
    text = " ".join((ctx.incoming.text or "").split())
    if not text:
        ctx.ask_again(ctx.t._("Please write the text."))
        return
    flow["text"] = text
    await _next(ctx, flow)


@router.button(PostStep)
async def post_step(ctx: Context, press: PostStep) -> None:
    """Skip the time back or the text, publish, or cancel (asking first once answers would
    be lost)."""
    if press.step in (Draft.CANCEL, Draft.DISCARD):
        writing = ctx.flow if (ctx.state or "").startswith("nh.") else {}
        # "Yes, cancel it" of an earlier question, pressed while writing again, asks anew.
        sure = press.step is Draft.DISCARD and ctx.state == State.DISCARD
        if not sure and "kind" in writing and any(key in writing for key in ANSWERS):
            _ask_discard(ctx, writing)
            return
        show_menu(ctx, ctx.t._("Nothing was published."))
        return
    flow = _draft(ctx)
    if flow is None:
        return
    if ctx.state == State.DISCARD:
        if press.step is Draft.RESUME:
            await _next(ctx, flow)
        else:
            ctx.ask_again(choose_one(ctx))
        return
    if press.step is Draft.SKIP_BACK and ctx.state == State.BACK:
        flow["returns"] = None
        await _next(ctx, flow)
    elif press.step is Draft.SKIP_TEXT and ctx.state == State.TEXT:
        flow["text"] = None
        await _next(ctx, flow)
    elif press.step is Draft.PUBLISH and ctx.state == State.CONFIRM:
        await _publish(ctx, flow)
    else:
        show_menu(ctx, ctx.t._("That post is no longer being prepared."))


def _ask_discard(ctx: Context, flow: dict[str, Any]) -> None:
    """Ask before giving up a post with answers in it: Cancel may have been typed by
    mistake, as a number on WhatsApp or SMS."""
    ctx.ask(
        State.DISCARD,
        ctx.t._("Cancel this post? What you have entered so far will not be kept."),
        buttons=[Button(ctx.t._("Yes, cancel it"), PostStep(Draft.DISCARD))],
        back=Button(ctx.t._("No, go on"), PostStep(Draft.RESUME)),
        **flow,
    )


async def discard_typed(ctx: Context) -> None:
    """Text typed where Cancel is to be confirmed: the same question again."""
    ctx.ask_again(choose_one(ctx))


@router.button(ContactChosen)
async def contact_chosen(ctx: Context, press: ContactChosen) -> None:
    flow = _draft_at(ctx, State.CONTACT)
    if flow is None:
        return
    flow["contact"] = press.contact.value
    await _next(ctx, flow)


@router.button(GroupChosen)
async def group_chosen(ctx: Context, press: GroupChosen) -> None:
    flow = _draft_at(ctx, State.GROUP)
    if flow is None:
        return
    flow["group"] = press.share
    await _next(ctx, flow)


async def _publish(ctx: Context, flow: dict[str, Any]) -> None:
    assert ctx.resident is not None
    try:
        post = await create_post(
            ctx.session,
            author=ctx.resident,
            kind=Kind(flow["kind"]),
            from_place=flow.get("from"),
            to_place=flow.get("to"),
            starts_at=datetime.fromisoformat(flow["when"]),
            returns_at=datetime.fromisoformat(flow["returns"]) if flow.get("returns") else None,
            count=int(flow.get("count") or 1),
            text=flow.get("text"),
            contact=Contact(flow.get("contact") or Contact.MESSENGER.value),
            channel=ctx.incoming.channel,
            to_group=bool(flow.get("group")),
            now=ctx.now,
        )
    except HelpError as error:
        if error.reason == "banned":
            await ctx.refuse("help_post", reason="banned")
            return
        ctx.ask_again(ctx.t._("That time has passed. Please write a time still to come."))
        ctx.set_state(State.WHEN, **{k: v for k, v in flow.items() if k != "when"})
        return
    await ctx.audit("help_posted", post=post.id)
    if post.kind_enum.is_offer:
        await tell(
            ctx.session,
            ctx.settings,
            ctx.now,
            await subscribers_for(ctx.session, post),
            lambda t: t._(
                "A neighbour offers help: No. {id}. Open it with the button.", id=post.id
            ),
            button=(N_("Open"), OpenPost(post.id).pack()),
        )
    unit = ctx.resident.unit
    if post.to_group and unit is not None and unit.telegram_group_chat_id is not None:
        t = Translator(ctx.settings.default_language, timezone=ctx.settings.tz)
        shown = await send_to_group(
            ctx.session,
            settings=ctx.settings,
            chat_id=unit.telegram_group_chat_id,
            text=t._(
                "Neighbour help:\n{post}\nTo answer, write to me in a private chat: {link}",
                post=summary(t, post, with_text=False),
                link=deep_link(ctx.settings, HELP_LINK, str(post.id)),
            ),
            now=ctx.now,
        )
        post.group_broadcast_id = shown.id if shown is not None else None
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "Published as {post}. You will get a message here when a neighbour answers.",
            post=label(ctx.t, post),
        ),
        [
            Button(ctx.t._("My posts and requests"), "nhmine"),
            Button(ctx.t._("Neighbour help"), "nh"),
            Button(ctx.t._("Main menu"), "menu"),
        ],
    )


async def help_link_opened(ctx: Context, code: str) -> None:
    """`/start help_<number>`: a post seen in the community group, opened in private."""
    post_id = parse_id(code)
    if post_id is None:
        await ctx.refuse("help_link", code=code[:20])
        return
    await open_post(ctx, OpenPost(post_id))


add_deep_link(HELP_LINK, help_link_opened)


router.flow(
    {
        State.FROM: Step(place_written, free_text=True),
        State.TO: Step(place_written, free_text=True),
        State.WHEN: Step(when_written, free_text=True),
        State.BACK: Step(back_written, free_text=True),
        # A typed number is the count; Cancel is chosen by its word, never by a number.
        State.COUNT: Step(count_typed, numbers=True),
        State.TEXT: Step(text_written, free_text=True),
        State.DISCARD: discard_typed,
    }
)
# Answered by their buttons (typed text keeps the question): State.CONTACT, State.CONFIRM.
