"""Back office: announce network meetings, change or call them off, see who registered."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from orders.extensions import db
from orders.formatting import format_people
from orders.forms.vernetzung import CancelMeetingForm, MeetingForm
from orders.models import NetworkMeeting
from orders.services import exports, vernetzung
from orders.views.kanton import kanton_required
from orders.views.kanton.gemeinden import bezirke

bp = Blueprint("kanton_vernetzung", __name__, url_prefix="/kanton/vernetzung")


def meeting_or_404(meeting_id: int) -> NetworkMeeting:
    meeting = db.session.get(NetworkMeeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _meeting_form(**kwargs) -> MeetingForm:
    form = MeetingForm(**kwargs)
    form.bezirke.choices = [SelectChoice(b, b) for b in bezirke()]
    return form


def _meeting_data(form: MeetingForm) -> vernetzung.MeetingData:
    return vernetzung.MeetingData(
        title=form.title.data,
        day=form.day.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        place=form.place.data,
        description=form.description.data or "",
        bezirke=form.chosen_bezirke,
        registration_until=form.registration_until.data,
    )


@bp.route("/neu", methods=["GET", "POST"])
@kanton_required
def new():
    if request.method == "GET":
        form = _meeting_form(data={"submission_key": uuid.uuid4().hex})
    else:
        form = _meeting_form()
    if form.validate_on_submit():
        meeting = vernetzung.create(_meeting_data(form), current_user, form.submission_key.data)
        flash(f"«{meeting.title}» ist angekündigt.", "success")
        return redirect(url_for("vernetzung.show", meeting_id=meeting.id), 303)
    return render_template("kanton/vernetzung/new.html", form=form)


def _edit_page(meeting: NetworkMeeting, form: MeetingForm, cancel_form: CancelMeetingForm):
    return render_template(
        "kanton/vernetzung/edit.html",
        meeting=meeting,
        form=form,
        cancel_form=cancel_form,
        participants=vernetzung.participants(meeting),
    )


@bp.route("/<int:meeting_id>", methods=["GET", "POST"])
@kanton_required
def edit(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if meeting.is_cancelled and request.method == "POST":
        # Those registered were told it is off: a change would reach no one and revive nothing.
        flash("Das Treffen ist abgesagt; seine Angaben lassen sich nicht mehr ändern.", "error")
        return redirect(url_for("kanton_vernetzung.edit", meeting_id=meeting.id), 303)
    form = _meeting_form(obj=meeting)
    form.current_day = meeting.day
    form.current_registration_until = meeting.registration_until
    if request.method == "GET":
        form.audience.data = "bezirke" if meeting.bezirke else "alle"
    if form.validate_on_submit():
        informed = vernetzung.update(meeting, _meeting_data(form), current_user)
        told = f" {_receive(informed)} die Änderung per E-Mail." if informed else ""
        flash(f"Die Angaben sind gespeichert.{told}", "success")
        return redirect(url_for("kanton_vernetzung.edit", meeting_id=meeting.id), 303)
    return _edit_page(meeting, form, CancelMeetingForm(prefix="cancel"))


def _receive(count: int) -> str:
    """«1 Person erhält», «3 Personen erhalten»."""
    return f"{format_people(count)} {'erhält' if count == 1 else 'erhalten'}"


@bp.post("/<int:meeting_id>/absagen")
@kanton_required
def cancel(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if meeting.is_cancelled:  # e.g. from a second tab: it was said once, by whoever cancelled
        flash("Das Treffen ist bereits abgesagt.", "info")
        return redirect(url_for("kanton_vernetzung.edit", meeting_id=meeting.id), 303)
    cancel_form = CancelMeetingForm(prefix="cancel")
    if not cancel_form.validate_on_submit():
        form = _meeting_form(obj=meeting)
        form.audience.data = "bezirke" if meeting.bezirke else "alle"
        return _edit_page(meeting, form, cancel_form), 422
    informed = vernetzung.cancel(meeting, cancel_form.reason.data, current_user)
    flash(f"Das Treffen ist abgesagt. {_receive(informed)} die Absage per E-Mail.", "success")
    return redirect(url_for("kanton_vernetzung.edit", meeting_id=meeting.id), 303)


@bp.get("/<int:meeting_id>/teilnehmende.<fmt>")
@kanton_required
def participants_export(meeting_id: int, fmt: str):
    meeting = meeting_or_404(meeting_id)
    rows = vernetzung.participant_rows(meeting)
    name = f"teilnehmende-{meeting.day:%Y-%m-%d}"
    return exports.response(
        fmt, vernetzung.PARTICIPANT_COLUMNS, rows, name, "Teilnehmende"
    ) or abort(404)
