"""Network meetings (Vernetzungstreffen): the canton invites municipal integration staff, who
register for them."""

from datetime import date, datetime, time

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.types import UTCDateTime, utcnow
from orders.models.users import User


class NetworkMeeting(db.Model):
    __tablename__ = "network_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Swiss local date and times: a meeting is at 14:00 in Olten whatever the server's zone.
    day: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[time]
    ends_at: Mapped[time | None]
    place: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Empty: all Bezirke.
    bezirke: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The last day on which staff can register; none: until the meeting begins.
    registration_until: Mapped[date | None]
    # Counts the changes of date, time or place that were mailed to those registered, so that
    # calendar programs replace the earlier entry (the calendar file's SEQUENCE).
    revision: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # One meeting per submitted form: a form sent twice does not create two meetings.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    created_by: Mapped[User | None] = relationship()
    registrations: Mapped[list["MeetingRegistration"]] = relationship(
        back_populates="meeting",
        order_by="MeetingRegistration.created_at",
        cascade="all, delete-orphan",
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def __repr__(self) -> str:
        return f"<NetworkMeeting {self.id} {self.day}>"


class MeetingRegistration(db.Model):
    """One person's registration for a meeting; unregistering deletes it."""

    __tablename__ = "meeting_registrations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index, led by meeting_id, serves the lookups by meeting.
    meeting_id: Mapped[int] = mapped_column(ForeignKey("network_meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[NetworkMeeting] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship()
