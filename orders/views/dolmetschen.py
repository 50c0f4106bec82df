"""Gemeinde staff order interpreters through HEKS Linguadukt and record what happened."""

import uuid
from enum import StrEnum

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from orders.extensions import db
from orders.formatting import local_time
from orders.forms.dolmetschen import ConfirmForm, InterpreterForm, OutcomeForm
from orders.models import (
    ConversationType,
    GenderPreference,
    InterpreterRequest,
    Language,
    Municipality,
    Setting,
)
from orders.models.types import utcnow
from orders.services import dolmetschen, paging
from orders.services.access import municipality_or_404, visible_municipality_ids
from orders.views import confirmed_in_form

bp = Blueprint("dolmetschen", __name__)

PAGE_SIZE = 30
# Copied into an "order again for a follow-up conversation"; date and time are new.
FOLLOW_UP_FIELDS = (
    "conversation_type",
    "conversation_other",
    "duration_minutes",
    "setting",
    "location_address",
    "location_room",
    "onsite_contact_name",
    "onsite_contact_phone",
    "remote_instructions",
    "dialect",
    "country_of_origin",
    "participants",
    "gender_preference",
    "reference",
    "preparation_notes",
)


def request_or_404(number: str) -> InterpreterRequest:
    found = db.session.scalar(
        select(InterpreterRequest)
        .where(
            InterpreterRequest.number == number,
            InterpreterRequest.municipality_id.in_(visible_municipality_ids(current_user)),
        )
        .options(selectinload(InterpreterRequest.events))
    )
    if found is None:
        abort(404)
    return found


@bp.get("/gemeinde/<int:bfs_nr>/dolmetschen")
@login_required
def index(bfs_nr: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    today = local_time(utcnow()).date()
    upcoming = InterpreterRequest.appointment_date >= today
    statement = (
        select(InterpreterRequest)
        .where(InterpreterRequest.municipality_id == municipality.id)
        .options(selectinload(InterpreterRequest.language))
        # Upcoming first, soonest first; then the past, most recent first.
        .order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, InterpreterRequest.appointment_date)),
            case((upcoming, InterpreterRequest.start_time)),
            InterpreterRequest.appointment_date.desc(),
            InterpreterRequest.start_time.desc(),
        )
    )
    # «ergebnis=fehlt»: what the dashboard asks to record, the appointments passed without one.
    outcome_missing = request.args.get("ergebnis") == "fehlt"
    if outcome_missing:
        statement = statement.where(dolmetschen.outcome_missing(today))
    page = db.paginate(
        statement, page=paging.page_number(request.args), per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "dolmetschen/index.html",
        municipality=municipality,
        page=page,
        today=today,
        outcome_missing=outcome_missing,
        outcomes_to_record=dolmetschen.outcomes_to_record(municipality.id),
    )


def _form(municipality: Municipality, data: dict | None = None) -> InterpreterForm:
    form = InterpreterForm(data=data) if data is not None else InterpreterForm()
    languages = db.session.scalars(
        select(Language).where(Language.interpreting.is_(True)).order_by(Language.name)
    )
    form.language.choices = [SelectChoice("", "– bitte wählen –")] + [
        SelectChoice(language.code, language.name) for language in languages
    ]
    return form


def _prefill(template: InterpreterRequest | None) -> dict:
    data = {
        "orderer_name": current_user.name,
        "orderer_phone": current_user.phone,
        "orderer_email": current_user.email,
        "submission_key": uuid.uuid4().hex,
    }
    if template is not None:
        for name in FOLLOW_UP_FIELDS:
            value = getattr(template, name)
            data[name] = value.value if hasattr(value, "value") else value
        data["language"] = template.language_code
    return data


def _choice(enum: type[StrEnum], value: str | None) -> StrEnum | None:
    """The choice as its enum, or None for one the form refused (it says so itself)."""
    try:
        return enum(value)
    except ValueError:
        return None


def _booking(form: InterpreterForm) -> dolmetschen.Booking:
    """The booking as the form read it, also where it could not read every field."""
    return dolmetschen.Booking(
        conversation_type=_choice(ConversationType, form.conversation_type.data),
        conversation_other=form.conversation_other.data or "",
        appointment_date=form.appointment_date.data,
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data,
        setting=_choice(Setting, form.setting.data),
        location_address=form.location_address.data or "",
        location_room=form.location_room.data or "",
        onsite_contact_name=form.onsite_contact_name.data or "",
        onsite_contact_phone=form.onsite_contact_phone.data or "",
        remote_instructions=form.remote_instructions.data or "",
        language=db.session.get(Language, form.language.data) if form.language.data else None,
        dialect=form.dialect.data or "",
        country_of_origin=form.country_of_origin.data or "",
        participants=form.participants.data,
        gender_preference=_choice(GenderPreference, form.gender_preference.data)
        or GenderPreference.ANY,
        reference=form.reference.data or "",
        preparation_notes=form.preparation_notes.data or "",
        orderer_name=form.orderer_name.data,
        orderer_phone=form.orderer_phone.data,
        orderer_email=form.orderer_email.data,
        called_heks=form.called_heks.data,
    )


def _valid_booking(form: InterpreterForm) -> dolmetschen.Booking | None:
    """The booking if the form and the booking rules are satisfied; else None, with every
    problem beside its field at once: the booking rules are checked also when some fields are
    wrong (a field the form already names keeps only its own message)."""
    fields_valid = form.validate()
    booking = _booking(form)
    problems = dolmetschen.check_booking(booking)
    form.show_problems(problems)
    return booking if fields_valid and not problems else None


@bp.route("/gemeinde/<int:bfs_nr>/dolmetschen/neu", methods=["GET", "POST"])
@login_required
def new(bfs_nr: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    context = {"municipality": municipality}
    if request.method == "GET":
        template = request_or_404(request.args["vorlage"]) if request.args.get("vorlage") else None
        return render_template(
            "dolmetschen/form.html", form=_form(municipality, _prefill(template)), **context
        )
    form = _form(municipality)
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    action = request.form.get("action", "check")
    booking = None if action == "edit" else _valid_booking(form)
    if booking is None:
        return render_template("dolmetschen/form.html", form=form, **context)
    context["short_notice"] = dolmetschen.is_short_notice(booking.appointment_date)
    if action == "check":
        return render_template("dolmetschen/check.html", form=form, booking=booking, **context)
    try:
        placed = dolmetschen.place_request(
            municipality, current_user, booking, form.submission_key.data
        )
    except dolmetschen.BookingError as error:
        form[error.field or "appointment_date"].errors.append(str(error))
        return render_template("dolmetschen/form.html", form=form, **context)
    return redirect(url_for("dolmetschen.confirmation", number=placed.number), code=303)


@bp.get("/dolmetschen/<number>/bestaetigung")
@login_required
def confirmation(number: str):
    return render_template("dolmetschen/confirmation.html", booking=request_or_404(number))


@bp.get("/dolmetschen/<number>")
@login_required
def show(number: str):
    return _show(request_or_404(number))


def _show(booking: InterpreterRequest, outcome_form: OutcomeForm | None = None):
    """The booking's page; with an outcome form that was sent, its values and messages."""
    return render_template(
        "dolmetschen/show.html",
        booking=booking,
        confirm_form=ConfirmForm(),
        outcome_form=outcome_form or OutcomeForm(),
        late_cancel=dolmetschen.starts_within_warning(booking),
        may_cancel=dolmetschen.may_cancel(booking),
        appointment_passed=dolmetschen.appointment_passed(booking),
    )


def _act(booking: InterpreterRequest, action, success: str):
    try:
        action(booking)
    except dolmetschen.BookingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(success, "success")
    return redirect(url_for("dolmetschen.show", number=booking.number))


@bp.post("/dolmetschen/<number>/stornieren")
@login_required
def cancel(number: str):
    booking = request_or_404(number)
    reason = request.form.get("reason", "")[:1000]
    if dolmetschen.may_cancel(booking) and not confirmed_in_form():
        return render_template(
            "dolmetschen/cancel.html",
            booking=booking,
            reason=reason,
            late_cancel=dolmetschen.starts_within_warning(booking),
        )
    return _act(
        booking,
        lambda b: dolmetschen.cancel(b, current_user, reason),
        "Der Einsatz ist storniert; HEKS Linguadukt erhält die Stornierung per E-Mail.",
    )


@bp.post("/dolmetschen/<number>/bestaetigen")
@login_required
def confirm(number: str):
    booking = request_or_404(number)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    return _act(
        booking,
        lambda b: dolmetschen.confirm(b, current_user, form.interpreter_name.data or ""),
        "Die Bestätigung von HEKS ist erfasst.",
    )


@bp.post("/dolmetschen/<number>/ergebnis")
@login_required
def outcome(number: str):
    booking = request_or_404(number)
    form = OutcomeForm()
    if form.validate():
        try:
            dolmetschen.record_outcome(
                booking, current_user, form.held.data == "ja", form.actual_duration_minutes.data
            )
        except dolmetschen.BookingError as error:
            db.session.rollback()
            if error.field is None:  # not the values': the booking's state, said at the top
                flash(str(error), "error")
                return redirect(url_for("dolmetschen.show", number=booking.number))
            form[error.field].errors.append(str(error))
        else:
            flash("Das Ergebnis ist erfasst.", "success")
            return redirect(url_for("dolmetschen.show", number=booking.number))
    # What was chosen and typed stays, each problem beside its field.
    return _show(booking, outcome_form=form)
