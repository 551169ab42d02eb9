"""What the buttons of trusted helpers carry: which link, and what is done through it."""

from __future__ import annotations

from bot.dialog.payloads import Payload, payload
from handlers.meetings.payloads import Choice


@payload("hlp")
class HelperScreen(Payload):
    """The trusted helper screen: who helps me, whom I help, and the ways to start or end."""


@payload("hlpstart")
class HelperStart(Payload):
    """Someone helps me: make a code to give them."""


@payload("hlpenter")
class HelperEnter(Payload):
    """I help someone: type the code they gave me."""


@payload("hlpaccept")
class HelperAccept(Payload):
    """The helper agrees to help the resident whose code they typed."""

    link_id: int


@payload("hlpconfirm")
class HelperConfirm(Payload):
    """The resident confirms the helper (yes) or not (no)."""

    link_id: int
    yes: bool = True


@payload("hlpend")
class HelperEnd(Payload):
    """End a link, asked first (not sure), then done."""

    link_id: int
    sure: bool = False


@payload("hsv")
class HelperSurvey(Payload):
    """Answer a survey for the resident."""

    link_id: int
    survey_id: int


@payload("hmt")
class HelperMeeting(Payload):
    """Answer a meeting invitation for the resident."""

    link_id: int
    meeting_id: int
    choice: Choice


@payload("hlpfor")
class HelperFor(Payload):
    """What the helper may answer now for the resident: open surveys, upcoming meetings."""

    link_id: int


@payload("hmtask")
class HelperMeetingAsk(Payload):
    """A meeting the resident is invited to, with the answers the helper may give for them."""

    link_id: int
    meeting_id: int
