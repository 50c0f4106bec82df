"""Back office: all interpreter orders, exports and counts per half-year."""

from datetime import date

from flask import Blueprint, abort, render_template, request
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from orders.extensions import db
from orders.formatting import format_date, format_datetime, local_time
from orders.models import InterpreterRequest, InterpreterStatus, Language, Municipality
from orders.models.types import utcnow
from orders.services import deadlines, dolmetschen, exports
from orders.services.gemeinden import sorted_by_name
from orders.views.kanton import kanton_required

bp = Blueprint("kanton_dolmetschen", __name__, url_prefix="/kanton/dolmetschen")

PAGE_SIZE = 50
EXPORT_COLUMNS = [
    "Nummer",
    "Bestellt am",
    "Status",
    "Gemeinde",
    "BFS-Nr.",
    "Gespräch",
    "Datum",
    "Beginn",
    "Dauer (Min.)",
    "Setting",
    "Sprache",
    "Dringend",
    "Dolmetscher/in",
    "Stattgefunden",
    "Tatsächliche Dauer (Min.)",
]


def _filtered() -> Select:
    statement = select(InterpreterRequest).order_by(
        InterpreterRequest.appointment_date.desc(), InterpreterRequest.start_time.desc()
    )
    args = request.args
    if args.get("gemeinde", "").isdigit():
        statement = statement.where(
            InterpreterRequest.municipality_id.in_(
                select(Municipality.id).where(Municipality.bfs_nr == int(args["gemeinde"]))
            )
        )
    if args.get("sprache"):
        statement = statement.where(InterpreterRequest.language_code == args["sprache"])
    if args.get("status") in {s.value for s in InterpreterStatus}:
        statement = statement.where(InterpreterRequest.status == InterpreterStatus(args["status"]))
    month = args.get("monat", "")
    if (
        len(month) == 7
        and month[:4].isdigit()
        and month[5:].isdigit()
        and 1 <= int(month[5:]) <= 12
    ):
        first = date(int(month[:4]), int(month[5:]), 1)
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        statement = statement.where(
            InterpreterRequest.appointment_date >= first,
            InterpreterRequest.appointment_date < after,
        )
    return statement.options(
        selectinload(InterpreterRequest.municipality), selectinload(InterpreterRequest.language)
    )


@bp.get("/")
@kanton_required
def index():
    page = db.paginate(_filtered(), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "kanton/dolmetschen/index.html",
        page=page,
        municipalities=sorted_by_name(db.session.scalars(select(Municipality))),
        languages=db.session.scalars(select(Language).order_by(Language.name)).all(),
        statuses=list(InterpreterStatus),
        args=request.args,
    )


def _rows(requests):
    for item in requests:
        yield [
            item.number,
            format_datetime(item.created_at),
            item.status.label,
            item.municipality.name,
            item.municipality.bfs_nr,
            item.conversation_label,
            format_date(item.appointment_date),
            item.start_time.strftime("%H:%M"),
            item.duration_minutes,
            item.setting.label,
            item.language.name,
            "ja" if item.urgent else "nein",
            item.interpreter_name,
            {True: "ja", False: "nein", None: ""}[item.held],
            item.actual_duration_minutes or "",
        ]


@bp.get("/export.<fmt>")
@kanton_required
def export(fmt: str):
    rows = _rows(exports.stream(_filtered()))
    return exports.response(
        fmt, EXPORT_COLUMNS, rows, "dolmetscheinsaetze", "Dolmetscheinsätze"
    ) or abort(404)


@bp.get("/zahlen")
@kanton_required
def counts():
    this_year = local_time(utcnow()).year
    year = request.args.get("jahr", type=int) or this_year
    # The programme's first year to next year's bookings; any other year has no page.
    if not deadlines.FIRST_YEAR <= year <= this_year + 1:
        abort(404)
    rows = db.session.execute(dolmetschen.half_year_counts(year)).all()
    return render_template(
        "kanton/dolmetschen/counts.html",
        year=year,
        years=(deadlines.FIRST_YEAR, this_year + 1),
        rows=rows,
        total_h1=sum(r.h1 for r in rows),
        total_h2=sum(r.h2 for r in rows),
    )
