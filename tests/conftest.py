"""Fixtures: a migrated database (SQLite file by default, PostgreSQL with TEST_DATABASE_URL),
an app per test, a real SMTP server on localhost, a live server and headless Chromium."""

import os
import re
import shutil
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from orders import create_app
from orders.config import normalise_database_url
from orders.extensions import db
from orders.models import Municipality, Role, User
from orders.services import catalogue, payout
from orders.services.gemeinden import import_municipalities

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS = ("127.0.0.1", 6379)
POSTGRES = ("127.0.0.1", 5432)


def unavailable(message: str) -> None:
    """Something a test needs is missing: in CI that fails the run, elsewhere the test is
    skipped (a laptop without Chromium, Redis or PostgreSQL still runs the rest)."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_server(name: str, address: tuple[str, int]) -> None:
    try:
        socket.create_connection(address, timeout=1).close()
    except OSError:
        unavailable(f"{name} is not running on {address[0]}:{address[1]}")


PASSWORD = "richtig-langes-passwort"


# --- database -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres_schema(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.db")


def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only-0123456789",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "PORTAL_BASE_URL": "http://portal.test",
        "MAIL_DEFAULT_SENDER": "start.integration <noreply@portal.test>",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture(scope="session")
def migrated_database(database_url):
    """The schema comes from the migrations, as in production, never from create_all()."""
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@contextmanager
def prepared(app):
    """The app with municipalities and catalogue loaded; every table emptied afterwards."""
    with app.app_context():
        import_municipalities()
        catalogue.seed()
        payout.seed_tariffs()
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def app(migrated_database, app_config):
    with prepared(make_app(migrated_database, **app_config)) as app:
        yield app


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (table names)


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, with its own `g` and database session, as it
    does in a real server; afterwards the test's own session forgets what it had loaded, so the
    test sees what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    return app.test_client()


# --- records ----------------------------------------------------------------------------------


def municipality(bfs_nr: int) -> Municipality:
    return db.session.scalar(db.select(Municipality).where(Municipality.bfs_nr == bfs_nr))


def make_user(
    email: str,
    bfs_nr: int | None = None,
    *,
    password: str | None = PASSWORD,
    active: bool = True,
    name: str | None = None,
) -> User:
    user = User(
        email=email,
        name=name or email.split("@")[0].title(),
        role=Role.KANTON if bfs_nr is None else Role.GEMEINDE,
        municipality=municipality(bfs_nr) if bfs_nr else None,
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000")
        if password
        else None,
        active=active,
    )
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def kanton_user(app) -> User:
    return make_user("koordination@kanton.ch")


@pytest.fixture
def olten_user(app) -> User:
    return make_user("clerk@olten.ch", 2581)


@pytest.fixture
def grenchen_user(app) -> User:
    return make_user("clerk@grenchen.ch", 2546)


# --- the test client as a user -----------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def clerk(app, olten_user) -> FlaskClient:
    """A client logged in as Olten's clerk."""
    client = app.test_client()
    log_in(client, "clerk@olten.ch")
    return client


@pytest.fixture
def canton(app, kanton_user) -> FlaskClient:
    """A client logged in as the canton's coordinator."""
    client = app.test_client()
    log_in(client, "koordination@kanton.ch")
    return client


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST like a browser: first load the page with the form to get its CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def errors_beside(page: str, name: str) -> list[str]:
    """The messages in the filter field `name`'s frame."""
    field = re.search(rf'<div class="field field-error"><label for="{name}">.*?</div>', page, re.S)
    if field is None:
        return []
    return [
        re.sub(r"<[^>]+>", "", message).replace("Fehler:", "").strip()
        for message in re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', field.group(0))
    ]


def log_in(client, email: str, password: str = PASSWORD):
    response = post_form(client, "/anmelden", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


# --- a real SMTP server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpServer:
    """aiosmtpd on localhost, collecting what it receives. stop() and start() simulate outages."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    delay: float = 0.0
    refuse: set[str] = field(default_factory=set)
    controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        # A long subject is folded onto the next line; mail programs unfold it without the
        # folding space, Python's parser keeps it.
        if message["Subject"]:
            message.replace_header("Subject", message["Subject"].strip())
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


@pytest.fixture
def smtp_server():
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(migrated_database, smtp_server, app_config):
    """An app whose outbox delivers to the local SMTP server."""
    app = make_app(
        migrated_database,
        **{
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_TIMEOUT": 5,
            **app_config,
        },
    )
    with prepared(app):
        yield app


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def first_link(message: EmailMessage) -> str:
    match = re.search(r"http://portal\.test(/\S+)", text_body(message))
    assert match, text_body(message)
    return match.group(1)


# --- a live server and a browser --------------------------------------------------------------


@pytest.fixture
def live_server(mail_app):
    server = make_server("127.0.0.1", 0, mail_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        unavailable(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-CH")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def postgres_database(migrated_database):
    """The PostgreSQL test database, or (in a run on SQLite) a fresh one on the local server."""
    if migrated_database.startswith("postgresql"):
        yield migrated_database
        return
    require_server("PostgreSQL", POSTGRES)
    name = f"portal_pg_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(
        f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
