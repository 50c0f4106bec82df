"""Half-year reports and self-declarations: drafts, submission with frozen tariffs, receipts
and mails, reopening for a correction, version history, the canton's overview and payouts,
and the deadline reminders."""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from orders.emails import berichte as mails
from orders.extensions import db
from orders.formatting import format_number, german_sort_key
from orders.models import (
    DeclarationVersion,
    HalfYearReport,
    Municipality,
    ReminderSent,
    ReportState,
    ReportVersion,
    Role,
    SelfDeclaration,
    User,
)
from orders.models.types import utcnow
from orders.services import audit, deadlines, payout
from orders.services.gemeinden import sorted_by_name
from orders.services.numbering import next_number

MAX_COUNT = 100_000
MAX_RESIDENTS = 1_000_000
COUNT_MESSAGE = f"Bitte geben Sie eine ganze Zahl von 0 bis {format_number(MAX_COUNT)} ein."
RESIDENTS_MESSAGE = f"Bitte geben Sie eine ganze Zahl von 0 bis {format_number(MAX_RESIDENTS)} ein."

# The report's figures in the order of the form: key -> label.
FIGURES = {
    "first_info_conversations": "Erstinformationsgespräche durchgeführt",
    "first_info_people": "Mit Erstinformationsgesprächen erreichte Personen",
    "first_info_interpreter": "davon Erstinformationsgespräche mit Dolmetschenden",
    "integration_conversations": "Integrationsgespräche durchgeführt",
    "integration_interpreter": "davon Integrationsgespräche mit Dolmetschenden",
    "s_conversations": "Programm S: Integrationsgespräche",
    "s_follow_ups": "Programm S: Nachbegleitungen",
}
# "of which" figure -> its total
OF_WHICH = {
    "first_info_interpreter": "first_info_conversations",
    "integration_interpreter": "integration_conversations",
}
AMOUNT_LABELS = {
    "case": "Fallpauschalen",
    "interpreter": "Dolmetschpauschalen",
    "s_conversations": "Programm S: Integrationsgespräche",
    "s_follow_ups": "Programm S: Nachbegleitungen",
    "total": "Total",
}

FIRST_INFO_FORMS = {"gespraech": "im Gespräch", "schriftlich": "schriftlich"}
COOPERATION = {"schule": "Schule", "sozialregion": "Sozialregion", "andere": "andere"}
ORGANISATION = {
    "einzel": "Einzelgemeinde",
    "leit": "Leitgemeinde",
    "mitglied": "Mitglied einer Leitgemeinde",
}
# The self-declaration's contents in the order of the form: key -> label.
DECLARATION_FIELDS = {
    "contact_point": "Ansprechstelle für Integrationsfragen bezeichnet",
    "contact_name": "Ansprechstelle: Name / Stelle",
    "contact_address": "Ansprechstelle: Adresse",
    "contact_phone": "Ansprechstelle: Telefon",
    "contact_email": "Ansprechstelle: E-Mail",
    "organisation_model": "Organisationsmodell",
    "led_municipalities": "Geführte Gemeinden",
    "strategic_lead_name": "Strategische Leitung: Name",
    "strategic_lead_function": "Strategische Leitung: Funktion",
    "operative_lead_name": "Operative Leitung / Integrationsbeauftragte(r): Name",
    "operative_lead_percent": "Operative Leitung: Pensum in Prozent",
    "first_info_held": "Erstinformation wird durchgeführt",
    "first_info_forms": "Form der Erstinformation",
    "cooperation": "Zusammenarbeit mit Regelstrukturen",
    "cooperation_other": "Zusammenarbeit: andere",
    "foreign_residents": "Ausländische Einwohnerinnen und Einwohner am 31. Dezember",
    "remarks": "Bemerkungen",
    "confirmed": "Angaben bestätigt",
    "signatory_name": "Unterzeichnende Person",
    "signatory_function": "Funktion der unterzeichnenden Person",
}


class ReportError(ValueError):
    """A rule of the reporting workflow was broken; field names the form field if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- display ----------------------------------------------------------------------------------


def display_value(key: str, value) -> str:
    """A stored value as the canton and the municipality read it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if key == "organisation_model":
        return ORGANISATION.get(value, str(value))
    if key == "first_info_forms":
        return ", ".join(FIRST_INFO_FORMS.get(v, v) for v in value) or "–"
    if key == "cooperation":
        return ", ".join(COOPERATION.get(v, v) for v in value) or "–"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, int):  # counts of people and talks: 1'234, as the number filter writes
        return format_number(value)
    return str(value)


def report_items(figures: dict, remarks: str, documents_filed: bool) -> list[tuple[str, str]]:
    rows = [(label, display_value(key, figures.get(key))) for key, label in FIGURES.items()]
    rows.append(("Bemerkungen", remarks or "–"))
    rows.append(("Unterlagen bei der Gemeinde abgelegt", display_value("", documents_filed)))
    return rows


def declaration_items(data: dict) -> list[tuple[str, str]]:
    return [(label, display_value(key, data.get(key))) for key, label in DECLARATION_FIELDS.items()]


def tariff_text(tariffs: dict[str, int]) -> str:
    """The tariffs a version was computed with, as the canton reads them."""
    from orders.formatting import format_chf
    from orders.models import TariffKind

    return "; ".join(
        f"{TariffKind(kind).label}: {format_chf(payout.chf(centimes))}"
        for kind, centimes in tariffs.items()
    )


def amount_rows(amounts: dict) -> list[tuple[str, object]]:
    """A report's amounts as (label, CHF) rows in the order of AMOUNT_LABELS."""
    return [(label, payout.chf(amounts.get(key, 0))) for key, label in AMOUNT_LABELS.items()]


def declaration_amount_rows(amounts: dict) -> list[tuple[str, object]]:
    """A self-declaration's amount, the base contribution, as (label, CHF) rows."""
    return [("Sockelbeitrag", payout.chf(amounts.get("base", 0)))]


def report_receipt(report: HalfYearReport, version: ReportVersion) -> dict:
    """What the receipt of a submitted report shows, on its page and in the mails."""
    return {
        "record": report,
        "version": version,
        "title": f"Halbjahresbericht {report.period_label}",
        "items": report_version_items(version),
        "amounts": amount_rows(version.amounts),
    }


def declaration_receipt(declaration: SelfDeclaration, version: DeclarationVersion) -> dict:
    """What the receipt of a submitted self-declaration shows, on its page and in the mails."""
    return {
        "record": declaration,
        "version": version,
        "title": f"Selbstdeklaration {declaration.year}",
        "items": declaration_items(version.data),
        "amounts": declaration_amount_rows(version.amounts),
    }


def report_version_items(version: ReportVersion) -> list[tuple[str, str]]:
    return report_items(version.figures, version.remarks, version.documents_filed)


@dataclass
class VersionRow:
    label: str
    values: list[str]
    changed: list[bool]  # per version: differs from the version before


def side_by_side(items_per_version: list[list[tuple[str, str]]]) -> list[VersionRow]:
    """Rows of label and value per version; a value is marked changed where it differs from
    the previous version."""
    if not items_per_version:
        return []
    rows = []
    for index, (label, _value) in enumerate(items_per_version[0]):
        values = [items[index][1] for items in items_per_version]
        changed = [False] + [values[i] != values[i - 1] for i in range(1, len(values))]
        rows.append(VersionRow(label, values, changed))
    return rows


# --- rules ------------------------------------------------------------------------------------


def check_report(
    figures: dict, documents_filed: bool, *, submit: bool, unreadable: Collection[str] = ()
) -> list[ReportError]:
    """Every problem of the figures; on submit all figures and the tick are required.
    `unreadable` names the figures the form could not read (None there does not mean empty):
    the rules needing them are left out, the form names those fields itself."""
    problems = []
    for key in FIGURES:
        if key in unreadable:
            continue
        value = figures.get(key)
        if value is None:
            if submit:
                problems.append(ReportError("Bitte geben Sie eine Zahl ein (0, wenn keine).", key))
        elif not 0 <= value <= MAX_COUNT:
            problems.append(ReportError(COUNT_MESSAGE, key))
    for part, total in OF_WHICH.items():
        if part in unreadable or total in unreadable:
            continue
        if (figures.get(part) or 0) > (figures.get(total) or 0):
            problems.append(
                ReportError(
                    f"«davon mit Dolmetschenden» kann nicht grösser sein als «{FIGURES[total]}».",
                    part,
                )
            )
    if submit and not documents_filed:
        problems.append(
            ReportError(
                "Bitte bestätigen Sie, dass die unterzeichneten Gesprächsleitfäden und Formulare "
                "bei der Gemeinde abgelegt sind.",
                "documents_filed",
            )
        )
    return problems


# A figure that grew this many times over the last submitted report's, by at least
# UNUSUAL_MIN_JUMP, is more likely a typing error than a busy half-year; without an earlier
# report, more than UNUSUAL_WITHOUT_HISTORY. The check page asks to look again; nothing is
# refused (a municipality may really have had its busiest half-year).
UNUSUAL_FACTOR, UNUSUAL_MIN_JUMP, UNUSUAL_WITHOUT_HISTORY = 3, 20, 500
# More foreign residents than any municipality of the canton has inhabitants.
UNUSUAL_WITHOUT_RESIDENTS = 20_000


def unusual_figures(municipality: Municipality, year: int, half: int, figures: dict) -> list[str]:
    """What the check page asks the municipality to look at again, in German."""
    earlier = db.session.execute(
        select(HalfYearReport.year, HalfYearReport.half, ReportVersion.figures)
        .join(ReportVersion, ReportVersion.report_id == HalfYearReport.id)
        .where(
            HalfYearReport.municipality_id == municipality.id,
            HalfYearReport.year * 2 + HalfYearReport.half < year * 2 + half,
        )
        .order_by(
            HalfYearReport.year.desc(), HalfYearReport.half.desc(), ReportVersion.version.desc()
        )
        .limit(1)
    ).first()
    notes = []
    conversations = figures.get("first_info_conversations")
    people = figures.get("first_info_people")
    if isinstance(conversations, int) and isinstance(people, int) and people < conversations:
        notes.append(
            f"«{FIGURES['first_info_people']}»: {format_number(people)}, weniger als die "
            f"{format_number(conversations)} Erstinformationsgespräche; jedes Gespräch erreicht "
            "mindestens eine Person."
        )
    for key, label in FIGURES.items():
        value = figures.get(key)
        if not isinstance(value, int) or value <= 0:
            continue
        if earlier is None:
            if value > UNUSUAL_WITHOUT_HISTORY:
                notes.append(f"«{label}»: {format_number(value)} in einem Halbjahr.")
            continue
        before = earlier.figures.get(key) or 0
        if value > UNUSUAL_FACTOR * before and value - before >= UNUSUAL_MIN_JUMP:
            notes.append(
                f"«{label}»: {format_number(value)}, im Bericht {earlier.half}. Halbjahr "
                f"{earlier.year} waren es {format_number(before)}."
            )
    return notes


def unusual_declaration(municipality: Municipality, year: int, data: dict) -> list[str]:
    """The count of foreign residents, if it is far from last year's (or implausibly high)."""
    value = data.get("foreign_residents")
    if not isinstance(value, int) or value <= 0:
        return []
    last = find_declaration(municipality, year - 1)
    before = last.versions[-1].data.get("foreign_residents") if last and last.versions else None
    label = DECLARATION_FIELDS["foreign_residents"]
    if not before:
        too_many = value > UNUSUAL_WITHOUT_RESIDENTS
        return [f"«{label}»: {format_number(value)}."] if too_many else []
    if before / 2 <= value <= before * 2:
        return []
    return [
        f"«{label}»: {format_number(value)}, in der Selbstdeklaration {year - 1} waren es "
        f"{format_number(before)}."
    ]


def check_declaration(data: dict, *, submit: bool) -> list[ReportError]:
    """Every problem of a self-declaration; on submit the required statements."""
    problems = []
    residents = data.get("foreign_residents")
    if residents is not None and not 0 <= residents <= MAX_RESIDENTS:
        problems.append(ReportError(RESIDENTS_MESSAGE, "foreign_residents"))
    percent = data.get("operative_lead_percent")
    if percent is not None and not 0 <= percent <= 100:
        problems.append(
            ReportError("Bitte ein Pensum von 0 bis 100 Prozent.", "operative_lead_percent")
        )
    if not submit:
        return problems

    def need(key: str, message: str) -> None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            problems.append(ReportError(message, key))

    if data.get("contact_point"):
        need("contact_name", "Bitte geben Sie die Ansprechstelle an.")
        if (
            not (data.get("contact_phone") or "").strip()
            and not (data.get("contact_email") or "").strip()
        ):
            problems.append(
                ReportError(
                    "Bitte geben Sie Telefon oder E-Mail der Ansprechstelle an.", "contact_phone"
                )
            )
    need("organisation_model", "Bitte wählen Sie das Organisationsmodell.")
    if data.get("organisation_model") == "leit":
        need("led_municipalities", "Bitte nennen Sie die Gemeinden, für die Sie Leitgemeinde sind.")
    need("strategic_lead_name", "Bitte geben Sie die strategische Leitung an.")
    need("strategic_lead_function", "Bitte geben Sie die Funktion der strategischen Leitung an.")
    need("operative_lead_name", "Bitte geben Sie die operative Leitung an.")
    need("operative_lead_percent", "Bitte geben Sie das Pensum in Prozent an.")
    if data.get("first_info_held"):
        need("first_info_forms", "Bitte geben Sie an, wie die Erstinformation stattfindet.")
    if "andere" in (data.get("cooperation") or []):
        need("cooperation_other", "Bitte nennen Sie die anderen Regelstrukturen.")
    need("foreign_residents", "Bitte geben Sie die Zahl der ausländischen Einwohner an.")
    if not data.get("confirmed"):
        problems.append(
            ReportError("Bitte bestätigen Sie, dass die Angaben korrekt sind.", "confirmed")
        )
    need("signatory_name", "Bitte geben Sie den Namen der unterzeichnenden Person an.")
    need("signatory_function", "Bitte geben Sie die Funktion der unterzeichnenden Person an.")
    return problems


def can_submit_report(year: int, half: int, today: date | None = None) -> bool:
    return deadlines.period_ended(year, half, today or deadlines.today_local())


def can_submit_declaration(year: int, today: date | None = None) -> bool:
    return deadlines.year_ended(year, today or deadlines.today_local())


def period_exists(year: int, half: int | None = None, today: date | None = None) -> bool:
    """A period that has begun, within the years the portal keeps."""
    today = today or deadlines.today_local()
    if not deadlines.FIRST_YEAR <= year <= today.year or half not in (None, 1, 2):
        return False
    return half is None or deadlines.period_start(year, half) <= today


# --- records ----------------------------------------------------------------------------------


def find_report(municipality: Municipality, year: int, half: int) -> HalfYearReport | None:
    return db.session.scalar(
        select(HalfYearReport).where(
            HalfYearReport.municipality_id == municipality.id,
            HalfYearReport.year == year,
            HalfYearReport.half == half,
        )
    )


def find_declaration(municipality: Municipality, year: int) -> SelfDeclaration | None:
    return db.session.scalar(
        select(SelfDeclaration).where(
            SelfDeclaration.municipality_id == municipality.id, SelfDeclaration.year == year
        )
    )


def _get_or_create(model, find, **values):
    record = find()
    if record is not None:
        return record
    record = model(**values)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # Another request created it first (a double click on «save»): use that one.
        record = find()
    return record


class SubmittedMeanwhile(ReportError):
    """Another request submitted the record while this one was on its way."""


SUBMITTED_MEANWHILE = (
    "Der Bericht wurde inzwischen eingereicht; Ihre Änderungen sind nicht gespeichert. "
    "Korrekturen sind möglich, wenn die Koordinationsstelle ihn wieder öffnet."
)


def _save_unless_submitted(record, **values) -> None:
    """Write the working copy in one UPDATE that only matches while the record is not
    submitted: the in-memory state may be stale when another worker has just submitted."""
    model = type(record)
    result = db.session.execute(
        update(model)
        .where(model.id == record.id, model.state != ReportState.SUBMITTED)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise SubmittedMeanwhile(SUBMITTED_MEANWHILE)
    db.session.commit()
    db.session.refresh(record)


def save_report_draft(
    municipality: Municipality,
    year: int,
    half: int,
    figures: dict,
    remarks: str,
    documents_filed: bool,
    user: User,
) -> HalfYearReport:
    """Keep what was typed as the working copy (also for a reopened report) and commit."""
    report = _get_or_create(
        HalfYearReport,
        lambda: find_report(municipality, year, half),
        municipality_id=municipality.id,
        year=year,
        half=half,
        figures={},
    )
    _save_unless_submitted(
        report,
        figures={key: figures.get(key) for key in FIGURES},
        remarks=remarks,
        documents_filed=documents_filed,
        updated_by_id=user.id,
    )
    return report


def save_declaration_draft(
    municipality: Municipality, year: int, data: dict, user: User
) -> SelfDeclaration:
    declaration = _get_or_create(
        SelfDeclaration,
        lambda: find_declaration(municipality, year),
        municipality_id=municipality.id,
        year=year,
        data={},
    )
    _save_unless_submitted(
        declaration,
        data={key: data.get(key) for key in DECLARATION_FIELDS},
        updated_by_id=user.id,
    )
    return declaration


def _claim_submission(model, record_id: int) -> bool:
    """Mark the record submitted unless it already is: one UPDATE, so two requests at once
    (a double click reaching two workers) make one submission."""
    result = db.session.execute(
        update(model)
        .where(model.id == record_id, model.state != ReportState.SUBMITTED)
        .values(state=ReportState.SUBMITTED),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def submit_report(report: HalfYearReport, user: User, now: datetime | None = None) -> bool:
    """Submit the working copy as a new version with the tariffs valid at the end of the
    half-year; receipt mail to the submitter, notification to the canton. False when it was
    already submitted (nothing happens then)."""
    now = now or utcnow()
    if not deadlines.period_ended(report.year, report.half, deadlines.today_local(now)):
        raise ReportError(
            "Der Bericht kann erst nach Ende des Halbjahres eingereicht werden (ab "
            f"{deadlines.period_end(report.year, report.half).strftime('%d.%m.%Y')})."
        )
    # Claim first, then validate and compute on what is stored now: a draft saved by another
    # worker in between is what gets frozen, so figures and amounts always belong together.
    if not _claim_submission(HalfYearReport, report.id):
        db.session.rollback()
        return False
    db.session.refresh(report)
    try:
        problems = check_report(report.figures, report.documents_filed, submit=True)
        if problems:
            raise problems[0]
        valid = payout.tariffs_on(deadlines.period_end(report.year, report.half))
        tariffs = {
            kind.value: valid[kind.value]
            for kind in payout.REPORT_TARIFF_FIGURES
            if kind.value in valid
        }
        amounts = payout.report_amounts(report.figures, tariffs)
    except (ReportError, payout.MissingTariff):
        db.session.rollback()
        raise
    first = report.submitted_at is None
    if first:
        report.number = next_number("R", deadlines.today_local(now).year)
        report.submitted_at = now
        report.late = deadlines.is_late(deadlines.report_due(report.year, report.half), now)
    report.reopen_reason = ""
    version = ReportVersion(
        report=report,
        version=len(report.versions) + 1,
        figures=dict(report.figures),
        remarks=report.remarks,
        documents_filed=report.documents_filed,
        tariffs=tariffs,
        amounts=amounts,
        submitted_at=now,
        submitted_by_id=user.id,
        late=report.late,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "report.submit", actor=user, obj=report, number=report.number, version=version.version
    )
    mails.compose_report_receipts(report_receipt(report, version), user)
    db.session.commit()
    return True


def submit_declaration(
    declaration: SelfDeclaration, user: User, now: datetime | None = None
) -> bool:
    """Submit the self-declaration as a new version with the base contribution computed from
    the tariff valid on 31 December of the year. False when it was already submitted."""
    now = now or utcnow()
    if not deadlines.year_ended(declaration.year, deadlines.today_local(now)):
        raise ReportError(
            "Die Selbstdeklaration kann erst nach Ende des Jahres eingereicht werden (ab "
            f"01.01.{declaration.year + 1})."
        )
    if not _claim_submission(SelfDeclaration, declaration.id):
        db.session.rollback()
        return False
    db.session.refresh(declaration)
    try:
        problems = check_declaration(declaration.data, submit=True)
        if problems:
            raise problems[0]
        tariffs = payout.tariffs_on(deadlines.year_end(declaration.year))
        base = payout.base_contribution(declaration.data.get("foreign_residents"), tariffs)
    except (ReportError, payout.MissingTariff):
        db.session.rollback()
        raise
    if declaration.submitted_at is None:
        declaration.number = next_number("S", deadlines.today_local(now).year)
        declaration.submitted_at = now
        declaration.late = deadlines.is_late(deadlines.declaration_due(declaration.year), now)
    declaration.reopen_reason = ""
    kind = payout.TariffKind.BASE_CONTRIBUTION.value
    version = DeclarationVersion(
        declaration=declaration,
        version=len(declaration.versions) + 1,
        data=dict(declaration.data),
        tariffs={kind: tariffs[kind]} if kind in tariffs else {},
        amounts={"base": base, "total": base},
        submitted_at=now,
        submitted_by_id=user.id,
        late=declaration.late,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "declaration.submit",
        actor=user,
        obj=declaration,
        number=declaration.number,
        version=version.version,
    )
    mails.compose_declaration_receipts(declaration_receipt(declaration, version), user)
    db.session.commit()
    return True


def _reopen(record, actor: User, reason: str, action: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ReportError("Bitte geben Sie einen Grund an.", "reason")
    # One UPDATE that only matches a submitted record: a double click (or two canton staff at
    # once) reopens once, with one mail and one audit row.
    model = type(record)
    result = db.session.execute(
        update(model)
        .where(model.id == record.id, model.state == ReportState.SUBMITTED)
        .values(state=ReportState.REOPENED, reopen_reason=reason),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ReportError("Nur Eingereichtes kann zur Korrektur geöffnet werden.")
    db.session.refresh(record)
    version = record.versions[-1]
    version.reopened_at = utcnow()
    version.reopened_by_id = actor.id
    version.reopen_reason = reason
    audit.record(action, actor=actor, obj=record, number=record.number, reason=reason)


def reopen_report(report: HalfYearReport, actor: User, reason: str) -> None:
    """The canton opens a submitted report for a correction; the municipality is told why.
    The submitted versions stay as they are. The tick for the filed documents is taken back
    in the working copy: the corrected figures must be confirmed anew."""
    _reopen(report, actor, reason, "report.reopen")
    report.documents_filed = False
    mails.compose_reopened(report, reason, recipients_for(report.municipality))
    db.session.commit()


def reopen_declaration(declaration: SelfDeclaration, actor: User, reason: str) -> None:
    """The same for a self-declaration: its confirmation is taken back in the working copy (the
    signatory stays), so the corrected statements must be confirmed anew."""
    _reopen(declaration, actor, reason, "declaration.reopen")
    declaration.data = {**declaration.data, "confirmed": False}
    mails.compose_reopened(declaration, reason, recipients_for(declaration.municipality))
    db.session.commit()


def declaration_prefill(municipality: Municipality, year: int) -> tuple[dict, bool]:
    """(values, whether they are last year's): last year's submitted declaration without this
    year's count and signature; else what the portal knows about the municipality."""
    last = find_declaration(municipality, year - 1)
    if last is not None and last.versions:
        data = dict(last.versions[-1].data)
        for key in ("foreign_residents", "confirmed", "remarks"):
            data.pop(key, None)
        return data, True
    return {
        "organisation_model": _organisation_model(municipality),
        "led_municipalities": ", ".join(m.name for m in municipality.members),
        "contact_name": municipality.contact_name,
        "contact_email": municipality.contact_email,
        "contact_phone": municipality.contact_phone,
        "contact_address": _postal_address(municipality),
    }, False


def _organisation_model(municipality: Municipality) -> str:
    if municipality.is_lead:
        return "leit"
    return "mitglied" if municipality.lead else "einzel"


def _postal_address(municipality: Municipality) -> str:
    """Street and «PLZ Ort» on one line («Hauptstrasse 43, 4552 Derendingen»)."""
    return ", ".join(part for part in (municipality.address, municipality.postal_town) if part)


def recipients_for(municipality: Municipality) -> list[str]:
    """Who hears about a municipality's reports: its active staff and those of its
    Leitgemeinde, and its contact address."""
    ids = [municipality.id] + ([municipality.lead_id] if municipality.lead_id else [])
    emails = list(
        db.session.scalars(
            select(User.email)
            .where(User.municipality_id.in_(ids), User.active.is_(True), User.role == Role.GEMEINDE)
            .order_by(User.email)
        )
    )
    if municipality.contact_email and municipality.contact_email not in emails:
        emails.append(municipality.contact_email)
    return emails


def interpreter_suggestions(municipality: Municipality, year: int, half: int) -> dict[str, int]:
    """Interpreter orders of the half-year recorded as held in the portal, per report field:
    offered as a suggestion beside "of which with an interpreter", never filled in."""
    from orders.models import ConversationType
    from orders.services.dolmetschen import held_count

    start, end = deadlines.period_start(year, half), deadlines.period_end(year, half)
    return {
        field: held_count(municipality.id, start, end, conversation_type)
        for field, conversation_type in (
            ("first_info_interpreter", ConversationType.FIRST_INFORMATION),
            ("integration_interpreter", ConversationType.INTEGRATION),
        )
    }


# Built once (the dashboard runs them on every visit): the states of a municipality's
# reports and declarations from a year on.
REPORT_STATES = select(HalfYearReport.year, HalfYearReport.half, HalfYearReport.state).where(
    HalfYearReport.municipality_id == bindparam("municipality_id"),
    HalfYearReport.year >= bindparam("year"),
)
DECLARATION_STATES = select(SelfDeclaration.year, SelfDeclaration.state).where(
    SelfDeclaration.municipality_id == bindparam("municipality_id"),
    SelfDeclaration.year >= bindparam("year"),
)


@dataclass
class DueRecord:
    """A report (half 1 or 2) or the self-declaration (half None) the municipality still owes."""

    year: int
    half: int | None
    due: date
    overdue: bool
    state: ReportState | None  # None: not begun; DRAFT; REOPENED: opened for a correction


def still_due(municipality: Municipality, today: date | None = None) -> list[DueRecord]:
    """What the municipality's dashboard lists to do: the reports of the recent half-years
    that have ended and the last year's self-declaration, where not submitted. Two queries."""
    today = today or deadlines.today_local()
    if not municipality.participates:
        return []
    halves = [
        (year, half)
        for year, half in deadlines.recent_halves(today)
        if period_exists(year, half, today) and can_submit_report(year, half, today)
    ]
    last_year = today.year - 1
    years = [last_year] if period_exists(last_year, None, today) else []
    since = {
        "municipality_id": municipality.id,
        "year": min((year for year, _ in halves), default=last_year),
    }
    reports = {
        (year, half): state for year, half, state in db.session.execute(REPORT_STATES, since)
    }
    declarations = dict(db.session.execute(DECLARATION_STATES, since).all())
    records = [
        (year, None, deadlines.declaration_due(year), declarations.get(year)) for year in years
    ]
    records += [
        (year, half, deadlines.report_due(year, half), reports.get((year, half)))
        for year, half in halves
    ]
    owed = [
        DueRecord(year, half, due, today > due, state)
        for year, half, due, state in records
        if state is not ReportState.SUBMITTED
    ]
    return sorted(owed, key=lambda record: record.due)


# --- the canton's view ------------------------------------------------------------------------


def participating(bezirk: str | None = None, on: date | None = None) -> list[Municipality]:
    """The municipalities in the programme for a period that starts on `on`: those taking part,
    and those merged away since that still existed then (Halten and Oekingen, valid until
    31.12.2025, no longer "participate" but owe their reports for 2025)."""
    return sorted_by_name(db.session.scalars(_participating(bezirk, on)))


def _participating(bezirk: str | None, on: date | None) -> Select:
    if on is None:
        statement = select(Municipality).where(Municipality.participates.is_(True))
    else:
        statement = select(Municipality).where(
            or_(Municipality.participates.is_(True), Municipality.valid_until >= on),
            or_(Municipality.valid_until.is_(None), Municipality.valid_until >= on),
        )
    if bezirk:
        statement = statement.where(Municipality.bezirk == bezirk)
    return statement


def status_of(record, ends: date, due: date, today: date) -> tuple[str, str]:
    """(key, German label) of the state the canton and the municipality see: running (the
    period has not ended: nothing can be submitted yet), open (ended, not yet due), missing
    (overdue), draft, submitted, late, reopened."""
    if record is None or record.state is ReportState.DRAFT and record.submitted_at is None:
        overdue = today > due
        if record is not None:
            return "draft", "Entwurf (überfällig)" if overdue else "Entwurf"
        if today <= ends:
            return "running", "Periode läuft noch"
        return ("missing", "fehlt (überfällig)") if overdue else ("open", "noch nicht eingereicht")
    if record.state is ReportState.REOPENED:
        return "reopened", "zur Korrektur geöffnet"
    if record.late:
        return "late", "verspätet eingereicht"
    return "submitted", "eingereicht"


@dataclass
class OverviewRow:
    municipality: Municipality
    record: object
    status: str
    label: str


def status_counts(rows: list[OverviewRow]) -> Counter:
    """How many municipalities of an overview are in each state (status_of's keys)."""
    return Counter(row.status for row in rows)


def _with_those_that_reported(
    municipalities: list[Municipality], records: dict, bezirk: str | None
) -> list[Municipality]:
    """The participating municipalities and any other that has a record for the period: one
    that no longer takes part keeps what it submitted in the list (participation is today's
    setting, not the period's)."""
    missing = records.keys() - {m.id for m in municipalities}
    if not missing:
        return municipalities
    statement = select(Municipality).where(Municipality.id.in_(missing))
    if bezirk:
        statement = statement.where(Municipality.bezirk == bezirk)
    return sorted_by_name([*municipalities, *db.session.scalars(statement)])


def report_overview(year: int, half: int, bezirk: str | None = None) -> list[OverviewRow]:
    ends, due = deadlines.period_end(year, half), deadlines.report_due(year, half)
    reports = {
        r.municipality_id: r
        for r in db.session.scalars(
            select(HalfYearReport).where(HalfYearReport.year == year, HalfYearReport.half == half)
        )
    }
    municipalities = _with_those_that_reported(
        participating(bezirk, deadlines.period_start(year, half)), reports, bezirk
    )
    today = deadlines.today_local()
    return [
        OverviewRow(m, reports.get(m.id), *status_of(reports.get(m.id), ends, due, today))
        for m in municipalities
    ]


def declaration_overview(year: int, bezirk: str | None = None) -> list[OverviewRow]:
    ends, due = deadlines.year_end(year), deadlines.declaration_due(year)
    declarations = {
        d.municipality_id: d
        for d in db.session.scalars(select(SelfDeclaration).where(SelfDeclaration.year == year))
    }
    municipalities = _with_those_that_reported(
        participating(bezirk, date(year, 1, 1)), declarations, bezirk
    )
    today = deadlines.today_local()
    return [
        OverviewRow(m, declarations.get(m.id), *status_of(declarations.get(m.id), ends, due, today))
        for m in municipalities
    ]


PAYOUT_MUNICIPALITY = (Municipality.id, Municipality.bfs_nr, Municipality.name, Municipality.bezirk)


def payout_table(year: int, half: int | None = None) -> list[payout.PayoutRow]:
    """Per participating municipality the amounts of its latest submitted version(s); the base
    contribution only in the yearly table and only where the declaration was submitted.

    Only the amounts the table needs are read, as integers picked out of the latest version's
    JSON by the database: a constant number of queries and no JSON decoded per row.
    """
    halves = (half,) if half else (1, 2)
    # What the table shows of a municipality, as plain rows: no ORM object for each of ~100.
    municipalities = _participating(None, deadlines.period_start(year, half or 1))
    rows = {
        m.id: payout.PayoutRow(municipality=m, half=half)
        for m in db.session.execute(municipalities.with_only_columns(*PAYOUT_MUNICIPALITY))
    }
    report_keys = tuple(payout.AMOUNT_KEYS)
    reports = db.session.execute(
        _latest_amounts(HalfYearReport, ReportVersion, "report_id", report_keys)
        .add_columns(HalfYearReport.half)
        .where(HalfYearReport.year == year, HalfYearReport.half.in_(halves))
    ).all()
    declarations = (
        db.session.execute(
            _latest_amounts(SelfDeclaration, DeclarationVersion, "declaration_id", ("base",)).where(
                SelfDeclaration.year == year
            )
        ).all()
        if half is None
        else []
    )
    _add_rows_for_former_municipalities(rows, reports + declarations, half)
    for municipality_id, number, state, *amounts, report_half in reports:
        row = rows[municipality_id]
        for key, amount in zip(report_keys, amounts, strict=True):
            setattr(row, key, getattr(row, key) + amount)
        row.reports.append(number)
        row.halves.add(report_half)
        if state is ReportState.REOPENED:
            row.reopened.append(number)
    for municipality_id, number, state, base in declarations:
        row = rows[municipality_id]
        row.base = base
        row.declaration = number
        if state is ReportState.REOPENED:
            row.reopened.append(number)
    return sorted(rows.values(), key=lambda row: german_sort_key(row.municipality.name))


@cache
def _latest_amounts(record, version, record_key: str, keys: tuple[str, ...]):
    """(municipality id, number, state, *amounts under `keys` of the latest version) of the
    submitted records. Built once per kind: statements are immutable, `.where()` copies."""
    other = aliased(version)
    newest = (
        select(func.max(other.version))
        .where(getattr(other, record_key) == record.id)
        .scalar_subquery()
    )
    return (
        select(
            record.municipality_id,
            record.number,
            record.state,
            *(func.coalesce(version.amounts[key].as_integer(), 0) for key in keys),
        )
        .join(version, getattr(version, record_key) == record.id)
        .where(record.submitted_at.is_not(None), version.version == newest)
    )


def _add_rows_for_former_municipalities(rows: dict, records, half: int | None) -> None:
    """A municipality that no longer takes part still gets its row for what it submitted."""
    missing = {municipality_id for municipality_id, *_ in records} - rows.keys()
    if missing:
        statement = select(*PAYOUT_MUNICIPALITY).where(Municipality.id.in_(missing))
        for m in db.session.execute(statement):
            rows[m.id] = payout.PayoutRow(municipality=m, half=half)


# --- reminders --------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    sent: int = 0
    skipped_no_address: int = 0


# A reminder the daily job missed (the server was down) still goes out within this many days.
REMINDER_CATCH_UP_DAYS = 7


def _reminder_due(day: date, today: date) -> bool:
    return day <= today < day + timedelta(days=REMINDER_CATCH_UP_DAYS)


def _due_reminders(today: date) -> list[tuple[str, str, date, date, str, object]]:
    """(kind, period, period start, due, reminder type, finder) for every deadline whose
    reminder day is today or was missed in the last days."""
    found = []
    for year in (today.year - 1, today.year):
        for half in (1, 2):
            due = deadlines.report_due(year, half)
            for reminder, day in deadlines.reminder_dates(due).items():
                if _reminder_due(day, today):
                    found.append(
                        (
                            "bericht",
                            f"{year}-{half}",
                            deadlines.period_start(year, half),
                            due,
                            reminder,
                            lambda m, y=year, h=half: find_report(m, y, h),
                        )
                    )
        due = deadlines.declaration_due(year)
        for reminder, day in deadlines.reminder_dates(due).items():
            if _reminder_due(day, today):
                found.append(
                    (
                        "selbstdeklaration",
                        str(year),
                        date(year, 1, 1),
                        due,
                        reminder,
                        lambda m, y=year: find_declaration(m, y),
                    )
                )
    return found


def send_reminders(today: date) -> ReminderReport:
    """Remind each municipality that takes part in the period and has not submitted, 14 days
    before and on the day after the due date (or within a week after, when the daily job did
    not run that day). A reminder is recorded with a unique key, so running this again sends
    nothing twice."""
    report = ReminderReport()
    for kind, period, start, due, reminder, find in _due_reminders(today):
        for municipality in participating(on=start):
            record = find(municipality)
            if record is not None and record.submitted_at is not None:
                continue
            recipients = recipients_for(municipality)
            if not recipients:
                report.skipped_no_address += 1
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(
                        ReminderSent(
                            municipality_id=municipality.id,
                            kind=kind,
                            period=period,
                            reminder=reminder,
                            sent_on=today,
                        )
                    )
            except IntegrityError:
                continue  # already reminded
            mails.compose_reminder(municipality, kind, period, due, reminder, recipients)
            report.sent += 1
        db.session.commit()
    return report
