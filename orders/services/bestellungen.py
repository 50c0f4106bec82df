"""Orders of welcome folders and materials: placing, status workflow, cancelling, exporting."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select, update

from orders import emails
from orders.extensions import db
from orders.formatting import ZURICH, format_date, local_time
from orders.models import (
    CatalogueItem,
    Language,
    Municipality,
    Order,
    OrderEvent,
    OrderKind,
    OrderLine,
    OrderStatus,
    User,
)
from orders.models.catalogue import WELCOME_FOLDER_NAME
from orders.models.types import utcnow
from orders.services import audit, exports
from orders.services.gemeinden import bfs_number, municipality_exists, municipality_filter_error
from orders.services.numbering import next_number
from orders.services.submissions import add_once

# Which status may follow which; anything else is refused. An order packed at once goes from
# received to shipped in one step.
TRANSITIONS = {
    OrderStatus.RECEIVED: {OrderStatus.IN_PROGRESS, OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.IN_PROGRESS: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: set(),
    OrderStatus.CANCELLED: set(),
}
NOTIFY_ORDERER = {OrderStatus.SHIPPED, OrderStatus.CANCELLED}


class OrderError(ValueError):
    """A rule of ordering was broken; the message is for the user (German)."""


@dataclass
class LineDraft:
    item: CatalogueItem | None  # None for the welcome folder
    language: Language
    quantity: int

    @property
    def name(self) -> str:
        return self.item.name if self.item else WELCOME_FOLDER_NAME


@dataclass
class OrderDraft:
    kind: OrderKind
    contact_name: str
    contact_email: str
    contact_phone: str
    delivery_recipient: str
    delivery_street: str
    delivery_zip: str
    delivery_town: str
    desired_date: date | None
    remarks: str
    lines: list[LineDraft] = field(default_factory=list)


def can_order(municipality: Municipality, today: date | None = None) -> bool:
    return municipality.is_valid_on(today or local_time(utcnow()).date())


def place_order(
    municipality: Municipality, orderer: User, draft: OrderDraft, submission_key: str
) -> str:
    """Record the order with its lines and its two mails in one transaction; its number.

    The same submission_key always gives the same order: a double click, a resent form or a
    reload creates it once. (The number, not the order: after the commit the order would be
    read again just for it.)
    """
    existing = find_submitted(submission_key, orderer)
    if existing is not None:
        return existing.number
    if not can_order(municipality):
        raise OrderError(f"{municipality.name} nimmt seit der Fusion keine Bestellungen mehr an.")
    if not draft.lines:
        raise OrderError("Bitte geben Sie mindestens eine Menge ein.")
    now = utcnow()
    order = Order(
        number=next_number("B", local_time(now).year),
        kind=draft.kind,
        status=OrderStatus.RECEIVED,
        municipality=municipality,
        ordered_by=orderer,
        submission_key=submission_key,
        contact_name=draft.contact_name.strip(),
        contact_email=draft.contact_email.strip(),
        contact_phone=draft.contact_phone.strip(),
        delivery_recipient=draft.delivery_recipient.strip(),
        delivery_street=draft.delivery_street.strip(),
        delivery_zip=draft.delivery_zip.strip(),
        delivery_town=draft.delivery_town.strip(),
        desired_date=draft.desired_date,
        remarks=draft.remarks.strip(),
        created_at=now,
        lines=[
            OrderLine(
                item=line.item, item_name=line.name, language=line.language, quantity=line.quantity
            )
            for line in draft.lines
        ],
        events=[OrderEvent(actor=orderer, status=OrderStatus.RECEIVED, at=now)],
    )
    concurrent = add_once(order, lambda: find_submitted(submission_key, orderer))
    if concurrent is not None:
        return concurrent.number
    emails.compose_order_confirmation(order)
    emails.compose_order_for_canton(order, order_csv(order))
    number = order.number
    audit.record("order.create", actor=orderer, obj=order, number=number)
    db.session.commit()
    return number


def find_submitted(submission_key: str, orderer: User) -> Order | None:
    return db.session.scalar(
        select(Order).where(
            Order.submission_key == submission_key, Order.ordered_by_id == orderer.id
        )
    )


def allowed_transitions(order: Order) -> list[OrderStatus]:
    return [status for status in OrderStatus if status in TRANSITIONS[order.status]]


def change_status(order: Order, new_status: OrderStatus, actor: User, note: str = "") -> None:
    """Move the order along its workflow; shipping and cancelling e-mail the orderer."""
    if new_status not in TRANSITIONS[order.status]:
        raise OrderError(
            f"Eine Bestellung im Status «{order.status.label}» kann nicht auf "
            f"«{new_status.label}» gesetzt werden."
        )
    note = note.strip()
    if new_status is OrderStatus.CANCELLED:
        if not note:
            raise OrderError("Bitte geben Sie einen Grund für die Stornierung an.")
        order.cancel_reason = note
    # Only from the status this request read: when the canton ships while the municipality
    # cancels, one of the two finds the order changed, and only one mail goes out.
    moved = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == order.status)
        .values(status=new_status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise OrderError(
            f"Bestellung {order.number} wurde inzwischen geändert. Bitte laden Sie die Seite neu."
        )
    order.status = new_status
    order.events.append(OrderEvent(actor=actor, status=new_status, note=note))
    if new_status in NOTIFY_ORDERER:
        emails.compose_order_status(order, new_status, note)
    audit.record(
        "order.status",
        actor=actor,
        obj=order,
        number=order.number,
        status=new_status.value,
        note=note,
    )
    db.session.commit()


def municipality_may_cancel(order: Order) -> bool:
    """Gemeinde staff may cancel as long as the canton has not started on the order."""
    return order.status is OrderStatus.RECEIVED


def cancel_by_municipality(order: Order, actor: User, reason: str) -> None:
    """Cancel for the municipality (see municipality_may_cancel); the orderer and the canton's
    order address are told (in the same transaction)."""
    if not municipality_may_cancel(order):
        raise OrderError(
            f"Diese Bestellung ist bereits «{order.status.label}» und kann nicht mehr "
            "storniert werden. Bitte wenden Sie sich an die Koordinationsstelle."
        )
    reason = reason.strip() or "durch die Gemeinde storniert"
    emails.compose_order_cancelled_for_canton(order, actor, reason)
    change_status(order, OrderStatus.CANCELLED, actor, reason)


# --- reading and exporting ------------------------------------------------------------------


@dataclass
class OrderFilter:
    status: OrderStatus | None = None
    kind: OrderKind | None = None
    bfs_nr: int | None = None
    bezirk: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    number: str | None = None
    # Argument name → German message, for a value that cannot be read (the field is then left
    # out above) or a range that cannot match; the inbox shows them and lists nothing.
    errors: dict[str, str] = field(default_factory=dict)


# The inbox's filter fields, as the list's URL and an export job carry them.
FILTER_ARGS = ("status", "art", "gemeinde", "bezirk", "von", "bis", "nummer")


def filter_values(args: Mapping[str, str]) -> dict[str, str]:
    """The filter fields that are set in the arguments, as they came (for a link back to the
    inbox with the same filters)."""
    return {name: args[name] for name in FILTER_ARGS if args.get(name)}


# The field shows nothing of a value the browser's date picker cannot read: the message names it.
INVALID_DATE = "«{}» ist kein gültiges Datum (Tag.Monat.Jahr)."
INVERTED_RANGE = "«Von» liegt nach «Bis»."


def _date_arg(value: str) -> date | None:
    """A day as a date picker sends it (2026-03-01) or as a person types it (01.03.2026)."""
    for read in (date.fromisoformat, lambda text: datetime.strptime(text, "%d.%m.%Y").date()):
        try:
            return read(value)
        except ValueError:
            continue
    return None


def filter_from_args(args: Mapping[str, str], look_up: bool = True) -> OrderFilter:
    """The inbox's filter from its URL arguments (or an export job's stored filters); what is
    not a valid value filters nothing, and is named in the filter's `errors`. `look_up` also
    checks that the municipality and Bezirk exist (a query each)."""
    status = args.get("status", "")
    kind = args.get("art", "")
    municipality = args.get("gemeinde", "")
    von, bis = args.get("von", "").strip(), args.get("bis", "").strip()
    order_filter = OrderFilter(
        status=OrderStatus(status) if status in {s.value for s in OrderStatus} else None,
        kind=OrderKind(kind) if kind in {k.value for k in OrderKind} else None,
        bfs_nr=bfs_number(municipality),
        bezirk=args.get("bezirk", "") or None,
        date_from=_date_arg(von),
        date_to=_date_arg(bis),
        number=args.get("nummer", "").strip() or None,
    )
    errors = order_filter.errors
    if status and order_filter.status is None:
        errors["status"] = "Unbekannter Status."
    if kind and order_filter.kind is None:
        errors["art"] = "Unbekannte Art."
    if municipality and order_filter.bfs_nr is None:
        errors["gemeinde"] = "Unbekannte Gemeinde."
    elif look_up and (problem := municipality_filter_error(municipality)):
        errors["gemeinde"] = problem
    bezirk = order_filter.bezirk
    if look_up and bezirk and not municipality_exists(Municipality.bezirk == bezirk):
        errors["bezirk"] = "Unbekannter Bezirk."
    if von and order_filter.date_from is None:
        errors["von"] = INVALID_DATE.format(von[:20])
    if bis and order_filter.date_to is None:
        errors["bis"] = INVALID_DATE.format(bis[:20])
    if order_filter.date_from and order_filter.date_to:
        if order_filter.date_from > order_filter.date_to:
            errors["von"] = INVERTED_RANGE
    return order_filter


def describe_filter(args: Mapping[str, str]) -> list[tuple[str, str]]:
    """The filter as a person reads it: (field, value) pairs with labels and names."""
    order_filter = filter_from_args(args, look_up=False)
    described = []
    if order_filter.number:
        described.append(("Bestellnummer", order_filter.number))
    if order_filter.status:
        described.append(("Status", order_filter.status.label))
    if order_filter.kind:
        described.append(("Art", order_filter.kind.label))
    if order_filter.bfs_nr:
        name = db.session.scalar(
            select(Municipality.name).where(Municipality.bfs_nr == order_filter.bfs_nr)
        )
        described.append(("Gemeinde", name or str(order_filter.bfs_nr)))
    if order_filter.bezirk:
        described.append(("Bezirk", order_filter.bezirk))
    if order_filter.date_from:
        described.append(("von", format_date(order_filter.date_from)))
    if order_filter.date_to:
        described.append(("bis", format_date(order_filter.date_to)))
    return described


def filtered_orders(order_filter: OrderFilter) -> Select:
    """Orders matching the filter, newest first: the canton's inbox and exports, and (with
    the municipality added) a municipality's history."""
    statement = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if order_filter.status:
        statement = statement.where(Order.status == order_filter.status)
    if order_filter.kind:
        statement = statement.where(Order.kind == order_filter.kind)
    if order_filter.bfs_nr or order_filter.bezirk:
        municipalities = select(Municipality.id)
        if order_filter.bfs_nr:
            municipalities = municipalities.where(Municipality.bfs_nr == order_filter.bfs_nr)
        if order_filter.bezirk:
            municipalities = municipalities.where(Municipality.bezirk == order_filter.bezirk)
        statement = statement.where(Order.municipality_id.in_(municipalities))
    if order_filter.date_from:
        statement = statement.where(Order.created_at >= zurich_midnight(order_filter.date_from))
    if order_filter.date_to:
        statement = statement.where(
            Order.created_at < zurich_midnight(order_filter.date_to + timedelta(days=1))
        )
    if order_filter.number:
        statement = statement.where(Order.number.ilike(f"%{order_filter.number}%"))
    return statement


# An order's lines, as the mail to the canton attaches them.
LINE_COLUMNS = [
    "Bestellnummer",
    "Datum",
    "Status",
    "Art",
    "Gemeinde",
    "BFS-Nr.",
    "Bezirk",
    "Kontakt",
    "E-Mail",
    "Telefon",
    "Empfänger",
    "Strasse",
    "PLZ",
    "Ort",
    "Liefertermin",
    "Artikel",
    "Sprache",
    "Menge",
    "Bemerkungen",
]
# The canton's export: the lines of many orders, and why an order was cancelled.
EXPORT_COLUMNS = [*LINE_COLUMNS, "Grund der Stornierung"]


def line_rows(order: Order) -> Iterator[list]:
    """One row per line of the order, in LINE_COLUMNS order."""
    municipality = order.municipality
    for line in order.lines:
        yield [
            order.number,
            order.created_at,
            order.status.label,
            order.kind.label,
            municipality.name,
            municipality.bfs_nr,
            municipality.bezirk,
            order.contact_name,
            order.contact_email,
            order.contact_phone,
            order.delivery_recipient,
            order.delivery_street,
            order.delivery_zip,
            order.delivery_town,
            order.desired_date,
            line.item_name,
            line.language.name,
            line.quantity,
            order.remarks,
        ]


def export_rows(order_filter: OrderFilter) -> Iterator[list]:
    """The canton's export: one row per order line (EXPORT_COLUMNS) of the filtered orders.

    One streamed query of the lines joined with their order, municipality and language, in the
    inbox's order: plain rows, no ORM objects, no second query per batch of orders (on
    PostgreSQL psycopg parsed each batch's 1,000-parameter IN list anew) and no grouping in
    Python; the order's part of a row is built once per order. Memory stays flat. A
    generator, so the query runs when the response is streamed.
    """
    statement = (
        filtered_orders(order_filter)
        .with_only_columns(
            Order.id,
            Order.number,
            Order.created_at,
            Order.status,
            Order.kind,
            Municipality.name,
            Municipality.bfs_nr,
            Municipality.bezirk,
            Order.contact_name,
            Order.contact_email,
            Order.contact_phone,
            Order.delivery_recipient,
            Order.delivery_street,
            Order.delivery_zip,
            Order.delivery_town,
            Order.desired_date,
            OrderLine.item_name,
            Language.name,
            OrderLine.quantity,
            Order.remarks,
            Order.cancel_reason,
        )
        .join(Municipality, Municipality.id == Order.municipality_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Language, Language.code == OrderLine.language_code)
        .order_by(OrderLine.id)  # after the inbox's newest first
        .execution_options(yield_per=EXPORT_BATCH)
    )
    order_id, head = None, []
    for row in db.session.connection().execute(statement):  # Core rows: no ORM bookkeeping
        if row[0] != order_id:
            order_id = row[0]
            head = [row[1], row[2], row[3].label, row[4].label, *row[5:16]]
        yield [*head, *row[16:]]


EXPORT_BATCH = 1000


def list_rows(statement: Select) -> Select:
    """What an order list shows, as plain rows instead of orders with their lines.

    The number of lines and pieces are counted by the database, for the rows of the page only
    (correlated subqueries run after LIMIT); no ORM object is built per order or line.
    """
    of_order = OrderLine.order_id == Order.id
    return (
        statement.with_only_columns(
            Order.id,
            Order.number,
            Order.created_at,
            Order.desired_date,
            Order.kind,
            Order.status,
            Order.contact_name,
            Municipality.name.label("municipality_name"),
            Municipality.bezirk,
            User.name.label("ordered_by_name"),
            select(func.count()).where(of_order).scalar_subquery().label("line_count"),
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .where(of_order)
            .scalar_subquery()
            .label("pieces"),
        )
        .join(Municipality, Municipality.id == Order.municipality_id)
        .join(User, User.id == Order.ordered_by_id)
    )


def order_csv(order: Order) -> bytes:
    """The order as a CSV that Excel opens with umlauts intact (UTF-8 with BOM, semicolons)."""
    return exports.csv_text(LINE_COLUMNS, line_rows(order)).encode("utf-8")


def zurich_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZURICH)
