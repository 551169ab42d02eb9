"""What the buttons of meetings carry: which meeting, and which answer."""

from __future__ import annotations

import enum

from bot.dialog.payloads import Payload, payload
from models.meetings import AnswerChoice


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
