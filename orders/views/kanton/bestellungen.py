"""Back office: the order inbox, status workflow, exports and the catalogue."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from orders.extensions import db
from orders.forms.kanton_bestellungen import CatalogueItemForm, StatusForm
from orders.models import (
    CatalogueItem,
    Municipality,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
)
from orders.services import bestellungen, catalogue, deadlines, exports, paging
from orders.services.gemeinden import sorted_by_name
from orders.views.kanton import kanton_required
from orders.views.kanton.gemeinden import bezirke

bp = Blueprint("kanton_bestellungen", __name__, url_prefix="/kanton")

PAGE_SIZE = 50

# What an order's page carries of the inbox besides its filters to lead back to it: the page's
# position (paging.cursor_args reads "nach", "vor", "seite" and old "page").
POSITION_ARGS = ("nach", "vor", "seite", "page")
# «reihenfolge=aelteste»: the oldest first, as orders waiting for the canton are worked off.
ORDER_ARG, OLDEST_FIRST = "reihenfolge", "aelteste"


def filters_from_request() -> bestellungen.OrderFilter:
    return bestellungen.filter_from_args(request.args)


def list_args_from_request() -> dict[str, str]:
    """The inbox's arguments in this request, known names only; url_for encodes the values,
    so a link built from them stays on the inbox whatever they hold."""
    position = {
        name: request.args[name] for name in (*POSITION_ARGS, ORDER_ARG) if request.args.get(name)
    }
    return {**bestellungen.filter_values(request.args), **position}


@bp.get("/bestellungen")
@kanton_required
def index():
    order_filter = filters_from_request()
    # A filter that cannot be read lists nothing rather than more than was asked for.
    page = (
        paging.KeysetPage.empty(PAGE_SIZE)
        if order_filter.errors
        else paging.keyset_page(
            bestellungen.filtered_orders(order_filter),
            Order.created_at,
            Order.id,
            per_page=PAGE_SIZE,
            shown=bestellungen.list_rows,
            oldest_first=request.args.get(ORDER_ARG) == OLDEST_FIRST,
            **paging.cursor_args(request.args),
        )
    )
    return render_template(
        "kanton/bestellungen/index.html",
        page=page,
        statuses=list(OrderStatus),
        kinds=list(OrderKind),
        # Only what the filter's list shows, as plain rows.
        municipalities=sorted_by_name(
            db.session.execute(select(Municipality.bfs_nr, Municipality.name))
        ),
        bezirke=bezirke(),
        args=request.args,
        filter_values=bestellungen.filter_values(request.args),
        errors=order_filter.errors,
        list_args=list_args_from_request(),
        today=deadlines.today_local(),
    )


def _order_or_404(number: str) -> Order:
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.lines).selectinload(OrderLine.language),
            selectinload(Order.events),
        )
    )
    if order is None:
        abort(404)
    return order


def _changed_meanwhile(order: Order, chosen: OrderStatus) -> str:
    if chosen is order.status:
        return f"Bestellung {order.number} ist bereits «{order.status.label}»."
    return (
        f"Bestellung {order.number} hat inzwischen den Status «{order.status.label}»: "
        f"«{chosen.label}» ist nicht mehr möglich."
    )


@bp.route("/bestellungen/<number>", methods=["GET", "POST"])
@kanton_required
def show(number: str):
    order = _order_or_404(number)
    # The form posts to this URL with the inbox's arguments; they lead back to its list.
    list_args = list_args_from_request()
    form = StatusForm()
    allowed = bestellungen.allowed_transitions(order)
    form.status.choices = [SelectChoice("", "– bitte wählen –")] + [
        SelectChoice(s.value, s.label) for s in allowed
    ]
    if form.validate_on_submit():
        try:
            bestellungen.change_status(
                order, OrderStatus(form.status.data), current_user, form.note.data or ""
            )
        except bestellungen.OrderError as error:
            db.session.rollback()
            form.note.errors.append(str(error))
        else:
            flash(f"Bestellung {order.number}: Status «{order.status.label}».", "success")
            return redirect(url_for("kanton_bestellungen.show", number=order.number, **list_args))
    elif form.is_submitted() and not form.csrf_token.errors:
        chosen = form.status.data
        if chosen in {s.value for s in OrderStatus} - {s.value for s in allowed}:
            # Changed meanwhile (another tab, a colleague): said at the top, also where the
            # final status leaves no form to show a message in; the note typed stays.
            flash(_changed_meanwhile(order, OrderStatus(chosen)), "error")
    return render_template(
        "kanton/bestellungen/show.html",
        order=order,
        form=form,
        list_args=list_args,
        may_change=bool(allowed),
    )


@bp.get("/bestellungen/export.<fmt>")
@kanton_required
def export(fmt: str):
    """CSV streams straight from the database. The XLSX of all orders takes too long for a
    request: it is an export job (POST to kanton_exporte.create_bestellungen)."""
    if fmt != "csv":
        abort(404)
    order_filter = filters_from_request()
    if order_filter.errors:  # the inbox names what cannot be read
        return redirect(url_for("kanton_bestellungen.index", **list_args_from_request()))
    rows = bestellungen.export_rows(order_filter)
    # Dated like the XLSX of the export jobs: downloads of two days do not overwrite each other.
    name = f"bestellungen-{deadlines.today_local().isoformat()}.csv"
    return exports.csv_response(bestellungen.EXPORT_COLUMNS, rows, name)


# --- catalogue -------------------------------------------------------------------------------


@bp.get("/katalog")
@kanton_required
def catalogue_index():
    items = db.session.scalars(
        select(CatalogueItem)
        .options(selectinload(CatalogueItem.languages), selectinload(CatalogueItem.municipality))
        .order_by(CatalogueItem.active.desc(), CatalogueItem.sort_order, CatalogueItem.name)
    )
    return render_template("kanton/bestellungen/catalogue.html", items=list(items))


@bp.route("/katalog/neu", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/katalog/<int:item_id>", methods=["GET", "POST"])
@kanton_required
def catalogue_edit(item_id: int | None):
    item = db.session.get(CatalogueItem, item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    languages = catalogue.all_languages()
    municipalities = sorted_by_name(
        db.session.scalars(select(Municipality).where(Municipality.valid_until.is_(None)))
    )
    form = CatalogueItemForm(obj=item)
    form.languages.choices = [SelectChoice(language.code, language.name) for language in languages]
    form.municipality.choices = [SelectChoice("", "– alle Gemeinden –")] + [
        SelectChoice(m.id, m.name) for m in municipalities
    ]
    if request.method == "GET":
        form.languages.data = [language.code for language in item.languages] if item else ["de"]
        form.municipality.data = item.municipality_id if item else None
        if item is None:
            form.active.data = True
    if form.validate_on_submit():
        by_code = {language.code: language for language in languages}
        data = catalogue.ItemData(
            name=form.name.data,
            category=form.category.data or "",
            description=form.description.data or "",
            max_quantity=form.max_quantity.data,
            active=form.active.data,
            languages=[by_code[code] for code in form.languages.data],
            municipality=db.session.get(Municipality, form.municipality.data)
            if form.municipality.data
            else None,
        )
        if problem := catalogue.name_problem(item, data):
            form.name.errors.append(problem)
        else:
            saved = catalogue.save_item(item, data, current_user)
            flash(f"«{saved.name}» ist gespeichert.", "success")
            return redirect(url_for("kanton_bestellungen.catalogue_index"))
    return render_template("kanton/bestellungen/catalogue_edit.html", form=form, item=item)
