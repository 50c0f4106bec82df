"""Record who did what, in the transaction of the change itself, and show it in German."""

import json

from flask import has_request_context, request

from orders.extensions import db
from orders.models import AuditEvent, User

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
    "document.hide": "Dokument ausgeblendet",
    "document.show": "Dokument eingeblendet",
    "infomail.send": "Infomail versandt",
    "mail.resend": "Nachricht erneut gesendet",
    "mail.resend_all": "Fehlgeschlagene Nachrichten erneut gesendet",
    "export.request": "Export angefordert",
}

# The names of the details recorded with an action, as the Protokoll shows them (a test checks
# that every one recorded in orders/ is here; an unknown one shows its name).
DETAIL_LABELS = {
    "active": "aktiv",
    "after": "nachher",
    "before": "vorher",
    "bezirke": "Bezirke",
    "changes": "Änderungen",
    "chapter": "Kapitel",
    "count": "Anzahl",
    "cutoff": "gelöscht bis",
    "email": "E-Mail",
    "filename": "Datei",
    "filters": "Filter",
    "held": "stattgefunden",
    "language": "Sprache",
    "minutes": "Minuten",
    "municipality": "Gemeinde",
    "name": "Name",
    "number": "Nummer",
    "numbers": "Nummern",
    "reason": "Grund",
    "recipients": "Empfänger",
    "redacted": "gelöschte Einträge",
    "replaced": "ersetzt",
    "role": "Rolle",
    "status": "Status",
    "subject": "Betreff",
    "title": "Titel",
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


def action_label(action: str) -> str:
    """The German label of an action; the code itself for one without a label."""
    return ACTION_LABELS.get(action, action)


def detail_items(detail) -> list[tuple[str, str]]:
    """An event's details as (German name, text) pairs for the Protokoll, umlauts as they are."""
    if not isinstance(detail, dict):
        return [("", _text(detail))] if detail else []
    return [(DETAIL_LABELS.get(key, key), _text(value)) for key, value in detail.items()]


def _text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
