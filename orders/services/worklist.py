"""What waits for canton staff, as their start page lists it: orders not yet shipped,
interpreter orders HEKS has not yet confirmed, who has reported for the last half-year and
year, and mails that did not go out. The same few queries however much data there is."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from orders.extensions import db
from orders.models import InterpreterRequest, InterpreterStatus, Order, OrderStatus, OutboxMail
from orders.models.outbox import MailStatus
from orders.services import berichte, deadlines

OPEN_ORDERS = (
    select(Order.status, func.count(), func.min(Order.created_at))
    .where(Order.status.in_([status for status in OrderStatus if status.is_open]))
    .group_by(Order.status)
)
UNCONFIRMED_INTERPRETERS = select(func.count(), func.min(InterpreterRequest.appointment_date))
MAILS = select(OutboxMail.status, func.count(), func.min(OutboxMail.created_at)).group_by(
    OutboxMail.status
)


@dataclass(frozen=True)
class Queue:
    """Records in one state: how many, and since when (the oldest's date) or until when (the
    next appointment)."""

    count: int = 0
    first: date | datetime | None = None


@dataclass(frozen=True)
class Reporting:
    """Who has reported for one period (half None: the self-declarations of the year), as the
    reports overview counts it."""

    year: int
    half: int | None
    due: date
    rows: list[berichte.OverviewRow]

    @property
    def counts(self) -> Counter:
        return berichte.status_counts(self.rows)


@dataclass(frozen=True)
class Worklist:
    """The start page's counts, each for the list it links to."""

    received_orders: Queue
    orders_in_progress: Queue
    unconfirmed_interpreters: Queue  # appointments from today on
    reports: Reporting
    declarations: Reporting
    pending_mails: Queue
    failed_mails: Queue


def for_canton(today: date | None = None) -> Worklist:
    """What waits today: the reports of the half-year last ended and the self-declarations of
    last year, as the reports pages show them by default."""
    today = today or deadlines.today_local()
    orders = {
        status: Queue(count, first) for status, count, first in db.session.execute(OPEN_ORDERS)
    }
    interpreters = db.session.execute(
        UNCONFIRMED_INTERPRETERS.where(
            InterpreterRequest.status == InterpreterStatus.SUBMITTED,
            InterpreterRequest.appointment_date >= today,
        )
    ).one()
    mails = {status: Queue(count, first) for status, count, first in db.session.execute(MAILS)}
    year, half = deadlines.last_ended_half(today)
    reports = berichte.report_overview(year, half)
    declarations = berichte.declaration_overview(today.year - 1)
    return Worklist(
        received_orders=orders.get(OrderStatus.RECEIVED, Queue()),
        orders_in_progress=orders.get(OrderStatus.IN_PROGRESS, Queue()),
        unconfirmed_interpreters=Queue(*interpreters),
        reports=Reporting(
            year,
            half,
            deadlines.report_due(year, half),
            reports,
        ),
        declarations=Reporting(
            today.year - 1,
            None,
            deadlines.declaration_due(today.year - 1),
            declarations,
        ),
        pending_mails=mails.get(MailStatus.PENDING, Queue()),
        failed_mails=mails.get(MailStatus.FAILED, Queue()),
    )
