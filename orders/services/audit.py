"""Record who did what, in the transaction of the change itself, and show it in German."""

import json

from flask import has_request_context, request
from sqlalchemy import select
from werkzeug.local import LocalProxy

from orders.extensions import db
from orders.models import (
    AuditEvent,
    Document,
    InterpreterStatus,
    NetworkMeeting,
    OrderStatus,
    Role,
    User,
)

# Every action recorded anywhere in orders/ (a test checks that none is missing).
ACTION_LABELS = {
    "login": "Anmeldung",
    "login.failed": "Anmeldung fehlgeschlagen",
    "logout": "Abmeldung",
    "user.invite": "Person eingeladen",
    "user.reinvite": "Einladung erneut gesendet",
    "user.accept_invitation": "Einladung angenommen",
    "user.request_password_reset": "Link zum Zurücksetzen des Passworts angefordert",
    "user.request_password_reset_unknown": "Passwort-Link für unbekannte Adresse angefordert",
    "user.reset_password": "Passwort zurückgesetzt",
    "user.change_password": "Passwort geändert",
    "user.update": "Angaben geändert",
    "user.activate": "Konto aktiviert",
    "user.deactivate": "Konto deaktiviert",
    "municipality.update": "Gemeinde geändert",
    "order.create": "Bestellung aufgegeben",
    "order.status": "Status der Bestellung geändert",
    "catalogue.create": "Artikel erfasst",
    "catalogue.update": "Artikel geändert",
    "interpreter.create": "Dolmetscheinsatz bestellt",
    "interpreter.cancel": "Dolmetscheinsatz storniert",
    "interpreter.confirm": "Dolmetscheinsatz bestätigt",
    "interpreter.outcome": "Dolmetscheinsatz abgeschlossen",
    "interpreter.retention": "Angaben zu Dolmetscheinsätzen gelöscht (Aufbewahrungsfrist)",
    "report.submit": "Halbjahresbericht eingereicht",
    "report.reopen": "Halbjahresbericht zur Korrektur geöffnet",
    "declaration.submit": "Selbstdeklaration eingereicht",
    "declaration.reopen": "Selbstdeklaration zur Korrektur geöffnet",
    "document.create": "Dokument hochgeladen",
    "document.update": "Dokument geändert",
    "document.version": "Neue Fassung eines Dokuments hochgeladen",
    "document.hide": "Dokument verborgen",
    "document.show": "Dokument wieder angezeigt",
    "infomail.send": "Infomail versandt",
    "meeting.create": "Vernetzungstreffen angekündigt",
    "meeting.update": "Vernetzungstreffen geändert",
    "meeting.cancel": "Vernetzungstreffen abgesagt",
    "meeting.register": "Für Vernetzungstreffen angemeldet",
    "meeting.unregister": "Von Vernetzungstreffen abgemeldet",
    "mail.resend": "Nachricht erneut gesendet",
    "mail.resend_all": "Fehlgeschlagene Nachrichten erneut gesendet",
    "export.request": "Export angefordert",
    "tariff.create": "Tarif erfasst",
    "tariff.delete": "Tarif gelöscht",
}

# The names of the details recorded with an action, as the Protokoll shows them (a test checks
# that every one recorded in orders/ is here; an unknown one shows its name).
DETAIL_LABELS = {
    "active": "aktiv",
    "after": "nachher",
    "amount": "Betrag",
    "before": "vorher",
    "bezirke": "Bezirke",
    "changes": "Änderungen",
    "chapter": "Kapitel",
    "count": "Anzahl",
    "cutoff": "gelöscht bis",
    "day": "Datum",
    "email": "E-Mail",
    "filename": "Datei",
    "filters": "Filter",
    "kind": "Art",
    "held": "stattgefunden",
    "language": "Sprache",
    "minutes": "Minuten",
    "municipality": "Gemeinde",
    "name": "Name",
    "note": "Bemerkung",
    "number": "Nummer",
    "numbers": "Nummern",
    "reason": "Grund",
    "recipients": "Empfänger",
    "redacted": "gelöschte Einträge",
    "replaced": "ersetzt",
    "role": "Rolle",
    "source": "Grundlage",
    "status": "Status",
    "subject": "Betreff",
    "title": "Titel",
    "valid_from": "gültig ab",
    "version": "Fassung",
    "what": "Export",
}


def record(
    action: str,
    *,
    actor: User | None,
    obj: db.Model | None = None,
    **detail,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    The client address is taken from the request when there is one; CLI commands have none.
    """
    # current_user is a proxy: the record is the object behind it.
    obj = obj._get_current_object() if isinstance(obj, LocalProxy) else obj
    actor = actor._get_current_object() if isinstance(actor, LocalProxy) else actor
    event = AuditEvent(
        action=action,
        actor=actor,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        detail=detail,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event


# The Protokoll's filter: areas of the portal, as prefixes of their actions' codes.
ACTION_AREAS = {
    "log": "An- und Abmeldungen",
    "user.": "Konten",
    "municipality.": "Gemeinden",
    "order.": "Bestellungen",
    "catalogue.": "Katalog",
    "interpreter.": "Dolmetscheinsätze",
    "report.": "Halbjahresberichte",
    "declaration.": "Selbstdeklarationen",
    "document.": "Dokumente",
    "infomail.": "Infomails",
    "meeting.": "Vernetzungstreffen",
    "mail.": "Postausgang",
    "export.": "Exporte",
    "tariff.": "Tarife",
}

# What an event is about, in German (the record's class name is stored).
OBJECT_LABELS = {
    "User": "Konto",
    "Municipality": "Gemeinde",
    "Order": "Bestellung",
    "CatalogueItem": "Artikel",
    "InterpreterRequest": "Dolmetscheinsatz",
    "HalfYearReport": "Halbjahresbericht",
    "SelfDeclaration": "Selbstdeklaration",
    "Document": "Dokument",
    "Infomail": "Infomail",
    "NetworkMeeting": "Vernetzungstreffen",
    "OutboxMail": "Nachricht",
    "ExportJob": "Export",
    "Tariff": "Tarif",
}

# The fields whose change is recorded under "changes" ({field: [before, after]}).
CHANGE_LABELS = {
    "participates": "Teilnahme",
    "lead": "Leitgemeinde",
    "address": "Adresse",
    "town": "PLZ und Ort",
    "contact_name": "Kontaktperson",
    "contact_email": "E-Mail",
    "contact_phone": "Telefon",
    "name": "Name",
    "function": "Funktion",
    "phone": "Telefon",
    "municipality": "Gemeinde",
    "title": "Titel",
    "day": "Datum",
    "starts_at": "Beginn",
    "ends_at": "Ende",
    "place": "Ort",
}


ROLE_LABELS = {Role.GEMEINDE.value: "Gemeinde", Role.KANTON.value: "Kanton"}

# A status is recorded by its code («in_bearbeitung»), shown by its label.
STATUS_LABELS = {status.value: status.label for status in (*OrderStatus, *InterpreterStatus)}


# Records named as they are called now, looked up when the Protokoll is shown rather than
# recorded with each event: most of their events record no name («Konto deaktiviert»), and this
# way the entries already in the database get a name too.
CURRENT_NAMES = {
    "User": (User, User.email),
    "Document": (Document, Document.title),
    "NetworkMeeting": (NetworkMeeting, NetworkMeeting.title),
}


def object_labels(events: list[AuditEvent]) -> dict[int, str]:
    """What each event is about, by the event's id: «Konto clerk@olten.ch», «Bestellung
    B-2026-00042». The names of CURRENT_NAMES are looked up with one query per kind of record
    among the events, so a page of the Protokoll makes the same number of queries whatever
    the data; the other records are named by what their events recorded (a deleted tariff
    can only be)."""
    current = {}
    for object_type, (model, name) in CURRENT_NAMES.items():
        ids = {e.object_id for e in events if e.object_type == object_type and e.object_id}
        if ids:
            rows = db.session.execute(select(model.id, name).where(model.id.in_(ids)))
            current |= {(object_type, id_): text for id_, text in rows}
    return {
        event.id: _object_label(event, current.get((event.object_type, event.object_id)))
        for event in events
    }


def _object_label(event: AuditEvent, current_name: str | None) -> str:
    """The record's German name and its name: the current one, else the event's number,
    name, title or subject, a tariff's kind and first day, else the record's id."""
    if not event.object_type:
        return ""
    detail = event.detail if isinstance(event.detail, dict) else {}
    tariff = None
    if {"kind", "valid_from"} <= detail.keys():  # a tariff, perhaps deleted since
        tariff = f"{detail['kind']} ab {detail['valid_from']}"
    name = str(
        current_name
        or detail.get("number")
        or detail.get("name")
        or detail.get("title")
        or detail.get("subject")
        or tariff
        or event.object_id
        or ""
    )
    kind = OBJECT_LABELS.get(event.object_type, event.object_type)
    # «Vernetzungstreffen alle Bezirke», not «Vernetzungstreffen Vernetzungstreffen alle …».
    if name == kind or name.startswith(f"{kind} "):
        return name
    return f"{kind} {name}".strip()


def action_label(action: str) -> str:
    """The German label of an action; the code itself for one without a label."""
    return ACTION_LABELS.get(action, action)


def detail_items(detail) -> list[tuple[str, str]]:
    """An event's details as (German name, text) pairs for the Protokoll, umlauts as they are."""
    if not isinstance(detail, dict):
        return [("", _text(detail))] if detail else []
    items = []
    for key, value in detail.items():
        if value == "":  # an optional note left empty
            continue
        if key == "changes" and isinstance(value, dict):
            items += [
                (CHANGE_LABELS.get(field, field), _change(before_after))
                for field, before_after in value.items()
            ]
        elif key == "status" and value in STATUS_LABELS:
            items.append((DETAIL_LABELS[key], STATUS_LABELS[value]))
        elif key == "role" and value in ROLE_LABELS:
            items.append((DETAIL_LABELS[key], ROLE_LABELS[value]))
        elif isinstance(value, dict):  # e.g. an export's filters: «Gemeinde: 2401, Status: …»
            text = ", ".join(f"{name.capitalize()}: {_text(v)}" for name, v in value.items())
            items.append((DETAIL_LABELS.get(key, key), text or "–"))
        else:
            items.append((DETAIL_LABELS.get(key, key), _text(value)))
    return items


def _change(before_after) -> str:
    """[before, after] as «ja → nein»; an empty value as «–»."""
    if isinstance(before_after, list) and len(before_after) == 2:
        return " → ".join(_text(value) if value != "" else "–" for value in before_after)
    return _text(before_after)


def _text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
