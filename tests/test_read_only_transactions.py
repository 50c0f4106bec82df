"""On PostgreSQL a request that only read ends its transaction with COMMIT, so that psycopg
keeps the statements it prepared (orders/database.py); one that wrote ends with ROLLBACK."""

import pytest
from sqlalchemy import event, func, select, text

from orders.extensions import db
from orders.models import AuditEvent
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
