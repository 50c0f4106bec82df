"""Export jobs: a large spreadsheet is built by a worker, not in the request that asks for it."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.documents import StoredFile
from orders.models.types import UTCDateTime, utcnow, value_enum
from orders.models.users import User


class ExportState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "pending": "wartet",
            "running": "wird erstellt",
            "done": "bereit",
            "failed": "fehlgeschlagen",
        }[self.value]


ACTIVE_STATES = (ExportState.PENDING, ExportState.RUNNING)


class ExportJob(db.Model):
    """One requested export: what, with which filters, by whom, and its file once built.

    A worker claims a job until `claimed_until`; a job whose worker died is claimed again once
    that has passed. One job per user, export and filters may be pending or running at a time
    (a second click on the button finds the first job).
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        Index("ix_export_jobs_due", "state", "claimed_until"),
        Index(
            "uq_export_jobs_active",
            "requested_by_id",
            "what",
            "filters",
            unique=True,
            sqlite_where=text("state IN ('pending', 'running')"),
            postgresql_where=text("state IN ('pending', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Which export, e.g. "bestellungen".
    what: Mapped[str] = mapped_column(String(50))
    # The filters of the list it was asked from, as JSON text with sorted keys.
    filters: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[ExportState] = mapped_column(
        value_enum(ExportState),
        default=ExportState.PENDING,
    )
    row_count: Mapped[int | None]
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A worker owns a job until this moment; a killed worker's claim simply runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)

    requested_by: Mapped[User] = relationship()
    file: Mapped[StoredFile | None] = relationship()

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def __repr__(self) -> str:
        return f"<ExportJob {self.id} {self.what} {self.state}>"
