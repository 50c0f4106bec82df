"""Export jobs: a spreadsheet too large to build within a request is built by a worker.

The canton's XLSX of all orders (100,000 orders, 250,000 rows) takes about 45 seconds to write,
longer than a web worker may take for a request. A request only records the job; a worker
(`flask exporte bearbeiten --loop`) claims it, writes the workbook and stores its bytes in the
database (StoredFile), so every application server behind the same database serves the file.
Without a worker (development, tests: EXPORTS_IN_REQUEST) the request builds the job itself,
with the same functions.

A worker claims a job for EXPORT_CLAIM_SECONDS (`claimed_until`), in one conditional UPDATE as
the mail outbox claims mails: two workers never build the same job, and the job of a worker
that died is claimed again once its claim has run out. A result is stored only while the claim
is still the worker's own. Finished jobs and their files are deleted after
EXPORT_RETENTION_HOURS.
"""

import hashlib
import json
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import LargeBinary, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from orders.extensions import db
from orders.formatting import local_time
from orders.models import ExportJob, ExportState, StoredFile, User
from orders.models.exports import ACTIVE_STATES
from orders.models.types import utcnow
from orders.services import audit, bestellungen, exports

# A filter value longer than this is cut: no real filter is, and the filters are indexed.
MAX_FILTER_LENGTH = 200
# A job whose worker died this many times (e.g. killed for its memory) is not tried again.
MAX_ATTEMPTS = 3
RECENT = 20

FAILED_MESSAGE = (
    "Die Excel-Datei konnte nicht erstellt werden. Bitte versuchen Sie es noch einmal; "
    "tritt der Fehler wieder auf, melden Sie ihn dem Support."
)
ABORTED_MESSAGE = "Die Erstellung wurde mehrmals abgebrochen und nicht wieder aufgenommen."


@dataclass(frozen=True)
class ExportKind:
    """An export that runs as a job: its columns, its rows for the stored filters."""

    title: str
    sheet_name: str
    columns: list[str]
    filter_args: tuple[str, ...]
    rows: Callable[[Mapping[str, str]], Iterator[list]]
    # The filters as a person reads them: (field, value) pairs.
    describe: Callable[[Mapping[str, str]], list[tuple[str, str]]]


KINDS = {
    "bestellungen": ExportKind(
        title="Bestellungen",
        sheet_name="Bestellungen",
        columns=bestellungen.EXPORT_COLUMNS,
        filter_args=bestellungen.FILTER_ARGS,
        rows=lambda args: bestellungen.export_rows(bestellungen.filter_from_args(args)),
        describe=bestellungen.describe_filter,
    ),
}


def normalise_filters(what: str, args: Mapping[str, str]) -> str:
    """The export's filter fields that are set, as JSON text with sorted keys: the same filters
    give the same text, whatever else the request carried (page, order of arguments)."""
    kept = {name: str(args.get(name, ""))[:MAX_FILTER_LENGTH] for name in KINDS[what].filter_args}
    return json.dumps({k: v for k, v in kept.items() if v}, sort_keys=True, ensure_ascii=False)


def filters_of(job: ExportJob) -> dict[str, str]:
    return json.loads(job.filters)


def title(job: ExportJob) -> str:
    kind = KINDS.get(job.what)
    return kind.title if kind else job.what


def filter_text(job: ExportJob) -> str:
    """The job's filters for its page and the list, e.g. "Gemeinde: Olten, Status: versandt"."""
    kind = KINDS.get(job.what)
    described = kind.describe(filters_of(job)) if kind else []
    return ", ".join(f"{name}: {value}" for name, value in described) or "alle"


# --- asking for an export -------------------------------------------------------------------


def request_export(user: User, filters: Mapping[str, str], what: str = "bestellungen") -> ExportJob:
    """The user's job for this export and these filters: a new one, or the one still waiting or
    being built (a second click on the button does not build the file twice).

    With EXPORTS_IN_REQUEST the job is built at once, here.
    """
    if what not in KINDS:
        raise ValueError(f"unknown export {what!r}")
    text = normalise_filters(what, filters)
    job = _active_job(user, what, text)
    if job is None:
        job = ExportJob(requested_by=user, what=what, filters=text, state=ExportState.PENDING)
        db.session.add(job)
        try:
            db.session.flush()
            audit.record("export.request", actor=user, obj=job, what=what, filters=json.loads(text))
            db.session.commit()
        except IntegrityError:
            # The same request, a moment earlier, in another worker (partial unique index).
            db.session.rollback()
            job = _active_job(user, what, text)
            if job is None:
                raise
    if current_app.config["EXPORTS_IN_REQUEST"] and job.state is ExportState.PENDING:
        run_job(job.id)
        db.session.refresh(job)
    return job


def _active_job(user: User, what: str, filters: str) -> ExportJob | None:
    return db.session.scalar(
        select(ExportJob).where(
            ExportJob.requested_by_id == user.id,
            ExportJob.what == what,
            ExportJob.filters == filters,
            ExportJob.state.in_(ACTIVE_STATES),
        )
    )


def job_of(user: User, job_id: int) -> ExportJob | None:
    """The user's own job; another user's job does not exist for them."""
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and job.requested_by_id == user.id else None


def recent_jobs(user: User, limit: int = RECENT) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.requested_by_id == user.id)
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
            .limit(limit)
        )
    )


# A job still waiting after this long suggests that no export worker is running.
WAITING_TOO_LONG = timedelta(minutes=2)


def waiting_too_long(job: ExportJob, now: datetime | None = None) -> bool:
    return (
        job.state is ExportState.PENDING and (now or utcnow()) - job.created_at > WAITING_TOO_LONG
    )


def filename(job: ExportJob) -> str:
    return f"{job.what}-{local_time(job.created_at).date().isoformat()}.xlsx"


# A download reads the stored file in pieces of this size: the web worker's memory stays flat.
CHUNK = 1024 * 1024


def file_size(job: ExportJob) -> int | None:
    """The built file's size in bytes; None while there is none."""
    if job.state is not ExportState.DONE or job.file_id is None:
        return None
    return db.session.scalar(select(StoredFile.size).where(StoredFile.id == job.file_id))


def file_chunks(job: ExportJob) -> Iterator[bytes]:
    """The built file, CHUNK bytes per query (SUBSTR of the stored bytes, on SQLite and
    PostgreSQL alike), never all of it in memory. A generator: run it in the response."""
    file_id, size = job.file_id, file_size(job) or 0
    for offset in range(0, size, CHUNK):
        piece = db.session.scalar(
            select(func.substr(StoredFile.data, offset + 1, CHUNK, type_=LargeBinary)).where(
                StoredFile.id == file_id
            )
        )
        if piece is None:  # deleted meanwhile (retention): the download ends short
            return
        yield piece


# --- building ---------------------------------------------------------------------------------


def _claim_duration() -> timedelta:
    return timedelta(seconds=current_app.config["EXPORT_CLAIM_SECONDS"])


def _due(now: datetime):
    """Waiting, or claimed by a worker whose claim has run out (it died or was killed)."""
    return or_(
        ExportJob.state == ExportState.PENDING,
        and_(ExportJob.state == ExportState.RUNNING, ExportJob.claimed_until < now),
    )


def claim(now: datetime | None = None, job_id: int | None = None) -> tuple[ExportJob, str] | None:
    """Claim the oldest due job (or the given one, if it is due) for this worker: the job and
    the claim's token, or None when there is nothing to do."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    due = select(ExportJob.id).where(_due(now)).order_by(ExportJob.id).limit(1)
    if job_id is not None:
        due = due.where(ExportJob.id == job_id)
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # One UPDATE statement: atomic on SQLite (one writer at a time) and, with SKIP LOCKED and
    # the condition checked again on the locked row, free of double claims on PostgreSQL.
    # "id = (subquery)", not "id IN (subquery)": PostgreSQL may run an IN subquery again for
    # every row, and then skips the rows this very UPDATE has locked and claims the next ones.
    db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == due.scalar_subquery(), _due(now))
        .values(
            state=ExportState.RUNNING,
            claimed_until=now + _claim_duration(),
            claim_token=token,
            started_at=now,
            attempts=ExportJob.attempts + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    job = db.session.scalar(select(ExportJob).where(ExportJob.claim_token == token))
    return (job, token) if job is not None else None


def run_job(job_id: int) -> bool:
    """Build this job now if it is due (the in-request path); True if this call built it."""
    claimed = claim(job_id=job_id)
    return claimed is not None and build(*claimed)


def run_due_jobs(max_jobs: int | None = None, now: datetime | None = None) -> int:
    """Claim and build due jobs one after the other; the number of jobs handled."""
    handled = 0
    while max_jobs is None or handled < max_jobs:
        claimed = claim(now)
        if claimed is None:
            break
        build(*claimed)
        handled += 1
    return handled


class ClaimLost(Exception):
    """Another worker has taken the job over: this worker's claim had run out."""


# While rows are written, the claim is looked at every this many rows.
RENEW_CHECK_ROWS = 1000


def renewing(rows: Iterator[list], job_id: int, token: str, renew_at: datetime | None = None):
    """The rows, with the claim on the job extended whenever half of it has passed, so that a
    build longer than EXPORT_CLAIM_SECONDS is not taken over by another worker. Raises
    ClaimLost when the job is no longer ours."""
    renew_at = renew_at or utcnow() + _claim_duration() / 2
    for count, row in enumerate(rows, start=1):
        if count % RENEW_CHECK_ROWS == 0 and utcnow() >= renew_at:
            renew_claim(job_id, token)
            renew_at = utcnow() + _claim_duration() / 2
        yield row


def renew_claim(job_id: int, token: str) -> None:
    """Extend the claim, in a transaction of its own on another connection: the session's
    transaction holds the query whose rows are being written."""
    with db.engine.begin() as connection:
        result = connection.execute(
            update(ExportJob)
            .where(
                ExportJob.id == job_id,
                ExportJob.claim_token == token,
                ExportJob.state == ExportState.RUNNING,
            )
            .values(claimed_until=utcnow() + _claim_duration())
        )
    if result.rowcount != 1:
        raise ClaimLost(job_id)


def build(job: ExportJob, token: str) -> bool:
    """Write the job's workbook and store it, if the claim is still ours; True when stored."""
    job_id = job.id  # the job's attributes are gone after a rollback
    if job.attempts > MAX_ATTEMPTS:
        return _finish(job_id, token, state=ExportState.FAILED, error=ABORTED_MESSAGE)
    try:
        kind = KINDS[job.what]
        rows = renewing(kind.rows(filters_of(job)), job_id, token)
        with tempfile.TemporaryFile(suffix=".xlsx") as handle:
            row_count = exports.write_xlsx(handle, kind.columns, rows, kind.sheet_name)
            handle.seek(0)
            data = handle.read()
    except ClaimLost:
        db.session.rollback()  # the other worker builds it
        return False
    except Exception as error:  # any failure must end as a failed job, not a stuck one
        db.session.rollback()
        current_app.logger.exception("export job %s failed", job_id)
        error_text = f"{type(error).__name__}: {error}"[:2000]
        _finish(job_id, token, state=ExportState.FAILED, error=error_text)
        return False
    stored = StoredFile(sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data)
    db.session.add(stored)
    db.session.flush()
    return _finish(job_id, token, state=ExportState.DONE, file_id=stored.id, row_count=row_count)


def _finish(job_id: int, token: str, **values) -> bool:
    """Record the outcome only while the claim is ours: a worker that was too slow and lost
    its job to another leaves the other's result alone (and its own file is not kept)."""
    result = db.session.execute(
        update(ExportJob)
        .where(
            ExportJob.id == job_id,
            ExportJob.claim_token == token,
            ExportJob.state == ExportState.RUNNING,
        )
        .values(finished_at=utcnow(), claimed_until=None, **values),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    db.session.expire_all()
    return values["state"] is ExportState.DONE


# --- clean-up ---------------------------------------------------------------------------------


def purge_expired(now: datetime | None = None) -> int:
    """Delete finished jobs and their files after EXPORT_RETENTION_HOURS: the files hold
    personal data (contacts, addresses) that the portal keeps in the orders anyway."""
    cutoff = (now or utcnow()) - timedelta(hours=current_app.config["EXPORT_RETENTION_HOURS"])
    expired = db.session.execute(
        select(ExportJob.id, ExportJob.file_id).where(
            ExportJob.state.in_((ExportState.DONE, ExportState.FAILED)),
            ExportJob.finished_at < cutoff,
        )
    ).all()
    if not expired:
        return 0
    db.session.execute(delete(ExportJob).where(ExportJob.id.in_([row.id for row in expired])))
    file_ids = [row.file_id for row in expired if row.file_id is not None]
    if file_ids:
        db.session.execute(delete(StoredFile).where(StoredFile.id.in_(file_ids)))
    db.session.commit()
    return len(expired)
