"""Back office: upload documents and their language versions, move, hide; send infomails."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from orders.emails import portal_url
from orders.extensions import db
from orders.formatting import format_date, format_people
from orders.forms.dokumente import DocumentFields, InfomailForm, NewDocumentForm, VersionForm
from orders.models import Chapter, Document, Language, NetworkMeeting
from orders.services import catalogue, dokumente, infomails
from orders.services.uploads import (
    ACCEPT_ATTRIBUTE,
    MAX_UPLOAD_BYTES,
    CheckedFile,
    UploadError,
    check_upload,
)
from orders.views import record_id
from orders.views.kanton import kanton_required
from orders.views.kanton.gemeinden import bezirke

bp = Blueprint("kanton_dokumente", __name__, url_prefix="/kanton")


def _chapter_choices() -> list[SelectChoice]:
    return [SelectChoice("", "– bitte wählen –")] + [
        SelectChoice(c.id, c.label if c.parent_id is None else f"– {c.label}")
        for c in dokumente.chapters_in_order()
    ]


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice("", "– bitte wählen –")] + [
        SelectChoice(language.code, language.name) for language in catalogue.all_languages()
    ]


def _checked_file(form) -> CheckedFile | None:
    """The uploaded file if it passes the checks; else None with the reason beside the field."""
    storage = form.file.data
    data = storage.read(MAX_UPLOAD_BYTES + 1)
    try:
        return check_upload(storage.filename or "", data)
    except UploadError as error:
        form.file.errors = [*form.file.errors, str(error)]
        return None


def document_or_404(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    return document


@bp.get("/dokumente")
@kanton_required
def index():
    documents = dokumente.find(dokumente.Search(include_hidden=True))
    return render_template(
        "kanton/dokumente/index.html",
        groups=dokumente.by_chapter(documents),
        count=len(documents),
    )


@bp.route("/dokumente/neu", methods=["GET", "POST"])
@kanton_required
def new():
    form = NewDocumentForm()
    form.chapter.choices = _chapter_choices()
    form.language.choices = _language_choices()
    chapter_id = record_id(request.args.get("kapitel", ""))
    if request.method == "GET" and chapter_id is not None:
        form.chapter.data = chapter_id
    if form.validate_on_submit():
        checked = _checked_file(form)
        if checked is not None:
            document = dokumente.create_document(
                _document_data(form),
                db.session.get(Language, form.language.data),
                checked,
                current_user,
            )
            flash(f"«{document.title}» ist in der Bibliothek.", "success")
            return redirect(url_for("kanton_dokumente.edit", document_id=document.id), 303)
    return render_template("kanton/dokumente/new.html", form=form, accept=ACCEPT_ATTRIBUTE)


def _document_data(form: DocumentFields) -> dokumente.DocumentData:
    return dokumente.DocumentData(
        title=form.title.data,
        description=form.description.data or "",
        chapter=db.session.get(Chapter, form.chapter.data),
    )


def _version_form() -> VersionForm:
    form = VersionForm(prefix="version")
    form.language.choices = _language_choices()
    return form


def _edit_page(document: Document, form: DocumentFields, version_form: VersionForm):
    return render_template(
        "kanton/dokumente/edit.html",
        document=document,
        form=form,
        version_form=version_form,
        accept=ACCEPT_ATTRIBUTE,
    )


@bp.route("/dokumente/<int:document_id>", methods=["GET", "POST"])
@kanton_required
def edit(document_id: int):
    document = document_or_404(document_id)
    form = DocumentFields(obj=document)
    form.chapter.choices = _chapter_choices()
    if request.method == "GET":
        form.chapter.data = document.chapter_id
    if form.validate_on_submit():
        dokumente.update_document(document, _document_data(form), current_user)
        flash("Die Angaben sind gespeichert.", "success")
        return redirect(url_for("kanton_dokumente.edit", document_id=document.id), 303)
    return _edit_page(document, form, _version_form())


@bp.post("/dokumente/<int:document_id>/versionen")
@kanton_required
def add_version(document_id: int):
    document = document_or_404(document_id)
    version_form = _version_form()
    if version_form.validate_on_submit():
        checked = _checked_file(version_form)
        if checked is not None:
            language = db.session.get(Language, version_form.language.data)
            dokumente.add_version(document, language, checked, current_user)
            flash(f"Die Fassung «{language.name}» ist gespeichert.", "success")
            return redirect(url_for("kanton_dokumente.edit", document_id=document.id), 303)
    form = DocumentFields(obj=document)
    form.chapter.choices = _chapter_choices()
    form.chapter.data = document.chapter_id
    return _edit_page(document, form, version_form), 422


@bp.post("/dokumente/<int:document_id>/verbergen")
@kanton_required
def hide(document_id: int):
    document = document_or_404(document_id)
    dokumente.set_hidden(document, True, current_user)
    flash(f"«{document.title}» ist verborgen: Gemeinden sehen es nicht mehr.", "success")
    return redirect(url_for("kanton_dokumente.edit", document_id=document.id), 303)


@bp.post("/dokumente/<int:document_id>/anzeigen")
@kanton_required
def unhide(document_id: int):
    document = document_or_404(document_id)
    dokumente.set_hidden(document, False, current_user)
    flash(f"«{document.title}» ist wieder für die Gemeinden sichtbar.", "success")
    return redirect(url_for("kanton_dokumente.edit", document_id=document.id), 303)


def _invitation(meeting_id: int | None) -> dict:
    """An infomail inviting to a network meeting (?treffen=<id>), to the Bezirke invited:
    subject, text and audience proposed, for the canton to adapt before sending."""
    meeting = db.session.get(NetworkMeeting, meeting_id) if meeting_id is not None else None
    if meeting is None:
        return {}
    return {
        "subject": f"Einladung: {meeting.title}, {format_date(meeting.day)}",
        "body": render_template(
            "kanton/vernetzung/invitation.txt",
            meeting=meeting,
            link=portal_url("vernetzung.show", meeting_id=meeting.id),
        ),
        "audience": "bezirke" if meeting.bezirke else "alle",
        "bezirke": meeting.bezirke,
    }


@bp.route("/infomails/neu", methods=["GET", "POST"])
@kanton_required
def infomail_new():
    """Write, check (with the number of recipients), then send."""
    if request.method == "GET":
        meeting_id = record_id(request.args.get("treffen", ""))
        form = InfomailForm(data={"submission_key": uuid.uuid4().hex, **_invitation(meeting_id)})
    else:
        form = InfomailForm()
    form.bezirke.choices = [SelectChoice(b, b) for b in bezirke()]
    visible = db.session.scalars(
        select(Document).where(Document.hidden.is_(False)).order_by(Document.title)
    ).all()
    form.documents.choices = [SelectChoice(str(d.id), d.title) for d in visible]
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    action = request.form.get("action", "check")
    if request.method == "GET" or action == "edit" or not form.validate_on_submit():
        return render_template(
            "kanton/dokumente/infomail_new.html",
            form=form,
            everyone=len(infomails.recipients([])),
        )
    chosen_bezirke = form.chosen_bezirke
    chosen = set(form.documents.data or [])
    documents = [d for d in visible if str(d.id) in chosen]
    if action != "send":
        return render_template(
            "kanton/dokumente/infomail_check.html",
            form=form,
            bezirke=chosen_bezirke,
            documents=documents,
            recipients=infomails.recipients(chosen_bezirke),
        )
    sent = infomails.send(
        subject=form.subject.data,
        body=form.body.data,
        bezirke=chosen_bezirke,
        documents=documents,
        sender=current_user,
        submission_key=form.submission_key.data,
    )
    people = format_people(sent.recipient_count)
    flash(f"Die Infomail «{sent.subject}» ist an {people} im Postausgang.", "success")
    return redirect(url_for("dokumente.infomail", infomail_id=sent.id), 303)
