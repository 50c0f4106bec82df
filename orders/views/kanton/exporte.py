"""Back office: export jobs. The order XLSX is asked for here and downloaded once it is built."""

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from orders.models import ExportJob
from orders.services import bestellungen, export_jobs, exports
from orders.views.kanton import kanton_required

bp = Blueprint("kanton_exporte", __name__, url_prefix="/kanton/exporte")


def _own_job_or_404(job_id: int) -> ExportJob:
    job = export_jobs.job_of(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("")
@kanton_required
def index():
    return render_template(
        "kanton/exporte/index.html",
        jobs=[
            (job, export_jobs.title(job), export_jobs.filter_text(job))
            for job in export_jobs.recent_jobs(current_user)
        ],
    )


@bp.post("/bestellungen")
@kanton_required
def create_bestellungen():
    """The inbox's "Export Excel": the filters come as form fields (CSRF-protected POST). A
    filter that cannot be read exports nothing: the inbox says what is wrong with it."""
    if bestellungen.filter_from_args(request.form).errors:
        filters = bestellungen.filter_values(request.form)
        return redirect(url_for("kanton_bestellungen.index", **filters), code=303)
    job = export_jobs.request_export(current_user, request.form, "bestellungen")
    return redirect(url_for("kanton_exporte.show", job_id=job.id), code=303)


@bp.get("/<int:job_id>")
@kanton_required
def show(job_id: int):
    job = _own_job_or_404(job_id)
    return render_template(
        "kanton/exporte/show.html",
        job=job,
        title=export_jobs.title(job),
        filters=export_jobs.filters_of(job),
        filter_text=export_jobs.filter_text(job),
        failed_message=export_jobs.FAILED_MESSAGE,
        waiting_too_long=export_jobs.waiting_too_long(job),
    )


@bp.get("/<int:job_id>/datei")
@kanton_required
def download(job_id: int):
    job = _own_job_or_404(job_id)
    size = export_jobs.file_size(job)
    if size is None:
        abort(404)
    return Response(
        stream_with_context(export_jobs.file_chunks(job)),
        mimetype=exports.XLSX_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{export_jobs.filename(job)}"',
            "Content-Length": str(size),
        },
    )
