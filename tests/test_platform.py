"""Configuration, migrations, security headers, CSRF, health check and de-CH formats."""

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade as migrate_upgrade
from sqlalchemy import column, text
from sqlalchemy import table as sa_table

from orders import create_app
from orders.config import ConfigError
from orders.extensions import db
from orders.formatting import (
    format_amount,
    format_centimes,
    format_chf,
    format_count,
    format_date,
    format_datetime,
    format_number,
    format_people,
    select_options,
    status_tag,
    with_links,
)
from orders.services import catalogue
from tests.conftest import PASSWORD, csrf_token, log_in, make_app, make_user


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    """Production needs a real SECRET_KEY from outside the code, there is no built-in one
    (OWASP ASVS 4.0.3 V2.10.4, V14.1.3)."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"PORTAL_ENV": "production", "PORTAL_BASE_URL": "https://portal.so.ch"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(
            {
                "PORTAL_ENV": "production",
                "SECRET_KEY": "short",
                "PORTAL_BASE_URL": "https://portal.so.ch",
            }
        )


def test_production_session_cookie_is_secure_httponly_and_lax(migrated_database, app):
    """OWASP ASVS 4.0.3 V3.4.1-V3.4.3: after a real login over https in production, the session
    cookie carries Secure, HttpOnly and SameSite=Lax."""
    make_user("clerk@olten.ch", 2581)
    production = make_app(
        migrated_database, PORTAL_ENV="production", PORTAL_BASE_URL="https://portal.so.ch"
    )
    assert production.config["DEMO_ACCOUNTS_ALLOWED"] is False
    client = production.test_client()
    here = "https://portal.so.ch/anmelden"
    page = client.get(here).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        here,
        data={"csrf_token": token, "email": "clerk@olten.ch", "password": PASSWORD},
        headers={"Referer": here},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("portal_session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_wsgi_entry_point_runs_under_the_production_rules():
    """gunicorn wsgi:app without PORTAL_ENV must not fall back to the development settings
    (OWASP ASVS 4.0.3 V14.3.2, V14.1.3)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_ENV", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_one_proxy_its_forwarded_headers_count(client, app, app_config):
    """Forwarded headers from the configured proxy are trusted and HSTS is sent over https
    (OWASP ASVS 4.0.3 V14.5.4, V14.4.5)."""
    response = client.get("/anmelden", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_without_a_configured_proxy_forwarded_headers_are_ignored(client, app):
    """Without a configured proxy, client-supplied X-Forwarded headers are not trusted
    (OWASP ASVS 4.0.3 V14.5.4)."""
    response = client.get("/anmelden", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_demo_accounts_are_refused_in_production(tmp_path):
    """Demo accounts with known passwords cannot be created in production
    (OWASP ASVS 4.0.3 V2.5.4)."""
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "k" * 64,
        "PORTAL_BASE_URL": "https://portal.so.ch",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "orders", "demo"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "nur in der Entwicklungsumgebung" in result.stderr


def test_postgres_urls_use_psycopg3():
    from orders.config import normalise_database_url

    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_migrations_match_the_models(app):
    """The schema reached by migrating is the one the models describe: no create_all drift
    (OWASP ASVS 4.0.3 V14.1.1, V14.1.4)."""
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_the_language_order_migration_renumbers_a_database_seeded_before_it(tmp_path):
    """A database seeded before 0007 numbered its languages in the seed's list order (Persian
    among the Ds, HEKS's further languages after Vietnamese); migrating puts them in the order
    a new one gets: the welcome folders' four, then A–Z."""
    app = make_app(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        migrate_upgrade(revision="0006_export_jobs")
        columns = ("code", "name", "sort_order", "welcome_folder", "interpreting")
        db.session.execute(
            sa_table("languages", *map(column, columns)).insert(),
            [
                dict(zip(columns, (code, name, position, position < 4, True), strict=True))
                for position, (code, name) in enumerate(catalogue.LANGUAGES)
            ],
        )
        db.session.commit()
        migrate_upgrade()
        ordered = db.session.scalars(text("SELECT code FROM languages ORDER BY sort_order"))
        positions = catalogue.language_positions(catalogue.LANGUAGES)
        assert list(ordered) == sorted(positions, key=positions.get)
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    app = create_app(
        {
            "PORTAL_ENV": "testing",
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.db'}",
        }
    )
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_security_headers(client, app):
    """CSP, nosniff, framing and anti-caching headers are set
    (OWASP ASVS 4.0.3 V14.4.3, V14.4.4, V14.4.7, V8.2.1)."""
    response = client.get("/anmelden")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)


def test_session_cookie_flags(client, olten_user):
    """The session cookie is HttpOnly and SameSite=Lax (OWASP ASVS 4.0.3 V3.4.2, V3.4.3)."""
    response = log_in(client, "clerk@olten.ch")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused_with_a_german_page(client, olten_user):
    """OWASP ASVS 4.0.3 V4.2.2: state-changing requests need a valid anti-CSRF token."""
    response = client.post(
        "/anmelden",
        data={"email": "clerk@olten.ch", "password": "geheim"},
        headers={"Origin": "http://localhost"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Formular abgelaufen" in page
    assert 'value="clerk@olten.ch"' in page
    assert "geheim" not in page  # passwords are never carried over


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}, {}]
)
def test_a_form_posted_from_another_site_is_not_offered_back(client, olten_user, headers):
    """OWASP ASVS 4.0.3 V4.2.2: a form another site posts here without a token is refused, and
    its fields are not turned into a form with a valid token that one click would send."""
    log_in(client, "clerk@olten.ch")
    response = client.post(
        "/gemeinde/2581/bestellungen/neu/material",
        data={"remarks": "Von aussen", "action": "submit"},
        headers=headers,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Formular abgelaufen" in page
    assert "Von aussen" not in page and "Eingaben erneut senden" not in page


def test_an_expired_form_token_loses_nothing_typed(client, olten_user):
    """The session changed while a long order form was open: the form is refused, its
    contents come back with a fresh token and can be sent as they were (OWASP ASVS 4.0.3 V4.2.2)."""
    from sqlalchemy import select

    from orders.models import Order
    from tests.test_bestellungen import order_data

    log_in(client, "clerk@olten.ch")
    data = {
        **order_data(),
        "submission_key": "k",
        "action": "submit",
        "csrf_token": "ein-abgelaufenes-token",
    }
    response = client.post(
        "/gemeinde/2581/bestellungen/neu/material",
        data=data,
        headers={"Referer": "http://localhost/gemeinde/2581/bestellungen/neu/material"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="remarks" value="Bitte an den Schalter liefern."' in page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert fields["csrf_token"] != "ein-abgelaufenes-token"
    resent = client.post("/gemeinde/2581/bestellungen/neu/material", data=fields)
    assert resent.status_code == 303
    assert db.session.scalar(select(Order)).remarks == "Bitte an den Schalter liefern."


def test_a_form_sent_without_its_session_cookie_goes_to_the_login_carrying_it(client, olten_user):
    """The session cookie is gone (browser data cleared, another browser profile), and with it
    the form's token: the login page carries what was typed, as for a session that ran out."""
    from tests.test_bestellungen import order_data

    form = "/gemeinde/2581/bestellungen/neu/material"
    log_in(client, "clerk@olten.ch")
    data = {**order_data(), "action": "submit", "csrf_token": csrf_token(client, form)}
    client.delete_cookie(client.application.config["SESSION_COOKIE_NAME"])
    refused = client.post(form, data=data, headers={"Referer": "http://localhost" + form})
    page = refused.text
    assert refused.status_code == 401 and "Ihre Sitzung ist abgelaufen" in page
    assert 'name="carried-remarks" value="Bitte an den Schalter liefern."' in page


def test_a_form_sent_after_the_session_ended_loses_nothing(client, olten_user):
    """The login session ran out while the order form was open (OWASP ASVS 4.0.3 V3.3.2): the
    login page carries what was typed, and after the login it is sent as it was, once."""
    from sqlalchemy import select

    from orders.models import LoginSession, Order
    from orders.models.types import utcnow
    from tests.test_bestellungen import order_data

    form = "/gemeinde/2581/bestellungen/neu/material"
    log_in(client, "clerk@olten.ch")
    data = {
        **order_data(remarks="Nach der Pause abgeschickt."),
        "submission_key": "k",
        "action": "submit",
        "csrf_token": csrf_token(client, form),
    }
    db.session.execute(
        LoginSession.__table__.update().values(last_seen_at=utcnow() - timedelta(minutes=31))
    )
    db.session.commit()

    refused = client.post(form, data=data, headers={"Referer": "http://localhost" + form})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401
    assert "Ihre Sitzung ist abgelaufen" in page
    login_fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert login_fields["carried-remarks"] == "Nach der Pause abgeschickt."
    assert db.session.scalar(select(Order)) is None

    login_form = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    again = client.post(
        login_form.replace("&amp;", "&"),
        data={
            **login_fields,
            "csrf_token": login_token,
            "email": "clerk@olten.ch",
            "password": PASSWORD,
        },
    )
    page = again.get_data(as_text=True)
    assert "Eingaben erneut senden" in page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    action = re.search(r'<form method="post" action="([^"]+)" class="submit-once">', page).group(1)
    assert action == form
    assert client.post(action, data=fields).status_code == 303
    assert client.post(action, data=fields).status_code == 303  # a second click: still one
    assert [o.remarks for o in db.session.scalars(select(Order))] == ["Nach der Pause abgeschickt."]


def test_healthz(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_not_found_page_is_german(client, app):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_de_ch_formats():
    assert format_date(date(2026, 11, 24)) == "24.11.2026"
    # 23:30 UTC is already the next day in Zurich.
    assert format_datetime(datetime(2026, 11, 24, 23, 30, tzinfo=UTC)) == "25.11.2026 00:30"
    assert format_chf(Decimal("1234")) == "CHF 1'234.00"
    assert format_chf(Decimal("1234567.5")) == "CHF 1'234'567.50"
    assert format_number(106000) == "106'000"
    assert [format_people(n) for n in (0, 1, 2, 1234)] == [
        "0 Personen",
        "1 Person",
        "2 Personen",
        "1'234 Personen",
    ]
    assert format_count(1, "Gemeinde", "Gemeinden") == "1 Gemeinde"
    assert format_count(107, "Gemeinde", "Gemeinden") == "107 Gemeinden"


@pytest.mark.parametrize("centimes", [0, 5, 99, 100, 123450, 123456789, -5, -250, -123456])
def test_amounts_in_centimes_read_as_the_same_francs_as_decimals(centimes):
    assert format_centimes(centimes) == format_chf(Decimal(centimes) / 100)
    assert "CHF " + format_amount(centimes) == format_centimes(centimes)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Siehe https://so.ch/a.", 'Siehe <a href="https://so.ch/a">https://so.ch/a</a>.'),
        ("(https://so.ch/b)", '(<a href="https://so.ch/b">https://so.ch/b</a>)'),
        (
            "(https://so.ch/Olten_(SO))",
            '(<a href="https://so.ch/Olten_(SO)">https://so.ch/Olten_(SO)</a>)',
        ),
        ("«https://so.ch/c»", '«<a href="https://so.ch/c">https://so.ch/c</a>»'),
        (
            "https://so.ch/?a=1&b=2",
            '<a href="https://so.ch/?a=1&amp;b=2">https://so.ch/?a=1&amp;b=2</a>',
        ),
        (
            'https://x.ch/"><script>alert(1)</script>',
            '<a href="https://x.ch/">https://x.ch/</a>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
        ),
        ("javascript:alert(1) ftp://x.ch", "javascript:alert(1) ftp://x.ch"),
        ("<b>kein Link</b>", "&lt;b&gt;kein Link&lt;/b&gt;"),
    ],
)
def test_web_addresses_become_links_and_everything_else_stays_escaped_text(text, shown):
    assert str(with_links(text)) == shown


def test_status_tags_name_the_state_and_escape_what_they_show():
    from orders.models import InterpreterStatus, OrderStatus

    assert status_tag(OrderStatus.SHIPPED) == (
        f'<span class="status status-{OrderStatus.SHIPPED.value}">'
        f"{OrderStatus.SHIPPED.label}</span>"
    )
    assert "status-" in status_tag(next(iter(InterpreterStatus)))

    class Hostile:
        value, label = '"><script>', "<b>"

    assert status_tag(Hostile()) == (
        '<span class="status status-&#34;&gt;&lt;script&gt;">&lt;b&gt;</span>'
    )


def test_select_options_mark_the_chosen_one_and_escape_what_they_show():
    from types import SimpleNamespace

    from orders.models import OrderStatus

    municipalities = [
        SimpleNamespace(bfs_nr=2581, name="Olten"),
        SimpleNamespace(bfs_nr=2546, name="Grenchen"),
    ]
    assert select_options(municipalities, "2546", "bfs_nr", "name") == (
        '<option value="2581">Olten</option><option value="2546" selected>Grenchen</option>'
    )
    assert select_options(municipalities, None, "bfs_nr", "name").count(" selected") == 0
    assert select_options(["Lebern", "Olten"], "Olten") == (
        '<option value="Lebern">Lebern</option><option value="Olten" selected>Olten</option>'
    )
    assert select_options(OrderStatus, "versandt", "value", "label").count("selected") == 1
    assert select_options(['"><script>'], None) == (
        '<option value="&#34;&gt;&lt;script&gt;">&#34;&gt;&lt;script&gt;</option>'
    )


@pytest.mark.parametrize("app_config", [{"DEMO_ACCOUNTS_ALLOWED": True}])
def test_demo_command_prints_working_logins_and_is_repeatable(app, client, app_config):
    from sqlalchemy import func, select

    from orders.models import Order, User

    first = app.test_cli_runner().invoke(args=["demo"])
    second = app.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    password = re.search(r"Passwort: (\S+)", second.output).group(1)
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2
    log_in(client, "derendingen@demo.start-integration.ch", password)
    assert "Gemeinde Derendingen" in client.get("/gemeinde/2517").get_data(as_text=True)


def test_database_away_gives_a_clear_503_page(tmp_path):
    """OWASP ASVS 4.0.3 V7.4.1: a generic, friendly error when a backend fails; no stack trace."""
    app = create_app(
        {
            "PORTAL_ENV": "testing",
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/portal.db",
        }
    )
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    response = client.post("/anmelden", data={"email": "a@olten.ch", "password": "x" * 12})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Vorübergehend nicht verfügbar" in page and "Traceback" not in page
    assert response.headers["Retry-After"] == "60"


@pytest.mark.parametrize("url", ["/anmelden", "/kanton/?q=a%00b"])
def test_nul_characters_are_refused_before_any_query(client, app, url):
    """On PostgreSQL a NUL character in a query parameter is a database error; it is a clear
    400 instead (OWASP ASVS 4.0.3 V5.1.3)."""
    from tests.conftest import csrf_token

    if "?" in url:
        response = client.get(url)
    else:
        response = client.post(
            url,
            data={
                "email": "a\x00@olten.ch",
                "password": "x",
                "csrf_token": csrf_token(client, url),
            },
        )
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
