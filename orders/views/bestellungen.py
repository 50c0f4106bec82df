"""Gemeinde staff order welcome folders and materials, follow and cancel their orders."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from orders.extensions import db
from orders.forms.bestellungen import (
    OrderForm,
    folder_form_class,
    material_form_class,
    quantity_field_name,
    quantity_field_parts,
)
from orders.models import (
    CatalogueItem,
    Language,
    Municipality,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    User,
)
from orders.models.catalogue import WELCOME_FOLDER_NAME
from orders.services import bestellungen, catalogue, deadlines, paging
from orders.services.access import municipality_or_404, visible_municipality_ids
from orders.views import confirmed_in_form, record_id

bp = Blueprint("bestellungen", __name__)

# The inbox's filter without its municipality and Bezirk: the list is the municipality's.
HISTORY_FILTER_ARGS = tuple(
    name for name in bestellungen.FILTER_ARGS if name not in {"gemeinde", "bezirk"}
)
PAGE_SIZE = 20
FOLDER_MAXIMUM = 500


def order_or_404(user: User, number: str) -> Order:
    """The order with this number if it belongs to a municipality the user may see."""
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number, Order.municipality_id.in_(visible_municipality_ids(user)))
        .options(
            selectinload(Order.lines).selectinload(OrderLine.language), selectinload(Order.events)
        )
    )
    if order is None:
        abort(404)
    return order


@bp.get("/gemeinde/<int:bfs_nr>/bestellungen")
@login_required
def index(bfs_nr: int):
    municipality = municipality_or_404(current_user, bfs_nr)
    args = {name: request.args[name] for name in HISTORY_FILTER_ARGS if request.args.get(name)}
    order_filter = bestellungen.filter_from_args(args, look_up=False)
    page = (
        paging.KeysetPage.empty(PAGE_SIZE)
        if order_filter.errors
        else paging.keyset_page(
            bestellungen.filtered_orders(order_filter).where(
                Order.municipality_id == municipality.id
            ),
            Order.created_at,
            Order.id,
            per_page=PAGE_SIZE,
            shown=bestellungen.list_rows,
            **paging.cursor_args(request.args),
        )
    )
    return render_template(
        "bestellungen/index.html",
        municipality=municipality,
        page=page,
        can_order=bestellungen.can_order(municipality),
        args=args,
        errors=order_filter.errors,
        statuses=list(OrderStatus),
        kinds=list(OrderKind),
    )


def _form_class(kind: OrderKind, municipality: Municipality) -> type[OrderForm]:
    folder_languages = catalogue.welcome_folder_languages()
    if kind is OrderKind.WELCOME_FOLDER:
        return folder_form_class(folder_languages, FOLDER_MAXIMUM)
    return material_form_class(
        catalogue.orderable_items(municipality), folder_languages, FOLDER_MAXIMUM
    )


def _prefill(municipality: Municipality, template: Order | None) -> dict:
    """A new order starts from the municipality's address, or from an earlier order's address,
    remarks and quantities ("order again"); the contact is always the person ordering now."""
    contact = {
        "contact_name": current_user.name,
        "contact_email": current_user.email,
        "contact_phone": current_user.phone,
    }
    if template is not None:
        data = {
            name: getattr(template, name)
            for name in (
                "delivery_recipient",
                "delivery_street",
                "delivery_zip",
                "delivery_town",
                "remarks",
            )
        }
        for line in template.lines:
            data[quantity_field_name(line.item, line.language)] = line.quantity
        return {**data, **contact}
    town = municipality.town.split(" ", 1)
    has_town = len(town) == 2 and town[0].isdigit()
    return {
        "delivery_recipient": f"Gemeinde {municipality.name}",
        "delivery_street": municipality.address,
        "delivery_zip": town[0] if has_town else municipality.plz,
        "delivery_town": town[1] if has_town else municipality.name,
        **contact,
    }


def _lines_not_taken_over(form: OrderForm, template: Order | None) -> list[OrderLine]:
    """The earlier order's lines the form has no field for (the article is no longer offered,
    or no longer in that language): named above the form instead of left out unseen."""
    if template is None:
        return []
    return [
        line for line in template.lines if quantity_field_name(line.item, line.language) not in form
    ]


@bp.route("/gemeinde/<int:bfs_nr>/bestellungen/neu/<kind>", methods=["GET", "POST"])
@login_required
def new(bfs_nr: int, kind: str):
    municipality = municipality_or_404(current_user, bfs_nr)
    try:
        order_kind = OrderKind(kind)
    except ValueError:
        abort(404)
    if not bestellungen.can_order(municipality):
        flash(f"{municipality.name} nimmt keine neuen Bestellungen mehr an.", "error")
        return redirect(url_for("bestellungen.index", bfs_nr=bfs_nr))
    form_class = _form_class(order_kind, municipality)
    context = {"municipality": municipality, "kind": order_kind}
    # «Nochmals bestellen»: the earlier order the form starts from, named above the form as
    # long as it is shown at its address (also with the problems of a first attempt).
    template = None
    if request.args.get("vorlage"):
        template = order_or_404(current_user, request.args["vorlage"])
        if template.municipality_id != municipality.id or template.kind is not order_kind:
            abort(404)

    def form_page(form: OrderForm):
        return render_template(
            "bestellungen/form.html",
            form=form,
            earlier_order=template,
            not_taken_over=_lines_not_taken_over(form, template),
            **context,
        )

    if request.method == "GET":
        return form_page(
            form_class(
                data={**_prefill(municipality, template), "submission_key": uuid.uuid4().hex}
            )
        )

    form = form_class()
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    action = request.form.get("action", "check")
    valid = form.validate()
    if withdrawn := _no_longer_offered(form, order_kind, municipality):
        form.form_errors.append(
            f"Nicht mehr bestellbar: {', '.join(f'«{name}»' for name in withdrawn)}. Die "
            "Koordinationsstelle hat das Angebot eben geändert; bitte prüfen Sie die Bestellung "
            "ohne diese Positionen und senden Sie sie erneut."
        )
    if action == "edit" or not valid or withdrawn:
        return form_page(form)
    if action == "check":
        return render_template("bestellungen/check.html", form=form, **context)

    draft = _draft(form, order_kind)
    try:
        number = bestellungen.place_order(
            municipality, current_user, draft, form.submission_key.data
        )
    except bestellungen.OrderError as error:
        form.form_errors.append(str(error))
        return form_page(form)
    return redirect(url_for("bestellungen.confirmation", number=number), code=303)


def _no_longer_offered(form: OrderForm, kind: OrderKind, municipality: Municipality) -> list[str]:
    """The lines posted with a quantity that the form no longer has: an item withdrawn, or one
    of its languages, while the clerk was on the check page. Named rather than left out.
    (The welcome folders' form has only folder lines; nothing else posted to it was offered.)"""
    prefix = "qty__mappe__" if kind is OrderKind.WELCOME_FOLDER else "qty__"
    posted = [
        quantity_field_parts(field_name)
        for field_name, value in request.form.items()
        if field_name.startswith(prefix)
        and field_name not in form
        and value.strip() not in ("", "0")
    ]
    if not posted:
        return []
    # Named only where the municipality may see the item: the catalogue's, or its own.
    items = dict(
        db.session.execute(
            select(CatalogueItem.id, CatalogueItem.name).where(
                CatalogueItem.id.in_({record_id(key) for key, _code in posted} - {None}),
                or_(
                    CatalogueItem.municipality_id.is_(None),
                    CatalogueItem.municipality_id == municipality.id,
                ),
            )
        ).all()
    )
    languages = dict(
        db.session.execute(
            select(Language.code, Language.name).where(Language.code.in_({c for _k, c in posted}))
        ).all()
    )

    def name(item_key: str, code: str) -> str:
        item = WELCOME_FOLDER_NAME if item_key == "mappe" else items.get(record_id(item_key))
        item = item or "Position"
        return f"{item}, {languages[code]}" if code in languages else item

    return [name(item_key, code) for item_key, code in posted]


def _draft(form: OrderForm, kind: OrderKind) -> bestellungen.OrderDraft:
    return bestellungen.OrderDraft(
        kind=kind,
        contact_name=form.contact_name.data,
        contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data or "",
        delivery_recipient=form.delivery_recipient.data,
        delivery_street=form.delivery_street.data,
        delivery_zip=form.delivery_zip.data,
        delivery_town=form.delivery_town.data,
        desired_date=form.desired_date.data,
        remarks=form.remarks.data or "",
        lines=[
            bestellungen.LineDraft(item=item, language=language, quantity=quantity)
            for item, language, quantity in form.quantities()
        ],
    )


@bp.get("/bestellungen/<number>/bestaetigung")
@login_required
def confirmation(number: str):
    return render_template(
        "bestellungen/confirmation.html", order=order_or_404(current_user, number)
    )


@bp.get("/bestellungen/<number>")
@login_required
def show(number: str):
    order = order_or_404(current_user, number)
    return render_template(
        "bestellungen/show.html",
        order=order,
        may_cancel=bestellungen.municipality_may_cancel(order),
    )


@bp.post("/bestellungen/<number>/stornieren")
@login_required
def cancel(number: str):
    order = order_or_404(current_user, number)
    reason = request.form.get("reason", "")[:1000]
    if bestellungen.municipality_may_cancel(order) and not confirmed_in_form():
        return render_template("bestellungen/cancel.html", order=order, reason=reason)
    try:
        bestellungen.cancel_by_municipality(order, current_user, reason)
    except bestellungen.OrderError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(f"Die Bestellung {order.number} ist storniert.", "success")
    return redirect(url_for("bestellungen.show", number=order.number))


@bp.get("/bestellungen/<number>/lieferschein")
@login_required
def delivery_note(number: str):
    return render_template(
        "bestellungen/delivery_note.html",
        order=order_or_404(current_user, number),
        printed_on=deadlines.today_local(),  # the day it is printed, as on any letter
    )
