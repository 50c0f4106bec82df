"""What the canton pays: tariffs by validity date and the lump sums of a report or
self-declaration, all in integer centimes."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from orders.extensions import db
from orders.models import Tariff, TariffKind

# The circular letters' amounts (Kreisschreiben KRS-GEF-2017/01, 2024/02, 2024/03).
SEED_TARIFFS = (
    (TariffKind.CASE, 20000, date(2017, 1, 1), "KRS-GEF-2017/01"),
    (TariffKind.INTERPRETER, 16000, date(2017, 1, 1), "KRS-GEF-2017/01"),
    (TariffKind.BASE_CONTRIBUTION, 700, date(2017, 1, 1), "KRS-GEF-2017/01"),
    (TariffKind.PROGRAMME_S_CONVERSATION, 30000, date(2024, 1, 1), "KRS-GEF-2024/03"),
    (TariffKind.PROGRAMME_S_FOLLOW_UP, 100000, date(2024, 1, 1), "KRS-GEF-2024/03"),
)

# Which report figures each tariff pays for.
REPORT_TARIFF_FIGURES = {
    TariffKind.CASE: ("first_info_conversations", "integration_conversations"),
    TariffKind.INTERPRETER: ("first_info_interpreter", "integration_interpreter"),
    TariffKind.PROGRAMME_S_CONVERSATION: ("s_conversations",),
    TariffKind.PROGRAMME_S_FOLLOW_UP: ("s_follow_ups",),
}
# The amounts of a report, by the name shown in tables and exports.
AMOUNT_KEYS = {
    "case": TariffKind.CASE,
    "interpreter": TariffKind.INTERPRETER,
    "s_conversations": TariffKind.PROGRAMME_S_CONVERSATION,
    "s_follow_ups": TariffKind.PROGRAMME_S_FOLLOW_UP,
}


class MissingTariff(ValueError):
    """No tariff of this kind is valid on the day, but figures need one."""


def seed_tariffs() -> int:
    """Store the circular letters' tariffs that are not there yet (idempotent); the count of new
    ones."""
    created = 0
    for kind, amount, valid_from, source in SEED_TARIFFS:
        exists = db.session.scalar(
            select(Tariff.id).where(Tariff.kind == kind, Tariff.valid_from == valid_from)
        )
        if exists is None:
            db.session.add(
                Tariff(kind=kind, amount_centimes=amount, valid_from=valid_from, source=source)
            )
            created += 1
    db.session.commit()
    return created


class TariffError(ValueError):
    """A new tariff was refused; the message says why, in German."""


def add_tariff(kind: TariffKind, amount_centimes: int, valid_from: date, source: str) -> Tariff:
    """A new circular letter: the new amount applies from valid_from (the start of a half-year)
    until the next tariff of the kind, if one is already entered; the tariff valid until then
    ends the day before. Submitted reports keep the amounts they were computed with."""
    if amount_centimes < 0:
        raise TariffError("Ein Tarif kann nicht negativ sein.")
    if (valid_from.month, valid_from.day) not in ((1, 1), (7, 1)):
        raise TariffError(
            "Ein Tarif gilt ab Beginn eines Halbjahres: bitte den 1. Januar oder den 1. Juli "
            f"angeben (nicht {valid_from:%d.%m.%Y})."
        )
    duplicate = TariffError(
        f"Für «{kind.label}» gibt es bereits einen Tarif ab dem {valid_from:%d.%m.%Y}."
    )
    same_day = select(Tariff.id).where(Tariff.kind == kind, Tariff.valid_from == valid_from)
    if db.session.scalar(same_day) is not None:
        raise duplicate
    following = db.session.scalar(
        select(func.min(Tariff.valid_from)).where(
            Tariff.kind == kind, Tariff.valid_from > valid_from
        )
    )
    current = db.session.scalars(
        select(Tariff).where(
            Tariff.kind == kind,
            Tariff.valid_from < valid_from,
            or_(Tariff.valid_until.is_(None), Tariff.valid_until >= valid_from),
        )
    )
    for tariff in current:
        tariff.valid_until = valid_from - timedelta(days=1)
    tariff = Tariff(
        kind=kind,
        amount_centimes=amount_centimes,
        valid_from=valid_from,
        valid_until=following - timedelta(days=1) if following else None,
        source=source,
    )
    db.session.add(tariff)
    try:
        db.session.commit()
    except IntegrityError:
        # Entered at the same moment by someone else.
        db.session.rollback()
        raise duplicate from None
    return tariff


def tariffs_on(day: date) -> dict[str, int]:
    """{kind: centimes} of the tariffs valid on the day; a later valid_from wins an overlap."""
    rows = db.session.scalars(
        select(Tariff)
        .where(
            Tariff.valid_from <= day,
            or_(Tariff.valid_until.is_(None), Tariff.valid_until >= day),
        )
        .order_by(Tariff.valid_from)
    )
    return {row.kind.value: row.amount_centimes for row in rows}


def report_amounts(figures: dict, tariffs: dict[str, int]) -> dict[str, int]:
    """The lump sums of a half-year report in centimes, with their total."""
    amounts = {}
    for key, kind in AMOUNT_KEYS.items():
        count = sum(figures.get(name) or 0 for name in REPORT_TARIFF_FIGURES[kind])
        if count and kind.value not in tariffs:
            raise MissingTariff(f"Für diese Periode ist kein Tarif «{kind.label}» hinterlegt.")
        amounts[key] = count * tariffs.get(kind.value, 0)
    amounts["total"] = sum(amounts.values())
    return amounts


def base_contribution(foreign_residents: int | None, tariffs: dict[str, int]) -> int:
    """The yearly base contribution in centimes: CHF 7 (or the tariff of the year) per foreign
    resident on 31 December."""
    if not foreign_residents:
        return 0
    if TariffKind.BASE_CONTRIBUTION.value not in tariffs:
        raise MissingTariff(
            f"Für dieses Jahr ist kein Tarif «{TariffKind.BASE_CONTRIBUTION.label}» hinterlegt."
        )
    return foreign_residents * tariffs[TariffKind.BASE_CONTRIBUTION.value]


def chf(centimes: int | None):
    """Centimes as a Decimal amount of francs, for formatting and exports."""
    return None if centimes is None else Decimal(centimes) / 100


@dataclass
class PayoutRow:
    municipality: object  # with id, bfs_nr, name and bezirk (a Municipality or a row of them)
    case: int = 0
    interpreter: int = 0
    s_conversations: int = 0
    s_follow_ups: int = 0
    base: int = 0
    reports: list[str] = field(default_factory=list)  # the numbers of the period's reports
    declaration: str = ""
    # Numbers of reports or the declaration reopened for a correction: their amounts are those
    # of the last submitted version and may still change.
    reopened: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        """What the amounts rest on, for the export's «Stand»."""
        if self.reopened:
            return "wiedereröffnet: " + ", ".join(self.reopened)
        return "eingereicht" if self.reports or self.declaration else "nichts eingereicht"

    @property
    def total(self) -> int:
        return self.case + self.interpreter + self.s_conversations + self.s_follow_ups + self.base
