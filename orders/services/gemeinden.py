"""Municipalities: loading the official list and the canton's settings."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from orders.extensions import db
from orders.formatting import german_sort_key
from orders.models import Municipality, User
from orders.services import audit

MUNICIPALITIES_CSV = Path(__file__).resolve().parent.parent / "data" / "gemeinden-so.csv"


def municipality_exists(condition) -> bool:
    """Whether a municipality matches, e.g. `Municipality.bezirk == "Thal"`: a list filter
    that names none (an old bookmark, a hand-edited address) is a mistake to show, not an
    empty list to believe."""
    return db.session.scalar(select(select(Municipality.id).where(condition).exists()))


def bfs_number(value: str) -> int | None:
    """A list filter's «gemeinde» argument as a BFS number (at most four digits), or None."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdecimal() and len(value) <= 4 else None


def municipality_filter_error(value: str) -> str | None:
    """What is wrong with a list filter's «gemeinde» argument, in German; None if nothing."""
    if not value.strip():
        return None
    bfs_nr = bfs_number(value)
    if bfs_nr is None:
        return "Unbekannte Gemeinde."
    if not municipality_exists(Municipality.bfs_nr == bfs_nr):
        return f"Keine Gemeinde mit der BFS-Nummer {bfs_nr}."
    return None


def sorted_by_name(municipalities: Iterable[Municipality]) -> list[Municipality]:
    """Sorted the German way (Bärschwil before Beinwil), whatever the database's collation."""
    return sorted(municipalities, key=lambda m: german_sort_key(m.name))


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_municipalities(path: Path = MUNICIPALITIES_CSV) -> ImportReport:
    """Create or update municipalities from the official list. Running it twice changes nothing;
    the canton's own settings (participation, Leitgemeinde, contacts) are never touched."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = {m.bfs_nr: m for m in db.session.scalars(select(Municipality))}
    report = ImportReport()
    for row in rows:
        bfs_nr = int(row["bfs_nr"])
        values = {
            "name": row["name"].strip(),
            "bezirk": row["bezirk"].strip(),
            "bezirk_nr": int(row["bezirk_nr"]),
            "plz": row["plz"].strip(),
            "valid_until": date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
        }
        municipality = existing.get(bfs_nr)
        if municipality is None:
            municipality = Municipality(bfs_nr=bfs_nr, **values)
            # A municipality that no longer exists takes part in nothing new.
            municipality.participates = values["valid_until"] is None
            db.session.add(municipality)
            existing[bfs_nr] = municipality
            report.created += 1
        elif any(getattr(municipality, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(municipality, key, value)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    for row in rows:
        if row["merged_into"]:
            merged_into = existing[int(row["merged_into"])]
            municipality = existing[int(row["bfs_nr"])]
            if municipality.merged_into_id != merged_into.id:
                municipality.merged_into = merged_into
    db.session.commit()
    return report


@dataclass
class MunicipalitySettings:
    participates: bool
    lead: Municipality | None
    address: str
    town: str
    contact_name: str
    contact_email: str
    contact_phone: str


class MunicipalityError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def update_settings(
    municipality: Municipality, settings: MunicipalitySettings, actor: User
) -> None:
    """Change participation, Leitgemeinde and contact data, recording what changed."""
    lead = settings.lead
    if lead is not None:
        if lead.id == municipality.id:
            raise MunicipalityError(
                "Eine Gemeinde kann nicht ihre eigene Leitgemeinde sein.", "lead"
            )
        if lead.lead_id is not None:
            raise MunicipalityError(
                f"{lead.name} ist selbst Mitglied einer Leitgemeinde "
                "und kann keine Gemeinden leiten.",
                "lead",
            )
        if not lead.participates:
            raise MunicipalityError(
                f"{lead.name} nimmt nicht am Programm teil und kann keine Gemeinden leiten.",
                "lead",
            )
        if municipality.members:
            raise MunicipalityError(
                f"{municipality.name} leitet selbst andere Gemeinden und kann keiner "
                "Leitgemeinde angehören.",
                "lead",
            )
    if not settings.participates and municipality.members:
        raise MunicipalityError(
            f"{municipality.name} leitet {', '.join(m.name for m in municipality.members)}: "
            "bitte diese Gemeinden zuerst einer anderen Leitgemeinde zuweisen oder lösen.",
            "participates",
        )
    changes = {}
    for field in (
        "participates",
        "address",
        "town",
        "contact_name",
        "contact_email",
        "contact_phone",
    ):
        value = getattr(settings, field)
        if isinstance(value, str):
            value = value.strip()
        if getattr(municipality, field) != value:
            changes[field] = [getattr(municipality, field), value]
            setattr(municipality, field, value)
    if municipality.lead_id != (lead.id if lead else None):
        changes["lead"] = [
            municipality.lead.name if municipality.lead else None,
            lead.name if lead else None,
        ]
        municipality.lead = lead
    if changes:
        audit.record(
            "municipality.update",
            actor=actor,
            obj=municipality,
            name=municipality.name,
            changes=changes,
        )
    db.session.commit()
