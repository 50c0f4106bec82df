"""Back office: municipalities, their participation and Leitgemeinde."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from orders.extensions import db
from orders.forms.kanton import MunicipalityForm
from orders.models import Municipality, User
from orders.services import deadlines, gemeinden
from orders.services.gemeinden import sorted_by_name
from orders.views.kanton import kanton_required

bp = Blueprint("kanton_gemeinden", __name__, url_prefix="/kanton")


def municipality_search(query: str, bezirk: str):
    statement = select(Municipality).options(
        selectinload(Municipality.lead), selectinload(Municipality.members)
    )
    if query:
        like = f"%{query.strip()}%"
        conditions = [Municipality.name.ilike(like)]
        if query.strip().isdigit():
            conditions.append(Municipality.bfs_nr == int(query.strip()))
        statement = statement.where(or_(*conditions))
    if bezirk:
        statement = statement.where(Municipality.bezirk == bezirk)
    return statement.order_by(Municipality.name)


def bezirke() -> list[str]:
    return list(
        db.session.scalars(select(Municipality.bezirk).distinct().order_by(Municipality.bezirk))
    )


@bp.get("/")
@kanton_required
def index():
    query = request.args.get("q", "")
    bezirk = request.args.get("bezirk", "")
    municipalities = sorted_by_name(db.session.scalars(municipality_search(query, bezirk)))
    user_counts = dict(
        db.session.execute(
            select(User.municipality_id, func.count())
            .where(User.active.is_(True))
            .group_by(User.municipality_id)
        ).all()
    )
    return render_template(
        "kanton/gemeinden.html",
        municipalities=municipalities,
        user_counts=user_counts,
        bezirke=bezirke(),
        query=query,
        bezirk=bezirk,
    )


@bp.route("/gemeinden/<int:bfs_nr>", methods=["GET", "POST"])
@kanton_required
def edit(bfs_nr: int):
    municipality = db.session.scalar(select(Municipality).where(Municipality.bfs_nr == bfs_nr))
    if municipality is None:
        abort(404)
    form = MunicipalityForm(obj=municipality)
    candidates = sorted_by_name(
        db.session.scalars(
            select(Municipality).where(
                Municipality.id != municipality.id, Municipality.valid_until.is_(None)
            )
        )
    )
    form.lead.choices = [
        SelectChoice("", "– keine (Einzelgemeinde oder selbst Leitgemeinde) –")
    ] + [SelectChoice(m.id, f"{m.name} ({m.bezirk})") for m in candidates]
    if request.method == "GET":
        form.lead.data = municipality.lead_id
    if form.validate_on_submit():
        settings = gemeinden.MunicipalitySettings(
            participates=form.participates.data,
            lead=db.session.get(Municipality, form.lead.data) if form.lead.data else None,
            address=form.address.data,
            town=form.town.data,
            contact_name=form.contact_name.data,
            contact_email=form.contact_email.data,
            contact_phone=form.contact_phone.data,
        )
        try:
            gemeinden.update_settings(municipality, settings, current_user)
        except gemeinden.MunicipalityError as error:
            db.session.rollback()
            getattr(form, error.field or "lead").errors.append(str(error))
        else:
            flash(f"Die Angaben zu {municipality.name} sind gespeichert.", "success")
            return redirect(url_for("kanton_gemeinden.edit", bfs_nr=bfs_nr))
    users = db.session.scalars(
        select(User).where(User.municipality_id == municipality.id).order_by(User.name)
    )
    return render_template(
        "kanton/gemeinde_edit.html",
        municipality=municipality,
        form=form,
        users=list(users),
        still_exists=municipality.is_valid_on(deadlines.today_local()),
    )
