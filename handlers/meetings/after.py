"""After a meeting: its organiser records who came (names for sessions and working groups, a
head count for community meetings) and a short summary, which goes to the invited and under
News for that territory. Before it: residents propose a question for a community meeting,
which is stored as their idea, reaches the organiser like one and is answered by the
summary."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import N_, Translator
from bot.parsing import clean_text
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from handlers.ideas.common import OpenIdea
from handlers.meetings import texts
from handlers.meetings.ideas import answer_agenda_ideas
from handlers.meetings.payloads import (
    After,
    MeetingView,
    Present,
    PresentDone,
    ProposeQuestion,
    QuestionName,
)
from handlers.menu import choose_one, show_menu
from models.audit import audit
from models.broadcasts import Status
from models.ideas import AUTHOR_NAME_MAX, holders_of, recipients_for
from models.meeting_answers import (
    close_meeting,
)
from models.meetings import (
    SUMMARY_MAX,
    Meeting,
    MeetingKind,
    MeetingStatus,
    get_meeting,
    invited_ids,
    is_invited,
    propose_question,
)
from models.residents import Resident
from models.roles import Role

router = Router()

QUESTION_MAX = 500
# Sessions and working groups are small: everyone invited is listed to tick.
PRESENT_LISTED_MAX = 40


class State(enum.StrEnum):
    PRESENT = "meetings.present"  # ticking who came
    COUNT = "meetings.count"
    SUMMARY = "meetings.summary"
    QUESTION = "meetings.question"
    QUESTION_WHO = "meetings.question_who"
    QUESTION_NAME = "meetings.question_name"


def _back_to(ctx: Context, meeting_id: int) -> Button:
    return Button(ctx.t._("Back"), MeetingView(meeting_id))


async def _organised(ctx: Context, meeting_id: int, action: str) -> Meeting | None:
    """The meeting, if this person called it and it has begun; otherwise refused or told."""
    meeting = await get_meeting(ctx.session, meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return None
    if ctx.resident is None or meeting.organiser_id != ctx.resident.id:
        await ctx.refuse(action, meeting=meeting_id)
        return None
    if meeting.status == MeetingStatus.CANCELLED.value:
        show_menu(ctx, ctx.t._("This meeting has been cancelled."))
        return None
    if ctx.now < meeting.starts_at:
        show_menu(ctx, ctx.t._("The summary can be written once the meeting has begun."))
        return None
    return meeting


@router.button(After)
async def after(ctx: Context, press: After) -> None:
    """Begin recording attendance: names to tick, or a head count to type."""
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    if meeting.kind == MeetingKind.COMMUNITY.value:
        ctx.ask(
            State.COUNT,
            ctx.t._("How many people came? Write the number."),
            buttons=[_back_to(ctx, meeting.id)],
            meeting_id=meeting.id,
        )
        return
    await _ask_present(ctx, meeting, present=[])


async def _ask_present(ctx: Context, meeting: Meeting, *, present: list[int]) -> None:
    t = ctx.t
    ids = (await invited_ids(ctx.session, meeting))[:PRESENT_LISTED_MAX]
    people = await ctx.session.scalars(select(Resident).where(Resident.id.in_(ids)))
    buttons = [
        Button(
            ("✓ " if person.id in present else "") + (person.display_name or f"#{person.id}"),
            Present(meeting.id, person.id),
        )
        for person in sorted(people, key=lambda p: (p.display_name or "", p.id))
    ]
    buttons.append(Button(t._("Done"), PresentDone(meeting.id)))
    ctx.ask(
        State.PRESENT,
        t._("Who came? Tick everyone present, then choose Done."),
        buttons=[*buttons, _back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
        present=present,
    )


def _flow_for(ctx: Context, meeting_id: int) -> dict[str, Any] | None:
    flow = ctx.flow
    return flow if flow.get("meeting_id") == meeting_id else None


@router.button(Present)
async def tick(ctx: Context, press: Present) -> None:
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    flow = _flow_for(ctx, meeting.id) or {"present": []}
    present = list(flow.get("present") or [])
    if press.resident_id in present:
        present.remove(press.resident_id)
    else:
        present.append(press.resident_id)
    await _ask_present(ctx, meeting, present=present)


@router.button(PresentDone)
async def present_done(ctx: Context, press: PresentDone) -> None:
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    flow = _flow_for(ctx, meeting.id) or {}
    invited = set(await invited_ids(ctx.session, meeting))
    present = [person for person in flow.get("present") or [] if person in invited]
    _ask_summary(ctx, meeting, present=present, count=len(present))


async def typed_count(ctx: Context) -> None:
    flow = ctx.flow
    text = (ctx.incoming.text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        ctx.ask_again(ctx.t._("Please write the number of people, like 25."))
        return
    meeting = await get_meeting(ctx.session, int(flow.get("meeting_id") or 0))
    if meeting is None:
        show_menu(ctx)
        return
    _ask_summary(ctx, meeting, present=None, count=int(text))


def _ask_summary(ctx: Context, meeting: Meeting, *, present: list[int] | None, count: int) -> None:
    ctx.ask(
        State.SUMMARY,
        ctx.t._("Write a short summary: what was discussed and decided."),
        limit=SUMMARY_MAX,
        buttons=[_back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
        present=present,
        count=count,
    )


async def typed_summary(ctx: Context) -> None:
    """Store attendance and the summary; tell the invited and put it under News."""
    flow = ctx.flow
    summary = (ctx.incoming.text or "").strip()
    if not summary:
        ctx.ask_again(ctx.t._("Please write a short summary."))
        return
    meeting = await _organised(ctx, int(flow.get("meeting_id") or 0), "meeting_after")
    if meeting is None:
        return
    assert ctx.resident is not None
    present = flow.get("present")
    await record_summary(
        ctx.session,
        meeting,
        by=ctx.resident,
        summary=summary,
        attendance_count=None if present is not None else int(flow.get("count") or 0),
        attendee_ids=present,
        settings=ctx.settings,
        now=ctx.now,
    )
    show_menu(ctx, ctx.t._("The summary is sent to the invited and shown under News."))


async def record_summary(
    session: AsyncSession,
    meeting: Meeting,
    *,
    by: Resident,
    summary: str,
    attendance_count: int | None,
    attendee_ids: list[int] | None,
    settings: Settings,
    now: datetime,
) -> None:
    """Store attendance and the summary, audited; the ideas on the agenda get it as their
    answer, the invited get it, and it is put under News for the meeting's territory. Chat
    and staff console both act here."""
    await close_meeting(
        session,
        meeting=meeting,
        summary=summary,
        attendance_count=attendance_count,
        attendee_ids=attendee_ids,
        now=now,
    )
    await audit(session, action="meeting_closed", actor_id=by.id, meeting=meeting.id)
    await answer_agenda_ideas(session, meeting, by=by, settings=settings, now=now)
    decided = meeting.summary or ""

    def write(t: Translator) -> str:
        return "\n".join(
            [
                t._(
                    'What the meeting "{title}" on {time} decided:',
                    title=meeting.title,
                    time=t.datetime(meeting.starts_at),
                ),
                decided,
                t.ngettext(
                    "{n} person took part.", "{n} people took part.", meeting.attendance_count or 0
                ),
            ]
        )

    await send_notice(
        session,
        settings=settings,
        resident_ids=await invited_ids(session, meeting),
        write=write,
        now=now,
        personal=False,
    )
    if meeting.locality_id is not None:
        audience = Audience(locality_id=meeting.locality_id)
    elif meeting.unit_id is not None:
        audience = Audience(unit_ids=(meeting.unit_id,))
    else:
        audience = Audience()
    news = await create_broadcast(
        session,
        roles=None,
        created_by_id=None,
        audience=audience,
        texts=in_every_language(write, timezone=settings.tz),
        due_at=now,
        now=now,
    )
    # Under News only: the invited have the summary already; nobody else gets a message.
    news.status = Status.DONE.value
    news.started_at = now
    news.finished_at = now


@router.button(ProposeQuestion)
async def propose(ctx: Context, press: ProposeQuestion) -> None:
    """Ask an invited resident for the question they propose."""
    meeting = await _open_for_questions(ctx, press.meeting_id)
    if meeting is None:
        return
    ctx.ask(
        State.QUESTION,
        ctx.t._("Write the question you would like the meeting to discuss."),
        limit=QUESTION_MAX,
        buttons=[_back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
        key=secrets.token_hex(12),
    )


async def _open_for_questions(ctx: Context, meeting_id: int) -> Meeting | None:
    """The community meeting a resident may propose a question for now; a meeting of
    another parish (a forged button) is refused and written down."""
    assert ctx.resident is not None
    meeting = await get_meeting(ctx.session, meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return None
    if (
        meeting.kind != MeetingKind.COMMUNITY.value
        or meeting.invited_at is None
        or ctx.resident.unit_id is None
        or not await is_invited(ctx.session, meeting, ctx.resident)
    ):
        await ctx.refuse("meeting_question", meeting=meeting.id)
        return None
    if not meeting.planned or ctx.now >= meeting.starts_at:
        show_menu(ctx, ctx.t._("This meeting has already begun; answers are no longer taken."))
        return None
    return meeting


def _question_flow(ctx: Context, meeting_id: int, *needed: str) -> dict[str, Any] | None:
    flow = ctx.flow
    if (
        not str(ctx.state or "").startswith("meetings.question")
        or flow.get("meeting_id") != meeting_id
    ):
        return None
    if any(key not in flow for key in ("key", *needed)):
        return None
    return flow


async def typed_question(ctx: Context) -> None:
    """Keep the question; ask whether the organiser may see who wrote it."""
    question = " ".join(clean_text(ctx.incoming.text or "").split())
    if not question:
        ctx.ask_again(ctx.t._("Please write the question."))
        return
    flow = ctx.flow
    flow["question"] = question
    _ask_name_shown(ctx, flow)


def _ask_name_shown(ctx: Context, flow: dict[str, Any]) -> None:
    t = ctx.t
    meeting_id = int(flow["meeting_id"])
    ctx.set_state(State.QUESTION_WHO, **flow)
    ctx.reply(
        t._(
            "May the one who called the meeting see who wrote it? If not, they see only the "
            "question; the answer still reaches you here."
        ),
        [
            Button(t._("Yes, show my name"), QuestionName(meeting_id, True)),
            Button(t._("No, do not show my name"), QuestionName(meeting_id, False)),
            Button(t._("Back"), ProposeQuestion(meeting_id)),
            Button(t._("Cancel"), MeetingView(meeting_id)),
        ],
    )


@router.button(QuestionName)
async def question_name(ctx: Context, press: QuestionName) -> None:
    """Keep the author's choice; ask for the name when the messenger gives none."""
    meeting = await _open_for_questions(ctx, press.meeting_id)
    if meeting is None:
        return
    assert ctx.resident is not None
    flow = _question_flow(ctx, meeting.id, "question")
    if flow is None:
        await propose(ctx, ProposeQuestion(meeting.id))
        return
    flow["show_author"] = press.show
    if press.show and not ctx.resident.display_name:
        ctx.ask(
            State.QUESTION_NAME,
            ctx.t._(
                "Which name may the one who called the meeting see? Write your name and "
                "surname (at most {limit} characters).",
                limit=ctx.t.number(AUTHOR_NAME_MAX),
            ),
            limit=AUTHOR_NAME_MAX,
            back=Button(ctx.t._("Back"), ProposeQuestion(meeting.id)),
            **flow,
        )
        return
    await _send_question(ctx, meeting, flow)


async def typed_name(ctx: Context) -> None:
    name = " ".join(clean_text(ctx.incoming.text or "").split())
    if not any(ch.isalpha() for ch in name):
        ctx.ask_again(ctx.t._("Please write your name in letters."))
        return
    meeting = await _open_for_questions(ctx, int(ctx.flow.get("meeting_id") or 0))
    if meeting is None:
        return
    flow = _question_flow(ctx, meeting.id, "question", "show_author")
    if flow is None:
        await propose(ctx, ProposeQuestion(meeting.id))
        return
    assert ctx.resident is not None
    if not ctx.resident.display_name:
        ctx.resident.display_name = name
    await _send_question(ctx, meeting, flow)


async def _send_question(ctx: Context, meeting: Meeting, flow: dict[str, Any]) -> None:
    """Store the question as the resident's idea, linked to the meeting's agenda, and tell
    the organiser as a new idea is told."""
    assert ctx.resident is not None
    t = ctx.t
    item, created = await propose_question(
        ctx.session,
        meeting=meeting,
        author=ctx.resident,
        text=str(flow["question"]),
        show_author=bool(flow.get("show_author")),
        submission_key=str(flow["key"]),
        now=ctx.now,
    )
    if created:
        await ctx.audit("meeting_question_proposed", meeting=meeting.id, idea=item.id)
        readers: tuple[int, ...] = (meeting.organiser_id,) if meeting.organiser_id else ()
        if not readers:
            readers = (
                await recipients_for(
                    ctx.session, unit_id=item.unit_id, locality_id=item.locality_id
                )
            ).everyone or tuple(await holders_of(ctx.session, Role.CHAIR))
        question = item.text or ""
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=readers,
            write=lambda tr: tr._(
                'A resident proposes a question for "{title}" (#{id}): {question}',
                title=meeting.title,
                id=item.id,
                question=question,
            ),
            now=ctx.now,
            buttons=[
                (N_("Open"), OpenIdea(item.id).pack()),
                (texts.SEE_MEETING_LABEL, MeetingView(meeting.id).pack()),
            ],
        )
    ctx.clear_state()
    ctx.reply(
        t._(
            "Thank you. Your question is sent to the one who called the meeting as No. {id}; "
            "the answer comes here, at the latest with what the meeting decided.",
            id=item.id,
        ),
        [
            Button(t._("My ideas and concerns"), "myideas"),
            Button(t._("See the meeting"), MeetingView(meeting.id)),
            Button(t._("Main menu"), "menu"),
        ],
    )


async def typed_on_buttons(ctx: Context) -> None:
    """Text typed where names are to be ticked: the same screen again."""
    ctx.ask_again(choose_one(ctx))


router.flow(
    {
        State.PRESENT: typed_on_buttons,
        State.COUNT: Step(typed_count, numbers=True),
        State.SUMMARY: Step(typed_summary, free_text=True),
        State.QUESTION: Step(typed_question, free_text=True),
        State.QUESTION_WHO: typed_on_buttons,
        State.QUESTION_NAME: Step(typed_name, free_text=True),
    }
)
