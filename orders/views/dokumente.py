"""The document library and the infomail archive, for everyone logged in."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from orders.extensions import db
from orders.models import Chapter, Infomail, Language
from orders.services import dokumente, infomails
from orders.services.uploads import MAX_UPLOAD_BYTES
from orders.views import record_id

bp = Blueprint("dokumente", __name__)


def format_filesize(size: int | None) -> str:
    """de-CH file sizes: 930 Bytes, 245 kB, 1.4 MB."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} Bytes"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    return f"{size / (1024 * 1024):.1f} MB"


bp.add_app_template_filter(format_filesize, "filesize")


@bp.app_errorhandler(413)
def upload_too_large(_error):
    """A request larger than MAX_CONTENT_LENGTH: say so in German instead of a bare error."""
    return render_template(
        "errors/error.html",
        code=413,
        title="Datei zu gross",
        message=(
            f"Die Datei ist zu gross: höchstens {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
            "Bitte gehen Sie zurück und wählen Sie eine kleinere Datei."
        ),
    ), 413


def _search_from_request(include_hidden: bool = False) -> dokumente.Search:
    chapter = request.args.get("kapitel", "")
    language = request.args.get("sprache", "")
    return dokumente.Search(
        words=request.args.get("q", "")[:200],
        chapter_id=record_id(chapter),
        language_code=language if db.session.get(Language, language[:10]) else None,
        include_hidden=include_hidden,
    )


@bp.get("/dokumente")
@login_required
def index():
    search = _search_from_request()
    documents = dokumente.find(search)
    new_since = dokumente.record_visit(current_user)
    return render_template(
        "dokumente/index.html",
        groups=dokumente.by_chapter(documents),
        count=len(documents),
        search=search,
        chapters=dokumente.chapters_in_order(),
        languages=dokumente.languages_in_use(),
        chosen_language=db.session.get(Language, search.language_code)
        if search.language_code
        else None,
        chosen_chapter=db.session.get(Chapter, search.chapter_id) if search.chapter_id else None,
        new_since=new_since,
    )


@bp.get("/dokumente/<int:document_id>")
@login_required
def show(document_id: int):
    document = dokumente.visible_document_or_none(document_id, current_user)
    if document is None:
        abort(404)
    return render_template("dokumente/show.html", document=document)


@bp.get("/dokumente/datei/<int:version_id>")
@login_required
def download(version_id: int):
    """The file, from the database, as a download (never shown inline: an uploaded image or
    PDF does not run in the portal's origin)."""
    version = dokumente.downloadable_version_or_none(version_id, current_user)
    if version is None:
        document = dokumente.document_of_replaced_file(version_id, current_user) or abort(404)
        flash("Diese Datei ist durch eine neuere Fassung ersetzt; hier finden Sie sie.", "info")
        return redirect(url_for("dokumente.show", document_id=document.id))
    response = send_file(
        io.BytesIO(version.file.data),
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/infomails")
@login_required
def infomail_index():
    return render_template(
        "dokumente/infomails.html", infomails=infomails.visible_infomails(current_user)
    )


@bp.get("/infomails/<int:infomail_id>")
@login_required
def infomail(infomail_id: int):
    found = db.session.get(Infomail, infomail_id)
    if found is None or not infomails.visible_to(found, current_user):
        abort(404)
    documents = [d for d in found.documents if not d.hidden or current_user.is_kanton]
    return render_template("dokumente/infomail.html", infomail=found, documents=documents)
