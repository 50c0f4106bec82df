"""Record who did what, in the transaction of the change itself."""

from flask import has_request_context, request

from orders.extensions import db
from orders.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    obj: db.Model | None = None,
    **detail,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    The client address is taken from the request when there is one; CLI commands have none.
    """
    event = AuditEvent(
        action=action,
        actor=actor,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        detail=detail,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event
