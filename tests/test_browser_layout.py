"""On a phone (390 px wide, real Chromium) no page scrolls sideways: a wide table scrolls in its
own frame, and nothing inside it (a hidden text for screen readers) widens the page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.extensions import db
from orders.models import InterpreterRequest, Order
from orders.services import deadlines
from tests.conftest import PASSWORD, log_in, make_user
from tests.test_berichte import ended_period, post_report
from tests.test_bestellungen import submit as submit_order
from tests.test_dolmetschen import submit as submit_interpreter

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def pages_of(year: int, order: str, booking: str) -> dict[str, list[str]]:
    return {
        "koordination@kanton.ch": [
            "/kanton/uebersicht",
            "/kanton/bestellungen",
            "/kanton/dolmetschen/",
            f"/kanton/dolmetschen/zahlen?jahr={year}",
            "/kanton/berichte/",
            f"/kanton/berichte/auszahlung?jahr={year}",
            "/kanton/berichte/tarife",
            "/kanton/postausgang",
            "/kanton/katalog",
            "/kanton/",
            f"/kanton/bestellungen/{order}",
        ],
        "clerk@olten.ch": [
            "/gemeinde/2581",
            "/gemeinde/2581/bestellungen",
            "/gemeinde/2581/bestellungen/neu/material",
            "/gemeinde/2581/dolmetschen",
            "/gemeinde/2581/dolmetschen/neu",
            "/gemeinde/2581/berichte",
            f"/bestellungen/{order}",
            f"/dolmetschen/{booking}",
            "/konto",
        ],
    }


def test_no_page_is_wider_than_a_phone(live_server, browser, mail_app):
    make_user("koordination@kanton.ch")
    make_user("clerk@olten.ch", 2581)
    clerk = mail_app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit_order(clerk)
    submit_interpreter(clerk)
    year, half = ended_period()
    post_report(clerk)
    booking = db.session.scalar(select(InterpreterRequest))
    booking.appointment_date = deadlines.period_start(year, half) + timedelta(days=3)
    booking.held = True
    db.session.commit()

    too_wide = {}
    order = db.session.scalar(select(Order.number))
    for email, urls in pages_of(year, order, booking.number).items():
        context = browser.new_context(locale="de-CH", viewport=PHONE)
        page = context.new_page()
        page.goto(f"{live_server}/anmelden")
        page.get_by_label("E-Mail-Adresse").fill(email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/anmelden" not in url)
        for url in urls:
            assert page.goto(live_server + url).status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[url] = width
        context.close()
    assert too_wide == {}
