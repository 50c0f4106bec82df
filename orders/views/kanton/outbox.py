"""Back office: the Postausgang (mail outbox) and the audit log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from orders.extensions import db
from orders.models import AuditEvent, MailStatus, OutboxMail
from orders.services import audit, outbox, paging
from orders.views.kanton import kanton_required

bp = Blueprint("kanton_outbox", __name__, url_prefix="/kanton")

PAGE_SIZE = 50
STATUS_LABELS = {
    MailStatus.PENDING: "wartet auf Versand",
    MailStatus.SENT: "versandt",
    MailStatus.FAILED: "fehlgeschlagen",
}

# Also used by the history on a person's page (kanton/user_edit.html).
bp.add_app_template_filter(audit.action_label, "audit_action")
bp.add_app_template_filter(audit.detail_items, "audit_detail")


def _object_url(event: AuditEvent) -> str | None:
    """The page of what an event is about, where there is one to open by what it recorded."""
    number = event.detail.get("number") if isinstance(event.detail, dict) else None
    if event.object_type == "User" and event.object_id:
        return url_for("kanton_users.edit", user_id=event.object_id)
    if event.object_type == "OutboxMail" and event.object_id:
        return url_for("kanton_outbox.show", mail_id=event.object_id)
    if event.object_type == "Order" and number:
        return url_for("kanton_bestellungen.show", number=number)
    if event.object_type == "InterpreterRequest" and number:
        return url_for("dolmetschen.show", number=number)
    if event.object_type == "NetworkMeeting" and event.object_id:
        return url_for("kanton_vernetzung.edit", meeting_id=event.object_id)
    if event.object_type == "Tariff":
        return url_for("kanton_berichte.tariffs")
    return None


bp.add_app_template_filter(_object_url, "audit_object_url")


@bp.get("/postausgang")
@kanton_required
def index():
    status = request.args.get("status", "")
    statement = select(OutboxMail).order_by(OutboxMail.id.desc())
    if status in {s.value for s in MailStatus}:
        statement = statement.where(OutboxMail.status == MailStatus(status))
    page = db.paginate(
        statement, page=paging.page_number(request.args), per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "kanton/outbox.html",
        page=page,
        status=status,
        labels=STATUS_LABELS,
        smtp_configured=outbox.smtp_configured(),
        failed_count=db.session.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.status == MailStatus.FAILED)
        ),
    )


@bp.get("/postausgang/<int:mail_id>")
@kanton_required
def show(mail_id: int):
    mail = db.session.get(OutboxMail, mail_id) or abort(404)
    return render_template(
        "kanton/outbox_mail.html",
        mail=mail,
        body_text=outbox.readable_text(mail),
        labels=STATUS_LABELS,
    )


@bp.post("/postausgang/<int:mail_id>/erneut-senden")
@kanton_required
def resend(mail_id: int):
    mail = db.session.get(OutboxMail, mail_id) or abort(404)
    if mail.status is MailStatus.FAILED:
        outbox.resend(mail, current_user)
        flash("Die Nachricht wird erneut gesendet.", "success")
    else:
        flash("Nur fehlgeschlagene Nachrichten können erneut gesendet werden.", "error")
    return redirect(url_for("kanton_outbox.show", mail_id=mail.id))


@bp.post("/postausgang/fehlgeschlagene-erneut-senden")
@kanton_required
def resend_all_failed():
    count = outbox.resend_all_failed(current_user)
    flash(
        "1 fehlgeschlagene Nachricht wird erneut gesendet."
        if count == 1
        else f"{count} fehlgeschlagene Nachrichten werden erneut gesendet.",
        "success",
    )
    return redirect(url_for("kanton_outbox.index", status=MailStatus.PENDING.value))


@bp.get("/protokoll")
@kanton_required
def audit_log():
    statement = (
        select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    )
    action = request.args.get("aktion", "").strip()
    if action:
        statement = statement.where(AuditEvent.action.startswith(action))
    page = db.paginate(
        statement, page=paging.page_number(request.args), per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "kanton/audit_log.html",
        page=page,
        action=action,
        areas=audit.ACTION_AREAS,
        object_labels=audit.object_labels(page.items),
    )
