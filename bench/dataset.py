"""Build the benchmark data set fast: bulk INSERTs through SQLAlchemy Core.

    python -m bench.dataset --database-url sqlite:////tmp/bench.db [--scale smoke]

Each area of the portal has one builder function, registered in STEPS in the order they run.
A new area (e.g. ten years of reports and declarations) is one function plus one line in STEPS.
"""

import argparse
import os
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

PASSWORD = "bench-password-2026"  # noqa: S105 (a throwaway benchmark database)
KANTON_EMAIL = "kanton@bench.start-integration.ch"
CHUNK = 5000
REPORT_YEARS = 10


@dataclass(frozen=True)
class Size:
    users: int
    orders: int
    interpreter_orders: int
    mails: int  # queued for the outbox-drain scenario
    requests: int  # per HTTP scenario
    inbox_page: int  # the deep page of the canton inbox scenario
    rounds: int  # of baseline and portal scenarios (bench/run.py shows the medians)


SIZES = {
    "full": Size(
        users=300,
        orders=100_000,
        interpreter_orders=20_000,
        mails=10_000,
        requests=400,
        inbox_page=500,
        rounds=3,
    ),
    "smoke": Size(
        users=12, orders=400, interpreter_orders=60, mails=40, requests=16, inbox_page=2, rounds=1
    ),
}


@dataclass
class Context:
    """What the steps share: the size, a seeded random source and the ids made so far."""

    size: Size
    rng: random.Random
    now: datetime
    municipality_ids: list[int] = field(default_factory=list)
    gemeinde_users: list[tuple[int, int, str]] = field(default_factory=list)  # id, muni, email
    kanton_user_id: int | None = None
    languages: list[str] = field(default_factory=list)
    items: list[tuple[int, str]] = field(default_factory=list)  # id, name
    summary: dict = field(default_factory=dict)


def _bulk(table, rows) -> None:
    from orders.extensions import db

    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def _spread(ctx: Context, index: int, total: int, years: float = 3.0) -> datetime:
    """Timestamps spread evenly over the last few years, oldest first."""
    span = timedelta(days=365 * years)
    return ctx.now - span + span * (index / max(total, 1)) + timedelta(seconds=ctx.rng.random())


def _sequences(prefix: str) -> dict[int, int]:
    """The last number handed out per year, so that a step can add to an existing data set."""
    from orders.extensions import db
    from orders.models import NumberSequence

    return {
        row.year: row.last
        for row in db.session.execute(
            select(NumberSequence.year, NumberSequence.last).where(NumberSequence.prefix == prefix)
        )
    }


# --- the steps ------------------------------------------------------------------------------


def reference_data(ctx: Context) -> None:
    """Migrate, then load the municipalities and the catalogue like `flask seed …`."""
    from flask_migrate import upgrade

    from orders.extensions import db
    from orders.services import catalogue, gemeinden, payout

    upgrade()
    gemeinden.import_municipalities(gemeinden.MUNICIPALITIES_CSV)
    catalogue.seed()
    payout.seed_tariffs()
    db.session.commit()
    load_reference(ctx)


def load_reference(ctx: Context) -> None:
    """The ids the other steps draw from: current municipalities, languages, items, users."""
    from orders.extensions import db
    from orders.models import CatalogueItem, Language, Municipality, User

    ctx.municipality_ids = list(
        db.session.scalars(
            select(Municipality.id)
            .where(Municipality.valid_until.is_(None))
            .order_by(Municipality.id)
        )
    )
    ctx.languages = list(db.session.scalars(select(Language.code).order_by(Language.code)))
    ctx.items = [
        (row.id, row.name)
        for row in db.session.execute(
            select(CatalogueItem.id, CatalogueItem.name).where(
                CatalogueItem.municipality_id.is_(None)
            )
        )
    ]
    ctx.gemeinde_users = [
        tuple(row)
        for row in db.session.execute(
            select(User.id, User.municipality_id, User.email)
            .where(User.role == "gemeinde")
            .order_by(User.id)
        )
    ]
    ctx.summary["municipalities"] = len(ctx.municipality_ids)


def users(ctx: Context) -> None:
    """One canton account and size.users Gemeinde accounts spread over the municipalities."""
    from orders.extensions import db
    from orders.models import Municipality, User

    password_hash = generate_password_hash(PASSWORD)
    bfs = {
        row[0]: row[1] for row in db.session.execute(select(Municipality.id, Municipality.bfs_nr))
    }
    rows = []
    if db.session.scalar(select(User.id).where(User.email == KANTON_EMAIL)) is None:
        rows.append(
            dict(
                email=KANTON_EMAIL,
                name="Karin Kanton",
                role="kanton",
                municipality_id=None,
                password_hash=password_hash,
                active=True,
                function="",
                phone="",
                created_at=ctx.now,
            )
        )
    first = db.session.scalar(select(func.count()).where(User.role == "gemeinde"))
    for index in range(first, first + ctx.size.users):
        municipality_id = ctx.municipality_ids[index % len(ctx.municipality_ids)]
        rows.append(
            dict(
                email=f"user{index}.{bfs[municipality_id]}@gemeinde.bench.ch",
                name=f"Nutzer {index}",
                role="gemeinde",
                municipality_id=municipality_id,
                password_hash=password_hash,
                active=True,
                function="Einwohnerdienste",
                phone="032 000 00 00",
                created_at=ctx.now,
            )
        )
    _bulk(User.__table__, rows)
    db.session.flush()
    ctx.kanton_user_id = db.session.scalar(select(User.id).where(User.email == KANTON_EMAIL))
    load_reference(ctx)
    ctx.summary["users"] = len(rows)


def orders(ctx: Context) -> None:
    """size.orders welcome-folder and material orders with 1–4 lines and their first event."""
    from orders.extensions import db
    from orders.models import NumberSequence, Order, OrderEvent, OrderLine

    rng, total = ctx.rng, ctx.size.orders
    statuses = ["eingegangen", "in_bearbeitung", "versandt", "versandt", "versandt", "storniert"]
    per_year = _sequences("B")
    order_rows, line_rows, event_rows = [], [], []
    first_id = (db.session.scalar(select(func.max(Order.id))) or 0) + 1
    if not ctx.gemeinde_users:
        raise RuntimeError("orders need Gemeinde users: run the users step first")
    for index in range(total):
        order_id = first_id + index
        user_id, municipality_id, email = rng.choice(ctx.gemeinde_users)
        created = _spread(ctx, index, total)
        year = created.year
        per_year[year] = per_year.get(year, 0) + 1
        kind = "mappen" if rng.random() < 0.5 else "material"
        order_rows.append(
            dict(
                id=order_id,
                number=f"B-{year}-{per_year[year]:05d}",
                kind=kind,
                status=rng.choice(statuses),
                municipality_id=municipality_id,
                ordered_by_id=user_id,
                submission_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                contact_name="Bench Nutzer",
                contact_email=email,
                contact_phone="032 000 00 00",
                delivery_recipient="Einwohnerdienste",
                delivery_street="Hauptstrasse 1",
                delivery_zip="4500",
                delivery_town="Solothurn",
                desired_date=None,
                remarks="" if rng.random() < 0.8 else "Bitte an den Schalter liefern.",
                cancel_reason="",
                created_at=created,
                updated_at=created,
            )
        )
        for _ in range(rng.randint(1, 4)):
            if kind == "mappen" or not ctx.items:
                item_id, item_name = None, "Abgefüllte Erstinformationsmappe"
            else:
                item_id, item_name = rng.choice(ctx.items)
            line_rows.append(
                dict(
                    order_id=order_id,
                    item_id=item_id,
                    item_name=item_name,
                    language_code=rng.choice(ctx.languages),
                    quantity=rng.randint(1, 40),
                )
            )
        event_rows.append(
            dict(order_id=order_id, at=created, actor_id=user_id, status="eingegangen", note="")
        )
    _bulk(Order.__table__, order_rows)
    _bulk(OrderLine.__table__, line_rows)
    _bulk(OrderEvent.__table__, event_rows)
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('orders', 'id'), max(id)) FROM orders")
        )
    # New orders placed during the run continue the numbering of this year.
    db.session.execute(NumberSequence.__table__.delete().where(NumberSequence.prefix == "B"))
    _bulk(
        NumberSequence.__table__,
        [dict(prefix="B", year=year, last=last) for year, last in per_year.items()],
    )
    ctx.summary["orders"] = total
    ctx.summary["order_lines"] = len(line_rows)


def interpreter_orders(ctx: Context) -> None:
    """size.interpreter_orders interpreter orders over the last years."""
    from orders.extensions import db
    from orders.models import InterpreterRequest, NumberSequence

    rng, total = ctx.rng, ctx.size.interpreter_orders
    statuses = ["uebermittelt", "bestaetigt", "durchgefuehrt", "durchgefuehrt", "storniert"]
    per_year = _sequences("D")
    rows = []
    for index in range(total):
        user_id, municipality_id, email = rng.choice(ctx.gemeinde_users)
        created = _spread(ctx, index, total)
        year = created.year
        per_year[year] = per_year.get(year, 0) + 1
        status = rng.choice(statuses)
        rows.append(
            dict(
                number=f"D-{year}-{per_year[year]:05d}",
                status=status,
                municipality_id=municipality_id,
                ordered_by_id=user_id,
                submission_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                conversation_type=rng.choice(["erstinfo", "integration", "integration_s"]),
                conversation_other="",
                appointment_date=(created + timedelta(days=rng.randint(3, 30))).date(),
                start_time=time(rng.randint(8, 16), 0),
                duration_minutes=60,
                setting=rng.choice(["vor_ort", "video", "telefon"]),
                location_address="Hauptstrasse 1, 4500 Solothurn",
                location_room="",
                onsite_contact_name="",
                onsite_contact_phone="",
                remote_instructions="",
                language_code=rng.choice(ctx.languages),
                dialect="",
                country_of_origin="",
                participants=rng.randint(1, 4),
                gender_preference="egal",
                reference=f"F-{index}",
                preparation_notes="",
                orderer_name="Bench Nutzer",
                orderer_phone="032 000 00 00",
                orderer_email=email,
                urgent=False,
                called_heks=False,
                interpreter_name="",
                cancel_reason="",
                held=True if status == "durchgefuehrt" else None,
                actual_duration_minutes=60 if status == "durchgefuehrt" else None,
                redacted_at=None,
                created_at=created,
                updated_at=created,
            )
        )
    _bulk(InterpreterRequest.__table__, rows)
    db.session.execute(NumberSequence.__table__.delete().where(NumberSequence.prefix == "D"))
    _bulk(
        NumberSequence.__table__,
        [dict(prefix="D", year=year, last=last) for year, last in per_year.items()],
    )
    ctx.summary["interpreter_orders"] = total


def reports(ctx: Context) -> None:
    """The last ten years (at most since the programme's first tariffs, 2017) of half-year
    reports and self-declarations for every municipality: each one whose due date has passed,
    submitted with its one version, computed with the tariffs of its period like a real
    submission."""
    from orders.extensions import db
    from orders.models import (
        DeclarationVersion,
        HalfYearReport,
        NumberSequence,
        ReportVersion,
        SelfDeclaration,
        Tariff,
    )
    from orders.services import deadlines, payout

    rng, this_year = ctx.rng, ctx.now.year
    first_tariff = db.session.scalar(select(func.min(Tariff.valid_from)))
    today = ctx.now.date()
    years = range(max(this_year - REPORT_YEARS + 1, first_tariff.year), this_year + 1)
    report_rows, report_versions, declaration_rows, declaration_versions = [], [], [], []
    numbers = {"R": {}, "S": {}}

    def number(prefix: str, year: int) -> str:
        numbers[prefix][year] = numbers[prefix].get(year, 0) + 1
        return f"{prefix}-{year}-{numbers[prefix][year]:05d}"

    report_id = (db.session.scalar(select(func.max(HalfYearReport.id))) or 0) + 1
    declaration_id = (db.session.scalar(select(func.max(SelfDeclaration.id))) or 0) + 1
    for year in years:
        for half in (1, 2):
            if deadlines.report_due(year, half) > today:
                continue
            tariffs = payout.tariffs_on(deadlines.period_end(year, half))
            submitted = datetime.combine(deadlines.report_due(year, half), time(9), UTC)
            for municipality_id in ctx.municipality_ids:
                conversations = rng.randint(0, 40)
                figures = {
                    "first_info_conversations": conversations,
                    "first_info_people": conversations + rng.randint(0, 20),
                    "first_info_interpreter": rng.randint(0, conversations),
                    "integration_conversations": rng.randint(0, 10),
                    "integration_interpreter": 0,
                    "s_conversations": rng.randint(0, 3)
                    if "programm_s_gespraech" in tariffs
                    else 0,
                    "s_follow_ups": 0,
                }
                row = dict(id=report_id, municipality_id=municipality_id, year=year, half=half)
                report_rows.append(
                    dict(
                        row,
                        state="eingereicht",
                        figures=figures,
                        remarks="",
                        documents_filed=True,
                        number=number("R", submitted.year),
                        submitted_at=submitted,
                        late=False,
                        reopen_reason="",
                        created_at=submitted,
                        updated_at=submitted,
                    )
                )
                report_versions.append(
                    dict(
                        report_id=report_id,
                        version=1,
                        figures=figures,
                        remarks="",
                        documents_filed=True,
                        tariffs=tariffs,
                        amounts=payout.report_amounts(figures, tariffs),
                        submitted_at=submitted,
                        late=False,
                        reopen_reason="",
                    )
                )
                report_id += 1
        if deadlines.declaration_due(year) > today:
            continue
        tariffs = payout.tariffs_on(date(year, 12, 31))
        submitted = datetime.combine(deadlines.declaration_due(year), time(9), UTC)
        for municipality_id in ctx.municipality_ids:
            data = {"foreign_residents": rng.randint(50, 5000), "confirmed": True}
            base = payout.base_contribution(data["foreign_residents"], tariffs)
            declaration_rows.append(
                dict(
                    id=declaration_id,
                    municipality_id=municipality_id,
                    year=year,
                    state="eingereicht",
                    data=data,
                    number=number("S", submitted.year),
                    submitted_at=submitted,
                    late=False,
                    reopen_reason="",
                    created_at=submitted,
                    updated_at=submitted,
                )
            )
            declaration_versions.append(
                dict(
                    declaration_id=declaration_id,
                    version=1,
                    data=data,
                    tariffs={"sockelbeitrag": tariffs["sockelbeitrag"]},
                    amounts={"base": base, "total": base},
                    submitted_at=submitted,
                    late=False,
                    reopen_reason="",
                )
            )
            declaration_id += 1
    _bulk(HalfYearReport.__table__, report_rows)
    _bulk(ReportVersion.__table__, report_versions)
    _bulk(SelfDeclaration.__table__, declaration_rows)
    _bulk(DeclarationVersion.__table__, declaration_versions)
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
        for table in ("half_year_reports", "self_declarations"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )  # noqa: S608 (fixed table names)
            )
    for prefix, per_year in numbers.items():
        db.session.execute(NumberSequence.__table__.delete().where(NumberSequence.prefix == prefix))
        _bulk(
            NumberSequence.__table__,
            [dict(prefix=prefix, year=year, last=last) for year, last in per_year.items()],
        )
    ctx.summary["half_year_reports"] = len(report_rows)
    ctx.summary["self_declarations"] = len(declaration_rows)


# The data set, area by area.
STEPS: list[tuple[str, Callable[[Context], None]]] = [
    ("reference_data", reference_data),
    ("users", users),
    ("orders", orders),
    ("interpreter_orders", interpreter_orders),
    ("reports", reports),
]


def queue_mails(count: int, now: datetime | None = None) -> None:
    """count pending outbox mails (for the drain scenario); needs an app context."""
    from orders.extensions import db
    from orders.models import OutboxMail

    now = now or datetime.now(UTC)
    _bulk(
        OutboxMail.__table__,
        [
            dict(
                message_id=f"<bench-{uuid.uuid4().hex}@bench.start-integration.ch>",
                sender="start.integration <noreply@bench.start-integration.ch>",
                recipients=[f"empfaenger{index % 50}@gemeinde.bench.ch"],
                reply_to=None,
                subject=f"Bestellung B-2026-{index:05d}",
                kind="bench",
                body_text="Guten Tag\n\nIhre Bestellung ist eingegangen.\n" * 5,
                body_html=None,
                extra_headers=None,
                status="pending",
                attempts=0,
                next_attempt_at=now - timedelta(seconds=1),
                claimed_until=None,
                claim_token=None,
                last_error=None,
                created_at=now,
                sent_at=None,
            )
            for index in range(count)
        ],
    )
    db.session.commit()


def make_app(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    from orders import create_app

    return create_app({"PORTAL_ENV": "development"})


def build(database_url: str, size: Size, seed: int = 7) -> dict:
    """Migrate an empty database and fill it; returns counts and timings per step."""
    import time as clock

    from orders.extensions import db

    app = make_app(database_url)
    ctx = Context(size=size, rng=random.Random(seed), now=datetime.now(UTC))
    with app.app_context():
        for name, step in STEPS:
            started = clock.perf_counter()
            step(ctx)
            db.session.commit()
            ctx.summary[f"seconds_{name}"] = round(clock.perf_counter() - started, 2)
        db.session.commit()
        # Fresh planner statistics; on PostgreSQL also the visibility map that autovacuum keeps
        # in production (index-only scans for counts).
        command = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(command))
        ctx.summary["kanton_email"] = KANTON_EMAIL
        ctx.summary["gemeinde_emails"] = [email for _id, _m, email in ctx.gemeinde_users]
        db.engine.dispose()
    return ctx.summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SIZES), default="full")
    args = parser.parse_args()
    summary = build(args.database_url, SIZES[args.scale])
    summary.pop("gemeinde_emails")
    print(summary)


if __name__ == "__main__":
    main()
