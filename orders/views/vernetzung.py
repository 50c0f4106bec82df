"""Vernetzung: the network meetings (and registering for them) and the contact list of the
municipalities, for everyone logged in."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from orders.models import NetworkMeeting
from orders.services import vernetzung

bp = Blueprint("vernetzung", __name__)


def meeting_or_404(meeting_id: int) -> NetworkMeeting:
    meeting = vernetzung.visible_meeting_or_none(meeting_id, current_user)
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/vernetzung")
@login_required
def index():
    upcoming, past = vernetzung.split_upcoming(vernetzung.meetings_for(current_user))
    return render_template(
        "vernetzung/index.html",
        upcoming=upcoming,
        past=past,
        registered={
            registration.meeting_id
            for meeting in upcoming
            for registration in meeting.registrations
            if registration.user_id == current_user.id
        },
        registration_open=vernetzung.registration_open,
    )


@bp.get("/vernetzung/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    return render_template(
        "vernetzung/show.html",
        meeting=meeting,
        registration=vernetzung.registration_of(meeting, current_user),
        registration_open=vernetzung.registration_open(meeting),
        has_begun=vernetzung.has_begun(meeting),
    )


def _gemeinde_meeting_or_404(meeting_id: int) -> NetworkMeeting:
    """Municipal staff register; the canton organises (and sees who comes)."""
    if current_user.is_kanton:
        abort(404)
    return meeting_or_404(meeting_id)


@bp.post("/vernetzung/<int:meeting_id>/anmelden")
@login_required
def register(meeting_id: int):
    meeting = _gemeinde_meeting_or_404(meeting_id)
    if not vernetzung.registration_open(meeting):
        flash("Für dieses Treffen ist keine Anmeldung mehr möglich.", "error")
    elif vernetzung.register(meeting, current_user):
        flash(
            "Sie sind angemeldet. Die Bestätigung mit dem Kalendereintrag kommt per E-Mail.",
            "success",
        )
    else:
        flash("Sie sind für dieses Treffen bereits angemeldet.", "info")
    return redirect(url_for("vernetzung.show", meeting_id=meeting.id), 303)


@bp.post("/vernetzung/<int:meeting_id>/abmelden")
@login_required
def unregister(meeting_id: int):
    meeting = _gemeinde_meeting_or_404(meeting_id)
    if vernetzung.has_begun(meeting):
        flash("Das Treffen hat bereits begonnen; eine Abmeldung ist nicht mehr möglich.", "error")
    elif vernetzung.unregister(meeting, current_user):
        flash("Ihre Anmeldung ist zurückgezogen. Die Bestätigung kommt per E-Mail.", "success")
    else:
        flash("Sie waren für dieses Treffen nicht angemeldet.", "info")
    return redirect(url_for("vernetzung.show", meeting_id=meeting.id), 303)


@bp.get("/vernetzung/kontakte")
@login_required
def contacts():
    return render_template("vernetzung/contacts.html", municipalities=vernetzung.contact_list())
