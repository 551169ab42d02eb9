"""A trusted helper's copy of the council's messages to the resident they help.

Made in the transaction that resolves a message into its recipients, which runs once per
message (a redelivery or a restart does not make it again): one notice per helper and
resident, marked "for <name>", whose survey and meeting buttons answer for the resident.
A personal notice (an answer to the resident's idea, their data) is never copied.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.payloads import Payload
from bot.i18n import N_, Translator
from broadcasts.render import heading
from handlers.helpers.payloads import HelperMeeting, HelperSurvey
from handlers.meetings.payloads import MeetingReply
from handlers.surveys.payloads import SurveyOpen
from models.broadcasts import (
    LANGUAGES,
    Broadcast,
    Delivery,
    Kind,
    Status,
    create_deliveries,
)
from models.helpers import HelperLink, active_helpers_of, first_name

ANSWER_FOR_THEM = N_("Answer the survey for them")
# A meeting invitation's buttons keep their labels: "I will come" said for the resident.
COPIED_KINDS = (SurveyOpen.kind, MeetingReply.kind)


def _for_helper(link: HelperLink, label: str, packed: str) -> tuple[str, str] | None:
    """A button of the message as it acts for the resident; None: not offered to a helper."""
    survey = SurveyOpen.unpack(packed)
    if survey is not None:
        return ANSWER_FOR_THEM, HelperSurvey(link.id, survey.survey_id).pack()
    meeting = MeetingReply.unpack(packed)
    if meeting is not None:
        answer: Payload = HelperMeeting(link.id, meeting.meeting_id, meeting.choice)
        return label, answer.pack()
    return None


def _copied(broadcast: Broadcast) -> bool:
    if broadcast.for_resident_id is not None:
        return False
    if broadcast.kind != Kind.NOTICE.value:
        return True
    # Of the notices, only invitations (to a survey, to a meeting) and their reminders.
    return any(payload.split(":", 1)[0] in COPIED_KINDS for _, payload in broadcast.actions)


def _marked_for(t: Translator, name: str) -> str:
    """The first line of a helper's copy: whom it was sent to."""
    if name:
        return t._("For {name}:", name=name)
    return t._("For the person you help:")


def _about_them(t: Translator, name: str) -> str:
    if name:
        return t._("The question below is about {name}: your answer is given for them.", name=name)
    return t._("The question below is about the person you help: your answer is given for them.")


async def copy_for_helpers(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    channels: set[str],
    timezone: ZoneInfo,
    now: datetime,
) -> int:
    """Give every active helper of a recipient their copy; returns how many were made."""
    if not _copied(broadcast):
        return 0
    reached = select(Delivery.resident_id).where(
        Delivery.broadcast_id == broadcast.id,
        Delivery.is_group.is_(False),
        Delivery.resident_id.is_not(None),
    )
    # An invitation asks "will you come?": the helper's copy says whom it is asked about.
    meeting = any(payload.split(":", 1)[0] == MeetingReply.kind for _, payload in broadcast.actions)
    made = 0
    for link in await active_helpers_of(session, reached):
        if link.helper_id is None:
            continue
        name = first_name(link.resident)
        texts = {}
        for language in LANGUAGES:
            t = Translator(language, timezone=timezone)
            lines = [_marked_for(t, name)]
            if meeting:
                lines.append(_about_them(t, name))
            texts[language] = "\n".join(
                [*lines, heading(broadcast, t), "", broadcast.text_for(language)]
            )
        copy = Broadcast(
            kind=Kind.NOTICE.value,
            created_by_id=None,
            resident_ids=[link.helper_id],
            texts=texts,
            attachment_kind=broadcast.attachment_kind,
            attachment_name=broadcast.attachment_name,
            attachment=broadcast.attachment,
            attachment_ref=broadcast.attachment_ref,
            urgent=broadcast.urgent,
            status=Status.SENDING.value,
            due_at=now,
            started_at=now,
            for_resident_id=link.resident_id,
        )
        buttons = [
            found
            for label, packed in broadcast.actions
            if (found := _for_helper(link, label, packed)) is not None
        ]
        try:
            copy.actions = buttons
        except ValueError:
            copy.actions = buttons[:1]
        session.add(copy)
        await session.flush()
        await create_deliveries(session, copy, channels=channels)
        made += 1
    return made
