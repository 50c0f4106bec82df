"""Mails about half-year reports and self-declarations: receipts, the canton's notification,
reopening for a correction and deadline reminders. They only write to the outbox."""

from datetime import date

from flask import current_app

from orders.emails import _compose, portal_url
from orders.models import (
    DeclarationVersion,
    HalfYearReport,
    Municipality,
    OutboxMail,
    ReportVersion,
    SelfDeclaration,
    User,
)


def _report_context(report: HalfYearReport, version: ReportVersion) -> dict:
    from orders.services import berichte, payout

    return {
        "record": report,
        "version": version,
        "title": f"Halbjahresbericht {report.period_label}",
        "items": berichte.report_version_items(version),
        "amounts": [
            (label, payout.chf(version.amounts.get(key, 0)))
            for key, label in berichte.AMOUNT_LABELS.items()
        ],
    }


def _declaration_context(declaration: SelfDeclaration, version: DeclarationVersion) -> dict:
    from orders.services import berichte, payout

    return {
        "record": declaration,
        "version": version,
        "title": f"Selbstdeklaration {declaration.year}",
        "items": berichte.declaration_items(version.data),
        "amounts": [("Sockelbeitrag", payout.chf(version.amounts.get("base", 0)))],
    }


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


def compose_report_receipt(report: HalfYearReport, version: ReportVersion, user: User):
    link = portal_url(
        "berichte.report", bfs_nr=report.municipality.bfs_nr, year=report.year, half=report.half
    )
    return _receipt(_report_context(report, version), user, link)


def compose_report_for_canton(report: HalfYearReport, version: ReportVersion, user: User):
    link = portal_url(
        "kanton_berichte.report",
        bfs_nr=report.municipality.bfs_nr,
        year=report.year,
        half=report.half,
    )
    return _for_canton(_report_context(report, version), user, link)


def compose_declaration_receipt(
    declaration: SelfDeclaration, version: DeclarationVersion, user: User
):
    link = portal_url(
        "berichte.declaration", bfs_nr=declaration.municipality.bfs_nr, year=declaration.year
    )
    return _receipt(_declaration_context(declaration, version), user, link)


def compose_declaration_for_canton(
    declaration: SelfDeclaration, version: DeclarationVersion, user: User
):
    link = portal_url(
        "kanton_berichte.declaration",
        bfs_nr=declaration.municipality.bfs_nr,
        year=declaration.year,
    )
    return _for_canton(_declaration_context(declaration, version), user, link)


def compose_reopened(record, reason: str, recipients: list[str]) -> OutboxMail | None:
    if not recipients:
        return None
    if isinstance(record, HalfYearReport):
        title = f"Halbjahresbericht {record.period_label}"
        link = portal_url(
            "berichte.report", bfs_nr=record.municipality.bfs_nr, year=record.year, half=record.half
        )
    else:
        title = f"Selbstdeklaration {record.year}"
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
