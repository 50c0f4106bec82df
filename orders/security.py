"""Security headers on every response and safe redirects."""

from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, abort, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.after_request(_add_security_headers)


def _refuse_nul_characters():
    """A NUL character cannot be typed and PostgreSQL cannot store it: refuse the request
    before it reaches a query (it would otherwise end in a database error)."""
    for values in (request.args, request.form):
        for name, all_values in values.lists():
            if "\x00" in name or any("\x00" in value for value in all_values):
                abort(400)


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next_url(target: str | None) -> str | None:
    """Return target if it points into this site, else None (no open redirects)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    here = urlsplit(request.host_url)
    there = urlsplit(urljoin(request.host_url, target))
    if there.scheme not in {"http", "https"} or there.netloc != here.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    path = there.path + (f"?{there.query}" if there.query else "")
    # "/.//evil.com" resolves to "//evil.com", which a browser reads as another host.
    return None if path.startswith("//") else path


# Never carried over into a page: secrets and the stale form token itself.
NOT_CARRIED = {"csrf_token", "password", "password_confirm", "current_password"}


def typed_form_fields() -> list[tuple[str, str]]:
    """What the user typed into the form of this request, to offer it back after a refusal
    (an expired form token or login session) so that nothing typed is lost.

    Only a form sent from this site's own pages is offered back: otherwise another site could
    post a form here and have the user confirm it with one click on our page.
    """
    if not _sent_from_this_site():
        return []
    return [
        (name, value)
        for name, values in request.form.lists()
        if name not in NOT_CARRIED
        for value in values
    ]


def _sent_from_this_site() -> bool:
    """Browsers name the page a form was posted from in Origin (or at least Referer)."""
    source = request.headers.get("Origin") or request.referrer or ""
    return urlsplit(source).netloc == urlsplit(request.host_url).netloc
