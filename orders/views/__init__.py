"""The portal's blueprints, one module per area (kanton/ holds the back office's)."""

from flask import request


def confirmed_in_form() -> bool:
    """Whether the person confirmed an action that cannot be undone, such as a cancellation:
    in the browser's dialog (static/js/portal.js adds confirmed=1 to a form with data-confirm)
    or, without JavaScript, on the confirmation page the action shows first."""
    return request.form.get("confirmed") == "1"
