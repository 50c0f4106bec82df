"""Start pages after login: the municipality's dashboard."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from orders.services.access import municipality_or_404, visible_municipalities

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def home():
    if current_user.is_kanton:
        return redirect(url_for("kanton_gemeinden.index"))
    return redirect(url_for("dashboard.municipality", bfs_nr=current_user.municipality.bfs_nr))


@bp.get("/gemeinde/<int:bfs_nr>")
@login_required
def municipality(bfs_nr: int):
    shown = municipality_or_404(current_user, bfs_nr)
    return render_template(
        "dashboard/municipality.html",
        municipality=shown,
        switchable=visible_municipalities(current_user) if not current_user.is_kanton else [],
    )
