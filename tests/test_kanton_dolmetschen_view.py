"""An interpreter order opened from the canton's inbox: the back link leads to the inbox, the
municipality's own action «erneut bestellen» is not offered; what the routes let the canton
do (record HEKS's confirmation, cancel, record the outcome) stays on the page."""

import re
from datetime import timedelta

from sqlalchemy import select

from orders.extensions import db
from orders.models import InterpreterRequest, InterpreterStatus
from tests.conftest import log_in, post_form
from tests.test_dolmetschen import submit, today

ORDER_AGAIN = "erneut bestellen"


def placed_by_olten(clerk) -> str:
    submit(clerk)
    return db.session.scalar(select(InterpreterRequest.number))


def opened_from_the_inbox(canton, number: str) -> str:
    inbox = canton.get("/kanton/dolmetschen/").get_data(as_text=True)
    [link] = re.findall(rf'href="([^"]*)">{number}</a>', inbox)
    response = canton.get(link)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_canton_gets_the_back_link_to_its_inbox_and_no_order_again(clerk, canton):
    number = placed_by_olten(clerk)
    page = opened_from_the_inbox(canton, number)
    assert '<a href="/kanton/dolmetschen/">‹ Dolmetscheinsätze</a>' in page
    assert "‹ Dolmetschende" not in page
    assert ORDER_AGAIN not in page
    assert "/gemeinde/2581/dolmetschen" not in page  # neither the list nor the order form


def test_canton_keeps_what_the_routes_let_it_do(clerk, canton):
    number = placed_by_olten(clerk)
    page = opened_from_the_inbox(canton, number)
    assert f'action="/dolmetschen/{number}/bestaetigen"' in page
    assert f'action="/dolmetschen/{number}/stornieren"' in page
    url = f"/dolmetschen/{number}"
    response = post_form(
        canton,
        f"{url}/bestaetigen",
        {"interpreter_name": "A. Tesfay"},
        form_url=url,
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Die Bestätigung von HEKS ist erfasst." in page
    assert '<a href="/kanton/dolmetschen/">‹ Dolmetscheinsätze</a>' in page
    booking = db.session.scalar(select(InterpreterRequest))
    assert booking.status is InterpreterStatus.CONFIRMED

    booking.appointment_date = today() - timedelta(days=3)
    db.session.commit()
    page = canton.get(url).get_data(as_text=True)
    assert f'action="/dolmetschen/{number}/ergebnis"' in page
    assert ORDER_AGAIN not in page


def test_the_clerk_keeps_his_back_link_and_his_actions(clerk):
    number = placed_by_olten(clerk)
    page = clerk.get(f"/dolmetschen/{number}").get_data(as_text=True)
    assert '<a href="/gemeinde/2581/dolmetschen">‹ Dolmetschende Olten</a>' in page
    assert "‹ Dolmetscheinsätze" not in page
    assert f'href="/gemeinde/2581/dolmetschen/neu?vorlage={number}">Für Folgegespräch' in page
    assert f'action="/dolmetschen/{number}/bestaetigen"' in page
    assert f'action="/dolmetschen/{number}/stornieren"' in page


def test_another_municipality_still_gets_404(app, clerk, grenchen_user):
    number = placed_by_olten(clerk)
    other = app.test_client()
    log_in(other, "clerk@grenchen.ch")
    assert other.get(f"/dolmetschen/{number}").status_code == 404
