"""The document library: chapters, documents and their language versions, search, visits."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from orders.extensions import db
from orders.models import (
    Chapter,
    Document,
    DocumentVersion,
    DocumentVisit,
    Language,
    StoredFile,
    User,
)
from orders.models.types import utcnow
from orders.services import audit
from orders.services.uploads import CheckedFile

# The working folder's chapters: (key, number, title, parent key).
CHAPTERS = [
    ("informieren", "1", "Informieren", None),
    ("1.1", "1.1", "Anmeldung", "informieren"),
    ("1.2", "1.2", "Erstinfomappe", "informieren"),
    ("1.3", "1.3", "Vorbereitung Erstinfogespräch", "informieren"),
    ("1.4", "1.4", "Durchführung Erstinfogespräch", "informieren"),
    ("1.5", "1.5", "Aufbewahrung der Dokumente", "informieren"),
    ("1.6", "1.6", "Berichterstattung und finanzielle Beiträge", "informieren"),
    ("1.7", "1.7", "Kantonale Dienstleistungen", "informieren"),
    ("1.8", "1.8", "Unterlagen Einführungskurs", "informieren"),
    ("foerdern", "2", "Fördern", None),
    ("2.2-1", "2.2", "Schritt 1: Ausgangslage erheben", "foerdern"),
    ("2.2-2", "2.2", "Schritt 2: Ziele und Massnahmen definieren", "foerdern"),
    ("fordern", "3", "Fordern", None),
    ("3.3-1", "3.3", "Schritt 1–2: Vorprüfen und Vorbereiten", "fordern"),
    ("3.3-3", "3.3", "Schritt 3: Vereinbaren", "fordern"),
    ("3.3-4", "3.3", "Schritt 4: Weiterleiten", "fordern"),
    ("3.4", "3.4", "Unterlagen Einführung Fordern", "fordern"),
    ("sanktionieren", "4", "Sanktionieren", None),
    ("berichterstattung", "5", "Berichterstattung", None),
]
# A visit ends after this long without looking at the library; the next one starts anew.
VISIT_GAP = timedelta(minutes=30)
# On a first visit, what changed in this period counts as new.
FIRST_VISIT_NEW = timedelta(days=30)


def seed_chapters() -> int:
    """Create the working folder's chapters that are missing (idempotent). Returns how many."""
    existing = {c.key: c for c in db.session.scalars(select(Chapter))}
    created = 0
    for position, (key, number, title, parent_key) in enumerate(CHAPTERS):
        if key in existing:
            continue
        chapter = Chapter(
            key=key,
            number=number,
            title=title,
            parent=existing.get(parent_key) if parent_key else None,
            sort_order=position * 10,
        )
        db.session.add(chapter)
        existing[key] = chapter
        created += 1
    db.session.commit()
    return created


def chapter_tree() -> list[Chapter]:
    """The top chapters, each with its children loaded."""
    return list(
        db.session.scalars(
            select(Chapter)
            .where(Chapter.parent_id.is_(None))
            .options(selectinload(Chapter.children))
            .order_by(Chapter.sort_order)
        )
    )


def chapters_in_order() -> list[Chapter]:
    """Every chapter, each top chapter followed by its children."""
    ordered = []
    for top in chapter_tree():
        ordered.append(top)
        ordered.extend(top.children)
    return ordered


def languages_in_use(include_hidden: bool = False) -> list[Language]:
    """The languages that at least one current version exists in, by name."""
    statement = (
        select(Language)
        .where(
            exists().where(
                DocumentVersion.language_code == Language.code,
                DocumentVersion.superseded_at.is_(None),
                DocumentVersion.document_id == Document.id,
                *([] if include_hidden else [Document.hidden.is_(False)]),
            )
        )
        .order_by(Language.sort_order)
    )
    return list(db.session.scalars(statement))


def search_key(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class Search:
    words: str = ""
    chapter_id: int | None = None
    language_code: str | None = None
    include_hidden: bool = False


def search_statement(search: Search) -> Select:
    """The documents matching every word (in title, description or chapter title, any case),
    in the chapter or one of its sub-chapters, with a current version in the language."""
    statement = select(Document).options(
        selectinload(Document.chapter),
        selectinload(Document.versions).selectinload(DocumentVersion.language),
    )
    if not search.include_hidden:
        statement = statement.where(Document.hidden.is_(False))
    for word in search_key(search.words).split():
        # A word may name the chapter instead («Erstinfogespräch», «Weiterleiten»): its
        # documents and those of its sub-chapters match.
        named = select(Chapter.id).where(func.lower(Chapter.title).contains(word, autoescape=True))
        in_named_chapter = select(Chapter.id).where(
            or_(Chapter.id.in_(named), Chapter.parent_id.in_(named))
        )
        statement = statement.where(
            or_(
                Document.search_text.contains(word, autoescape=True),
                Document.chapter_id.in_(in_named_chapter),
            )
        )
    if search.chapter_id is not None:
        statement = statement.where(
            or_(
                Document.chapter_id == search.chapter_id,
                Document.chapter_id.in_(
                    select(Chapter.id).where(Chapter.parent_id == search.chapter_id)
                ),
            )
        )
    if search.language_code:
        statement = statement.where(
            exists().where(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.language_code == search.language_code,
                DocumentVersion.superseded_at.is_(None),
            )
        )
    return statement.order_by(Document.title)


def find(search: Search) -> list[Document]:
    return list(db.session.scalars(search_statement(search)))


def by_chapter(documents: list[Document]) -> list[tuple[Chapter, list[Document]]]:
    """The documents grouped by chapter, in the working folder's order; empty chapters left out."""
    grouped: dict[int, list[Document]] = {}
    for document in documents:
        grouped.setdefault(document.chapter_id, []).append(document)
    return [(c, grouped[c.id]) for c in chapters_in_order() if c.id in grouped]


def _store(checked: CheckedFile) -> StoredFile:
    """The stored bytes; an identical file already stored is reused."""
    digest = checked.sha256
    for candidate in db.session.scalars(
        select(StoredFile).where(StoredFile.sha256 == digest, StoredFile.size == checked.size)
    ):
        return candidate
    stored = StoredFile(sha256=digest, size=checked.size, data=checked.data)
    db.session.add(stored)
    return stored


@dataclass
class DocumentData:
    title: str
    description: str
    chapter: Chapter


def _describe(document: Document, data: DocumentData) -> None:
    """Title, description and chapter as entered, and the search text that follows from them."""
    document.title = data.title.strip()
    document.description = data.description.strip()
    document.chapter = data.chapter
    document.search_text = search_key(f"{document.title} {document.description}")


def create_document(
    data: DocumentData, language: Language, checked: CheckedFile, actor: User | None
) -> Document:
    """A new document with its first language version."""
    document = Document()
    _describe(document, data)
    db.session.add(document)
    db.session.flush()
    version = _add_version(document, language, checked, actor)
    audit.record(
        "document.create",
        actor=actor,
        obj=document,
        title=document.title,
        chapter=data.chapter.label,
        language=language.code,
        filename=version.filename,
    )
    db.session.commit()
    return document


def update_document(document: Document, data: DocumentData, actor: User) -> None:
    """Change title, description or chapter (moving the document)."""
    before = {"title": document.title, "chapter": document.chapter.label}
    _describe(document, data)
    audit.record(
        "document.update",
        actor=actor,
        obj=document,
        before=before,
        after={"title": document.title, "chapter": data.chapter.label},
    )
    db.session.commit()


def add_version(
    document: Document, language: Language, checked: CheckedFile, actor: User | None
) -> DocumentVersion:
    """Add a language version; an existing version in that language is replaced and kept in
    the history."""
    replaced = any(
        v.language_code == language.code and v.superseded_at is None for v in document.versions
    )
    version = _add_version(document, language, checked, actor)
    audit.record(
        "document.version",
        actor=actor,
        obj=document,
        language=language.code,
        filename=version.filename,
        replaced=replaced,
    )
    db.session.commit()
    return version


def _add_version(
    document: Document, language: Language, checked: CheckedFile, actor: User | None
) -> DocumentVersion:
    now = utcnow()
    stored = _store(checked)
    earlier = list(document.versions)
    version = DocumentVersion(
        language=language,
        filename=checked.filename,
        content_type=checked.file_type.content_type,
        format=checked.file_type.label,
        size=checked.size,
        sha256=checked.sha256,
        file=stored,
        uploaded_at=now,
        uploaded_by=actor,
    )
    document.versions.append(version)
    for previous in earlier:
        if previous.language_code == language.code and previous.superseded_at is None:
            previous.superseded_at = now
            previous.replaced_by = version
    document.updated_at = now
    db.session.flush()
    return version


def set_hidden(document: Document, hidden: bool, actor: User) -> None:
    document.hidden = hidden
    audit.record("document.hide" if hidden else "document.show", actor=actor, obj=document)
    db.session.commit()


def visible_document_or_none(document_id: int, user: User) -> Document | None:
    """The document if the user may see it: hidden ones only for canton staff."""
    document = db.session.get(Document, document_id)
    if document is None or (document.hidden and not user.is_kanton):
        return None
    return document


def downloadable_version_or_none(version_id: int, user: User) -> DocumentVersion | None:
    """The version if the user may download it: Gemeinde staff get the current versions of
    visible documents; the history of replaced files is for canton staff."""
    version = db.session.get(DocumentVersion, version_id)
    if version is None or user.is_kanton:
        return version
    if version.document.hidden or version.superseded_at is not None:
        return None
    return version


def document_of_replaced_file(version_id: int, user: User) -> Document | None:
    """The document whose file this was before it was replaced, if the user may see it: a
    link kept from an earlier mail or bookmark leads to the document and its current file."""
    version = db.session.get(DocumentVersion, version_id)
    if version is None or version.superseded_at is None:
        return None
    return visible_document_or_none(version.document_id, user)


def _first_visit(user: User, now: datetime) -> DocumentVisit:
    """The user's visit row, made now; two first requests at once make it once."""
    try:
        with db.session.begin_nested():
            visit = DocumentVisit(
                user_id=user.id, last_seen_at=now, new_since=now - FIRST_VISIT_NEW
            )
            db.session.add(visit)
        return visit
    except IntegrityError:
        return db.session.get(DocumentVisit, user.id, populate_existing=True)


def record_visit(user: User, now: datetime | None = None) -> datetime:
    """Note that the user looks at the library; returns the moment after which documents count
    as new for them. A visit lasts while pages follow each other within VISIT_GAP, so the marker
    stays while the user browses and filters."""
    now = now or utcnow()
    visit = db.session.get(DocumentVisit, user.id)
    if visit is None:
        visit = _first_visit(user, now)
    elif now - visit.last_seen_at > VISIT_GAP:
        visit.new_since = visit.last_seen_at
    visit.last_seen_at = now
    new_since = visit.new_since
    db.session.commit()
    return new_since
