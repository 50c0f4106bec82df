"""Throttling per account and per client address, with a growing wait: failed logins, and
requests for a password-reset mail (so that nobody floods a mailbox or probes addresses).

The counters live in the `limits` library's storage: in memory for one process, in Redis when
RATELIMIT_STORAGE_URI points there, so that all gunicorn workers and servers share them.
"""

import math
import time

from flask import Flask, current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    def __init__(self, namespace: str, storage_uri: str, account_limits: str, address_limits: str):
        self.namespace = namespace
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.account_limits = parse_many(account_limits)
        self.address_limits = parse_many(address_limits)

    def _checks(self, email: str, address: str):
        for limit in self.account_limits:
            yield limit, ("account", email.strip().lower())
        for limit in self.address_limits:
            yield limit, ("address", address)

    def wait_seconds(self, email: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        wait = 0.0
        for limit, key in self._checks(email, address):
            if not self.limiter.test(limit, self.namespace, *key):
                reset_time = self.limiter.get_window_stats(limit, self.namespace, *key).reset_time
                wait = max(wait, reset_time - time.time())
        return math.ceil(wait) if wait > 0 else 0

    def record(self, email: str, address: str) -> None:
        for limit, key in self._checks(email, address):
            self.limiter.hit(limit, self.namespace, *key)

    def clear_account(self, email: str) -> None:
        """Forget an account's failures, after a successful login or a password reset."""
        for limit in self.account_limits:
            self.limiter.clear(limit, self.namespace, "account", email.strip().lower())


def init_app(app: Flask) -> None:
    storage = app.config["RATELIMIT_STORAGE_URI"]
    app.extensions["login_throttle"] = Throttle(
        "login-failures",
        storage,
        app.config["LOGIN_FAILURE_LIMITS"],
        app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"],
    )
    app.extensions["password_reset_throttle"] = Throttle(
        "password-reset-requests",
        storage,
        app.config["PASSWORD_RESET_LIMITS"],
        app.config["PASSWORD_RESET_LIMITS_PER_ADDRESS"],
    )


def login_throttle() -> Throttle:
    return current_app.extensions["login_throttle"]


def password_reset_throttle() -> Throttle:
    return current_app.extensions["password_reset_throttle"]
