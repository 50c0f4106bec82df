"""Gemeinde staff write the half-year report and the yearly self-declaration: drafts saved any
time, a check page, submission once the period has ended, and a receipt."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from orders.formatting import format_date
from orders.forms.berichte import DeclarationForm, ReportForm
from orders.models import Municipality, ReportState
from orders.services import berichte, deadlines, dolmetschen, payout
from orders.services.access import municipality_or_404, visible_municipalities

bp = Blueprint("berichte", __name__)


def _period_or_404(year: int, half: int | None = None) -> None:
    if not berichte.period_exists(year, half):
        abort(404)


@bp.get("/gemeinde/<int:bfs_nr>/berichte")
@login_required
def index(bfs_nr: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    today = deadlines.today_local()
    reports = []
    for year, half in deadlines.recent_halves(today):
        if not berichte.period_exists(year, half, today):
            continue
        record = berichte.find_report(municipality, year, half)
        ends, due = deadlines.period_end(year, half), deadlines.report_due(year, half)
        reports.append((year, half, due, record, berichte.status_of(record, ends, due, today)[1]))
    declarations = []
    for year in (today.year - 1, today.year):
        record = berichte.find_declaration(municipality, year)
        ends, due = deadlines.year_end(year), deadlines.declaration_due(year)
        declarations.append((year, due, record, berichte.status_of(record, ends, due, today)[1]))
    return render_template(
        "berichte/index.html",
        municipality=municipality,
        reports=reports,
        declarations=declarations,
        switchable=visible_municipalities(current_user) if not current_user.is_kanton else [],
    )


# --- half-year report -------------------------------------------------------------------------


def _report_context(municipality: Municipality, year: int, half: int) -> dict:
    start, end = deadlines.period_start(year, half), deadlines.period_end(year, half)
    tariffs = payout.tariffs_on(end)
    return {
        "municipality": municipality,
        "year": year,
        "half": half,
        "start": start,
        "end": end,
        "first_submission_day": end + timedelta(days=1),
        "due": deadlines.report_due(year, half),
        "can_submit": berichte.can_submit_report(year, half),
        "interpreter_held": dolmetschen.held_count(municipality.id, start, end),
        "suggestions": berichte.interpreter_suggestions(municipality, year, half),
        "tariffs": tariffs,
    }


NOT_SAVED = "Der Entwurf wurde nicht gespeichert: bitte korrigieren Sie die markierten Felder."
SAVED_WITH_PROBLEMS = (
    "Der Entwurf ist gespeichert. Vor dem Einreichen bitte noch die markierten Angaben "
    "korrigieren oder ergänzen."
)


def _not_saved(template: str, form, problems, **context):
    """A field the form could not take: nothing is stored, and the clerk is told so, with every
    problem at once (the rules are checked as far as their inputs could be read)."""
    form.show_problems(problems)
    flash(NOT_SAVED, "error")
    return render_template(template, form=form, **context)


@bp.route("/gemeinde/<int:bfs_nr>/berichte/<int:year>/<int:half>", methods=["GET", "POST"])
@login_required
def report(bfs_nr: int, year: int, half: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    _period_or_404(year, half)
    record = berichte.find_report(municipality, year, half)
    context = _report_context(municipality, year, half)
    if record is not None and record.state is ReportState.SUBMITTED:
        if request.method == "POST" and request.form.get("action") == "submit":
            # The form was sent again (a lost connection, a double click): it is in.
            return redirect(url_for(".report_receipt", bfs_nr=bfs_nr, year=year, half=half), 303)
        version = record.versions[-1]
        return render_template(
            "berichte/report_show.html",
            report=record,
            items=berichte.report_version_items(version),
            amounts=berichte.amount_rows(version.amounts),
            **context,
        )
    if request.method == "GET":
        form = ReportForm(data=_report_data(record))
        return render_template("berichte/report_form.html", form=form, report=record, **context)

    form = ReportForm()
    action = request.form.get("action", "save")
    if action == "edit":
        return render_template("berichte/report_form.html", form=form, report=record, **context)
    fields_valid = form.validate()
    figures = form.figures()
    submit = action in ("check", "submit")
    problems = berichte.check_report(
        figures, form.documents_filed.data, submit=submit, unreadable=form.unreadable()
    )
    if not fields_valid:
        return _not_saved("berichte/report_form.html", form, problems, report=record, **context)
    # What was typed is kept as the draft, even when a submit rule still fails.
    try:
        record = berichte.save_report_draft(
            municipality,
            year,
            half,
            figures,
            form.remarks.data or "",
            form.documents_filed.data,
            current_user,
        )
    except berichte.ReportError as error:
        if action == "submit" and isinstance(error, berichte.SubmittedMeanwhile):
            # A double click: the first click submitted exactly this.
            return redirect(url_for(".report_receipt", bfs_nr=bfs_nr, year=year, half=half), 303)
        flash(str(error), "error")
        return redirect(url_for(".report", bfs_nr=bfs_nr, year=year, half=half), 303)
    if problems or (submit and not context["can_submit"]):
        form.show_problems(problems)
        if submit and not context["can_submit"]:
            form.form_errors.append(
                f"Einreichen ist ab dem {format_date(context['first_submission_day'])} möglich; "
                "der Entwurf ist gespeichert."
            )
        else:
            flash(SAVED_WITH_PROBLEMS, "success")
        return render_template("berichte/report_form.html", form=form, report=record, **context)
    if action == "save":
        flash("Der Entwurf ist gespeichert. Sie können ihn jederzeit weiter bearbeiten.", "success")
        return redirect(url_for(".report", bfs_nr=bfs_nr, year=year, half=half), 303)
    if action == "check":
        try:
            amounts = payout.report_amounts(figures, context["tariffs"])
        except payout.MissingTariff as error:
            form.form_errors.append(f"{error} Bitte wenden Sie sich an die Koordinationsstelle.")
            return render_template("berichte/report_form.html", form=form, report=record, **context)
        return render_template(
            "berichte/report_check.html",
            form=form,
            report=record,
            items=berichte.report_items(figures, form.remarks.data or "", True),
            amounts=berichte.amount_rows(amounts),
            unusual=berichte.unusual_figures(municipality, year, half, figures),
            **context,
        )
    try:
        berichte.submit_report(record, current_user)
    except (berichte.ReportError, payout.MissingTariff) as error:
        form.form_errors.append(str(error))
        return render_template("berichte/report_form.html", form=form, report=record, **context)
    return redirect(url_for(".report_receipt", bfs_nr=bfs_nr, year=year, half=half), 303)


def _report_data(record) -> dict:
    if record is None:
        return {}
    return {**record.figures, "remarks": record.remarks, "documents_filed": record.documents_filed}


@bp.get("/gemeinde/<int:bfs_nr>/berichte/<int:year>/<int:half>/quittung")
@login_required
def report_receipt(bfs_nr: int, year: int, half: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    record = berichte.find_report(municipality, year, half)
    if record is None or not record.versions:
        abort(404)
    return render_template(
        "berichte/receipt.html",
        **berichte.report_receipt(record, record.versions[-1]),
        back=url_for(".index", bfs_nr=bfs_nr),
    )


# --- self-declaration -------------------------------------------------------------------------


def _declaration_context(municipality: Municipality, year: int) -> dict:
    return {
        "municipality": municipality,
        "year": year,
        "due": deadlines.declaration_due(year),
        "can_submit": berichte.can_submit_declaration(year),
        "tariffs": payout.tariffs_on(deadlines.period_end(year, 2)),
    }


@bp.route("/gemeinde/<int:bfs_nr>/selbstdeklaration/<int:year>", methods=["GET", "POST"])
@login_required
def declaration(bfs_nr: int, year: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    _period_or_404(year)
    record = berichte.find_declaration(municipality, year)
    context = _declaration_context(municipality, year)
    if record is not None and record.state is ReportState.SUBMITTED:
        if request.method == "POST" and request.form.get("action") == "submit":
            return redirect(url_for(".declaration_receipt", bfs_nr=bfs_nr, year=year), 303)
        return render_template(
            "berichte/declaration_show.html",
            declaration=record,
            items=berichte.declaration_items(record.versions[-1].data),
            **context,
        )
    if request.method == "GET":
        data, from_last_year = (
            (record.data, False)
            if record is not None
            else berichte.declaration_prefill(municipality, year)
        )
        return render_template(
            "berichte/declaration_form.html",
            form=DeclarationForm(data=data),
            declaration=record,
            prefilled_from_last_year=from_last_year,
            **context,
        )
    form = DeclarationForm()
    action = request.form.get("action", "save")
    if action == "edit":
        return render_template(
            "berichte/declaration_form.html", form=form, declaration=record, **context
        )
    # The rules are checked also when a field is wrong, so that every problem shows at once: a
    # number the form could not read is None there (no range rule), and a field with a message
    # of its own keeps only that one.
    fields_valid = form.validate()
    data = form.declaration_data()
    submit = action in ("check", "submit")
    problems = berichte.check_declaration(data, submit=submit)
    if not fields_valid:
        return _not_saved(
            "berichte/declaration_form.html", form, problems, declaration=record, **context
        )
    try:
        record = berichte.save_declaration_draft(municipality, year, data, current_user)
    except berichte.ReportError as error:
        if action == "submit" and isinstance(error, berichte.SubmittedMeanwhile):
            return redirect(url_for(".declaration_receipt", bfs_nr=bfs_nr, year=year), 303)
        flash(str(error), "error")
        return redirect(url_for(".declaration", bfs_nr=bfs_nr, year=year), 303)
    if problems or (submit and not context["can_submit"]):
        form.show_problems(problems)
        if submit and not context["can_submit"]:
            form.form_errors.append(
                f"Einreichen ist ab dem 01.01.{year + 1} möglich; der Entwurf ist gespeichert."
            )
        else:
            flash(SAVED_WITH_PROBLEMS, "success")
        return render_template(
            "berichte/declaration_form.html", form=form, declaration=record, **context
        )
    if action == "save":
        flash("Der Entwurf ist gespeichert. Sie können ihn jederzeit weiter bearbeiten.", "success")
        return redirect(url_for(".declaration", bfs_nr=bfs_nr, year=year), 303)
    if action == "check":
        try:
            base = payout.base_contribution(data.get("foreign_residents"), context["tariffs"])
        except payout.MissingTariff as error:
            form.form_errors.append(f"{error} Bitte wenden Sie sich an die Koordinationsstelle.")
            return render_template(
                "berichte/declaration_form.html", form=form, declaration=record, **context
            )
        return render_template(
            "berichte/declaration_check.html",
            form=form,
            items=berichte.declaration_items(data),
            amounts=berichte.declaration_amount_rows({"base": base}),
            unusual=berichte.unusual_declaration(municipality, year, data),
            **context,
        )
    try:
        berichte.submit_declaration(record, current_user)
    except (berichte.ReportError, payout.MissingTariff) as error:
        form.form_errors.append(str(error))
        return render_template(
            "berichte/declaration_form.html", form=form, declaration=record, **context
        )
    return redirect(url_for(".declaration_receipt", bfs_nr=bfs_nr, year=year), 303)


@bp.get("/gemeinde/<int:bfs_nr>/selbstdeklaration/<int:year>/quittung")
@login_required
def declaration_receipt(bfs_nr: int, year: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    record = berichte.find_declaration(municipality, year)
    if record is None or not record.versions:
        abort(404)
    return render_template(
        "berichte/receipt.html",
        **berichte.declaration_receipt(record, record.versions[-1]),
        back=url_for(".index", bfs_nr=bfs_nr),
    )
