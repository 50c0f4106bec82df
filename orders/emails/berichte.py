"""Mails about half-year reports and self-declarations: receipts, the canton's notification,
reopening for a correction and deadline reminders. They only write to the outbox."""

from datetime import date

from flask import current_app

from orders.emails import _compose, portal_url
from orders.models import (
    HalfYearReport,
    Municipality,
    OutboxMail,
    User,
)


def _receipt(context: dict, user: User, link: str) -> OutboxMail:
    record = context["record"]
    return _compose(
        "report_receipt",
        to=[user.email],
        subject=f"{context['title']} {record.municipality.name} eingereicht ({record.number})",
        kind="report_receipt",
        user=user,
        link=link,
        **context,
    )


def _for_canton(context: dict, user: User, link: str) -> OutboxMail:
    record = context["record"]
    correction = " (Korrektur)" if context["version"].version > 1 else ""
    return _compose(
        "report_for_canton",
        to=[current_app.config["REPORT_MAIL_TO"]],
        subject=f"{context['title']} {record.municipality.name}{correction}: {record.number}",
        kind="report_for_canton",
        reply_to=user.email,
        user=user,
        link=link,
        **context,
    )


def compose_report_receipts(receipt: dict, user: User) -> None:
    """The submitter's receipt and the canton's notification of a submitted report; receipt
    is services.berichte.report_receipt()."""
    report = receipt["record"]
    place = {"bfs_nr": report.municipality.bfs_nr, "year": report.year, "half": report.half}
    _receipt(receipt, user, portal_url("berichte.report", **place))
    _for_canton(receipt, user, portal_url("kanton_berichte.report", **place))


def compose_declaration_receipts(receipt: dict, user: User) -> None:
    """The same for a self-declaration; receipt is services.berichte.declaration_receipt()."""
    declaration = receipt["record"]
    place = {"bfs_nr": declaration.municipality.bfs_nr, "year": declaration.year}
    _receipt(receipt, user, portal_url("berichte.declaration", **place))
    _for_canton(receipt, user, portal_url("kanton_berichte.declaration", **place))


def compose_reopened(record, reason: str, recipients: list[str]) -> OutboxMail | None:
    """Tell the municipality that the canton opened a report or self-declaration for a
    correction, and why."""
    if not recipients:
        return None
    if isinstance(record, HalfYearReport):
        title, article = f"Halbjahresbericht {record.period_label}", "den"
        link = portal_url(
            "berichte.report", bfs_nr=record.municipality.bfs_nr, year=record.year, half=record.half
        )
    else:
        title, article = f"Selbstdeklaration {record.year}", "die"
        link = portal_url(
            "berichte.declaration", bfs_nr=record.municipality.bfs_nr, year=record.year
        )
    return _compose(
        "report_reopened",
        to=recipients,
        subject=f"{title} {record.municipality.name}: bitte korrigieren",
        kind="report_reopened",
        record=record,
        title=title,
        article=article,
        reason=reason,
        link=link,
    )


def compose_reminder(
    municipality: Municipality,
    kind: str,
    period: str,
    due: date,
    reminder: str,
    recipients: list[str],
) -> OutboxMail:
    if kind == "bericht":
        year, half = (int(part) for part in period.split("-"))
        title = f"Halbjahresbericht {half}. Halbjahr {year}"
        link = portal_url("berichte.report", bfs_nr=municipality.bfs_nr, year=year, half=half)
    else:
        title = f"Selbstdeklaration {period}"
        link = portal_url("berichte.declaration", bfs_nr=municipality.bfs_nr, year=int(period))
    overdue = reminder == "ueberfaellig"
    prefix = "Überfällig" if overdue else "Erinnerung"
    return _compose(
        "report_reminder",
        to=recipients,
        subject=f"{prefix}: {title} {municipality.name}, fällig am {due.strftime('%d.%m.%Y')}",
        kind=f"reminder_{kind}",
        municipality=municipality,
        title=title,
        due=due,
        overdue=overdue,
        link=link,
    )
