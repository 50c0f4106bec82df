"""On PostgreSQL a request that only read ends its transaction with COMMIT, so that psycopg
keeps the statements it prepared (orders/database.py); one that wrote ends with ROLLBACK."""

import threading
import urllib.request

import pytest
from flask import Response, stream_with_context
from sqlalchemy import event, func, select, text
from werkzeug.serving import make_server

from orders.extensions import db
from orders.models import AuditEvent, User
from orders.services import audit
from tests.conftest import log_in, make_app, make_user, prepared

# psycopg prepares a statement from its sixth execution on a connection.
REPEATS = 8


@pytest.fixture
def pg_app(postgres_database):
    """The app on PostgreSQL with a pool of one connection: the test sees the requests' one."""
    app = make_app(
        postgres_database,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 5},
    )

    @app.post("/test/write-without-commit")
    def write_without_commit():
        audit.record("test.write", actor=None)
        db.session.flush()
        return "written, not committed"

    @app.post("/test/add-without-flush")
    def add_without_flush():
        audit.record("test.add", actor=None)
        return "added, not flushed"

    @app.get("/test/stream-user/<int:user_id>")
    def stream_user(user_id):
        user = db.session.get(User, user_id)

        def chunks():
            yield user.email  # read when the response is sent

        return Response(stream_with_context(chunks()))

    with prepared(app):
        make_user("clerk@olten.ch", 2581)
        db.session.commit()
        yield app


def transaction_ends(app) -> list[str]:
    ends = []
    event.listen(db.engine, "commit", lambda _connection: ends.append("commit"))
    event.listen(db.engine, "rollback", lambda _connection: ends.append("rollback"))
    return ends


def test_reading_requests_end_with_commit_and_their_statements_stay_prepared(pg_app):
    client = pg_app.test_client()
    log_in(client, "clerk@olten.ch")
    ends = transaction_ends(pg_app)
    for _ in range(REPEATS):
        assert client.get("/gemeinde/2581").status_code == 200
    assert ends == ["commit"] * REPEATS
    db.session.rollback()  # the test's own session lets go of the one connection
    prepared_statements = db.session.scalar(
        text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%login_sessions%'")
    )
    assert prepared_statements == 1


@pytest.mark.parametrize("url", ["/test/write-without-commit", "/test/add-without-flush"])
def test_a_request_that_did_not_commit_what_it_wrote_is_rolled_back(pg_app, url):
    client = pg_app.test_client()
    pg_app.config["WTF_CSRF_ENABLED"] = False
    ends = transaction_ends(pg_app)
    assert client.post(url).status_code == 200
    assert "commit" not in ends
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_what_a_reading_request_loaded_stays_readable_for_its_streamed_response(pg_app):
    """The COMMIT does not expire what was loaded, as the ROLLBACK it replaces did not: a
    streamed download reads the export job it found after the session has gone (served by a
    real server, as the export download failed in the browser test)."""
    user_id = db.session.scalar(select(User.id).where(User.email == "clerk@olten.ch"))
    db.session.rollback()  # the test's own session lets go of the one connection
    server = make_server("127.0.0.1", 0, pg_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/test/stream-user/{user_id}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local)
            assert response.read() == b"clerk@olten.ch"
    finally:
        server.shutdown()
