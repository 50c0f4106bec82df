"""The one place that decides which municipalities a user may see."""

from flask import abort
from sqlalchemy import Select, or_, select

from orders.extensions import db
from orders.models import Municipality, User
from orders.services.gemeinden import sorted_by_name


def addressed_to(bezirke: list[str], user: User) -> bool:
    """Whether something sent to the municipalities of these Bezirke (none: to all) is for
    the user: canton staff see all of it; Gemeinde staff what is for their municipality."""
    if user.is_kanton:
        return True
    return user.municipality is not None and reaches(bezirke, user.municipality)


def reaches(bezirke: list[str], municipality: Municipality) -> bool:
    """Whether something sent to the municipalities of these Bezirke (none: to all) is sent
    to this municipality."""
    return not bezirke or municipality.bezirk in bezirke


def visible_municipalities_query(user: User) -> Select:
    """Municipalities whose data the user may see: all for canton staff; for Gemeinde staff
    their own and, for a Leitgemeinde, its member municipalities."""
    query = select(Municipality).order_by(Municipality.name)
    if user.is_kanton:
        return query
    return query.where(
        or_(
            Municipality.id == user.municipality_id,
            Municipality.lead_id == user.municipality_id,
        )
    )


def visible_municipality_ids(user: User) -> Select:
    """The visible municipalities' ids as a subquery, to scope municipal records:
    `.where(Order.municipality_id.in_(visible_municipality_ids(user)))`."""
    return visible_municipalities_query(user).with_only_columns(Municipality.id).order_by(None)


def visible_municipalities(user: User) -> list[Municipality]:
    return sorted_by_name(db.session.scalars(visible_municipalities_query(user)))


def municipality_or_404(user: User, bfs_nr: int) -> Municipality:
    """The municipality with this BFS number if the user may see it; otherwise 404, so that
    nobody learns whether another municipality's record exists."""
    own = user.municipality  # loaded with the login session: no query for one's own pages
    if own is not None and own.bfs_nr == bfs_nr:
        return own
    municipality = db.session.scalar(
        visible_municipalities_query(user).where(Municipality.bfs_nr == bfs_nr)
    )
    if municipality is None:
        abort(404)
    return municipality
