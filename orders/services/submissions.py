"""One record per submitted form, however often the form arrives."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from orders.extensions import db

T = TypeVar("T")


def add_once(record: T, find_existing: Callable[[], T | None]) -> T | None:
    """Add a record whose submission key is unique. If a concurrent request stored the same
    submission first (a double click reaching two workers), return that record instead;
    return None when this one was added."""
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = find_existing()
        if existing is None:
            raise
        return existing
    return None
