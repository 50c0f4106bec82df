"""Start pages after login: the municipality's dashboard, and what waits for canton staff."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from orders.extensions import db
from orders.models import Municipality, Order
from orders.services import berichte, dolmetschen, vernetzung, worklist
from orders.services.access import municipality_or_404, visible_municipalities
from orders.views.kanton import kanton_required

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def home():
    if current_user.is_kanton:
        return redirect(url_for("dashboard.kanton"))
    return redirect(url_for("dashboard.municipality", bfs_nr=current_user.municipality.bfs_nr))


@bp.get("/kanton/uebersicht")
@kanton_required
def kanton():
    return render_template("dashboard/kanton.html", work=worklist.for_canton())


@bp.get("/gemeinde/<int:bfs_nr>")
@login_required
def municipality(bfs_nr: int):
    shown = municipality_or_404(current_user, bfs_nr)
    recent_orders = db.session.scalars(
        select(Order)
        .where(Order.municipality_id == shown.id)
        .order_by(Order.created_at.desc())
        .limit(3)
    )
    if current_user.is_kanton:
        switchable, members = [], shown.members
    else:
        # A Gemeinde user sees its own municipality and, as a Leitgemeinde, its members: the
        # members of the one shown are among these, without a query of their own.
        switchable = visible_municipalities(current_user)
        members = [m for m in switchable if m.lead_id == shown.id]
    return render_template(
        "dashboard/municipality.html",
        municipality=shown,
        members=members,
        recent_orders=list(recent_orders),
        switchable=switchable,
        still_due=berichte.still_due(shown),
        outcomes_to_record=dolmetschen.outcomes_to_record(shown.id),
        **_next_meeting(shown),
    )


def _next_meeting(municipality: Municipality) -> dict:
    """The next network meeting the municipality is invited to and, for municipal staff,
    whether they are registered and may still register."""
    meeting = vernetzung.next_meeting_for(municipality)
    if meeting is None or current_user.is_kanton:
        return {"next_meeting": meeting}
    return {
        "next_meeting": meeting,
        "registered": vernetzung.registration_of(meeting, current_user) is not None,
        "registration_open": vernetzung.registration_open(meeting),
    }
