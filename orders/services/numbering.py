"""Readable, gapless-per-year numbers for submissions: B-2026-00042."""

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from orders.extensions import db
from orders.models import NumberSequence


def next_number(prefix: str, year: int) -> str:
    """Hand out the next number of this prefix and year, inside the caller's transaction.

    The increment is one UPDATE ... RETURNING, so two requests at once never get the same
    number: the second waits for the first's row lock (PostgreSQL) or write lock (SQLite).
    """
    for _attempt in range(2):
        last = db.session.execute(
            update(NumberSequence)
            .where(NumberSequence.prefix == prefix, NumberSequence.year == year)
            .values(last=NumberSequence.last + 1)
            .returning(NumberSequence.last),
            # No sequence object lives in the session: nothing to synchronise.
            execution_options={"synchronize_session": False},
        ).scalar()
        if last is not None:
            return f"{prefix}-{year}-{last:05d}"
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NumberSequence).values(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass  # another request created the row first; increment it
    raise RuntimeError(f"no number for {prefix}-{year}")
