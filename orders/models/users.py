"""Personal accounts of the closed user group, their login sessions and single-use tokens."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.gemeinden import Municipality
from orders.models.types import UTCDateTime, utcnow, value_enum


class Role(enum.StrEnum):
    GEMEINDE = "gemeinde"
    KANTON = "kanton"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'gemeinde' AND municipality_id IS NOT NULL)"
            " OR (role = 'kanton' AND municipality_id IS NULL)",
            name="role_matches_municipality",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    role: Mapped[Role] = mapped_column(value_enum(Role))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()

    # Flask-Login: the id kept in the session cookie is the login session's token, set on login.
    session_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_kanton(self) -> bool:
        return self.role is Role.KANTON

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def get_id(self) -> str | None:  # Flask-Login
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class LoginSession(db.Model):
    """A server-side record of one login, so that logout, deactivation and a password change
    end sessions for real instead of trusting a signed cookie forever."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class AccountToken(db.Model):
    """A single-use token sent by e-mail: an invitation or a password reset. Only its hash is
    stored, so a database dump does not hand out working links."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(value_enum(TokenPurpose))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
