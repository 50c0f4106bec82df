"""Compose the portal's e-mails. Each compose_*() renders a text and an HTML template and writes
the mail to the outbox; nothing here talks to an SMTP server."""

from urllib.parse import urlsplit

from flask import current_app, render_template

from orders.models import OutboxMail, User
from orders.services import outbox


def portal_url(endpoint: str, **values) -> str:
    """An absolute link into the portal, also outside a request (CLI, mail worker)."""
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _compose(template: str, *, to: list[str], subject: str, kind: str, **context) -> OutboxMail:
    context.update(subject=subject)
    return outbox.enqueue(
        to=to,
        subject=subject,
        body_text=render_template(f"mail/{template}.txt", **context),
        body_html=render_template(f"mail/{template}.html", **context),
        reply_to=context.get("reply_to"),
        kind=kind,
    )


def compose_invitation(user: User, token: str, invited_by: User | None) -> OutboxMail:
    return _compose(
        "invitation",
        to=[user.email],
        subject="Einladung zum Portal start.integration",
        kind="invitation",
        user=user,
        invited_by=invited_by,
        link=portal_url("auth.accept_invitation", token=token),
        valid_days=current_app.config["INVITATION_VALID_FOR"].days,
    )


def compose_password_reset(user: User, token: str) -> OutboxMail:
    return _compose(
        "password_reset",
        to=[user.email],
        subject="Passwort zurücksetzen: Portal start.integration",
        kind="password_reset",
        user=user,
        link=portal_url("auth.reset_password", token=token),
        valid_minutes=int(current_app.config["PASSWORD_RESET_VALID_FOR"].total_seconds() // 60),
    )
