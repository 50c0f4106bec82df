"""Login throttling per account and per client address, with a growing wait.

The counters live in the `limits` library's storage: in memory for one process, in Redis when
RATELIMIT_STORAGE_URI points there, so that all gunicorn workers and servers share them.
"""

import math
import time

from flask import Flask, current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "login-failures"


class LoginThrottle:
    def __init__(self, storage_uri: str, account_limits: str, address_limits: str):
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
            if not self.limiter.test(limit, NAMESPACE, *key):
                reset_time = self.limiter.get_window_stats(limit, NAMESPACE, *key).reset_time
                wait = max(wait, reset_time - time.time())
        return math.ceil(wait) if wait > 0 else 0

    def record_failure(self, email: str, address: str) -> None:
        for limit, key in self._checks(email, address):
            self.limiter.hit(limit, NAMESPACE, *key)

    def clear_account(self, email: str) -> None:
        """Forget an account's failures, after a successful login or a password reset."""
        for limit in self.account_limits:
            self.limiter.clear(limit, NAMESPACE, "account", email.strip().lower())


def init_app(app: Flask) -> None:
    app.extensions["login_throttle"] = LoginThrottle(
        app.config["RATELIMIT_STORAGE_URI"],
        app.config["LOGIN_FAILURE_LIMITS"],
        app.config["LOGIN_FAILURE_LIMITS_PER_ADDRESS"],
    )


def login_throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]
