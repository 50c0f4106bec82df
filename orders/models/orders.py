"""Orders of welcome folders and materials, with their lines and status history."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.catalogue import CatalogueItem, Language
from orders.models.gemeinden import Municipality
from orders.models.types import UTCDateTime, utcnow, value_enum
from orders.models.users import User


class OrderKind(enum.StrEnum):
    WELCOME_FOLDER = "mappen"
    MATERIALS = "material"

    @property
    def label(self) -> str:
        return {"mappen": "Erstinformationsmappen", "material": "Materialien"}[self.value]


class OrderStatus(enum.StrEnum):
    RECEIVED = "eingegangen"
    IN_PROGRESS = "in_bearbeitung"
    SHIPPED = "versandt"
    CANCELLED = "storniert"

    @property
    def label(self) -> str:
        return {
            "eingegangen": "eingegangen",
            "in_bearbeitung": "in Bearbeitung",
            "versandt": "versandt",
            "storniert": "storniert",
        }[self.value]

    @property
    def is_open(self) -> bool:
        """Still to be shipped: received or being prepared."""
        return self in (OrderStatus.RECEIVED, OrderStatus.IN_PROGRESS)


class NumberSequence(db.Model):
    """Per prefix and year, the last number handed out (B-2026-00042)."""

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(5))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_municipality_created", "municipality_id", "created_at"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[OrderKind] = mapped_column(value_enum(OrderKind))
    status: Mapped[OrderStatus] = mapped_column(
        value_enum(OrderStatus), default=OrderStatus.RECEIVED
    )
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    ordered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The form's one-time key: a double click or a resent form finds the order made already.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)

    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    delivery_recipient: Mapped[str] = mapped_column(String(200))
    delivery_street: Mapped[str] = mapped_column(String(200))
    delivery_zip: Mapped[str] = mapped_column(String(4))
    delivery_town: Mapped[str] = mapped_column(String(100))
    desired_date: Mapped[date | None]
    remarks: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    municipality: Mapped[Municipality] = relationship()
    ordered_by: Mapped[User] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def __repr__(self) -> str:
        return f"<Order {self.number}>"


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"))
    # The name as ordered: renaming or deactivating an item later does not change old orders.
    item_name: Mapped[str] = mapped_column(String(200))
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"))
    quantity: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")
    item: Mapped[CatalogueItem | None] = relationship()
    language: Mapped[Language] = relationship()


class OrderEvent(db.Model):
    """One step of an order's history: who changed its status when, and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[OrderStatus] = mapped_column(value_enum(OrderStatus))
    note: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
