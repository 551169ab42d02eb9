"""How a meeting reads: its heading, when and where, the agenda, the answers; shared by the
invitation, the reminders, the announcements of a change and the screens."""

from __future__ import annotations

from bot.i18n import N_, Translator
from models.meeting_answers import THROUGH_HELPER
from models.meetings import AnswerChoice, Meeting, MeetingKind
from models.territory import place_label

KIND_LABELS = {
    MeetingKind.SESSION.value: N_("Session of the residents' council"),
    MeetingKind.COMMUNITY.value: N_("Community meeting"),
    MeetingKind.WORKING_GROUP.value: N_("Working group meeting"),
}

ANSWER_LABELS = {
    AnswerChoice.YES.value: N_("I will come"),
    AnswerChoice.MAYBE.value: N_("Maybe"),
    AnswerChoice.NO.value: N_("I cannot"),
    AnswerChoice.ONLINE.value: N_("I will join online"),
}
CALENDAR_LABEL = N_("Add to my calendar")
SEE_MEETING_LABEL = N_("See the meeting")


def heading(meeting: Meeting, t: Translator) -> str:
    """ "Community meeting: „Ceļi” (Alsviķu pagasts)"."""
    kind = t._(KIND_LABELS[meeting.kind])
    text = t._('{kind}: "{title}"', kind=kind, title=meeting.title)
    place = place_label(meeting.unit, meeting.locality, t.language)
    if place:
        text = f"{text} ({place})"
    if meeting.urgent:
        text = f"‼️ {t._('Urgent')} · {text}"
    return text


def when(meeting: Meeting, t: Translator) -> str:
    return t.ngettext(
        "When: {time} ({n} minute)",
        "When: {time} ({n} minutes)",
        meeting.duration_minutes,
        time=t.datetime(meeting.starts_at),
    )


def where(meeting: Meeting, t: Translator, *, with_link: bool) -> str:
    """Where it is held; the video link only when `with_link`."""
    if meeting.in_person and meeting.online:
        text = t._("Where: {place}, and online", place=meeting.place)
    elif meeting.in_person:
        text = t._("Where: {place}", place=meeting.place)
    else:
        text = t._("Where: online")
    if meeting.online and meeting.video_url:
        if with_link:
            text += "\n" + t._("Video link: {url}", url=meeting.video_url)
        else:
            text += "\n" + t._("The video link comes in the reminder shortly before the start.")
    return text


def agenda(meeting: Meeting, t: Translator) -> str:
    if not meeting.agenda:
        return ""
    items = "\n".join(f"{n}. {item}" for n, item in enumerate(meeting.agenda, 1))
    return t._("Agenda:") + "\n" + items


def link_in_invitation(meeting: Meeting) -> bool:
    """The council and working groups get the link at once; a community meeting's residents
    only in the reminder shortly before, so that it is not passed around for days."""
    return meeting.kind != MeetingKind.COMMUNITY.value


def details(meeting: Meeting, t: Translator, *, with_link: bool) -> str:
    parts = [heading(meeting, t), when(meeting, t), where(meeting, t, with_link=with_link)]
    listed = agenda(meeting, t)
    if listed:
        parts.append(listed)
    return "\n".join(parts)


def invitation(meeting: Meeting, t: Translator) -> str:
    ask = (
        t._("This session is called urgently. Please confirm at once whether you can take part.")
        if meeting.urgent
        else t._("Will you come? Please answer; you can change your answer until the start.")
    )
    return details(meeting, t, with_link=link_in_invitation(meeting)) + "\n\n" + ask


def reminder(meeting: Meeting, t: Translator, *, last: bool) -> str:
    intro = t._(
        'A reminder: the meeting "{title}" begins on {time}.',
        title=meeting.title,
        time=t.datetime(meeting.starts_at),
    )
    with_link = last or link_in_invitation(meeting)
    return intro + "\n\n" + details(meeting, t, with_link=with_link)


def moved(meeting: Meeting, t: Translator, *, old_start_text: str) -> str:
    intro = t._(
        'The meeting "{title}" has been moved: it was to begin on {old}, it now begins on {new}.',
        title=meeting.title,
        old=old_start_text,
        new=t.datetime(meeting.starts_at),
    )
    return (
        intro
        + "\n\n"
        + details(meeting, t, with_link=link_in_invitation(meeting))
        + "\n\n"
        + t._("Your answer stays as it was; you can change it until the start.")
    )


def cancelled(meeting: Meeting, t: Translator) -> str:
    return t._(
        'The meeting "{title}" on {time} has been cancelled.',
        title=meeting.title,
        time=t.datetime(meeting.starts_at),
    )


def answer_line(t: Translator, counts: dict[str, int]) -> str:
    line = t._(
        "I will come: {yes} · online: {online} · maybe: {maybe} · cannot: {no}",
        yes=counts.get(AnswerChoice.YES.value, 0),
        online=counts.get(AnswerChoice.ONLINE.value, 0),
        maybe=counts.get(AnswerChoice.MAYBE.value, 0),
        no=counts.get(AnswerChoice.NO.value, 0),
    )
    helped = counts.get(THROUGH_HELPER, 0)
    if helped:
        # Like paper and trusted-person answers to surveys: counted, and said so.
        line += " " + t._("(through a trusted person: {n})", n=t.number(helped))
    return line


def through_helper(t: Translator) -> str:
    """How a name reads in the answers when a trusted person answered for them."""
    return t._("through a trusted person")


def quorum_line(t: Translator, *, coming: int, needed: int) -> str:
    if coming >= needed:
        return t._(
            "Quorum: reached ({coming} of the {needed} needed).", coming=coming, needed=needed
        )
    return t._("Quorum: not yet ({coming} of the {needed} needed).", coming=coming, needed=needed)
