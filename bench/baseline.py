"""The baseline: the least a Flask app on this stack can do per request.

GET / renders a small Jinja template; POST / does one INSERT. No forms, sessions or CSRF.
Served by gunicorn exactly like the portal (`gunicorn bench.baseline:app`), on the same
database (DATABASE_URL, SQLite in WAL mode as the portal configures it).
"""

import os
from datetime import UTC, datetime

from flask import Flask, render_template
from sqlalchemy import create_engine, event, text

TABLE = "bench_baseline"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "  # noqa: S608 (a constant)
    "(id {pk}, note VARCHAR(100) NOT NULL, created_at TIMESTAMP NOT NULL)"
)


def engine_for(url: str):
    from orders.config import normalise_database_url

    engine = create_engine(normalise_database_url(url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # the portal's pragmas (orders/database.py)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def create_table(url: str) -> None:
    engine = engine_for(url)
    pk = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(text(CREATE.format(pk=pk)))
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__, template_folder="templates")
    engine = engine_for(os.environ["DATABASE_URL"])
    insert = text(f"INSERT INTO {TABLE} (note, created_at) VALUES (:note, :at)")  # noqa: S608

    @app.get("/")
    def page():
        return render_template("baseline.html", items=range(10), now=datetime.now(UTC))

    @app.post("/")
    def add():
        with engine.begin() as connection:
            connection.execute(insert, {"note": "baseline", "at": datetime.now(UTC)})
        return "", 201

    return app


app = create_app() if "DATABASE_URL" in os.environ else None
