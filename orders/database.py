"""Database engine settings that depend on the backend."""

import re

from flask import Flask
from sqlalchemy import Engine, event

from orders.extensions import db

# A statement that only reads; a transaction of nothing else may end with COMMIT.
READING = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def configure_engine_events(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.driver == "psycopg":
        _keep_prepared_statements(app, engine)


def _configure_sqlite(engine: Engine) -> None:
    """Turn on WAL, a busy timeout and foreign keys for SQLite connections.

    WAL lets readers and one writer work at the same time, and the busy timeout makes a second
    gunicorn worker wait for the write lock instead of failing with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _keep_prepared_statements(app: Flask, engine: Engine) -> None:
    """End a request's transaction that only read with COMMIT instead of ROLLBACK.

    psycopg prepares a statement on the server once it has run five times on a connection, so
    that PostgreSQL parses and plans it once, but it forgets them all at every ROLLBACK (one may
    have undone the schema they were planned for). Closing the session at the end of a request
    rolls its transaction back, so no statement was ever prepared: every statement of every
    page was parsed and planned anew (0.3 to 2 ms of the server's CPU per page, measured in
    bench/README.md). For a transaction that ran only SELECTs, COMMIT does what ROLLBACK does;
    one that wrote anything, or leaves changes for a flush, still ends with a ROLLBACK.
    """

    @event.listens_for(engine, "begin")
    def _nothing_written_yet(connection):
        connection.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(connection, cursor, statement, parameters, context, executemany):
        if not READING.match(statement):
            connection.info["wrote"] = True

    # Registered after Flask-SQLAlchemy's own teardown, so it runs before the session is closed.
    @app.teardown_appcontext
    def _commit_what_only_read(error):
        session = db.session()  # this context's Session (get_transaction is not proxied)
        if error is not None or session.new or session.dirty or session.deleted:
            return
        if session.get_transaction() is None:
            return
        if not session.connection().info.get("wrote", True):
            # As after the rollback it replaces: what was loaded stays loaded (a streamed
            # response may still read it once the session is gone).
            session.expire_on_commit = False
            session.commit()
