"""Compose the portal's e-mails. Each compose_*() renders a text and an HTML template and writes
the mail to the outbox; nothing here talks to an SMTP server."""

from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template

from orders.emails.ics import appointment_ics
from orders.models import InterpreterRequest, Order, OrderStatus, OutboxMail, User
from orders.services import outbox


def portal_url(endpoint: str, **values) -> str:
    """An absolute link into the portal, also outside a request (CLI, mail worker)."""
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _compose(
    template: str,
    *,
    to: list[str],
    subject: str,
    kind: str,
    reply_to: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    extra_headers: dict[str, str] | None = None,
    **context,
) -> OutboxMail:
    context.update(subject=subject)
    return outbox.enqueue(
        to=to,
        subject=subject,
        body_text=render_template(f"mail/{template}.txt", **context),
        body_html=render_template(f"mail/{template}.html", **context),
        reply_to=reply_to,
        kind=kind,
        attachments=attachments,
        extra_headers=extra_headers,
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


def compose_order_confirmation(order: Order) -> OutboxMail:
    return _compose(
        "order_confirmation",
        to=[order.contact_email],
        subject=f"Bestellung {order.number} eingegangen",
        kind="order_confirmation",
        order=order,
        link=portal_url("bestellungen.show", number=order.number),
    )


def compose_order_for_canton(order: Order, order_csv: bytes) -> OutboxMail:
    """The canton can process the order from this mail alone; replies go to the orderer."""
    return _compose(
        "order_for_canton",
        to=[current_app.config["ORDER_MAIL_TO"]],
        subject=f"Bestellung {order.number}: {order.kind.label}, {order.municipality.name}",
        kind="order_for_canton",
        reply_to=order.contact_email,
        attachments=[(f"{order.number}.csv", "text/csv; charset=utf-8", order_csv)],
        order=order,
        link=portal_url("kanton_bestellungen.show", number=order.number),
    )


def compose_order_cancelled_for_canton(order: Order, actor: User, reason: str) -> OutboxMail:
    """The canton may be working from the order's mail: it learns at once not to ship it."""
    return _compose(
        "order_cancelled_for_canton",
        to=[current_app.config["ORDER_MAIL_TO"]],
        subject=f"STORNIERT: Bestellung {order.number}, {order.municipality.name}",
        kind="order_cancelled_for_canton",
        reply_to=order.contact_email,
        order=order,
        actor=actor,
        reason=reason,
        link=portal_url("kanton_bestellungen.show", number=order.number),
    )


def compose_order_status(order: Order, status: OrderStatus, note: str) -> OutboxMail:
    verb = "versandt" if status is OrderStatus.SHIPPED else "storniert"
    return _compose(
        "order_status",
        to=[order.contact_email],
        subject=f"Bestellung {order.number} {verb}",
        kind=f"order_{status.value}",
        order=order,
        status=status,
        note=note,
        link=portal_url("bestellungen.show", number=order.number),
    )


def _interpreter_subject(request: InterpreterRequest, prefix: str) -> str:
    return (
        f"{prefix} {request.number}: {request.appointment_date:%d.%m.%Y}, "
        f"{request.language.name}, {request.municipality.name}"
    )


def _mail_domain() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]


def _to_heks_with_copy(
    template: str,
    request: InterpreterRequest,
    subject: str,
    ics_name: str,
    cancelled: bool,
    extra_headers: dict[str, str] | None = None,
) -> list[OutboxMail]:
    """One mail to HEKS Linguadukt (replies go to the orderer) and a copy to the orderer, both
    with the appointment as a calendar file."""
    method = "CANCEL" if cancelled else "PUBLISH"
    ics = [
        (
            ics_name,
            f"text/calendar; charset=utf-8; method={method}",
            appointment_ics(request, _mail_domain(), cancelled=cancelled),
        )
    ]
    context = {"request": request, "link": portal_url("dolmetschen.show", number=request.number)}
    return [
        _compose(
            template,
            to=[current_app.config["HEKS_MAIL_TO"]],
            subject=subject,
            kind=template,
            reply_to=request.orderer_email,
            attachments=ics,
            extra_headers=extra_headers,
            copy=False,
            **context,
        ),
        _compose(
            template,
            to=[request.orderer_email],
            subject=f"Kopie: {subject}",
            kind=f"{template}_copy",
            attachments=ics,
            copy=True,
            **context,
        ),
    ]


def compose_interpreter_order(request: InterpreterRequest) -> list[OutboxMail]:
    """The order for HEKS in a fixed layout; an urgent one is marked in subject and headers."""
    prefix = "DRINGEND Dolmetschbestellung" if request.urgent else "Dolmetschbestellung"
    urgent = {"X-Priority": "1 (Highest)", "Importance": "high"} if request.urgent else None
    return _to_heks_with_copy(
        "interpreter_order",
        request,
        _interpreter_subject(request, prefix),
        f"{request.number}.ics",
        cancelled=False,
        extra_headers=urgent,
    )


def compose_interpreter_cancellation(request: InterpreterRequest) -> list[OutboxMail]:
    """The cancellation quotes the original order so HEKS can match it without the portal."""
    subject = _interpreter_subject(request, "STORNIERUNG Dolmetschbestellung")
    return _to_heks_with_copy(
        "interpreter_cancellation", request, subject, f"{request.number}-storno.ics", cancelled=True
    )
