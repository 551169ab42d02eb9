"""A trusted helper: a resident names someone who uses the bot to receive the council's
messages for them and answer surveys and meeting invitations on their behalf.

Made in three steps, each checked on the server: the resident asks for a code; the helper
types it and confirms; the resident confirms again. Either side ends it at any time, and
both are told. Every act through a helper is written to the audit log; a button acting for
someone who never named this person is refused and written down too.
"""

from __future__ import annotations

import enum
from datetime import datetime

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.i18n import N_, Translator
from broadcasts.notices import send_notice
from handlers.helpers.payloads import (
    HelperAccept,
    HelperConfirm,
    HelperEnd,
    HelperEnter,
    HelperFor,
    HelperMeeting,
    HelperMeetingAsk,
    HelperScreen,
    HelperStart,
    HelperSurvey,
)
from handlers.meetings import texts as meeting_texts
from handlers.meetings.payloads import MeetingReply
from handlers.meetings.schedule import answer_buttons
from handlers.menu import MenuEntry, add_menu_entry, show_menu
from handlers.surveys.answering import ask_question
from handlers.surveys.listing import find_survey, say_closed, short, title_of
from models.helpers import (
    CODE_VALID,
    ActKind,
    CodeProblem,
    HelperLink,
    LinkStatus,
    active_link,
    codes_blocked_until,
    end_link,
    first_name,
    get_link,
    helper_confirms,
    link_by_code,
    links_of,
    open_link_between,
    record_act,
    record_wrong_code,
    resident_confirms,
    start_link,
)
from models.meeting_answers import AnswerRefused, answer_of
from models.meeting_answers import record_answer as record_meeting_answer
from models.meetings import get_meeting, is_invited, meetings_for
from models.survey_answers import (
    AlreadyAnswered,
    first_unanswered,
    participated,
    start_response,
    visible_questions,
)
from models.surveys import ResponseStatus, open_surveys_for

router = Router()

add_menu_entry(MenuEntry(N_("Trusted person"), HelperScreen().pack(), order=87))

CODE_TYPED_MAX = 20


class State(enum.StrEnum):
    CODE = "helpers.code"  # the helper types the code the resident gave them
    ACCEPT = "helpers.accept"  # the helper saw whose code it is and may accept


def _menu(ctx: Context) -> Button:
    return Button(ctx.t._("Main menu"), "menu")


def _back(ctx: Context) -> Button:
    return Button(ctx.t._("Back"), HelperScreen().pack())


def _link_line(t: Translator, name: str, *, mine: bool, active: bool) -> str:
    """A link as the screen lists it; without a name where the other person gave none."""
    if active and mine:
        return (
            t._("{name} helps you.", name=name) if name else t._("Your trusted person helps you.")
        )
    if active:
        return t._("You help {name}.", name=name) if name else t._("You help a resident.")
    if mine:
        return (
            t._("{name} waits for your confirmation.", name=name)
            if name
            else t._("The person who typed your code waits for your confirmation.")
        )
    return (
        t._("You wait for the confirmation of {name}.", name=name)
        if name
        else t._("You wait for the confirmation of the person whose code you typed.")
    )


def _end_button(t: Translator, name: str, link: HelperLink, *, mine: bool) -> Button:
    if name:
        return Button(t._("End the help: {name}", name=name), HelperEnd(link.id))
    if mine:
        return Button(t._("End the help of your trusted person"), HelperEnd(link.id))
    return Button(t._("End your help"), HelperEnd(link.id))


@router.button(HelperScreen)
async def screen(ctx: Context, press: HelperScreen) -> None:
    """Who helps me, whom I help, and the ways to start or end a link."""
    assert ctx.resident is not None
    t = ctx.t
    lines = [
        t._(
            "A trusted person is a relative or neighbour who uses this bot. They receive the "
            "council's messages for you and may answer surveys and meeting invitations for "
            "you. They never see your ideas or your data."
        )
    ]
    # The fixed options keep their numbers; what a link offers comes after them.
    buttons = [
        Button(t._("Someone helps me"), HelperStart()),
        Button(t._("I help someone"), HelperEnter()),
    ]
    for link in await links_of(ctx.session, ctx.resident.id):
        mine = link.resident_id == ctx.resident.id
        other = first_name(link.helper if mine else link.resident)
        if link.status == LinkStatus.ACTIVE.value:
            lines.append(_link_line(t, other, mine=mine, active=True))
            buttons.append(_end_button(t, other, link, mine=mine))
        elif link.status == LinkStatus.HELPER_CONFIRMED.value:
            lines.append(_link_line(t, other, mine=mine, active=False))
            if mine:
                # The notice that asked may be long gone: the same answer is offered here.
                buttons.extend(
                    [
                        Button(
                            t._("Confirm: {name}", name=other) if other else t._("Confirm"),
                            HelperConfirm(link.id, yes=True),
                        ),
                        Button(
                            t._("Decline: {name}", name=other) if other else t._("Decline"),
                            HelperConfirm(link.id, yes=False),
                        ),
                    ]
                )
            else:
                buttons.append(_end_button(t, other, link, mine=mine))
    buttons.append(_menu(ctx))
    ctx.clear_state()
    ctx.reply("\n\n".join(lines), buttons)


@router.button(HelperStart)
async def start(ctx: Context, press: HelperStart) -> None:
    """A code for the resident to give the person who helps them."""
    assert ctx.resident is not None
    t = ctx.t
    link = await start_link(ctx.session, resident=ctx.resident, now=ctx.now)
    assert link.code is not None and link.code_expires_at is not None
    minutes = int(CODE_VALID.total_seconds() // 60)
    await ctx.audit("helper_code_made", link=link.id)
    ctx.clear_state()
    ctx.reply(
        "\n\n".join(
            [
                t._("Give this code to the person who helps you: {code}", code=link.code),
                t.ngettext(
                    "It can be used for {n} minute, until {time}.",
                    "It can be used for {n} minutes, until {time}.",
                    minutes,
                    time=t.datetime(link.code_expires_at),
                ),
                t._(
                    'They choose "Trusted person", then "I help someone" in the menu and type '
                    "it. Then you confirm them here once more."
                ),
            ]
        ),
        [_back(ctx), _menu(ctx)],
    )


@router.button(HelperEnter)
async def enter(ctx: Context, press: HelperEnter) -> None:
    """Whom this person helps, to answer for them; and the code of someone new."""
    assert ctx.resident is not None
    t = ctx.t
    helped = [
        link
        for link in await links_of(ctx.session, ctx.resident.id)
        if link.helper_id == ctx.resident.id and link.status == LinkStatus.ACTIVE.value
    ]
    question = t._("Type the code the person you help gave you.")
    if helped:
        question = "\n\n".join(
            [
                t._(
                    "Choose whom you answer for: their open surveys and the meetings they "
                    "are invited to."
                ),
                t._("To help someone new, type the code they gave you."),
            ]
        )
    ctx.ask(
        State.CODE,
        question,
        limit=CODE_TYPED_MAX,
        buttons=[Button(_answer_for_label(t, link), HelperFor(link.id)) for link in helped],
        back=_back(ctx),
    )


def _answer_for_label(t: Translator, link: HelperLink) -> str:
    name = first_name(link.resident)
    if name:
        return t._("Answer for {name}", name=name)
    place = link.resident.unit if link.resident is not None else None
    if place is not None:
        return t._("Answer for a resident of {unit}", unit=t.place(place))
    return t._("Answer for the person you help")


@router.button(HelperFor)
async def answer_for(ctx: Context, press: HelperFor) -> None:
    """The resident's open surveys and upcoming meetings, for the helper to answer."""
    assert ctx.resident is not None
    t = ctx.t
    link = await active_link(ctx.session, link_id=press.link_id, helper=ctx.resident)
    if link is None:
        await ctx.refuse("helper_for", link=press.link_id)
        return
    resident = link.resident
    name = first_name(resident)
    lines = [
        t._("What {name} can answer now:", name=name)
        if name
        else t._("What the person you help can answer now:")
    ]
    buttons: list[Button] = []
    for survey in await open_surveys_for(ctx.session, resident):
        title = title_of(ctx, survey)
        until = t.datetime(survey.closes_at)
        if await participated(ctx.session, survey.id, resident.id):
            lines.append(t._("✓ {title} (answered; open until {time})", title=title, time=until))
            continue
        lines.append(t._("• {title} (open until {time})", title=title, time=until))
        buttons.append(
            Button(t._("Answer: {title}", title=short(title)), HelperSurvey(link.id, survey.id))
        )
    for meeting in await meetings_for(ctx.session, resident, since=ctx.now):
        if not meeting.planned or meeting.starts_at <= ctx.now:
            continue
        answer = await answer_of(ctx.session, meeting.id, resident.id)
        line = t._("• {title}, {time}", title=meeting.title, time=t.datetime(meeting.starts_at))
        if answer is not None:
            line += " — " + t._(meeting_texts.ANSWER_LABELS[answer])
        lines.append(line)
        buttons.append(
            Button(
                t._("Meeting: {title}", title=short(meeting.title)),
                HelperMeetingAsk(link.id, meeting.id),
            )
        )
    if len(lines) == 1:
        lines = [
            t._("{name} has no open surveys or upcoming meetings now.", name=name)
            if name
            else t._("The person you help has no open surveys or upcoming meetings now.")
        ]
    await ctx.audit("helper_for_viewed", link=link.id)
    ctx.clear_state()
    ctx.reply("\n".join(lines), [*buttons, Button(t._("Back"), HelperEnter()), _menu(ctx)])


@router.button(HelperMeetingAsk)
async def meeting_ask(ctx: Context, press: HelperMeetingAsk) -> None:
    """A meeting the resident is invited to, with the answers the helper may give."""
    assert ctx.resident is not None
    t = ctx.t
    link = await active_link(ctx.session, link_id=press.link_id, helper=ctx.resident)
    if link is None:
        await ctx.refuse("helper_meeting", link=press.link_id, meeting=press.meeting_id)
        return
    meeting = await get_meeting(ctx.session, press.meeting_id)
    name = first_name(link.resident)
    back = Button(t._("Back"), HelperFor(link.id))
    if (
        meeting is None
        or meeting.invited_at is None
        or not await is_invited(ctx.session, meeting, link.resident)
    ):
        ctx.reply(_not_invited(t, name), [back, _menu(ctx)])
        return
    parts = [
        t._("You answer for {name}.", name=name)
        if name
        else t._("You answer for the person you help."),
        meeting_texts.details(meeting, t, with_link=meeting_texts.link_in_invitation(meeting)),
    ]
    answer = await answer_of(ctx.session, meeting.id, link.resident_id)
    if answer is not None:
        label = t._(meeting_texts.ANSWER_LABELS[answer])
        parts.append(
            t._("The answer of {name}: {answer}", name=name, answer=label)
            if name
            else t._("The answer given for the person you help: {answer}", answer=label)
        )
    buttons = []
    if meeting.planned and ctx.now < meeting.starts_at:
        for label, packed in answer_buttons(meeting):
            reply = MeetingReply.unpack(packed)
            if reply is not None:
                buttons.append(Button(t._(label), HelperMeeting(link.id, meeting.id, reply.choice)))
    else:
        parts.append(t._("Answers to this meeting are no longer taken."))
    ctx.clear_state()
    ctx.reply("\n\n".join(parts), [*buttons, back, _menu(ctx)])


def _not_invited(t: Translator, name: str) -> str:
    if name:
        return t._("{name} is not invited to that meeting.", name=name)
    return t._("The person you help is not invited to that meeting.")


async def code_typed(ctx: Context) -> None:
    """Show whose code it is and ask the helper to confirm."""
    assert ctx.resident is not None
    t = ctx.t
    blocked = await codes_blocked_until(ctx.session, person=ctx.resident, now=ctx.now)
    if blocked is not None:
        _say_blocked(ctx, blocked)
        return
    found = await link_by_code(
        ctx.session, typed=ctx.incoming.text or "", helper=ctx.resident, now=ctx.now
    )
    if found is CodeProblem.OWN:
        ctx.ask_again(t._("That is your own code: give it to the person who helps you."))
        return
    if found is CodeProblem.DUPLICATE:
        await ctx.audit("helper_link_twice")
        _say_duplicate(ctx)
        return
    if not isinstance(found, HelperLink):
        await ctx.audit("helper_code_wrong")
        blocked = await record_wrong_code(ctx.session, person=ctx.resident, now=ctx.now)
        if blocked is not None:
            await ctx.audit("helper_codes_blocked")
            _say_blocked(ctx, blocked)
            return
        ctx.ask_again(
            t._("That code is not valid or has expired. Ask the person you help for a new one.")
        )
        return
    name = first_name(found.resident)
    ctx.set_state(State.ACCEPT, link=found.id)
    if name:
        whose = t._("The code is from {name}.", name=name)
        ask = t._(
            "Do you want to help {name}? You will receive the council's messages for "
            "them and may answer surveys and meeting invitations for them. {name} "
            "confirms once more.",
            name=name,
        )
        yes = t._("Yes, I help {name}", name=name)
    else:
        place = found.resident.unit if found.resident is not None else None
        whose = (
            t._("The code is from a resident of {unit}.", unit=t.place(place))
            if place is not None
            else t._("The code is from a resident who has not given a name.")
        )
        ask = t._(
            "Do you want to help this person? You will receive the council's messages for "
            "them and may answer surveys and meeting invitations for them. They confirm "
            "once more."
        )
        yes = t._("Yes, I help")
    ctx.reply("\n\n".join([whose, ask]), [Button(yes, HelperAccept(found.id)), _back(ctx)])


def _say_blocked(ctx: Context, until: datetime) -> None:
    """Too many wrong codes lately: say until when no code is taken."""
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "Too many wrong codes in the last hour. You can type a code again from {time}.",
            time=ctx.t.datetime(until),
        ),
        [_back(ctx), _menu(ctx)],
    )


def _say_duplicate(ctx: Context) -> None:
    """The code is of someone this person already helps or waits to help."""
    ctx.clear_state()
    ctx.reply(
        ctx.t._(
            "You already help this person, or wait for their confirmation: a second link "
            "between the two of you is not made."
        ),
        [_back(ctx), _menu(ctx)],
    )


@router.button(HelperAccept)
async def accept(ctx: Context, press: HelperAccept) -> None:
    """The helper agrees; the resident is asked to confirm."""
    assert ctx.resident is not None
    t = ctx.t
    link = await get_link(ctx.session, press.link_id)
    # Only the code just typed by this person may be accepted.
    if ctx.state != State.ACCEPT or ctx.flow.get("link") != press.link_id or link is None:
        await ctx.refuse("helper_accept", link=press.link_id)
        return
    if (
        link.status != LinkStatus.CODE.value
        or link.code_expires_at is None
        or link.code_expires_at <= ctx.now
    ):
        show_menu(ctx, t._("That code is no longer valid. Ask for a new one."))
        return
    if await open_link_between(
        ctx.session, resident_id=link.resident_id, helper_id=ctx.resident.id, besides=link.id
    ):
        await ctx.audit("helper_link_twice", link=link.id)
        _say_duplicate(ctx)
        return
    helper_confirms(link, helper=ctx.resident)
    await ctx.audit("helper_accepted", link=link.id, resident=link.resident_id)
    helper = first_name(ctx.resident)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[link.resident_id],
        write=lambda tr: (
            tr._(
                "{helper} typed your code and wants to help you: they will receive the "
                "council's messages for you and may answer surveys and meeting invitations "
                "for you. They will not see your ideas or your data. Do you confirm {helper} "
                "as your trusted person?",
                helper=helper,
            )
            if helper
            else tr._(
                "Someone typed your code and wants to help you: they will receive the "
                "council's messages for you and may answer surveys and meeting invitations "
                "for you. They will not see your ideas or your data. Do you confirm them as "
                "your trusted person?"
            )
        ),
        now=ctx.now,
        buttons=[
            (N_("Yes, confirm"), HelperConfirm(link.id, yes=True).pack()),
            (N_("No"), HelperConfirm(link.id, yes=False).pack()),
        ],
    )
    name = first_name(link.resident)
    show_menu(
        ctx,
        t._("Thank you. {name} now confirms you once more; you will be told.", name=name)
        if name
        else t._("Thank you. The person you help now confirms you once more; you will be told."),
    )


@router.button(HelperConfirm)
async def confirm(ctx: Context, press: HelperConfirm) -> None:
    """The resident confirms the helper, or not."""
    assert ctx.resident is not None
    t = ctx.t
    link = await get_link(ctx.session, press.link_id)
    if link is None or link.resident_id != ctx.resident.id:
        await ctx.refuse("helper_confirm", link=press.link_id)
        return
    if link.status != LinkStatus.HELPER_CONFIRMED.value or link.helper_id is None:
        show_menu(ctx, t._("There is nothing to confirm now."))
        return
    helper = first_name(link.helper)
    name = first_name(ctx.resident)
    if not press.yes:
        end_link(link, now=ctx.now)
        await ctx.audit("helper_declined", link=link.id)
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=[link.helper_id],
            write=lambda tr: (
                tr._("{name} did not confirm you as their trusted person.", name=name)
                if name
                else tr._(
                    "The person whose code you typed did not confirm you as their trusted person."
                )
            ),
            now=ctx.now,
        )
        show_menu(
            ctx,
            t._("{name} is not your trusted person.", name=helper)
            if helper
            else t._("That person is not your trusted person."),
        )
        return
    resident_confirms(link, now=ctx.now)
    await ctx.audit("helper_linked", link=link.id, helper=link.helper_id)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[link.helper_id],
        write=lambda tr: "\n\n".join(_linked_for_helper(tr, name)),
        now=ctx.now,
        buttons=[(N_("Trusted person"), HelperScreen().pack())],
    )
    show_menu(
        ctx,
        t._(
            '{name} is now your trusted person. You can end it at any time under "Trusted person".',
            name=helper,
        )
        if helper
        else t._(
            'You have confirmed your trusted person. You can end it at any time under "Trusted '
            'person".'
        ),
    )


def _linked_for_helper(t: Translator, name: str) -> list[str]:
    """What the helper is told once the resident confirmed them."""
    if not name:
        return [
            t._(
                "The person whose code you typed confirmed you as their trusted person. You "
                "will receive the council's messages for them, marked as for the person you "
                "help, and may answer surveys and meeting invitations for them."
            ),
            t._(
                "Nominations and support for candidates cannot be given through a trusted "
                "person: the person you help signs them on paper."
            ),
        ]
    return [
        t._(
            "{name} confirmed you as their trusted person. You will receive the council's "
            'messages for them, marked "For {name}", and may answer surveys and '
            "meeting invitations for them.",
            name=name,
        ),
        t._(
            "Nominations and support for candidates cannot be given through a trusted "
            "person: "
            "{name} signs them on paper.",
            name=name,
        ),
    ]


@router.button(HelperEnd)
async def end(ctx: Context, press: HelperEnd) -> None:
    """End a link, after a confirmation; the other side is told."""
    assert ctx.resident is not None
    t = ctx.t
    link = await get_link(ctx.session, press.link_id)
    if link is None or ctx.resident.id not in (link.resident_id, link.helper_id):
        await ctx.refuse("helper_end", link=press.link_id)
        return
    if link.status == LinkStatus.ENDED.value:
        show_menu(ctx, t._("That help has already ended."))
        return
    mine = link.resident_id == ctx.resident.id
    other = link.helper if mine else link.resident
    name = first_name(other)
    if not press.sure:
        ctx.reply(
            t._("End the help with {name}?", name=name)
            if name
            else (
                t._("End the help of your trusted person?")
                if mine
                else t._("End your help to the person you help?")
            ),
            [Button(t._("Yes, end it"), HelperEnd(link.id, sure=True)), _back(ctx)],
        )
        return
    end_link(link, now=ctx.now)
    await ctx.audit("helper_ended", link=link.id)
    me = first_name(ctx.resident)
    if other is not None:
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=[other.id],
            write=lambda tr: _ended_notice(tr, me, by_resident=mine),
            now=ctx.now,
        )
    show_menu(
        ctx,
        t._("The help with {name} has ended. {name} is told.", name=name)
        if name
        else t._("The help has ended. The other person is told."),
    )


def _ended_notice(t: Translator, name: str, *, by_resident: bool) -> str:
    """What the other side of a link is told when it ends."""
    if by_resident:
        if name:
            return t._(
                "{name} ended the help: you no longer receive messages for them and cannot "
                "answer for them.",
                name=name,
            )
        return t._(
            "The person you helped ended the help: you no longer receive messages for them "
            "and cannot answer for them."
        )
    if name:
        return t._("{name} ended the help and no longer helps you.", name=name)
    return t._("Your trusted person ended the help and no longer helps you.")


@router.button(HelperSurvey)
async def survey_for(ctx: Context, press: HelperSurvey) -> None:
    """A helper answers a survey for the resident who named them."""
    assert ctx.resident is not None
    t = ctx.t
    link = await active_link(ctx.session, link_id=press.link_id, helper=ctx.resident)
    if link is None:
        await ctx.refuse("helper_survey", link=press.link_id, survey=press.survey_id)
        return
    survey = await find_survey(ctx, press.survey_id)
    if survey is None:
        return
    name = first_name(link.resident)
    if not survey.reaches(link.resident):
        show_menu(
            ctx,
            t._("This survey is not for the parish or town of {name}.", name=name)
            if name
            else t._("This survey is not for the parish or town of the person you help."),
        )
        return
    if not survey.is_open(ctx.now):
        await say_closed(ctx, survey)
        return
    try:
        response = await start_response(ctx.session, survey=survey, resident=link.resident)
    except AlreadyAnswered:
        show_menu(ctx, _already_sent(t, name))
        return
    if response.status == ResponseStatus.SENT.value and not response.draft:
        show_menu(ctx, _already_sent(t, name))
        return
    await ctx.audit("helper_survey_opened", link=link.id, survey=survey.id)
    ctx.set_state(None, survey=survey.id, **{"for": link.id, "for_name": name})
    title = title_of(ctx, survey)
    ctx.reply(
        t._('You answer "{title}" for {name}.', title=title, name=name)
        if name
        else t._('You answer "{title}" for the person you help.', title=title)
    )
    question = (
        first_unanswered(survey, response.draft or {})
        or visible_questions(survey, response.draft or {})[0]
    )
    ask_question(ctx, survey, response, question)


def _already_sent(t: Translator, name: str) -> str:
    if name:
        return t._("{name} has already sent answers to this survey.", name=name)
    return t._("The person you help has already sent answers to this survey.")


@router.button(HelperMeeting)
async def meeting_for(ctx: Context, press: HelperMeeting) -> None:
    """A helper answers a meeting invitation for the resident who named them."""
    assert ctx.resident is not None
    t = ctx.t
    link = await active_link(ctx.session, link_id=press.link_id, helper=ctx.resident)
    if link is None:
        await ctx.refuse("helper_meeting", link=press.link_id, meeting=press.meeting_id)
        return
    meeting = await get_meeting(ctx.session, press.meeting_id)
    name = first_name(link.resident)
    if (
        meeting is None
        or meeting.invited_at is None
        or not await is_invited(ctx.session, meeting, link.resident)
    ):
        show_menu(ctx, _not_invited(t, name))
        return
    choice = press.choice.answer
    try:
        await record_meeting_answer(
            ctx.session,
            meeting=meeting,
            resident=link.resident,
            answer=choice,
            now=ctx.now,
            helper_id=ctx.resident.id,
        )
    except AnswerRefused:
        show_menu(ctx, t._("Answers to this meeting are no longer taken."))
        return
    await record_act(ctx.session, link=link, kind=ActKind.MEETING, item_id=meeting.id, now=ctx.now)
    await ctx.audit(
        "helper_meeting_answered", link=link.id, resident=link.resident_id, meeting=meeting.id
    )
    helper = first_name(ctx.resident)
    label = meeting_texts.ANSWER_LABELS[choice.value]
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[link.resident_id],
        write=lambda tr: (
            tr._(
                '{helper}, your trusted person, answered the invitation to "{title}" for you: '
                "{answer}.",
                helper=helper,
                title=meeting.title,
                answer=tr._(label),
            )
            if helper
            else tr._(
                'Your trusted person answered the invitation to "{title}" for you: {answer}.',
                title=meeting.title,
                answer=tr._(label),
            )
        ),
        now=ctx.now,
        personal=False,
    )
    show_menu(
        ctx,
        t._(
            'Thank you. The answer of {name} to "{title}": {answer}, given through a trusted '
            "person.",
            name=name,
            title=meeting.title,
            answer=t._(label),
        )
        if name
        else t._(
            'Thank you. The answer of the person you help to "{title}": {answer}, given '
            "through a trusted person.",
            title=meeting.title,
            answer=t._(label),
        ),
    )


router.flow({State.CODE: code_typed, State.ACCEPT: code_typed})
