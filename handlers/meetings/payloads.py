"""What the buttons of meetings carry: which meeting, and which answer."""

from __future__ import annotations

import enum

from bot.dialog.payloads import Payload, payload
from models.meetings import AnswerChoice, MeetingKind


class Choice(enum.StrEnum):
    """An answer in one letter: an invitation carries up to five buttons in 64 bytes."""

    YES = "y"
    MAYBE = "m"
    NO = "n"
    ONLINE = "o"

    @property
    def answer(self) -> AnswerChoice:
        return _ANSWERS[self]

    @classmethod
    def of(cls, answer: AnswerChoice) -> Choice:
        return next(choice for choice, known in _ANSWERS.items() if known is answer)


_ANSWERS = {
    Choice.YES: AnswerChoice.YES,
    Choice.MAYBE: AnswerChoice.MAYBE,
    Choice.NO: AnswerChoice.NO,
    Choice.ONLINE: AnswerChoice.ONLINE,
}


@payload("mt")
class MeetingReply(Payload):
    """One's answer to an invitation: I will come, maybe, I cannot, I will join online."""

    meeting_id: int
    choice: Choice


@payload("mtics")
class MeetingCalendar(Payload):
    """Send the meeting as a calendar file."""

    meeting_id: int


@payload("mtview")
class MeetingView(Payload):
    """A meeting's details (with the answers, for its organiser)."""

    meeting_id: int


@payload("mtcancel")
class MeetingCancel(Payload):
    """Cancel a meeting (the organiser): asked first, done when `sure`."""

    meeting_id: int
    sure: bool = False


class Screen(enum.StrEnum):
    """The screens of a meeting being called, for their Back buttons."""

    KIND = "k"
    AUDIENCE = "a"
    TITLE = "t"
    TIME = "w"
    DURATION = "d"
    PLACE = "p"
    VIDEO = "v"
    COORDINATORS = "c"
    AGENDA = "g"


@payload("mtnew")
class NewKind(Payload):
    """Call a meeting of this kind (the kinds are offered when None)."""

    meeting_kind: MeetingKind | None = None


@payload("mtto")
class NewAudience(Payload):
    """Who a community or working-group meeting is for: a unit, or one locality of it."""

    unit_id: int
    locality_id: int | None = None


@payload("mttime")
class NewTime(Payload):
    """Which of the two moments a typed time that happens twice means."""

    fold: int | None = None


@payload("mtwhere")
class NewOnlineOnly(Payload):
    """The meeting is held online only."""


@payload("mtalso")
class NewAlsoOnline(Payload):
    """A meeting in person: also online (a video link), or not."""

    online: bool


@payload("mtlong")
class NewDuration(Payload):
    """How long the meeting lasts, in minutes."""

    minutes: int


@payload("mtvideo")
class NewVideo(Payload):
    """An online meeting's link: made by Padome, or pasted by the organiser."""

    paste: bool


@payload("mtcoord")
class NewCoordinators(Payload):
    """A session: invite the coordinators too, or not."""

    invite: bool


@payload("mtnoagenda")
class NewNoAgenda(Payload):
    """Call the meeting without agenda items."""


@payload("mtback")
class NewBack(Payload):
    to: Screen


@payload("mtgo")
class NewGo(Payload):
    """Call the meeting as previewed (a session, if asked, as urgent)."""

    urgent: bool = False


@payload("mtafter")
class After(Payload):
    """The organiser records attendance and the summary of a meeting that has begun."""

    meeting_id: int


@payload("mtpresent")
class Present(Payload):
    """Tick or untick one person as present (sessions and working groups)."""

    meeting_id: int
    resident_id: int


@payload("mtpresentok")
class PresentDone(Payload):
    meeting_id: int


@payload("mtask")
class ProposeQuestion(Payload):
    """A resident proposes a question for a community meeting's agenda."""

    meeting_id: int


@payload("mtaskwho")
class QuestionName(Payload):
    """Whether the organiser may see who proposed the question."""

    meeting_id: int
    show: bool


@payload("mtmove")
class MeetingMove(Payload):
    """Move a meeting (its organiser) to a new time; `fold` answers a time the clocks pass
    twice."""

    meeting_id: int
    fold: int | None = None


@payload("mtidea")
class IdeaToAgenda(Payload):
    """Put a resident's idea on the agenda of one of one's meetings (chosen when None)."""

    idea_id: int
    meeting_id: int | None = None
