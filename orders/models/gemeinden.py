"""Municipalities (Einwohnergemeinden) of the canton and how they organise integration."""

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db


class Municipality(db.Model):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    bfs_nr: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    bezirk: Mapped[str] = mapped_column(String(50), index=True)
    bezirk_nr: Mapped[int]
    plz: Mapped[str] = mapped_column(String(4))
    valid_until: Mapped[date | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    participates: Mapped[bool] = mapped_column(default=True)
    # A Leitgemeinde runs integration for its member municipalities.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)

    # Contact and delivery address, maintained by the canton (prefill for orders).
    address: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")

    lead: Mapped["Municipality | None"] = relationship(
        remote_side=[id], foreign_keys=[lead_id], back_populates="members"
    )
    members: Mapped[list["Municipality"]] = relationship(
        foreign_keys=[lead_id], back_populates="lead", order_by="Municipality.name"
    )
    merged_into: Mapped["Municipality | None"] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id]
    )

    def is_valid_on(self, day: date) -> bool:
        return self.valid_until is None or day <= self.valid_until

    @property
    def is_lead(self) -> bool:
        return bool(self.members)

    @property
    def postal_town(self) -> str:
        """«PLZ Ort» as the canton keeps it, else the municipality's postcode and name."""
        return self.town or f"{self.plz} {self.name}"

    def __repr__(self) -> str:
        return f"<Municipality {self.bfs_nr} {self.name}>"
