"""The canton's order XLSX is an export job: asked for with a POST, built in the request (no
worker: EXPORTS_IN_REQUEST) or by `flask exporte bearbeiten`, downloaded from the job's page,
the requester's own only, deleted after EXPORT_RETENTION_HOURS."""

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from orders.extensions import db
from orders.models import AuditEvent, ExportJob, ExportState, Municipality, Order, StoredFile
from orders.models.types import utcnow
from orders.services import export_jobs
from tests.conftest import csrf_token, log_in, make_user
from tests.test_bestellungen import submit
from tests.test_kanton_bestellungen import count_queries, place_orders

INBOX = "/kanton/bestellungen"
CREATE = "/kanton/exporte/bestellungen"
JOB_URL = re.compile(r"/kanton/exporte/(\d+)$")


def request_export(client, **filters):
    """Press "Export Excel" on the inbox shown with these filters."""
    token = csrf_token(client, INBOX + ("?" + "&".join(f"{k}={v}" for k, v in filters.items())))
    return client.post(CREATE, data={"csrf_token": token, **filters})


def job_id_of(response) -> int:
    assert response.status_code == 303, response.status_code
    match = JOB_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def read_xlsx(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Bestellungen"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def worker_mode(app):
    """Production's setting: the request only records the job, a worker builds it."""
    app.config["EXPORTS_IN_REQUEST"] = False
    return app


def test_canton_downloads_the_filtered_orders_as_xlsx(app, canton):
    place_orders(app, 2)  # Olten, four lines each
    place_orders(app, 1, bfs_nr=2546)  # Grenchen
    olten = set(
        db.session.scalars(
            select(Order.number).join(Municipality).where(Municipality.bfs_nr == 2581)
        )
    )
    assert len(olten) == 2

    inbox = canton.get(INBOX + "?gemeinde=2581&seite=1").get_data(as_text=True)
    assert f'action="{CREATE}"' in inbox and 'method="post"' in inbox
    assert '<input type="hidden" name="gemeinde" value="2581">' in inbox
    assert 'name="seite"' not in inbox  # paging is no filter

    job_id = job_id_of(request_export(canton, gemeinde="2581"))
    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "Die Excel-Datei ist bereit: 8 Zeilen." in page
    assert 'http-equiv="refresh"' not in page
    assert "Filter</dt><dd>Gemeinde: Olten</dd>" in page

    response = canton.get(f"/kanton/exporte/{job_id}/datei")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    today = export_jobs.local_time(utcnow()).date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="bestellungen-{today}.xlsx"'
    )
    rows = read_xlsx(response.get_data())
    assert rows[0] == export_jobs.KINDS["bestellungen"].columns
    assert len(rows) == 1 + 2 * 4
    assert {row[0] for row in rows[1:]} == olten
    assert {row[4] for row in rows[1:]} == {"Olten"}
    assert ["Abgefüllte Erstinformationsmappe", "Französisch", 5] in [r[15:18] for r in rows]

    in_progress = job_id_of(
        request_export(canton, status="in_bearbeitung", von="2026-01-31", bezirk="Olten")
    )
    assert "Status: in Bearbeitung, Bezirk: Olten, von: 31.01.2026" in canton.get(
        f"/kanton/exporte/{in_progress}"
    ).get_data(as_text=True)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "export.request").order_by(AuditEvent.id)
    )
    assert (event.object_type, event.object_id) == ("ExportJob", job_id)
    assert event.detail["filters"] == {"gemeinde": "2581"}
    listing = canton.get("/kanton/exporte").get_data(as_text=True)
    assert f'href="/kanton/exporte/{job_id}"' in listing and "bereit" in listing


def test_the_download_reads_the_stored_file_in_pieces(app, canton, monkeypatch):
    place_orders(app, 2)
    job_id = job_id_of(request_export(canton))
    stored = db.session.get(StoredFile, db.session.get(ExportJob, job_id).file_id)
    monkeypatch.setattr(export_jobs, "CHUNK", 1000)  # a few kB: several pieces and a short one
    assert stored.size > 3 * 1000 and stored.size % 1000
    with count_queries() as statements:
        response = canton.get(f"/kanton/exporte/{job_id}/datei")
        data = response.get_data()
    assert response.headers["Content-Length"] == str(stored.size)
    assert data == stored.data
    assert len([s for s in statements if "substr" in s.lower()]) == -(-stored.size // 1000)


def test_an_export_without_matches_has_the_header_only(app, canton):
    place_orders(app, 1)
    job_id = job_id_of(request_export(canton, gemeinde="2546"))
    assert "bereit: 0 Zeilen" in canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    rows = read_xlsx(canton.get(f"/kanton/exporte/{job_id}/datei").get_data())
    assert rows == [export_jobs.KINDS["bestellungen"].columns]


def test_the_worker_builds_the_job_the_request_recorded(worker_mode, canton):
    place_orders(worker_mode, 2)
    job_id = job_id_of(request_export(canton, art="material"))
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.PENDING and job.file_id is None
    assert export_jobs.filters_of(job) == {"art": "material"}

    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "Die Excel-Datei wird erstellt …" in page
    assert "<dt>Filter</dt><dd>Art: Materialien</dd>" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert canton.get(f"/kanton/exporte/{job_id}/datei").status_code == 404

    assert "Export-Dienst" not in page
    # Minutes later and still waiting: no worker runs, and the page says so.
    job.created_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "läuft der Export-Dienst nicht" in page and 'http-equiv="refresh"' in page

    result = worker_mode.test_cli_runner().invoke(args=["exporte", "bearbeiten"])
    assert result.exit_code == 0, result.output
    assert "1 Export(e) bearbeitet." in result.output

    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "Die Excel-Datei ist bereit: 8 Zeilen." in page
    assert 'http-equiv="refresh"' not in page
    rows = read_xlsx(canton.get(f"/kanton/exporte/{job_id}/datei").get_data())
    assert len(rows) == 1 + 8
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.DONE and job.row_count == 8 and job.attempts == 1
    assert job.started_at <= job.finished_at

    # Nothing left to do: a second round builds nothing.
    assert export_jobs.run_due_jobs() == 0
    again = worker_mode.test_cli_runner().invoke(args=["exporte", "bearbeiten"])
    assert again.exit_code == 0 and again.output == ""


def test_run_due_jobs_builds_every_waiting_job_once(worker_mode, canton):
    place_orders(worker_mode, 1)
    first = job_id_of(request_export(canton))
    second = job_id_of(request_export(canton, gemeinde="2581"))
    assert first != second
    assert export_jobs.run_due_jobs(max_jobs=1) == 1
    assert db.session.get(ExportJob, first).state is ExportState.DONE
    assert db.session.get(ExportJob, second).state is ExportState.PENDING
    assert export_jobs.run_due_jobs() == 1
    assert db.session.get(ExportJob, second).state is ExportState.DONE
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 2


def test_a_claimed_job_is_not_claimed_twice(worker_mode, canton):
    job_id = job_id_of(request_export(canton))
    claimed = export_jobs.claim()
    assert claimed is not None and claimed[0].id == job_id
    assert export_jobs.claim() is None
    assert export_jobs.claim(job_id=job_id) is None
    assert export_jobs.run_due_jobs() == 0
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.RUNNING and job.claim_token == claimed[1]
    # The page shows it is being built; the owner of the claim builds it.
    assert "wird erstellt" in canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert export_jobs.build(*claimed) is True
    assert db.session.get(ExportJob, job_id).state is ExportState.DONE
    assert export_jobs.claim() is None


def test_workers_claiming_at_once_never_take_the_same_job(worker_mode, canton):
    """Four workers claim at the same moment, over and over: every job is claimed by exactly
    one of them (PostgreSQL: row locks with SKIP LOCKED; SQLite: one writer at a time)."""
    eight = db.session.scalars(select(Municipality.bfs_nr).order_by(Municipality.bfs_nr).limit(8))
    jobs = {job_id_of(request_export(canton, gemeinde=str(bfs))) for bfs in eight}
    assert len(jobs) == 8
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            with worker_mode.app_context():
                barrier.wait()
                while (result := export_jobs.claim()) is not None:
                    claimed.append(result[0].id)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(claimed) == sorted(jobs)


def _export_worker(database_url: str) -> subprocess.Popen:
    """`flask exporte bearbeiten --loop`, the production worker, in a process of its own."""
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": database_url,
        "EXPORTS_IN_REQUEST": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "orders", "exporte", "bearbeiten", "--loop"]
        + ["--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_looping_workers_build_each_job_once_and_stop_on_sigterm(
    worker_mode, canton, migrated_database
):
    place_orders(worker_mode, 2)
    jobs = {job_id_of(request_export(canton, gemeinde=str(bfs))) for bfs in (2581, 2546, 2401)}
    jobs.add(job_id_of(request_export(canton)))
    workers = [_export_worker(migrated_database) for _ in range(2)]
    for worker in workers:  # SIGTERM before its handler is set would just kill it
        assert worker.stdout.readline().startswith("Export-Worker läuft")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            states = db.session.scalars(select(ExportJob.state).where(ExportJob.id.in_(jobs)))
            if all(state is ExportState.DONE for state in states):
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    built = db.session.scalars(select(ExportJob).where(ExportJob.id.in_(jobs))).all()
    assert {job.state for job in built} == {ExportState.DONE}, outputs
    assert {job.attempts for job in built} == {1}
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == len(jobs)
    assert sorted(job.row_count for job in built) == [0, 0, 8, 8]
    rows = read_xlsx(canton.get(f"/kanton/exporte/{max(jobs)}/datei").get_data())
    assert len(rows) == 1 + 8


def test_a_job_whose_worker_died_is_taken_again_after_its_claim(worker_mode, canton):
    place_orders(worker_mode, 1)
    job_id = job_id_of(request_export(canton))
    start = utcnow()
    dead_worker = export_jobs.claim(now=start)
    assert dead_worker is not None
    claim_time = timedelta(seconds=worker_mode.config["EXPORT_CLAIM_SECONDS"])
    assert export_jobs.claim(now=start + claim_time - timedelta(seconds=1)) is None

    taken_over = export_jobs.claim(now=start + claim_time + timedelta(seconds=1))
    assert taken_over is not None and taken_over[0].id == job_id
    assert taken_over[1] != dead_worker[1]
    assert db.session.get(ExportJob, job_id).attempts == 2
    # The first worker comes back late: its result is not stored, the second's is.
    assert export_jobs.build(*dead_worker) is False
    assert db.session.get(ExportJob, job_id).state is ExportState.RUNNING
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert export_jobs.build(*taken_over) is True
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.DONE and job.row_count == 4
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1


def test_a_long_build_renews_its_claim_and_stops_when_it_lost_the_job(worker_mode, canton):
    job_id = job_id_of(request_export(canton))
    job, token = export_jobs.claim()
    first_claim = job.claimed_until
    rows = export_jobs.renewing(
        iter([[n] for n in range(2 * export_jobs.RENEW_CHECK_ROWS)]), job_id, token, utcnow()
    )
    assert len(list(rows)) == 2 * export_jobs.RENEW_CHECK_ROWS
    db.session.expire_all()
    assert db.session.get(ExportJob, job_id).claimed_until > first_claim
    # Another worker took the job over (the claim had run out): the build stops.
    with pytest.raises(export_jobs.ClaimLost):
        list(
            export_jobs.renewing(
                iter([[n] for n in range(export_jobs.RENEW_CHECK_ROWS)]), job_id, "other", utcnow()
            )
        )


def test_a_build_renews_its_claim_while_the_rows_stream(worker_mode, canton, monkeypatch):
    """The renewal commits on a connection of its own while the build's query streams its
    rows (a server-side cursor on PostgreSQL), every other row here."""
    place_orders(worker_mode, 2)
    monkeypatch.setattr(export_jobs, "RENEW_CHECK_ROWS", 2)
    worker_mode.config["EXPORT_CLAIM_SECONDS"] = 0  # half the claim has always passed
    job_id = job_id_of(request_export(canton))
    with count_queries() as statements:
        assert export_jobs.run_due_jobs() == 1
    renewals = [s for s in statements if s.startswith("UPDATE export_jobs SET claimed_until")]
    assert len(renewals) == 4  # 8 rows
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.DONE and job.row_count == 8


def test_a_job_that_kills_its_workers_is_given_up(worker_mode, canton):
    job_id = job_id_of(request_export(canton))
    now = utcnow()
    later = timedelta(seconds=worker_mode.config["EXPORT_CLAIM_SECONDS"] + 1)
    for attempt in range(export_jobs.MAX_ATTEMPTS):
        assert export_jobs.claim(now=now + attempt * later) is not None  # and the worker dies
    assert export_jobs.run_due_jobs(now=now + export_jobs.MAX_ATTEMPTS * later) == 1
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.FAILED and job.error == export_jobs.ABORTED_MESSAGE
    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "Die Excel-Datei konnte nicht erstellt werden." in page
    assert 'http-equiv="refresh"' not in page


def test_a_failing_export_ends_as_a_failed_job_with_a_german_message(worker_mode, canton):
    job_id = job_id_of(request_export(canton))
    job = db.session.get(ExportJob, job_id)
    job.what = "gibt-es-nicht"  # an export that cannot be built
    db.session.commit()
    assert export_jobs.run_due_jobs() == 1
    job = db.session.get(ExportJob, job_id)
    assert job.state is ExportState.FAILED and "gibt-es-nicht" in job.error
    assert job.file_id is None and job.finished_at is not None
    page = canton.get(f"/kanton/exporte/{job_id}").get_data(as_text=True)
    assert "Die Excel-Datei konnte nicht erstellt werden." in page
    assert canton.get(f"/kanton/exporte/{job_id}/datei").status_code == 404
    assert "fehlgeschlagen" in canton.get("/kanton/exporte").get_data(as_text=True)


def test_another_users_job_is_404(app, canton, olten_user):
    job_id = job_id_of(request_export(canton))
    assert canton.get(f"/kanton/exporte/{job_id}/datei").status_code == 200
    make_user("zweite@kanton.ch")
    other = app.test_client()
    log_in(other, "zweite@kanton.ch")
    for url in (f"/kanton/exporte/{job_id}", f"/kanton/exporte/{job_id}/datei"):
        assert other.get(url).status_code == 404, url
    assert f"/kanton/exporte/{job_id}" not in other.get("/kanton/exporte").get_data(as_text=True)
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    for url in (f"/kanton/exporte/{job_id}", f"/kanton/exporte/{job_id}/datei", "/kanton/exporte"):
        assert clerk.get(url).status_code == 404, url
    token = csrf_token(clerk, "/gemeinde/2581")
    assert clerk.post(CREATE, data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 1


def test_the_job_request_needs_the_csrf_token(worker_mode, canton):
    assert canton.post(CREATE, data={"gemeinde": "2581"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 0


def test_a_double_click_finds_the_waiting_job(worker_mode, canton):
    first = job_id_of(request_export(canton, gemeinde="2581", status="eingegangen"))
    # The same filters, in another order and with the page number: the same job.
    token = csrf_token(canton, INBOX)
    again = canton.post(
        CREATE,
        data={"status": "eingegangen", "seite": "3", "gemeinde": "2581", "csrf_token": token},
    )
    assert job_id_of(again) == first
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 1
    # Still the same while it is being built.
    assert export_jobs.claim() is not None
    assert job_id_of(request_export(canton, gemeinde="2581", status="eingegangen")) == first
    # Other filters are another export.
    assert job_id_of(request_export(canton, gemeinde="2546")) != first
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 2


def test_the_database_refuses_a_second_active_job_for_the_same_filters(worker_mode, canton):
    job = db.session.get(ExportJob, job_id_of(request_export(canton, bezirk="Olten")))
    db.session.add(
        ExportJob(requested_by_id=job.requested_by_id, what=job.what, filters=job.filters)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Once the first is built, the same filters may be exported again (fresh data).
    assert export_jobs.run_due_jobs() == 1
    assert job_id_of(request_export(canton, bezirk="Olten")) != job.id


def test_expired_jobs_are_deleted_with_their_files(app, canton):
    place_orders(app, 1)
    old = job_id_of(request_export(canton))
    fresh = job_id_of(request_export(canton, gemeinde="2581"))
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 2
    hours = app.config["EXPORT_RETENTION_HOURS"]
    assert hours == 24
    job = db.session.get(ExportJob, old)
    job.finished_at = utcnow() - timedelta(hours=hours, minutes=1)
    db.session.commit()
    kept_file = db.session.get(ExportJob, fresh).file_id

    result = app.test_cli_runner().invoke(args=["exporte", "bearbeiten"])
    assert result.exit_code == 0 and "1 abgelaufene Exporte gelöscht." in result.output
    assert db.session.get(ExportJob, old) is None
    assert canton.get(f"/kanton/exporte/{old}").status_code == 404
    assert list(db.session.scalars(select(StoredFile.id))) == [kept_file]
    assert canton.get(f"/kanton/exporte/{fresh}/datei").status_code == 200
    assert export_jobs.purge_expired() == 0


def test_a_remark_typed_as_a_formula_stays_text_in_the_xlsx(app, canton, clerk):
    payload = '=HYPERLINK("https://evil.example/x","Klick")'
    assert submit(clerk, remarks=payload).status_code == 303
    job_id = job_id_of(request_export(canton))
    data = canton.get(f"/kanton/exporte/{job_id}/datei").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Bestellungen"]
    remarks = [cell for cell in sheet["S"][1:]]
    assert remarks and all(cell.value == payload for cell in remarks)
    assert all(cell.data_type == "s" for cell in remarks)


def test_building_a_job_takes_the_same_queries_for_more_orders(worker_mode, canton):
    place_orders(worker_mode, 3)
    job_id_of(request_export(canton))
    with count_queries() as few:
        assert export_jobs.run_due_jobs() == 1
    place_orders(worker_mode, 15)
    job_id_of(request_export(canton))
    with count_queries() as many:
        assert export_jobs.run_due_jobs() == 1
    assert len(many) == len(few)


def test_production_builds_exports_in_the_worker_only(tmp_path):
    from orders.config import load_config

    production = load_config(
        tmp_path,
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "PORTAL_BASE_URL": "https://portal.example",
        },
    )
    assert production["EXPORTS_IN_REQUEST"] is False
    assert load_config(tmp_path, {"PORTAL_ENV": "development"})["EXPORTS_IN_REQUEST"] is True
