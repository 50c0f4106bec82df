"""What the canton pays: tariffs by validity date and the lump sums of a report or
self-declaration, all in integer centimes."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from orders.extensions import db
from orders.formatting import format_centimes, format_date
from orders.models import (
    DeclarationVersion,
    HalfYearReport,
    ReportVersion,
    SelfDeclaration,
    Tariff,
    TariffKind,
    User,
)
from orders.services import audit, deadlines

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
    """A new tariff was refused; the message says why, in German, and `field` which of the
    form's fields it is about."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class TariffExists(TariffError):
    """A tariff of the kind already starts on that day: `entered`, where it was read (not when
    another request entered it at the same moment)."""

    def __init__(self, kind: TariffKind, valid_from: date, entered: Tariff | None = None):
        super().__init__(
            f"Für «{kind.label}» gibt es bereits einen Tarif ab dem {valid_from:%d.%m.%Y}.",
            "valid_from",
        )
        self.entered = entered


@dataclass(frozen=True)
class TariffChange:
    """A new tariff as it would be entered: its validity, and the tariff that it ends."""

    kind: TariffKind
    amount_centimes: int
    valid_from: date
    valid_until: date | None  # the day before a later tariff already entered
    source: str
    replaced: Tariff | None

    @property
    def replaced_until(self) -> date:
        """The new last day of the tariff it ends."""
        return self.valid_from - timedelta(days=1)


def plan_tariff(kind: TariffKind, amount_centimes: int, valid_from: date, source: str):
    """What entering the tariff would change, or TariffError: the new amount applies from
    valid_from (the start of a half-year) until the next tariff of the kind, if one is already
    entered; the tariff valid until then ends the day before."""
    if amount_centimes < 0:
        raise TariffError("Ein Tarif kann nicht negativ sein.", "amount")
    if (valid_from.month, valid_from.day) not in ((1, 1), (7, 1)):
        raise TariffError(
            "Ein Tarif gilt ab Beginn eines Halbjahres: bitte den 1. Januar oder den 1. Juli "
            f"angeben (nicht {valid_from:%d.%m.%Y}).",
            "valid_from",
        )
    same_day = select(Tariff).where(Tariff.kind == kind, Tariff.valid_from == valid_from)
    if (entered := db.session.scalar(same_day)) is not None:
        raise TariffExists(kind, valid_from, entered)
    following = db.session.scalar(
        select(func.min(Tariff.valid_from)).where(
            Tariff.kind == kind, Tariff.valid_from > valid_from
        )
    )
    replaced = db.session.scalar(
        select(Tariff)
        .where(
            Tariff.kind == kind,
            Tariff.valid_from < valid_from,
            or_(Tariff.valid_until.is_(None), Tariff.valid_until >= valid_from),
        )
        .order_by(Tariff.valid_from.desc())
        .limit(1)
    )
    return TariffChange(
        kind=kind,
        amount_centimes=amount_centimes,
        valid_from=valid_from,
        valid_until=following - timedelta(days=1) if following else None,
        source=source,
        replaced=replaced,
    )


def add_tariff(
    kind: TariffKind,
    amount_centimes: int,
    valid_from: date,
    source: str,
    actor: User | None = None,
) -> Tariff:
    """A new circular letter, as plan_tariff describes it; recorded in the audit log.
    Submitted reports keep the amounts they were computed with."""
    try:
        change = plan_tariff(kind, amount_centimes, valid_from, source)
    except TariffExists as exists:
        entered = exists.entered
        if entered is not None and (entered.amount_centimes, entered.source) == (
            amount_centimes,
            source,
        ):
            return entered  # the same circular letter entered twice (a double click): once
        raise
    if change.replaced is not None:
        change.replaced.valid_until = change.replaced_until
    tariff = Tariff(
        kind=kind,
        amount_centimes=amount_centimes,
        valid_from=valid_from,
        valid_until=change.valid_until,
        source=source,
    )
    db.session.add(tariff)
    try:
        db.session.flush()
        audit.record(
            "tariff.create",
            actor=actor,
            obj=tariff,
            kind=kind.label,
            amount=format_centimes(amount_centimes),
            valid_from=format_date(valid_from),
            source=source,
        )
        db.session.commit()
    except IntegrityError:
        # Entered at the same moment by someone else.
        db.session.rollback()
        raise TariffExists(kind, valid_from) from None
    return tariff


def tariffs_in_use(tariffs: list[Tariff]) -> set[int]:
    """The ids of those tariffs that a submitted report or self-declaration was computed with:
    a version of a period ending within the tariff's validity stored the tariff's amount.

    The stored amount, not the period alone, decides: a tariff entered later for a period
    already submitted (by mistake, say) was not used by what was submitted before it, which
    keeps the amount it was computed with, so it may still be deleted. Two queries.
    """
    kinds = tuple(REPORT_TARIFF_FIGURES)
    reports = select(
        HalfYearReport.year,
        HalfYearReport.half,
        *(ReportVersion.tariffs[kind.value].as_integer() for kind in kinds),
    ).join(ReportVersion, ReportVersion.report_id == HalfYearReport.id)
    base = TariffKind.BASE_CONTRIBUTION
    declarations = select(
        SelfDeclaration.year, DeclarationVersion.tariffs[base.value].as_integer()
    ).join(DeclarationVersion, DeclarationVersion.declaration_id == SelfDeclaration.id)
    # (kind, centimes) → the last days of the periods computed with that amount
    days = defaultdict(set)
    for year, half, *amounts in db.session.execute(reports.distinct()):
        for kind, amount in zip(kinds, amounts, strict=True):
            days[kind, amount].add(deadlines.period_end(year, half))
    for year, amount in db.session.execute(declarations.distinct()):
        days[base, amount].add(deadlines.year_end(year))
    return {
        tariff.id
        for tariff in tariffs
        if any(
            tariff.valid_from <= day <= (tariff.valid_until or date.max)
            for day in days.get((tariff.kind, tariff.amount_centimes), ())
        )
    }


def delete_tariff(tariff: Tariff, actor: User) -> None:
    """Take back a tariff entered by mistake, while nothing submitted was computed with it: the
    tariff before it applies again for its days. Recorded in the audit log."""
    if tariff.id in tariffs_in_use([tariff]):
        raise TariffError(
            "Dieser Tarif kann nicht gelöscht werden: eingereichte Berichte oder "
            "Selbstdeklarationen wurden mit ihm berechnet. Erfassen Sie einen neuen Tarif ab "
            "einem späteren Halbjahr.",
            "",
        )
    before = db.session.scalar(
        select(Tariff).where(
            Tariff.kind == tariff.kind,
            Tariff.valid_until == tariff.valid_from - timedelta(days=1),
        )
    )
    if before is not None:
        before.valid_until = tariff.valid_until
    audit.record(
        "tariff.delete",
        actor=actor,
        obj=tariff,
        kind=tariff.kind.label,
        amount=format_centimes(tariff.amount_centimes),
        valid_from=format_date(tariff.valid_from),
        source=tariff.source,
    )
    db.session.delete(tariff)
    db.session.commit()


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
    half: int | None = None  # the period shown: one half-year, or the year (None)
    case: int = 0
    interpreter: int = 0
    s_conversations: int = 0
    s_follow_ups: int = 0
    base: int = 0
    reports: list[str] = field(default_factory=list)  # the numbers of the period's reports
    halves: set[int] = field(default_factory=set)  # the halves those reports are of
    declaration: str = ""
    # Numbers of reports or the declaration reopened for a correction: their amounts are those
    # of the last submitted version and may still change.
    reopened: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """What the period needs and was not submitted: the year two half-year reports and the
        self-declaration, a half-year its report."""
        needed = (self.half,) if self.half else (1, 2)
        missing = [f"{half}. Halbjahr" for half in needed if half not in self.halves]
        if self.half is None and not self.declaration:
            missing.append("Selbstdeklaration")
        return missing

    @property
    def caveat(self) -> str:
        """Why the amounts of a row with something submitted are not yet final: what is missing
        and what was reopened; empty when all is submitted, or nothing."""
        if not (self.reports or self.declaration):
            return ""
        caveats = []
        if self.reopened:
            caveats.append("wiedereröffnet: " + ", ".join(self.reopened))
        if missing := self.missing:
            *others, last = missing
            listed = f"{', '.join(others)} und {last}" if others else last
            caveats.append(f"unvollständig: {listed} {'fehlen' if others else 'fehlt'}")
        return "; ".join(caveats)

    @property
    def state(self) -> str:
        """What the amounts rest on, for the export's «Stand»."""
        submitted = "eingereicht" if self.reports or self.declaration else "nichts eingereicht"
        return self.caveat or submitted

    @property
    def total(self) -> int:
        return self.case + self.interpreter + self.s_conversations + self.s_follow_ups + self.base
