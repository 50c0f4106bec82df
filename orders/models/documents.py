"""The document library of the closed user group and the canton's infomails."""

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db
from orders.models.catalogue import Language
from orders.models.types import UTCDateTime, utcnow
from orders.models.users import User


class Chapter(db.Model):
    """A chapter of the working folder (Informieren 1.1-1.8, Fördern, Fordern, ...)."""

    __tablename__ = "document_chapters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable name for seeding; the number shown ("1.3") may repeat across steps.
    key: Mapped[str] = mapped_column(String(50), unique=True)
    number: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("document_chapters.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=100)

    parent: Mapped["Chapter | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Chapter"]] = relationship(
        back_populates="parent", order_by="Chapter.sort_order"
    )

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def __repr__(self) -> str:
        return f"<Chapter {self.key}>"


class StoredFile(db.Model):
    """The bytes of an uploaded file, kept in the database so that every application server
    behind the same database serves the same files with nothing else to set up."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    # Deferred: lists of documents never load the bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(db.Model):
    """A document of the working folder; its files are its language versions."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    chapter_id: Mapped[int] = mapped_column(ForeignKey("document_chapters.id"), index=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    # Title and description folded to lower case, so that search finds "Übersicht" by
    # "übersicht" on SQLite too (its LOWER() knows ASCII only).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Changes when a version is added or replaced: drives the "Neu" marker.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    chapter: Mapped[Chapter] = relationship()
    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.uploaded_at",
        cascade="all, delete-orphan",
    )

    @property
    def current_versions(self) -> list["DocumentVersion"]:
        """One version per language, the latest; sorted like the languages."""
        current = [v for v in self.versions if v.superseded_at is None]
        return sorted(current, key=lambda v: (v.language.sort_order, v.language.name))

    @property
    def superseded_versions(self) -> list["DocumentVersion"]:
        return sorted(
            (v for v in self.versions if v.superseded_at is not None),
            key=lambda v: v.superseded_at,
            reverse=True,
        )

    def __repr__(self) -> str:
        return f"<Document {self.title}>"


class DocumentVersion(db.Model):
    """One language version of a document: one uploaded file. A replaced version stays in the
    history (superseded_at, replaced_by)."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))

    document: Mapped[Document] = relationship(back_populates="versions")
    language: Mapped[Language] = relationship()
    file: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    replaced_by: Mapped["DocumentVersion | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<DocumentVersion {self.document_id} {self.language_code}>"


class DocumentVisit(db.Model):
    """When a user last looked at the library, for the "new since your last visit" marker."""

    __tablename__ = "document_visits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The latest page view of the library.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The end of the previous visit: documents changed after it are marked "Neu".
    new_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


infomail_documents = Table(
    "infomail_documents",
    db.metadata,
    Column("infomail_id", ForeignKey("infomails.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
)


class Infomail(db.Model):
    """A message of the canton to municipal integration staff, kept as an archive."""

    __tablename__ = "infomails"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Empty: all Bezirke.
    bezirke: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient_count: Mapped[int] = mapped_column(default=0)
    # One infomail per submitted form: a form sent twice does not mail everyone twice.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    sender: Mapped[User | None] = relationship()
    documents: Mapped[list[Document]] = relationship(
        secondary=infomail_documents, order_by=Document.title
    )

    def __repr__(self) -> str:
        return f"<Infomail {self.id} {self.subject}>"
