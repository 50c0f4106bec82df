"""All models, imported here so that Alembic and the app see one complete metadata."""

from orders.models.audit import AuditEvent
from orders.models.catalogue import CatalogueItem, Language
from orders.models.documents import (
    Chapter,
    Document,
    DocumentVersion,
    DocumentVisit,
    Infomail,
    StoredFile,
)
from orders.models.exports import ExportJob, ExportState
from orders.models.gemeinden import Municipality
from orders.models.interpreting import (
    ConversationType,
    GenderPreference,
    InterpreterEvent,
    InterpreterRequest,
    InterpreterStatus,
    Setting,
)
from orders.models.meetings import MeetingRegistration, NetworkMeeting
from orders.models.orders import (
    NumberSequence,
    Order,
    OrderEvent,
    OrderKind,
    OrderLine,
    OrderStatus,
)
from orders.models.outbox import MailStatus, OutboxAttachment, OutboxMail
from orders.models.reporting import (
    DeclarationVersion,
    HalfYearReport,
    ReminderSent,
    ReportState,
    ReportVersion,
    SelfDeclaration,
    Tariff,
    TariffKind,
)
from orders.models.users import AccountToken, LoginSession, Role, TokenPurpose, User

__all__ = [
    "AccountToken",
    "AuditEvent",
    "CatalogueItem",
    "ConversationType",
    "ExportJob",
    "ExportState",
    "GenderPreference",
    "InterpreterEvent",
    "InterpreterRequest",
    "InterpreterStatus",
    "Setting",
    "Language",
    "NumberSequence",
    "Order",
    "OrderEvent",
    "OrderKind",
    "OrderLine",
    "OrderStatus",
    "LoginSession",
    "MailStatus",
    "Municipality",
    "OutboxAttachment",
    "OutboxMail",
    "Role",
    "TokenPurpose",
    "User",
    "DeclarationVersion",
    "HalfYearReport",
    "ReminderSent",
    "ReportState",
    "ReportVersion",
    "SelfDeclaration",
    "Tariff",
    "TariffKind",
    "Chapter",
    "Document",
    "DocumentVersion",
    "DocumentVisit",
    "Infomail",
    "StoredFile",
    "MeetingRegistration",
    "NetworkMeeting",
]
