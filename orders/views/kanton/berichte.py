"""Back office: who has reported, the versions of each report side by side, reopening for a
correction, the payout table and its export, and the tariffs."""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from orders.extensions import db
from orders.formatting import format_centimes
from orders.forms.berichte import ReopenForm, TariffForm
from orders.models import Municipality, ReportState, Tariff, TariffKind
from orders.services import berichte, deadlines, exports, payout
from orders.views import confirmed_in_form
from orders.views.kanton import kanton_required

bp = Blueprint("kanton_berichte", __name__, url_prefix="/kanton/berichte")

PAYOUT_COLUMNS = [
    "Gemeinde",
    "BFS-Nr.",
    "Bezirk",
    "Berichte",
    "Fallpauschalen (CHF)",
    "Dolmetschpauschalen (CHF)",
    "Programm S Gespräche (CHF)",
    "Programm S Nachbegleitungen (CHF)",
    "Sockelbeitrag (CHF)",
    "Selbstdeklaration",
    "Stand",
    "Total (CHF)",
]
# The base contribution is yearly, as is the self-declaration it needs.
YEAR_ONLY_COLUMNS = ("Sockelbeitrag (CHF)", "Selbstdeklaration")


def _bezirke() -> list[str]:
    return list(
        db.session.scalars(select(Municipality.bezirk).distinct().order_by(Municipality.bezirk))
    )


def _period_args() -> tuple[int, int | None]:
    today = deadlines.today_local()
    default_year, default_half = deadlines.last_ended_half(today)
    year = request.args.get("jahr", type=int) or default_year
    half = request.args.get("halbjahr", type=int)
    if not deadlines.FIRST_YEAR <= year <= today.year + 1:
        abort(404)
    if "halbjahr" not in request.args and "jahr" not in request.args:
        half = default_half
    if half not in (None, 1, 2):
        abort(404)
    return year, half


def _municipality(bfs_nr: int) -> Municipality:
    found = db.session.scalar(select(Municipality).where(Municipality.bfs_nr == bfs_nr))
    if found is None:
        abort(404)
    return found


@bp.get("/")
@kanton_required
def index():
    year, half = _period_args()
    half = half or 1
    bezirk = request.args.get("bezirk") or None
    rows = berichte.report_overview(year, half, bezirk)
    return render_template(
        "kanton/berichte/overview.html",
        year=year,
        half=half,
        bezirk=bezirk,
        bezirke=_bezirke(),
        rows=rows,
        due=deadlines.report_due(year, half),
        counts=berichte.status_counts(rows),
    )


@bp.get("/selbstdeklarationen")
@kanton_required
def declarations():
    year = request.args.get("jahr", type=int) or deadlines.today_local().year - 1
    if not deadlines.FIRST_YEAR <= year <= deadlines.today_local().year:
        abort(404)
    bezirk = request.args.get("bezirk") or None
    rows = berichte.declaration_overview(year, bezirk)
    return render_template(
        "kanton/berichte/overview.html",
        year=year,
        bezirk=bezirk,
        bezirke=_bezirke(),
        rows=rows,
        due=deadlines.declaration_due(year),
        counts=berichte.status_counts(rows),
    )


@bp.get("/<int:bfs_nr>/<int:year>/<int:half>")
@kanton_required
def report(bfs_nr: int, year: int, half: int):
    record = berichte.find_report(_municipality(bfs_nr), year, half)
    if record is None:
        abort(404)
    versions = record.versions
    return render_template(
        "kanton/berichte/report.html",
        record=record,
        title=f"Halbjahresbericht {record.period_label}",
        versions=versions,
        rows=berichte.side_by_side([berichte.report_version_items(v) for v in versions]),
        amount_rows=berichte.side_by_side([berichte.amount_rows(v.amounts) for v in versions]),
        draft_items=berichte.report_items(record.figures, record.remarks, record.documents_filed)
        if record.state is not ReportState.SUBMITTED
        else None,
        form=ReopenForm(),
        tariff_text=berichte.tariff_text,
        reopen_url=url_for(".reopen_report", bfs_nr=bfs_nr, year=year, half=half),
        # The latest submitted figures against the report before: what the Gemeinde was
        # asked to look at again, for the canton's check too.
        unusual=berichte.unusual_figures(record.municipality, year, half, versions[-1].figures)
        if versions
        else [],
    )


@bp.post("/<int:bfs_nr>/<int:year>/<int:half>/wiedereroeffnen")
@kanton_required
def reopen_report(bfs_nr: int, year: int, half: int):
    record = berichte.find_report(_municipality(bfs_nr), year, half)
    if record is None:
        abort(404)
    return _reopen(
        record, berichte.reopen_report, url_for(".report", bfs_nr=bfs_nr, year=year, half=half)
    )


def _reopen(record, reopen, back: str):
    form = ReopenForm()
    if not form.validate():
        flash("Bitte geben Sie einen Grund für die Korrektur an.", "error")
        return redirect(back)
    try:
        reopen(record, current_user, form.reason.data)
    except berichte.ReportError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash("Zur Korrektur geöffnet; die Gemeinde ist per E-Mail informiert.", "success")
    return redirect(back)


@bp.get("/selbstdeklarationen/<int:bfs_nr>/<int:year>")
@kanton_required
def declaration(bfs_nr: int, year: int):
    record = berichte.find_declaration(_municipality(bfs_nr), year)
    if record is None:
        abort(404)
    versions = record.versions
    return render_template(
        "kanton/berichte/report.html",
        record=record,
        title=f"Selbstdeklaration {year}",
        versions=versions,
        rows=berichte.side_by_side([berichte.declaration_items(v.data) for v in versions]),
        amount_rows=berichte.side_by_side(
            [berichte.declaration_amount_rows(v.amounts) for v in versions]
        ),
        draft_items=berichte.declaration_items(record.data)
        if record.state is not ReportState.SUBMITTED
        else None,
        form=ReopenForm(),
        tariff_text=berichte.tariff_text,
        reopen_url=url_for(".reopen_declaration", bfs_nr=bfs_nr, year=year),
    )


@bp.post("/selbstdeklarationen/<int:bfs_nr>/<int:year>/wiedereroeffnen")
@kanton_required
def reopen_declaration(bfs_nr: int, year: int):
    record = berichte.find_declaration(_municipality(bfs_nr), year)
    if record is None:
        abort(404)
    return _reopen(
        record, berichte.reopen_declaration, url_for(".declaration", bfs_nr=bfs_nr, year=year)
    )


def _payout_period() -> tuple[int, int | None]:
    today = deadlines.today_local()
    year = request.args.get("jahr", type=int) or today.year - 1
    half = request.args.get("halbjahr", type=int)
    if not deadlines.FIRST_YEAR <= year <= today.year or half not in (None, 1, 2):
        abort(404)
    return year, half


@bp.get("/auszahlung")
@kanton_required
def payouts():
    year, half = _payout_period()
    rows = berichte.payout_table(year, half)
    return render_template(
        "kanton/berichte/payouts.html",
        year=year,
        half=half,
        rows=rows,
        totals=_totals(rows),
    )


def _totals(rows) -> payout.PayoutRow:
    total = payout.PayoutRow(municipality=None)
    for row in rows:
        for key in ("case", "interpreter", "s_conversations", "s_follow_ups", "base"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    return total


@bp.get("/auszahlung/export.<fmt>")
@kanton_required
def payouts_export(fmt: str):
    year, half = _payout_period()
    rows = berichte.payout_table(year, half)
    columns = [c for c in PAYOUT_COLUMNS if half is None or c not in YEAR_ONLY_COLUMNS]

    def lines():
        for row in [*rows, _totals(rows)]:
            m = row.municipality
            yearly = [payout.chf(row.base), row.declaration] if half is None else []
            yield [
                m.name if m else "Total",
                m.bfs_nr if m else "",
                m.bezirk if m else "",
                ", ".join(row.reports),
                payout.chf(row.case),
                payout.chf(row.interpreter),
                payout.chf(row.s_conversations),
                payout.chf(row.s_follow_ups),
                *yearly,
                row.state if m else "",
                payout.chf(row.total),
            ]

    name = f"auszahlung-{year}" + (f"-h{half}" if half else "")
    # The sheet names the period it covers (at most 31 characters); the CSV stays a plain table.
    sheet = f"Auszahlung {half}. Halbjahr {year}" if half else f"Auszahlung {year}"
    return exports.response(fmt, columns, lines(), name, sheet) or abort(404)


@bp.get("/tarife")
@kanton_required
def tariffs():
    rows = list(db.session.scalars(select(Tariff).order_by(Tariff.kind, Tariff.valid_from)))
    return render_template(
        "kanton/berichte/tariffs.html", tariffs=rows, in_use=payout.tariffs_in_use(rows)
    )


@bp.post("/tarife/<int:tariff_id>/loeschen")
@kanton_required
def delete_tariff(tariff_id: int):
    """Take back a tariff entered by mistake: asked first (in the browser's dialog, or without
    JavaScript on a page of its own)."""
    tariff = db.session.get(Tariff, tariff_id) or abort(404)
    if not confirmed_in_form():
        return render_template("kanton/berichte/tariff_delete.html", tariff=tariff)
    try:
        payout.delete_tariff(tariff, current_user)
    except payout.TariffError as problem:
        flash(str(problem), "error")
    else:
        flash(f"Gelöscht: {tariff.kind.label} ab dem {tariff.valid_from:%d.%m.%Y}.", "success")
    return redirect(url_for("kanton_berichte.tariffs"), 303)


# How far back and ahead a new tariff may start, in years: a circular letter is entered when it
# comes, at most a little late or early.
TARIFF_YEARS_BACK, TARIFF_YEARS_AHEAD = 2, 2


@bp.route("/tarife/neu", methods=["GET", "POST"])
@kanton_required
def new_tariff():
    """A new circular letter's amount: checked first, the page saying what it changes (which
    tariff it ends, until when it applies), then saved when confirmed."""
    form = TariffForm()
    today = deadlines.today_local()
    years = range(today.year - TARIFF_YEARS_BACK, today.year + TARIFF_YEARS_AHEAD + 1)
    starts = [(deadlines.period_start(year, half), year, half) for year in years for half in (1, 2)]
    form.valid_from.choices = [
        SelectChoice(start.isoformat(), f"{start:%d.%m.%Y} ({half}. Halbjahr {year})")
        for start, year, half in starts
    ]
    if request.method == "GET":
        form.kind.data = request.args.get("art", "")
        next_start = deadlines.period_end(*deadlines.half_of(today)) + timedelta(days=1)
        form.valid_from.data = next_start.isoformat()
    change = None
    if request.form.get("action") != "edit" and form.validate_on_submit():
        kind, valid_from = TariffKind(form.kind.data), date.fromisoformat(form.valid_from.data)
        amount, source = form.amount.data, form.source.data.strip()
        try:
            if confirmed_in_form():
                payout.add_tariff(kind, amount, valid_from, source, actor=current_user)
                flash(
                    f"Gespeichert: {kind.label}, {format_centimes(amount)} "
                    f"ab dem {valid_from:%d.%m.%Y}.",
                    "success",
                )
                return redirect(url_for("kanton_berichte.tariffs"), 303)
            change = payout.plan_tariff(kind, amount, valid_from, source)
        except payout.TariffError as problem:
            form.show_problems([problem])
    return render_template("kanton/berichte/tariff_new.html", form=form, change=change)
