"""Canton staff start on a page of what waits for them, each count a link to its list."""

import html
import re
from datetime import timedelta

from sqlalchemy import func, select

from orders.extensions import db
from orders.models import InterpreterRequest, Order, OrderStatus, OutboxMail
from orders.models.outbox import MailStatus
from orders.models.types import utcnow
from orders.services import deadlines
from tests.conftest import log_in
from tests.test_berichte import ended_period, post_report
from tests.test_bestellungen import submit as submit_order
from tests.test_dolmetschen import submit as submit_interpreter
from tests.test_dolmetschen import today

START = "/kanton/uebersicht"


def text_of(page: str) -> str:
    """The page's words as read: inline tags taken out, the others and runs of white space
    made one space."""
    inline = re.sub(r"</?(?:a|strong|span)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_canton_staff_land_on_the_start_page(app, kanton_user):
    client = app.test_client()
    log_in(client, "koordination@kanton.ch")
    assert client.get("/").headers["Location"] == START
    page = client.get(START).text
    assert '<a href="/kanton/uebersicht" aria-current="page">Übersicht</a>' in page


def test_an_empty_portal_says_nothing_waits(canton):
    words = text_of(canton.get(START).text)
    assert "Keine neu eingegangenen Bestellungen." in words
    assert "in Bearbeitung" not in words
    assert "Alle kommenden Einsätze sind von HEKS Linguadukt bestätigt." in words
    assert "Keine unzustellbaren E-Mails." in words and "warten auf den Versand" not in words


def test_what_waits_is_counted_and_linked(canton, clerk):
    for key in ("k1", "k2", "k3"):
        submit_order(clerk, key)
    submit_interpreter(clerk, "d1")
    submit_interpreter(clerk, "d2")
    first, second, third = db.session.scalars(select(Order).order_by(Order.id))
    first.created_at = utcnow() - timedelta(days=6)
    third.status = OrderStatus.IN_PROGRESS
    past = db.session.scalars(select(InterpreterRequest).order_by(InterpreterRequest.id)).first()
    past.appointment_date = today() - timedelta(days=1)  # passed: no longer for HEKS to confirm
    [failed, *pending] = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))
    failed.status = MailStatus.FAILED
    db.session.commit()
    post_report(clerk)

    page = canton.get(START).text
    words = text_of(page)
    oldest = deadlines.today_local() - timedelta(days=6)
    assert f"2 eingegangen, die älteste seit {oldest:%d.%m.%Y}" in words
    assert 'href="/kanton/bestellungen?status=eingegangen"' in page
    assert "1 in Bearbeitung" in words
    upcoming = db.session.scalars(select(InterpreterRequest).order_by(InterpreterRequest.id))
    next_date = list(upcoming)[1].appointment_date
    assert (
        f"1 Einsatz von HEKS Linguadukt noch nicht bestätigt, der nächste am {next_date:%d.%m.%Y}"
        in words
    )
    year, half = ended_period()
    assert f"Halbjahresberichte {half}. Halbjahr {year}, fällig am" in words
    assert re.search(r"teilnehmende Gemeinden: 0 eingereicht, 1 verspätet eingereicht", words)
    assert f'href="/kanton/berichte/?jahr={year}&amp;halbjahr={half}"' in page
    assert "1 E-Mail nicht zugestellt: bitte prüfen" in words
    assert 'href="/kanton/postausgang?status=failed"' in page
    waiting = db.session.scalar(select(func.count()).where(OutboxMail.status == MailStatus.PENDING))
    assert waiting > len(pending)  # and the report's receipt
    assert f"{waiting} E-Mails warten auf den Versand" in words
