"""Interpreter orders forwarded to HEKS Linguadukt, with their history."""

import enum
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.catalogue import Language
from orders.models.gemeinden import Municipality
from orders.models.types import UTCDateTime, utcnow, value_enum
from orders.models.users import User


class ConversationType(enum.StrEnum):
    FIRST_INFORMATION = "erstinfo"
    INTEGRATION = "integration"
    INTEGRATION_S = "integration_s"
    OTHER = "andere"

    @property
    def label(self) -> str:
        return {
            "erstinfo": "Erstinformationsgespräch",
            "integration": "Integrationsgespräch",
            "integration_s": "Integrationsgespräch Programm S",
            "andere": "anderes Gespräch",
        }[self.value]


class Setting(enum.StrEnum):
    ON_SITE = "vor_ort"
    VIDEO = "video"
    PHONE = "telefon"

    @property
    def label(self) -> str:
        return {"vor_ort": "vor Ort", "video": "Video", "telefon": "Telefon"}[self.value]


def conversation_label(conversation_type: ConversationType, other: str) -> str:
    """The kind of conversation as shown to people: an "other" one with its description."""
    if conversation_type is ConversationType.OTHER and other:
        return f"{conversation_type.label}: {other}"
    return conversation_type.label


class GenderPreference(enum.StrEnum):
    ANY = "egal"
    WOMAN = "frau"
    MAN = "mann"

    @property
    def label(self) -> str:
        return {"egal": "egal", "frau": "Frau", "mann": "Mann"}[self.value]


class InterpreterStatus(enum.StrEnum):
    SUBMITTED = "uebermittelt"
    CONFIRMED = "bestaetigt"
    DONE = "durchgefuehrt"
    CANCELLED = "storniert"

    @property
    def label(self) -> str:
        return {
            "uebermittelt": "übermittelt",
            "bestaetigt": "bestätigt",
            "durchgefuehrt": "abgeschlossen",  # the outcome is recorded: held or not
            "storniert": "storniert",
        }[self.value]

    @property
    def is_open(self) -> bool:
        """Awaiting its appointment or, after it, its outcome: it may still be cancelled before
        and have its outcome recorded after."""
        return self in (InterpreterStatus.SUBMITTED, InterpreterStatus.CONFIRMED)


class InterpreterRequest(db.Model):
    __tablename__ = "interpreter_requests"
    __table_args__ = (
        Index("ix_interpreter_requests_municipality_date", "municipality_id", "appointment_date"),
        Index("ix_interpreter_requests_date", "appointment_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[InterpreterStatus] = mapped_column(
        value_enum(InterpreterStatus), default=InterpreterStatus.SUBMITTED
    )
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    ordered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)

    conversation_type: Mapped[ConversationType] = mapped_column(value_enum(ConversationType))
    conversation_other: Mapped[str] = mapped_column(String(200), default="")
    appointment_date: Mapped[date]
    start_time: Mapped[time]
    duration_minutes: Mapped[int]
    setting: Mapped[Setting] = mapped_column(value_enum(Setting))
    location_address: Mapped[str] = mapped_column(String(300), default="")
    location_room: Mapped[str] = mapped_column(String(100), default="")
    onsite_contact_name: Mapped[str] = mapped_column(String(200), default="")
    onsite_contact_phone: Mapped[str] = mapped_column(String(50), default="")
    remote_instructions: Mapped[str] = mapped_column(Text, default="")
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"))
    dialect: Mapped[str] = mapped_column(String(100), default="")
    country_of_origin: Mapped[str] = mapped_column(String(100), default="")
    participants: Mapped[int]
    gender_preference: Mapped[GenderPreference] = mapped_column(value_enum(GenderPreference))
    # What the municipality understands (a file number, initials); never a full name.
    reference: Mapped[str] = mapped_column(String(40), default="")
    preparation_notes: Mapped[str] = mapped_column(Text, default="")
    orderer_name: Mapped[str] = mapped_column(String(200))
    orderer_phone: Mapped[str] = mapped_column(String(50))
    orderer_email: Mapped[str] = mapped_column(String(254))
    urgent: Mapped[bool] = mapped_column(default=False)
    called_heks: Mapped[bool] = mapped_column(default=False)

    interpreter_name: Mapped[str] = mapped_column(String(200), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    held: Mapped[bool | None]
    actual_duration_minutes: Mapped[int | None]
    # When the retention job removed the free texts about the people concerned.
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    municipality: Mapped[Municipality] = relationship()
    ordered_by: Mapped[User] = relationship()
    language: Mapped[Language] = relationship()
    events: Mapped[list["InterpreterEvent"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="InterpreterEvent.id"
    )

    @property
    def conversation_label(self) -> str:
        return conversation_label(self.conversation_type, self.conversation_other)


class InterpreterEvent(db.Model):
    __tablename__ = "interpreter_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("interpreter_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[InterpreterStatus] = mapped_column(value_enum(InterpreterStatus))
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[InterpreterRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
