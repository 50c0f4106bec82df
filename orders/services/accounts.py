"""Accounts of the closed user group: invitation, passwords, activation."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from orders import emails
from orders.extensions import db
from orders.models import AccountToken, AuditEvent, Municipality, Role, TokenPurpose, User
from orders.models.types import utcnow
from orders.services import audit, sessions
from orders.services.throttle import login_throttle
from orders.services.tokens import new_token, token_hash

# Compared against when the address is unknown, so that a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(ValueError):
    """A rule of the account domain was broken; the message is shown to the user (German)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@dataclass
class NewAccount:
    email: str
    name: str
    role: Role
    municipality: Municipality | None = None
    function: str = ""
    phone: str = ""


# An invitation form sent again within this time (a double click, a reload) is the same one.
INVITATION_RESENT_WITHIN = timedelta(minutes=10)


def resent_invitation(data: NewAccount, invited_by: User) -> User | None:
    """The account this invitation already created, if the same officer sent the same form
    again moments ago: then it is no second invitation and no error («besteht bereits»)."""
    user = find_by_email(data.email)
    if (
        user is None
        or user.password_hash is not None
        or user.name != data.name.strip()
        or utcnow() - user.created_at > INVITATION_RESENT_WITHIN
    ):
        return None
    invited_by_them = select(AuditEvent.id).where(
        AuditEvent.action == "user.invite",
        AuditEvent.object_id == user.id,
        AuditEvent.actor_id == invited_by.id,
    )
    return user if db.session.scalar(invited_by_them.limit(1)) else None


def invite(data: NewAccount, invited_by: User | None) -> User:
    """Create an account without password and e-mail its owner a single-use link to set one."""
    email = normalise_email(data.email)
    if find_by_email(email) is not None:
        raise AccountError("Für diese E-Mail-Adresse besteht bereits ein Konto.", "email")
    if data.role is Role.GEMEINDE and data.municipality is None:
        raise AccountError("Bitte wählen Sie die Gemeinde des Kontos.", "municipality")
    user = User(
        email=email,
        name=data.name.strip(),
        role=data.role,
        municipality=data.municipality if data.role is Role.GEMEINDE else None,
        function=data.function.strip(),
        phone=data.phone.strip(),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    _send_invitation(user, invited_by)
    audit.record(
        "user.invite",
        actor=invited_by,
        obj=user,
        email=email,
        role=data.role.value,
        municipality=data.municipality.name if user.municipality else None,
    )
    db.session.commit()
    return user


def resend_invitation(user: User, actor: User) -> None:
    if user.has_password:
        raise AccountError("Dieses Konto hat bereits ein Passwort festgelegt.")
    if _link_just_sent(user, TokenPurpose.INVITATION):
        raise AccountError(
            f"Eine Einladung an {user.email} ist eben erst in den Postausgang gegangen; "
            "ihr Link gilt."
        )
    _send_invitation(user, actor)
    audit.record("user.reinvite", actor=actor, obj=user)
    db.session.commit()


def _send_invitation(user: User, invited_by: User | None) -> None:
    token = _issue_token(user, TokenPurpose.INVITATION, current_app.config["INVITATION_VALID_FOR"])
    emails.compose_invitation(user, token, invited_by)


# A link asked for again within this time (a double click) is not sent again: a new one would
# void the link of the mail already on its way.
LINK_RESENT_WITHIN = timedelta(minutes=1)


def _link_just_sent(user: User, purpose: TokenPurpose) -> bool:
    # The account's row locked first (PostgreSQL; SQLite writes one at a time anyway): of two
    # requests at the same moment, the second waits and then finds the first one's link.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    just_sent = select(AccountToken.id).where(
        AccountToken.user_id == user.id,
        AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None),
        AccountToken.created_at > utcnow() - LINK_RESENT_WITHIN,
    )
    return db.session.scalar(just_sent.limit(1)) is not None


def _issue_token(user: User, purpose: TokenPurpose, valid_for) -> str:
    """A new single-use token; earlier unused tokens of the same purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_token()
    db.session.add(
        AccountToken(
            token_hash=token_hash(token),
            user=user,
            purpose=purpose,
            expires_at=now + valid_for,
        )
    )
    return token


def valid_token(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """The unused, unexpired token of that purpose whose owner is active, or None."""
    account_token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose
        )
    )
    if (
        account_token is None
        or account_token.used_at is not None
        or account_token.expires_at <= utcnow()
        or not account_token.user.active
    ):
        return None
    return account_token


def set_password_with_token(token: str, purpose: TokenPurpose, password: str) -> User:
    """Use an invitation or reset token to set the password; every other session ends."""
    account_token = valid_token(token, purpose)
    if account_token is None:
        raise AccountError("Dieser Link ist abgelaufen oder wurde bereits verwendet.")
    check_password_rules(password, account_token.user)
    user = account_token.user
    # Claimed in one statement: of two requests racing with the same link, one wins.
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == account_token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AccountError("Dieser Link ist abgelaufen oder wurde bereits verwendet.")
    user.password_hash = generate_password_hash(password)
    sessions.end_all_sessions(user)
    action = (
        "user.accept_invitation" if purpose is TokenPurpose.INVITATION else "user.reset_password"
    )
    audit.record(action, actor=user, obj=user)
    db.session.commit()
    login_throttle().clear_account(user.email)
    return user


def password_rule_problem(password: str, user: User) -> AccountError | None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        message = f"Das Passwort muss mindestens {minimum} Zeichen lang sein."
        return AccountError(message, "password")
    if len(password) > 200:
        return AccountError("Das Passwort darf höchstens 200 Zeichen lang sein.", "password")
    lowered = password.lower()
    if lowered == user.email or lowered == user.email.split("@")[0]:
        return AccountError("Das Passwort darf nicht Ihre E-Mail-Adresse sein.", "password")
    return None


def check_password_rules(password: str, user: User) -> None:
    if problem := password_rule_problem(password, user):
        raise problem


class PasswordNotChanged(AccountError):
    """Every reason at once, each with its field, so that none comes only after another is
    fixed."""

    def __init__(self, problems: list[AccountError]):
        super().__init__(" ".join(map(str, problems)))
        self.problems = problems


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; say nothing either way.

    Both ways write to the audit log and commit, so that the answer takes about as long for an
    unknown address as for a known one (the mail itself goes out later, from the outbox).
    """
    user = find_by_email(email)
    if user is None or not user.active:
        audit.record("user.request_password_reset_unknown", actor=None, email=email[:254])
        db.session.commit()
        return
    if not _link_just_sent(user, TokenPurpose.PASSWORD_RESET):
        token = _issue_token(
            user, TokenPurpose.PASSWORD_RESET, current_app.config["PASSWORD_RESET_VALID_FOR"]
        )
        emails.compose_password_reset(user, token)
    audit.record("user.request_password_reset", actor=None, obj=user)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the attempt in the audit log."""
    user = find_by_email(email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record("login.failed", actor=None, email=normalise_email(email)[:254])
        db.session.commit()
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        audit.record("login.failed", actor=None, obj=user, email=user.email)
        db.session.commit()
        return None
    return user


def log_in(user: User) -> str:
    """Start a session for an authenticated user; returns the session token."""
    token = sessions.start_session(user)
    user.last_login_at = utcnow()
    audit.record("login", actor=user, obj=user)
    db.session.commit()
    login_throttle().clear_account(user.email)
    return token


def log_out(user: User, token: str | None) -> None:
    sessions.end_session(token)
    audit.record("logout", actor=user, obj=user)
    db.session.commit()


def password_change_problems(user: User, current: str, new: str) -> list[AccountError]:
    """Every reason why the change would be refused, each with its field."""
    problems = []
    known = user.password_hash is not None
    if not known or not check_password_hash(user.password_hash, current):
        problems.append(AccountError("Das bisherige Passwort stimmt nicht.", "current_password"))
    if rule := password_rule_problem(new, user):
        problems.append(rule)
    elif known and check_password_hash(user.password_hash, new):
        problems.append(
            AccountError("Das neue Passwort muss sich vom bisherigen unterscheiden.", "password")
        )
    return problems


def change_password(user: User, current: str, new: str, keep_token: str | None) -> None:
    if problems := password_change_problems(user, current, new):
        raise PasswordNotChanged(problems)
    user.password_hash = generate_password_hash(new)
    sessions.end_all_sessions(user, keep_token=keep_token)
    audit.record("user.change_password", actor=user, obj=user)
    db.session.commit()


def update_account(
    user: User,
    actor: User,
    *,
    name: str,
    function: str,
    phone: str,
    municipality: Municipality | None,
) -> None:
    changes = {}
    for field, value in (
        ("name", name.strip()),
        ("function", function.strip()),
        ("phone", phone.strip()),
    ):
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if user.role is Role.GEMEINDE:
        if municipality is None:
            raise AccountError("Bitte wählen Sie die Gemeinde des Kontos.", "municipality")
        if municipality.id != user.municipality_id:
            changes["municipality"] = [user.municipality.name, municipality.name]
            user.municipality = municipality
    if changes:
        audit.record("user.update", actor=actor, obj=user, changes=changes)
    db.session.commit()


def set_active(user: User, actor: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends all its sessions at once."""
    if user.id == actor.id and not active:
        raise AccountError("Sie können Ihr eigenes Konto nicht deaktivieren.")
    user.active = active
    if not active:
        sessions.end_all_sessions(user)
    audit.record("user.activate" if active else "user.deactivate", actor=actor, obj=user)
    db.session.commit()


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def token_expiry(token: str, purpose: TokenPurpose) -> datetime | None:
    account_token = valid_token(token, purpose)
    return account_token.expires_at if account_token else None
