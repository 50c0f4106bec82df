"""What municipalities can order: languages and the canton's catalogue."""

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.gemeinden import Municipality


class Language(db.Model):
    """A language documents and materials exist in (ISO 639 code, German name)."""

    __tablename__ = "languages"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=100)
    # Languages in which the canton ships ready-filled welcome folders.
    welcome_folder: Mapped[bool] = mapped_column(default=False)
    # Offered in the interpreter order form.
    interpreting: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Language {self.code}>"


catalogue_item_languages = Table(
    "catalogue_item_languages",
    db.metadata,
    Column("item_id", ForeignKey("catalogue_items.id", ondelete="CASCADE"), primary_key=True),
    Column("language_code", ForeignKey("languages.code"), primary_key=True),
)


# The welcome folder is ordered per language, not from the catalogue: its name in lines and mails.
WELCOME_FOLDER_NAME = "Abgefüllte Erstinformationsmappe"


class CatalogueItem(db.Model):
    """A brochure, flyer, register sheet, letter or supplement the canton ships."""

    __tablename__ = "catalogue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    max_quantity: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=100)
    # A municipality-specific supplement is offered to that municipality only.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))

    languages: Mapped[list[Language]] = relationship(
        secondary=catalogue_item_languages, order_by=Language.sort_order
    )
    municipality: Mapped[Municipality | None] = relationship()

    def __repr__(self) -> str:
        return f"<CatalogueItem {self.name}>"
