"""SQLAlchemy models and the queries and rules that belong to them."""

from models.audit import AuditEntry
from models.base import Base
from models.broadcasts import Broadcast, Delivery
from models.conversations import Conversation
from models.residents import Identity, Resident
from models.roles import Role, RoleGrant
from models.surveys import Answer, Option, Participation, Question, Response, Survey
from models.territory import Locality, Unit
from models.updates import ProcessedUpdate

__all__ = [
    "Answer",
    "AuditEntry",
    "Base",
    "Broadcast",
    "Conversation",
    "Delivery",
    "Identity",
    "Locality",
    "Option",
    "Participation",
    "ProcessedUpdate",
    "Question",
    "Resident",
    "Response",
    "Role",
    "RoleGrant",
    "Survey",
    "Unit",
]
