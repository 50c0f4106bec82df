"""Back office: all interpreter orders, exports and counts per half-year."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from orders.extensions import db
from orders.formatting import local_time
from orders.models import InterpreterRequest, InterpreterStatus, Language, Municipality
from orders.models.types import utcnow
from orders.services import deadlines, dolmetschen, exports, paging
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
    "Grund der Stornierung",
]


def _filter() -> dolmetschen.InterpreterFilter:
    return dolmetschen.filter_from_args(request.args)


def _listed(found: dolmetschen.InterpreterFilter):
    """The filtered orders with the municipality and language each row names."""
    return dolmetschen.filtered_requests(found).options(
        selectinload(InterpreterRequest.municipality), selectinload(InterpreterRequest.language)
    )


@bp.get("/")
@kanton_required
def index():
    found = _filter()
    # A filter that cannot be read lists nothing rather than more than was asked for.
    page = (
        None
        if found.errors
        else db.paginate(
            _listed(found),
            page=paging.page_number(request.args),
            per_page=PAGE_SIZE,
            error_out=False,
        )
    )
    return render_template(
        "kanton/dolmetschen/index.html",
        page=page,
        errors=found.errors,
        # Only what the filter's list shows, as plain rows.
        municipalities=sorted_by_name(
            db.session.execute(select(Municipality.bfs_nr, Municipality.name))
        ),
        languages=db.session.execute(
            select(Language.code, Language.name).order_by(Language.name)
        ).all(),
        statuses=list(InterpreterStatus),
        args=request.args,
        filter_values=dolmetschen.filter_values(request.args),
    )


def _rows(requests):
    for item in requests:
        yield [
            item.number,
            item.created_at,
            item.status.label,
            item.municipality.name,
            item.municipality.bfs_nr,
            item.conversation_label,
            item.appointment_date,
            item.start_time,
            item.duration_minutes,
            item.setting.label,
            item.language.name,
            "ja" if item.urgent else "nein",
            item.interpreter_name,
            {True: "ja", False: "nein", None: ""}[item.held],
            item.actual_duration_minutes or "",
            item.cancel_reason,
        ]


@bp.get("/export.<fmt>")
@kanton_required
def export(fmt: str):
    found = _filter()
    if found.errors:  # the list names what cannot be read
        return redirect(
            url_for("kanton_dolmetschen.index", **dolmetschen.filter_values(request.args))
        )
    rows = _rows(exports.stream(_listed(found)))
    return exports.response(
        fmt,
        EXPORT_COLUMNS,
        rows,
        f"dolmetscheinsaetze-{deadlines.today_local().isoformat()}",
        "Dolmetscheinsätze",
    ) or abort(404)


@bp.get("/zahlen")
@kanton_required
def counts():
    this_year = local_time(utcnow()).year
    year = request.args.get("jahr", type=int) or this_year
    # The programme's first year to next year's bookings; any other year has no page.
    if not deadlines.FIRST_YEAR <= year <= this_year + 1:
        abort(404)
    rows = dolmetschen.half_year_counts(year)
    return render_template(
        "kanton/dolmetschen/counts.html",
        year=year,
        years=(deadlines.FIRST_YEAR, this_year + 1),
        rows=rows,
        total_h1=sum(r.h1 for r in rows),
        total_h2=sum(r.h2 for r in rows),
    )
