"""Half-year reports, yearly self-declarations, their submitted versions, the tariffs they are
computed with, and the reminders sent about them."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.gemeinden import Municipality
from orders.models.types import UTCDateTime, utcnow, value_enum
from orders.models.users import User


class TariffKind(enum.StrEnum):
    CASE = "fallpauschale"
    INTERPRETER = "dolmetschpauschale"
    PROGRAMME_S_CONVERSATION = "programm_s_gespraech"
    PROGRAMME_S_FOLLOW_UP = "programm_s_nachbegleitung"
    BASE_CONTRIBUTION = "sockelbeitrag"

    @property
    def label(self) -> str:
        return {
            "fallpauschale": "Fallpauschale pro Erstinformations- oder Integrationsgespräch",
            "dolmetschpauschale": "Dolmetschpauschale pro Gespräch mit Dolmetschenden",
            "programm_s_gespraech": "Programm S: Pauschale pro Integrationsgespräch",
            "programm_s_nachbegleitung": "Programm S: Nachbegleitung und Nachhaltigkeit",
            "sockelbeitrag": "Sockelbeitrag pro ausländische Einwohnerin / ausländischen Einwohner",
        }[self.value]


class Tariff(db.Model):
    """An amount set by a circular letter (Kreisschreiben), valid for a period."""

    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("kind", "valid_from", name="uq_tariffs_kind_valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TariffKind] = mapped_column(value_enum(TariffKind, length=30))
    amount_centimes: Mapped[int]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(100), default="")


class ReportState(enum.StrEnum):
    DRAFT = "entwurf"
    SUBMITTED = "eingereicht"
    REOPENED = "wiedereroeffnet"

    @property
    def label(self) -> str:
        return {
            "entwurf": "Entwurf",
            "eingereicht": "eingereicht",
            "wiedereroeffnet": "zur Korrektur geöffnet",
        }[self.value]


class HalfYearReport(db.Model):
    """The Reportingformular of one municipality for one half-year. The figures here are the
    working copy; what was submitted lives, frozen, in the versions."""

    __tablename__ = "half_year_reports"
    __table_args__ = (
        UniqueConstraint("municipality_id", "year", "half", name="uq_half_year_reports_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    year: Mapped[int]
    half: Mapped[int]
    state: Mapped[ReportState] = mapped_column(
        value_enum(ReportState, length=30), default=ReportState.DRAFT
    )
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    remarks: Mapped[str] = mapped_column(Text, default="")
    documents_filed: Mapped[bool] = mapped_column(default=False)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality: Mapped[Municipality] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="report", order_by="ReportVersion.version"
    )

    @property
    def period_label(self) -> str:
        return f"{self.half}. Halbjahr {self.year}"


class ReportVersion(db.Model):
    """One submission of a report, never changed: figures, tariffs and amounts as submitted."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "version", name="uq_report_versions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("half_year_reports.id"), index=True)
    version: Mapped[int]
    figures: Mapped[dict] = mapped_column(JSON)
    remarks: Mapped[str] = mapped_column(Text, default="")
    documents_filed: Mapped[bool]
    # Tariffs and amounts in centimes as computed at submission: {kind: centimes}.
    tariffs: Mapped[dict] = mapped_column(JSON)
    amounts: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late: Mapped[bool] = mapped_column(default=False)
    # Filled when the canton reopens this version for a correction.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[HalfYearReport] = relationship(back_populates="versions")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class SelfDeclaration(db.Model):
    """The yearly self-declaration «Stand Integrationsförderung» of one municipality."""

    __tablename__ = "self_declarations"
    __table_args__ = (
        UniqueConstraint("municipality_id", "year", name="uq_self_declarations_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    year: Mapped[int]
    state: Mapped[ReportState] = mapped_column(
        value_enum(ReportState, length=30), default=ReportState.DRAFT
    )
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality: Mapped[Municipality] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list["DeclarationVersion"]] = relationship(
        back_populates="declaration", order_by="DeclarationVersion.version"
    )

    @property
    def period_label(self) -> str:
        return f"Selbstdeklaration {self.year}"


class DeclarationVersion(db.Model):
    """One submission of a self-declaration, never changed."""

    __tablename__ = "declaration_versions"
    __table_args__ = (
        UniqueConstraint("declaration_id", "version", name="uq_declaration_versions_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("self_declarations.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)
    # The base contribution's tariff and amount in centimes as computed at submission.
    tariffs: Mapped[dict] = mapped_column(JSON)
    amounts: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late: Mapped[bool] = mapped_column(default=False)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="")

    declaration: Mapped[SelfDeclaration] = relationship(back_populates="versions")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class ReminderSent(db.Model):
    """A reminder already sent: the unique key makes the daily command send it once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint(
            "municipality_id", "kind", "period", "reminder", name="uq_reminders_sent_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "bericht" or "selbstdeklaration"
    period: Mapped[str] = mapped_column(String(10))  # "2025-1", "2025-2" or "2025"
    reminder: Mapped[str] = mapped_column(String(20))  # "vorher" or "ueberfaellig"
    sent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
