"""Keyset pagination for long lists ordered newest (or oldest) first: page 500 costs what
page 1 costs.

A page is found from the key (created_at, id) of the row before it («Weiter») or after it
(«Zurück»), never by skipping rows with OFFSET. The keys travel in the links as cursors.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_

from orders.extensions import db

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNT_LIMIT = 10_000


def encode(created_at: datetime, row_id: int) -> str:
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row_id}"


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    """The key in a cursor, or None for a missing or malformed one (then page 1 is shown)."""
    micros, _, row_id = (cursor or "").partition(".")
    if not (micros.lstrip("-").isdigit() and row_id.isdigit()):
        return None
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(row_id)
    except OverflowError:
        return None


@dataclass
class KeysetPage:
    items: list
    page: int  # the page's number, for display
    per_page: int
    total: int
    has_prev: bool
    has_next: bool
    prev_cursor: str | None
    next_cursor: str | None

    @classmethod
    def empty(cls, per_page: int) -> "KeysetPage":
        """A list with nothing on it (e.g. for a filter that could not be read)."""
        return cls([], 1, per_page, 0, False, False, None, None)

    @property
    def total_capped(self) -> bool:
        """More rows than were counted: `total` is COUNT_LIMIT + 1, the pages are unknown."""
        return self.total > COUNT_LIMIT

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# No list has more pages; a larger number (typed, or a link gone wrong) is this page: its
# OFFSET must still fit the database's integers (SQLite raised OverflowError).
MAX_PAGE = 1_000_000


def page_number(args, name: str = "page") -> int:
    """A page number from a request's arguments: 1 when missing or unreadable, at most
    MAX_PAGE. For Flask-SQLAlchemy's paginate(page=…) too."""
    return min(max(args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


def cursor_args(args) -> dict:
    """keyset_page's position from a request's arguments, as `keyset_pagination` in
    templates/_macros.html writes them into its links."""
    return {
        "after": args.get("nach"),
        "before": args.get("vor"),
        "number": page_number(args, "seite"),
        "offset_page": page_number(args) if args.get("page") else None,
    }


def _fetch(statement: Select):
    result = db.session.execute(statement)
    return result.scalars() if len(statement.column_descriptions) == 1 else result


def keyset_page(
    statement: Select,
    created_at,
    row_id,
    *,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
    number: int = 1,
    offset_page: int | None = None,
    shown: Callable[[Select], Select] | None = None,
    oldest_first: bool = False,
) -> KeysetPage:
    """One page of `statement` (filtered, not yet ordered) newest first by (created_at, id),
    or oldest first: its objects when it selects one entity, otherwise its rows.

    `after`: the page after the row with this cursor; `before`: the page before it; neither:
    the first page. Three queries whatever the depth: the rows, their eager loads, the count.
    `offset_page` (old `?page=N` links, without cursors): that page by OFFSET.
    `shown`: turns the statement into what the page lists (e.g. plain rows with joined
    columns); the count runs on the statement alone, without those joins.
    """
    statement = statement.order_by(None)
    # Counted up to COUNT_LIMIT: beyond it the page says «mehr als 10'000 Einträge», and the
    # count costs the same with a million orders as with ten thousand.
    counted = (
        statement.with_only_columns(literal(1), maintain_column_froms=True)
        .limit(COUNT_LIMIT + 1)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(counted))
    if shown is not None:
        statement = shown(statement)
    key = tuple_(created_at, row_id)
    forward, backward = (created_at.desc(), row_id.desc()), (created_at.asc(), row_id.asc())
    if oldest_first:
        forward, backward = backward, forward

    def beyond(cursor_key) -> ColumnElement[bool]:
        """The rows that come after the cursor's row in the list's order."""
        return key > tuple_(*cursor_key) if oldest_first else key < tuple_(*cursor_key)

    def ahead_of(cursor_key) -> ColumnElement[bool]:
        return key < tuple_(*cursor_key) if oldest_first else key > tuple_(*cursor_key)

    after_key, before_key = decode(after), decode(before)
    if before_key is not None:
        rows = list(
            _fetch(statement.where(ahead_of(before_key)).order_by(*backward).limit(per_page + 1))
        )
        has_prev = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        has_next = True
    elif after_key is None and offset_page and offset_page > 1:
        rows = list(
            _fetch(
                statement.order_by(*forward)
                .offset((offset_page - 1) * per_page)
                .limit(per_page + 1)
            )
        )
        has_next = len(rows) > per_page
        items = rows[:per_page]
        has_prev, number = True, offset_page
    else:
        if after_key is not None:
            statement = statement.where(beyond(after_key))
        else:
            number = 1
        rows = list(_fetch(statement.order_by(*forward).limit(per_page + 1)))
        has_next = len(rows) > per_page
        items = rows[:per_page]
        has_prev = after_key is not None
    if not has_prev:
        number = 1

    def cursor(item) -> str:
        return encode(getattr(item, created_at.key), getattr(item, row_id.key))

    return KeysetPage(
        items=items,
        page=max(number, 1),
        per_page=per_page,
        total=total,
        has_prev=has_prev and bool(items),
        has_next=has_next and bool(items),
        prev_cursor=cursor(items[0]) if items else None,
        next_cursor=cursor(items[-1]) if items else None,
    )
