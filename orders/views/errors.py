"""Friendly German error pages."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from orders.extensions import db
from orders.security import typed_form_fields
from orders.views.auth import login_needed

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."),
    403: ("Kein Zugriff", "Sie haben keinen Zugriff auf diese Seite."),
    404: (
        "Seite nicht gefunden",
        "Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf.",
    ),
    405: ("Nicht erlaubt", "Diese Aktion ist auf dieser Seite nicht möglich."),
    500: (
        "Interner Fehler",
        "Etwas ist schiefgegangen. Bitte versuchen Sie es später noch einmal.",
    ),
}


def _page(code: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html",
        code=code,
        title=title or default_title,
        message=message or default_message,
    ), code


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    """A form whose security token no longer fits (the session ended or changed while it was
    open) is refused, and what was typed is offered back for sending again with a fresh token
    (OWASP ASVS 4.0.3 V4.2.2), so nothing is lost. Without a login any more (the session
    cookie gone with the token), a portal form goes to the login page carrying what was typed,
    as one sent after the session ran out: one step, not a resend that then asks to log in.
    """
    if not current_user.is_authenticated and request.blueprint != "auth":
        return login_needed()
    return render_template("errors/csrf.html", fields=typed_form_fields(), action=request.path), 400


@bp.app_errorhandler(OperationalError)
def database_unavailable(_error):
    """The database went away: a clear page, nothing half-written (the transaction is rolled
    back), and the next request tries again on a fresh connection (pool_pre_ping)."""
    db.session.rollback()
    return render_template("errors/unavailable.html"), 503, {"Retry-After": "60"}


for _code in (400, 403, 404, 405, 500):
    bp.app_errorhandler(_code)(lambda error, code=_code: _page(code))
