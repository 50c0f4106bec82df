"""The canton's back office. Every page here is for canton staff only."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def kanton_required(view):
    """Canton staff only. Anyone else gets 404, as for any page that is not theirs."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_kanton:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
