"""16 users submit orders at once against 2 gunicorn workers: every accepted order is stored
exactly once with its two mails, and no user sees an error such as "database is locked"
(OWASP ASVS 4.0.3 V11.1.6: the business logic holds under concurrent use)."""

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

from sqlalchemy import func, select

from orders.extensions import db
from orders.models import Order, OutboxMail
from tests.conftest import IN_CI, PASSWORD, REDIS, free_port, make_user, require_server
from tests.test_bestellungen import order_data

USERS = 16
SECONDS = int(os.environ.get("CONCURRENCY_SECONDS", "60" if IN_CI else "10"))


class Browser:
    """A user agent with cookies that follows redirects, like a browser."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)[2]).group(1)


def start_gunicorn(database_url: str, **settings: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": database_url,
        "PORTAL_BASE_URL": "http://portal.test",
        **settings,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start: " + server.stdout.read().decode())


def test_concurrent_orders_are_stored_exactly_once(app, migrated_database):
    """Concurrent and double-clicked submissions store each order exactly once
    (OWASP ASVS 4.0.3 V11.1.6)."""
    for index in range(USERS):
        make_user(f"clerk{index}@olten.ch", 2581)
    server, base = start_gunicorn(migrated_database)
    accepted: list[tuple[str, str]] = []  # (submission key, order number)
    failures: list[str] = []
    form = "/gemeinde/2581/bestellungen/neu/material"
    order = order_data()
    deadline = time.monotonic() + SECONDS

    def user(index: int) -> None:
        browser = Browser(base)
        status, _, _ = browser.post(
            "/anmelden",
            {
                "csrf_token": browser.token("/anmelden"),
                "email": f"clerk{index}@olten.ch",
                "password": PASSWORD,
            },
        )
        if status != 200:
            failures.append(f"login {index}: {status}")
            return
        token = browser.token(form)
        count = 0
        while time.monotonic() < deadline:
            key = f"u{index}-{count}"
            data = {**order, "csrf_token": token, "action": "submit", "submission_key": key}
            # Every fifth order is sent twice, like a double click.
            for _ in range(2 if count % 5 == 0 else 1):
                status, url, page = browser.post(form, data)
                match = re.search(r"/bestellungen/(B-\d{4}-\d{5})/bestaetigung$", url)
                if status != 200 or not match:
                    failures.append(f"{key}: {status} {url} {page[:200]}")
                    return
                accepted.append((key, match.group(1)))
            count += 1

    try:
        threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0].decode()

    assert failures == [], failures[:5]
    assert "database is locked" not in log and "Traceback" not in log, log[-2000:]
    by_key = {}
    for key, number in accepted:
        assert by_key.setdefault(key, number) == number, f"{key} got two numbers"
    db.session.expire_all()
    stored = dict(db.session.execute(select(Order.submission_key, Order.number)).all())
    assert stored == by_key
    assert len(by_key) >= USERS
    assert Counter(stored.values()).most_common(1)[0][1] == 1
    mails = db.session.scalar(select(func.count()).select_from(OutboxMail))
    assert mails == 2 * len(stored)


def test_login_throttling_holds_across_gunicorn_workers(app, migrated_database):
    """Failed logins spread over 2 gunicorn workers (several connections, so both workers
    answer) count together through Redis: the sixth attempt is refused even with the right
    password (OWASP ASVS 4.0.3 V2.2.1, V11.1.4)."""
    import uuid

    require_server("Redis", REDIS)
    email = f"{uuid.uuid4().hex[:12]}@olten.ch"
    make_user(email, 2581)
    server, base = start_gunicorn(
        migrated_database, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"
    )
    try:
        statuses = []
        for password in ["falsch"] * 5 + [PASSWORD]:
            browser = Browser(base)  # a new connection and session each time
            data = {"csrf_token": browser.token("/anmelden"), "email": email}
            statuses.append(browser.post("/anmelden", {**data, "password": password})[0])
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0].decode()
    assert statuses == [200] * 5 + [429], log[-2000:]
