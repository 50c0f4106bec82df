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
    assert "Keine unbestätigten Einsätze." in words
    assert "Keine fehlgeschlagenen Nachrichten." in words and "auf den Versand" not in words


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
    failed = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).first()
    failed.status = MailStatus.FAILED
    db.session.commit()
    post_report(clerk)

    page = canton.get(START).text
    words = text_of(page)
    oldest = deadlines.today_local() - timedelta(days=6)
    assert f"2 eingegangen, die älteste vom {oldest:%d.%m.%Y}" in words
    assert 'href="/kanton/bestellungen?status=eingegangen&amp;reihenfolge=aelteste"' in page
    assert f"1 in Bearbeitung, vom {deadlines.today_local():%d.%m.%Y}" in words
    assert 'href="/kanton/bestellungen?status=in_bearbeitung&amp;reihenfolge=aelteste"' in page
    upcoming = db.session.scalars(select(InterpreterRequest).order_by(InterpreterRequest.id))
    upcoming = list(upcoming)[1]
    assert (
        "1 Einsatz von HEKS Linguadukt noch nicht bestätigt, der nächste am "
        f"{upcoming.appointment_date:%d.%m.%Y}"
    ) in words
    # Its link lists that one: the booking whose appointment has passed is not HEKS's to confirm.
    link = re.search(r'href="(/kanton/dolmetschen/\?[^"]+)">1 Einsatz</a>', page).group(1)
    listed = canton.get(html.unescape(link)).text
    assert re.findall(r">(D-\d{4}-\d{5})</a>", listed) == [upcoming.number]
    year, half = ended_period()
    year_before = deadlines.today_local().year - 1
    assert f"Halbjahresberichte {half}. Halbjahr {year}, fällig am" in words
    assert re.search(r"teilnehmende Gemeinden: 0 eingereicht, 1 verspätet eingereicht", words)
    assert f'href="/kanton/berichte/?jahr={year}&amp;halbjahr={half}"' in page
    assert "1 Nachricht fehlgeschlagen: bitte prüfen" in words
    assert 'href="/kanton/postausgang?status=failed"' in page
    waiting = db.session.scalar(select(func.count()).where(OutboxMail.status == MailStatus.PENDING))
    assert f"{waiting} Nachrichten warten auf den Versand, die älteste seit" in words
    assert 'href="/kanton/postausgang?status=pending"' in page
    assert f'href="/kanton/berichte/selbstdeklarationen?jahr={year_before}"' in page
