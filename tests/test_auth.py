"""Login, logout, sessions, throttling, safe redirects."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import AuditEvent, LoginSession
from orders.models.types import utcnow
from tests.conftest import PASSWORD, log_in, make_user, post_form


def test_login_lands_gemeinde_user_on_their_dashboard(client, olten_user):
    response = log_in(client, "clerk@olten.ch")
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.headers["Location"] == "/gemeinde/2581"
    page = client.get("/gemeinde/2581").get_data(as_text=True)
    assert "Gemeinde Olten" in page
    assert "Bezirk" in page and "Olten" in page


def test_login_lands_kanton_user_on_back_office(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "<h1>Übersicht" in page and "Keine neu eingegangenen Bestellungen." in page


def test_email_is_case_insensitive(client, olten_user):
    log_in(client, "  Clerk@OLTEN.ch ")
    assert client.get("/gemeinde/2581").status_code == 200


def test_wrong_password_shows_german_message_and_keeps_email(client, olten_user):
    """A wrong password logs nobody in and gets one generic message that does not say which field
    was wrong (OWASP ASVS 4.0.3 V7.4.1)."""
    response = post_form(client, "/anmelden", {"email": "clerk@olten.ch", "password": "falsch"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "E-Mail-Adresse oder Passwort ist falsch" in page
    assert 'value="clerk@olten.ch"' in page
    assert client.get("/gemeinde/2581").status_code == 302


def test_empty_fields_get_messages_beside_the_fields(client):
    page = post_form(client, "/anmelden", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in page
    assert "Bitte geben Sie Ihr Passwort ein." in page
    assert 'id="email-error"' in page and 'id="password-error"' in page


def test_pages_need_login(client, app):
    """Pages are refused to anonymous visitors on the server (OWASP ASVS 4.0.3 V4.1.1, V4.1.3)."""
    response = client.get("/gemeinde/2581")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden?next=")


def test_logout_ends_the_session_on_the_server(client, olten_user):
    """Logout invalidates the session on the server; the old cookie no longer works
    (OWASP ASVS 4.0.3 V3.3.1)."""
    log_in(client, "clerk@olten.ch")
    cookie = client.get_cookie("portal_session")
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    post_form(client, "/abmelden", {}, form_url="/gemeinde/2581")
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    # Replaying the old cookie does not log anyone in.
    client.set_cookie(cookie.key, cookie.value)
    assert client.get("/gemeinde/2581").status_code == 302


def test_deactivated_account_is_logged_out_on_next_request(client, olten_user):
    """The account is checked on every request: deactivation takes away access at once
    (OWASP ASVS 4.0.3 V4.1.1, V4.1.3)."""
    log_in(client, "clerk@olten.ch")
    assert client.get("/gemeinde/2581").status_code == 200
    olten_user.active = False
    db.session.commit()
    assert client.get("/gemeinde/2581").status_code == 302


def test_deactivated_account_cannot_log_in(client, app):
    """A deactivated account cannot log in (OWASP ASVS 4.0.3 V4.1.3)."""
    make_user("gone@olten.ch", 2581, active=False)
    response = post_form(client, "/anmelden", {"email": "gone@olten.ch", "password": PASSWORD})
    assert response.status_code == 200
    assert "deaktiviert" in response.get_data(as_text=True)


def test_idle_session_expires(client, olten_user):
    """An idle session ends after 30 minutes and needs a new login (OWASP ASVS 4.0.3 V3.3.2)."""
    log_in(client, "clerk@olten.ch")
    login_session = db.session.scalar(select(LoginSession))
    login_session.last_seen_at = utcnow() - timedelta(minutes=25)
    db.session.commit()
    assert client.get("/gemeinde/2581").status_code == 200
    login_session.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    assert client.get("/gemeinde/2581").status_code == 302


def test_password_change_ends_other_sessions(app, olten_user):
    """A password change ends the account's other sessions (OWASP ASVS 4.0.3 V2.1.5, V3.3.3)."""
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "clerk@olten.ch")
    log_in(phone, "clerk@olten.ch")
    response = post_form(
        laptop,
        "/konto/passwort",
        {
            "current_password": PASSWORD,
            "password": "ein-neues-langes-passwort",
            "password_confirm": "ein-neues-langes-passwort",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/gemeinde/2581").status_code == 200
    assert phone.get("/gemeinde/2581").status_code == 302
    log_in(app.test_client(), "clerk@olten.ch", "ein-neues-langes-passwort")


def test_a_password_change_names_every_problem_at_once(app, olten_user):
    client = app.test_client()
    log_in(client, "clerk@olten.ch")
    page = post_form(
        client,
        "/konto/passwort",
        {"current_password": "falsch", "password": "kurz", "password_confirm": "kurz"},
    ).text
    assert "Das bisherige Passwort stimmt nicht." in page
    assert "Das Passwort muss mindestens" in page
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert summary.index("Bisheriges Passwort") < summary.index("Neues Passwort")
    # A repeat that does not match hides neither of the others.
    page = post_form(
        client,
        "/konto/passwort",
        {"current_password": "falsch", "password": "kurz", "password_confirm": "anders"},
    ).text
    for message in (
        "Das bisherige Passwort stimmt nicht.",
        "Das Passwort muss mindestens",
        "Die beiden Passwörter stimmen nicht überein.",
    ):
        assert message in page, message
    # The current password again is no change.
    page = post_form(
        client,
        "/konto/passwort",
        {"current_password": PASSWORD, "password": PASSWORD, "password_confirm": PASSWORD},
    ).text
    assert "Das neue Passwort muss sich vom bisherigen unterscheiden." in page
    assert "Ihr Passwort ist geändert" not in page
    log_in(app.test_client(), "clerk@olten.ch")  # still the same password


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/kanton/benutzer/", "/kanton/benutzer/"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("/.//evil.example/phish", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirect_stays_on_this_site(client, kanton_user, next_url, expected):
    """The next= redirect after login only goes to this site (OWASP ASVS 4.0.3 V5.1.5)."""
    response = post_form(
        client,
        f"/anmelden?next={next_url}",
        {"email": "koordination@kanton.ch", "password": PASSWORD},
        form_url="/anmelden",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_throttling_after_five_failures_even_with_the_right_password(client, olten_user):
    """Soft lockout after five failures, per account and address (OWASP ASVS 4.0.3 V2.2.1)."""
    for _ in range(5):
        post_form(client, "/anmelden", {"email": "clerk@olten.ch", "password": "falsch"})
    response = post_form(client, "/anmelden", {"email": "clerk@olten.ch", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in page
    assert "Minuten gesperrt" in page
    assert 'value="clerk@olten.ch"' in page
    # Another account from the same address is not locked by this one's failures.
    make_user("other@olten.ch", 2581)
    assert log_in(client, "other@olten.ch").status_code == 302


def test_throttling_wait_grows(app, olten_user):
    """The lockout wait grows with further failures (OWASP ASVS 4.0.3 V2.2.1)."""
    from orders.services.throttle import login_throttle

    throttle = login_throttle()
    for _ in range(5):
        throttle.record("clerk@olten.ch", "10.0.0.1")
    first_wait = throttle.wait_seconds("clerk@olten.ch", "10.0.0.1")
    assert 0 < first_wait <= 300
    for _ in range(5):
        throttle.record("clerk@olten.ch", "10.0.0.1")
    assert throttle.wait_seconds("clerk@olten.ch", "10.0.0.1") > 300


def test_throttling_per_address(app):
    """Many failures from one address lock it for all accounts (OWASP ASVS 4.0.3 V2.2.1)."""
    from orders.services.throttle import login_throttle

    throttle = login_throttle()
    for attempt in range(30):
        throttle.record(f"user{attempt}@olten.ch", "10.0.0.9")
    assert throttle.wait_seconds("fresh@olten.ch", "10.0.0.9") > 0
    assert throttle.wait_seconds("fresh@olten.ch", "10.0.0.10") == 0


def test_logins_and_failures_are_audited(client, olten_user):
    """Successful and failed logins are logged with actor and address
    (OWASP ASVS 4.0.3 V7.1.3, V7.2.1)."""
    post_form(client, "/anmelden", {"email": "clerk@olten.ch", "password": "falsch"})
    log_in(client, "clerk@olten.ch")
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["login.failed", "login"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
    assert event.actor_id == olten_user.id
    assert event.ip == "127.0.0.1"


def test_throttling_is_shared_by_all_workers_through_redis(migrated_database):
    """Two app instances (two gunicorn workers, or two servers) share the failure counts when
    RATELIMIT_STORAGE_URI points to Redis (OWASP ASVS 4.0.3 V2.2.1)."""
    import uuid

    from tests.conftest import REDIS, make_app, require_server

    require_server("Redis", REDIS)
    from orders.services.throttle import login_throttle

    email = f"{uuid.uuid4().hex}@olten.ch"
    workers = [
        make_app(migrated_database, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
        for _ in range(2)
    ]
    for attempt in range(5):
        with workers[attempt % 2].app_context():
            login_throttle().record(email, "10.1.1.1")
    for worker in workers:
        with worker.app_context():
            assert login_throttle().wait_seconds(email, "10.1.1.2") > 0
    with workers[0].app_context():
        login_throttle().clear_account(email)
    with workers[1].app_context():
        assert login_throttle().wait_seconds(email, "10.1.1.2") == 0
