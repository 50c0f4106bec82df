"""Database engine settings that depend on the backend."""

from flask import Flask
from sqlalchemy import event

from orders.extensions import db


def configure_engine_events(app: Flask) -> None:
    """Turn on WAL, a busy timeout and foreign keys for SQLite connections.

    WAL lets readers and one writer work at the same time, and the busy timeout makes a second
    gunicorn worker wait for the write lock instead of failing with "database is locked".
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
