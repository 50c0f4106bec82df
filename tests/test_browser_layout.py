"""On a phone (390 px wide, real Chromium) no page scrolls sideways: a wide table scrolls in its
own frame, and nothing inside it (a hidden text for screen readers) widens the page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
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


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(live_server, browser):
    make_user("koordination@kanton.ch")

    def opened(viewport, javascript=True):
        context = browser.new_context(
            locale="de-CH", viewport=viewport, java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto(f"{live_server}/anmelden")
        page.get_by_label("E-Mail-Adresse").fill("koordination@kanton.ch")
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/anmelden" not in url)
        return page

    page = opened(PHONE)
    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    menu = page.get_by_role("button", name="Menü")
    expect(navigation).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    navigation.get_by_role("link", name="Dolmetschen").focus()
    page.keyboard.press("Escape")  # closes it, the focus back on the button
    expect(navigation).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    menu.click()
    navigation.get_by_role("link", name="Dolmetschen").click()
    expect(page).to_have_url(re.compile(r"/kanton/dolmetschen/$"))
    page.context.close()

    desktop = opened({"width": 1280, "height": 800})
    expect(desktop.get_by_role("navigation", name="Hauptnavigation")).to_be_visible()
    expect(desktop.get_by_role("button", name="Menü")).to_be_hidden()
    desktop.context.close()

    without_script = opened(PHONE, javascript=False)
    expect(without_script.get_by_role("navigation", name="Hauptnavigation")).to_be_visible()
    expect(without_script.get_by_role("button", name="Menü")).to_be_hidden()
    without_script.context.close()
