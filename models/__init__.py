"""SQLAlchemy models and the queries and rules that belong to them."""

from models.audit import AuditEntry
from models.base import Base
from models.broadcasts import Broadcast, Delivery
from models.call_list import CallListMark
from models.console import ConsoleMessage
from models.conversations import Conversation
from models.helpers import HelperAct, HelperCodeTry, HelperLink
from models.houses import House
from models.ideas import AreaMember, Idea, IdeaAnswer, IdeaArea, IdeaDigest
from models.meetings import Meeting, MeetingAnswer, MeetingAttendance
from models.messaging import MediaFile, MessageStatus
from models.neighbour_help import (
    HelpBan,
    HelpBlock,
    HelpDestination,
    HelpMonth,
    HelpPost,
    HelpReport,
    HelpRequest,
    HelpSubscription,
)
from models.nominations import Nomination, NominationRound, Support
from models.outreach import OutreachJoin, OutreachText, Placement, PosterName
from models.parish_groups import JoinRequest
from models.residents import Identity, Resident
from models.roles import Role, RoleGrant
from models.staff_console import ConsoleLink, ConsoleSession
from models.survey_drafts import SurveyDraft
from models.surveys import Answer, Option, Participation, Question, Response, Survey
from models.territory import Locality, Municipality, Unit
from models.updates import ProcessedUpdate

__all__ = [
    "Answer",
    "AreaMember",
    "AuditEntry",
    "Base",
    "Broadcast",
    "CallListMark",
    "ConsoleLink",
    "ConsoleMessage",
    "ConsoleSession",
    "Conversation",
    "Delivery",
    "HelpBan",
    "HelpBlock",
    "HelpDestination",
    "HelpMonth",
    "HelpPost",
    "HelpReport",
    "HelpRequest",
    "HelpSubscription",
    "HelperAct",
    "HelperCodeTry",
    "HelperLink",
    "House",
    "Idea",
    "IdeaAnswer",
    "IdeaArea",
    "IdeaDigest",
    "Identity",
    "JoinRequest",
    "Locality",
    "MediaFile",
    "Meeting",
    "MeetingAnswer",
    "MeetingAttendance",
    "MessageStatus",
    "Municipality",
    "Nomination",
    "NominationRound",
    "Option",
    "OutreachJoin",
    "OutreachText",
    "Participation",
    "Placement",
    "PosterName",
    "ProcessedUpdate",
    "Question",
    "Resident",
    "Response",
    "Role",
    "RoleGrant",
    "Support",
    "Survey",
    "SurveyDraft",
    "Unit",
]
