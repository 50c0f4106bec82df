"""Back office: accounts of the closed user group."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from orders.extensions import db
from orders.forms.kanton import EditUserForm, InviteUserForm
from orders.models import AuditEvent, Municipality, Role, User
from orders.services import accounts, paging
from orders.services.gemeinden import sorted_by_name
from orders.views.kanton import kanton_required
from orders.views.kanton.gemeinden import bezirke

bp = Blueprint("kanton_users", __name__, url_prefix="/kanton/benutzer")

PAGE_SIZE = 50


def _municipality_choices(include_empty: bool = True):
    choices = [SelectChoice("", "– bitte wählen –")] if include_empty else []
    municipalities = sorted_by_name(
        db.session.scalars(select(Municipality).where(Municipality.valid_until.is_(None)))
    )
    return choices + [
        SelectChoice(m.id, f"{m.name} ({m.bezirk}, {m.bfs_nr})") for m in municipalities
    ]


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@kanton_required
def index():
    query = request.args.get("q", "").strip()
    bezirk = request.args.get("bezirk", "")
    status = request.args.get("status", "")
    statement = (
        select(User)
        .outerjoin(User.municipality)
        .options(joinedload(User.municipality))
        .order_by(User.name, User.id)
    )
    if query:
        like = f"%{query}%"
        conditions = [User.name.ilike(like), User.email.ilike(like), Municipality.name.ilike(like)]
        if query.isdigit():
            conditions.append(Municipality.bfs_nr == int(query))
        statement = statement.where(or_(*conditions))
    if bezirk:
        statement = statement.where(Municipality.bezirk == bezirk)
    if status == "aktiv":
        statement = statement.where(User.active.is_(True))
    elif status == "deaktiviert":
        statement = statement.where(User.active.is_(False))
    page = db.paginate(
        statement, page=paging.page_number(request.args), per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "kanton/users.html",
        page=page,
        query=query,
        bezirk=bezirk,
        status=status,
        bezirke=bezirke(),
    )


@bp.route("/einladen", methods=["GET", "POST"])
@kanton_required
def invite():
    form = InviteUserForm()
    form.municipality.choices = _municipality_choices()
    if request.method == "GET" and request.args.get("gemeinde", "").isdigit():
        preset = db.session.scalar(
            select(Municipality).where(Municipality.bfs_nr == int(request.args["gemeinde"]))
        )
        form.municipality.data = preset.id if preset else None
    if form.validate_on_submit():
        role = Role(form.role.data)
        data = accounts.NewAccount(
            email=form.email.data,
            name=form.name.data,
            role=role,
            municipality=db.session.get(Municipality, form.municipality.data)
            if role is Role.GEMEINDE
            else None,
            function=form.function.data or "",
            phone=form.phone.data or "",
        )
        try:
            user = accounts.invite(data, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            if user := accounts.resent_invitation(data, current_user):
                flash(f"Die Einladung an {user.email} ist im Postausgang.", "success")
                return redirect(url_for("kanton_users.edit", user_id=user.id))
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            flash(f"Die Einladung an {user.email} ist im Postausgang.", "success")
            return redirect(url_for("kanton_users.edit", user_id=user.id))
    return render_template("kanton/user_invite.html", form=form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@kanton_required
def edit(user_id: int):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user)
    form.municipality.choices = _municipality_choices()
    if request.method == "GET":
        form.municipality.data = user.municipality_id
    if form.validate_on_submit():
        municipality = (
            db.session.get(Municipality, form.municipality.data) if form.municipality.data else None
        )
        try:
            accounts.update_account(
                user,
                current_user,
                name=form.name.data,
                function=form.function.data or "",
                phone=form.phone.data or "",
                municipality=municipality,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            flash("Die Änderungen sind gespeichert.", "success")
            return redirect(url_for("kanton_users.edit", user_id=user.id))
    history = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "User", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.at.desc())
        .limit(20)
    )
    return render_template("kanton/user_edit.html", user=user, form=form, history=list(history))


def _act(user_id: int, action, success: str):
    user = _user_or_404(user_id)
    try:
        action(user)
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(success.format(user=user), "success")
    return redirect(url_for("kanton_users.edit", user_id=user.id))


@bp.post("/<int:user_id>/deaktivieren")
@kanton_required
def deactivate(user_id: int):
    return _act(
        user_id,
        lambda u: accounts.set_active(u, current_user, False),
        "Das Konto von {user.name} ist deaktiviert; alle Anmeldungen sind beendet.",
    )


@bp.post("/<int:user_id>/aktivieren")
@kanton_required
def activate(user_id: int):
    return _act(
        user_id,
        lambda u: accounts.set_active(u, current_user, True),
        "Das Konto von {user.name} ist wieder aktiv.",
    )


@bp.post("/<int:user_id>/einladung")
@kanton_required
def reinvite(user_id: int):
    return _act(
        user_id,
        lambda u: accounts.resend_invitation(u, current_user),
        "Eine neue Einladung an {user.email} ist im Postausgang.",
    )
