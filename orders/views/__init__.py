"""The portal's blueprints, one module per area (kanton/ holds the back office's)."""

from flask import request


def record_id(value: str) -> int | None:
    """A record's id as a request gives it (?kapitel=3, a form field's name), or None for
    anything else: ASCII digits only (int() would take "٣" and " 3"), and short enough for the
    database's integer."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def confirmed_in_form() -> bool:
    """Whether the person confirmed an action that cannot be undone, such as a cancellation:
    in the browser's dialog (static/js/portal.js adds confirmed=1 to a form with data-confirm)
    or, without JavaScript, on the confirmation page the action shows first."""
    return request.form.get("confirmed") == "1"
