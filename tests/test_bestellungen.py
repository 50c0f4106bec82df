"""Ordering welcome folders and materials: the form, the check page, one order per submission,
the mails, the municipality's history, cancelling."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.formatting import local_time
from orders.models import CatalogueItem, MailStatus, Order, OrderStatus, OutboxMail
from orders.services import outbox
from tests.conftest import log_in, make_user, municipality, post_form, text_body

FORM = "/gemeinde/2581/bestellungen/neu/material"


def item_id(name: str) -> int:
    return db.session.scalar(select(CatalogueItem.id).where(CatalogueItem.name == name))


def order_data(**overrides) -> dict:
    data = {
        "delivery_recipient": "Stadt Olten, Einwohnerdienste",
        "delivery_street": "Dornacherstrasse 1",
        "delivery_zip": "4600",
        "delivery_town": "Olten",
        "contact_name": "Clara Clerk",
        "contact_email": "clerk@olten.ch",
        "contact_phone": "062 206 11 11",
        "desired_date": "",
        "remarks": "Bitte an den Schalter liefern.",
        "qty__mappe__de": "20",
        "qty__mappe__fr": "5",
        f"qty__{item_id('Willkommensbrief')}__en": "30",
        f"qty__{item_id('Merkblatt Deutschkurse')}__uk": "12",
    }
    data.update(overrides)
    return data


def submit(client, key: str = "key-1", url: str = FORM, **overrides):
    return post_form(
        client,
        url,
        {**order_data(**overrides), "submission_key": key, "action": "submit"},
        form_url=url,
    )


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def test_form_is_prefilled_from_municipality_and_account(clerk, olten_user):
    page = clerk.get(FORM).get_data(as_text=True)
    assert 'value="Gemeinde Olten"' in page
    assert 'value="4600"' in page
    assert f'value="{olten_user.name}"' in page and 'value="clerk@olten.ch"' in page
    assert "Abgefüllte Erstinformationsmappe" in page and "Willkommensbrief" in page
    assert re.search(r'name="submission_key" type="hidden" value="[0-9a-f]{32}"', page)
    # Quantities start empty: nothing to delete before typing (empty orders none).
    assert 'name="qty__mappe__de" type="text" value=""' in page
    assert 'type="text" value="0"' not in page


def test_check_page_then_submit_gives_a_number_and_mails(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    check = post_form(client, FORM, {**order_data(), "action": "check"})
    page = check.get_data(as_text=True)
    assert "Bitte prüfen Sie Ihre Bestellung" in page
    assert "Willkommensbrief" in page and "Ukrainisch" in page
    assert orders_count() == 0

    # "Ändern" brings back the form with everything typed.
    edit = post_form(client, FORM, {**order_data(), "action": "edit"}, form_url=FORM)
    assert 'value="Bitte an den Schalter liefern."' in edit.get_data(
        as_text=True
    ) or "Bitte an den Schalter liefern." in edit.get_data(as_text=True)
    assert 'name="qty__mappe__fr" type="text" value="5"' in edit.get_data(as_text=True)

    response = submit(client)
    assert response.status_code == 303
    year = date.today().year
    assert response.headers["Location"] == f"/bestellungen/B-{year}-00001/bestaetigung"
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"B-{year}-00001" in confirmation and "Bestellung eingegangen" in confirmation

    order = db.session.scalar(select(Order))
    assert [(line.item_name, line.language_code, line.quantity) for line in order.lines] == [
        ("Abgefüllte Erstinformationsmappe", "de", 20),
        ("Abgefüllte Erstinformationsmappe", "fr", 5),
        ("Willkommensbrief", "en", 30),
        ("Merkblatt Deutschkurse", "uk", 12),
    ]
    assert outbox.deliver_due().sent == 2
    [confirmation_mail] = smtp_server.to("clerk@olten.ch")
    assert confirmation_mail["Subject"] == f"Bestellung B-{year}-00001 eingegangen"
    [canton_mail] = smtp_server.to(mail_app.config["ORDER_MAIL_TO"])
    assert f"B-{year}-00001" in canton_mail["Subject"] and "Olten" in canton_mail["Subject"]
    assert canton_mail["Reply-To"] == "clerk@olten.ch"
    body = text_body(canton_mail)
    for expected in (
        "Dornacherstrasse 1",
        "4600 Olten",
        "Clara Clerk",
        "062 206 11 11",
        "30 × Willkommensbrief (Englisch)",
        "12 × Merkblatt Deutschkurse (Ukrainisch)",
        "20 × Abgefüllte Erstinformationsmappe (Deutsch)",
        "Bitte an den Schalter liefern.",
    ):
        assert expected in body, expected
    [attachment] = list(canton_mail.iter_attachments())
    assert attachment.get_filename() == f"B-{year}-00001.csv"
    csv_text = attachment.get_payload(decode=True).decode("utf-8")
    assert csv_text.startswith("\ufeffBestellnummer;Datum;Status")
    assert "Abgefüllte Erstinformationsmappe;Französisch;5" in csv_text
    ordered_at = local_time(order.created_at).strftime("%d.%m.%Y %H:%M")
    assert f"B-{year}-00001;{ordered_at};eingegangen;" in csv_text
    assert "Stornierung" not in csv_text  # a new order has no reason to be cancelled


def test_numbers_count_up(clerk):
    submit(clerk, "key-1")
    submit(clerk, "key-2")
    numbers = list(db.session.scalars(select(Order.number).order_by(Order.id)))
    year = date.today().year
    assert numbers == [f"B-{year}-00001", f"B-{year}-00002"]


def test_double_submission_makes_one_order(clerk):
    first = submit(clerk, "same-key")
    second = submit(clerk, "same-key")
    assert orders_count() == 1
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 2


def test_mail_server_down_at_submit_loses_nothing(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    smtp_server.stop()
    assert submit(client).status_code == 303
    assert orders_count() == 1
    assert outbox.deliver_due().retrying == 2
    smtp_server.start()
    from orders.models.types import utcnow

    assert outbox.deliver_due(now=utcnow() + timedelta(minutes=5)).sent == 2
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"qty__mappe__de": "", "qty__mappe__fr": "", "__items__": ""},
            None,
            "Bitte geben Sie bei mindestens einer Position eine Menge ein.",
        ),
        (
            {"qty__mappe__de": "501"},
            "qty__mappe__de",
            "Höchstens 500 Stück pro Sprache und Bestellung.",
        ),
        ({"qty__mappe__de": "-3"}, "qty__mappe__de", "Die Menge darf nicht negativ sein."),
        ({"qty__mappe__de": "zehn"}, "qty__mappe__de", "Bitte geben Sie eine ganze Zahl ein"),
        ({"qty__mappe__de": "2,5"}, "qty__mappe__de", "Bitte geben Sie eine ganze Zahl ein"),
        ({"qty__mappe__de": "1e"}, "qty__mappe__de", "Bitte geben Sie eine ganze Zahl ein"),
        ({"desired_date": "2020-01-01"}, "desired_date", "liegt in der Vergangenheit"),
        ({"desired_date": "31.02.2030"}, "desired_date", "Bitte geben Sie ein gültiges Datum ein"),
        ({"delivery_street": ""}, "delivery_street", "Bitte geben Sie Strasse und Hausnummer an."),
        ({"delivery_zip": "46"}, "delivery_zip", "Die Postleitzahl hat vier Ziffern"),
        ({"delivery_zip": "0999"}, "delivery_zip", "Die Postleitzahl hat vier Ziffern"),
        ({"delivery_zip": "４６００"}, "delivery_zip", "Die Postleitzahl hat vier Ziffern"),
        ({"contact_phone": "abc"}, "contact_phone", "Bitte geben Sie eine Telefonnummer an"),
        ({"contact_phone": "062 1"}, "contact_phone", "Bitte geben Sie eine Telefonnummer an"),
        ({"delivery_town": ""}, "delivery_town", "Bitte geben Sie den Ort an."),
        ({"contact_email": "clerk"}, "contact_email", "gültige E-Mail-Adresse"),
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_keeps_the_rest(
    clerk, overrides, field, message
):
    if "__items__" in overrides:
        overrides = {key: "" for key in order_data() if key.startswith("qty__")}
    response = submit(clerk, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    if field:
        assert f'id="{field}-error"' in page
    assert "Bitte an den Schalter liefern." in page  # the rest survives
    for name, value in overrides.items():
        if value:
            assert f'value="{value}"' in page, name  # what was typed survives
    assert orders_count() == 0


def test_every_problem_is_named_at_once_the_missing_quantities_too(clerk):
    """A clerk who forgot the quantities and mistyped the postcode learns both in one go."""
    no_quantities = {key: "" for key in order_data() if key.startswith("qty__")}
    page = submit(clerk, delivery_zip="46", **no_quantities).get_data(as_text=True)
    assert "Bitte geben Sie bei mindestens einer Position eine Menge ein." in page
    assert 'id="delivery_zip-error"' in page
    assert orders_count() == 0


def test_the_list_of_problems_follows_the_page_quantities_first(clerk):
    page = submit(clerk, qty__mappe__de="501", delivery_zip="46", contact_email="x").text
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', summary) == [
        "qty__mappe__de",
        "delivery_zip",
        "contact_email",
    ]


def test_a_mistyped_quantity_is_not_called_missing(clerk):
    no_quantities = {key: "" for key in order_data() if key.startswith("qty__")}
    page = submit(clerk, **{**no_quantities, "qty__mappe__de": "zehn"}).get_data(as_text=True)
    assert 'id="qty__mappe__de-error"' in page
    assert "mindestens einer Position" not in page
    assert orders_count() == 0


def test_over_the_items_maximum(clerk):
    letter = item_id("Willkommensbrief")
    page = submit(clerk, **{f"qty__{letter}__en": "201"}).get_data(as_text=True)
    assert "Höchstens 200 Stück pro Sprache und Bestellung." in page
    assert orders_count() == 0


def test_welcome_folder_form_has_the_four_languages(clerk):
    page = clerk.get("/gemeinde/2581/bestellungen/neu/mappen").get_data(as_text=True)
    names = re.findall(r'name="(qty__[^"]+)"', page)
    assert names == ["qty__mappe__de", "qty__mappe__fr", "qty__mappe__it", "qty__mappe__en"]
    url = "/gemeinde/2581/bestellungen/neu/mappen"
    response = post_form(clerk, url, {**order_data(), "submission_key": "k", "action": "submit"})
    assert response.status_code == 303
    assert db.session.scalar(select(Order)).kind.value == "mappen"


def test_history_newest_first_with_detail_and_order_again(clerk):
    submit(clerk, "k1", remarks="erste")
    submit(clerk, "k2", remarks="zweite", qty__mappe__de="7")
    page = clerk.get("/gemeinde/2581/bestellungen").get_data(as_text=True)
    numbers = re.findall(r">(B-\d{4}-\d{5})<", page)
    assert numbers == sorted(numbers, reverse=True) and len(numbers) == 2
    detail = clerk.get(f"/bestellungen/{numbers[0]}").get_data(as_text=True)
    assert "zweite" in detail and "Nochmals bestellen" in detail
    again = clerk.get(f"{FORM}?vorlage={numbers[0]}").get_data(as_text=True)
    assert 'name="qty__mappe__de" type="text" value="7"' in again
    assert "zweite" in again


def test_history_filters_by_number_status_kind_and_day(app, clerk):
    from tests.test_kanton_bestellungen import place_orders

    for key in ("k1", "k2", "k3"):
        submit(clerk, key)
    place_orders(app, 1, bfs_nr=2546)  # Grenchen's: never in Olten's list, whatever is asked
    first, second, third = db.session.scalars(
        select(Order).where(Order.municipality.has(bfs_nr=2581)).order_by(Order.id)
    )
    second.status = OrderStatus.SHIPPED
    db.session.commit()

    def numbers(**params) -> list[str]:
        page = clerk.get("/gemeinde/2581/bestellungen", query_string=params).text
        return re.findall(r">(B-\d{4}-\d{5})</a>", page)

    assert numbers() == [third.number, second.number, first.number]
    assert numbers(status="versandt") == [second.number]
    assert numbers(nummer=first.number[-5:]) == [first.number]
    assert numbers(art="mappen") == []
    folders = submit(clerk, "k4", url="/gemeinde/2581/bestellungen/neu/mappen")
    assert numbers(art="mappen") == [folders.headers["Location"].split("/")[-2]]
    assert len(numbers(art="material")) == 3
    today = local_time(first.created_at).date().isoformat()
    assert len(numbers(von=today, bis=today)) == 4
    assert numbers(bis="2020-01-01") == []
    assert numbers(gemeinde="2546", bezirk="Lebern") == numbers()

    page = clerk.get("/gemeinde/2581/bestellungen?status=versandt&art=mappen").text
    assert "Keine Bestellungen gefunden." in page and "Filter zurücksetzen" in page
    assert '<option value="versandt" selected>versandt</option>' in page
    page = clerk.get("/gemeinde/2581/bestellungen?von=2026-13-01").text
    assert re.search(
        r'<p class="error-message" id="von-error">.*«2026-13-01» ist kein gültiges Datum', page
    )
    assert "Keine Liste, solange der Filter einen Fehler enthält" in page


def test_an_item_withdrawn_while_the_clerk_checked_is_named_and_nothing_is_ordered(clerk):
    courses = db.session.get(CatalogueItem, item_id("Merkblatt Deutschkurse"))
    courses.active = False  # the canton withdraws it while the check page is open
    db.session.commit()
    page = submit(clerk).text
    assert "Nicht mehr bestellbar: «Merkblatt Deutschkurse, Ukrainisch»" in page
    assert orders_count() == 0
    # Sent again from the form, without it, the order goes out with what is still offered.
    # Posted keys of no item it may see are a «Position», not an error page nor another
    # municipality's own supplement.
    grenchen_only = CatalogueItem(name="Grenchner Stadtplan", municipality=municipality(2546))
    db.session.add(grenchen_only)
    db.session.commit()
    crafted = {"qty__99999999999999999999__de": "1", f"qty__{grenchen_only.id}__de": "2"}
    page = submit(clerk, **crafted).text
    assert "«Position, Deutsch», «Position, Deutsch»" in page and "Grenchner" not in page
    assert orders_count() == 0
    rest = {key: value for key, value in order_data().items() if f"__{courses.id}__" not in key}
    assert (
        post_form(clerk, FORM, {**rest, "submission_key": "k2", "action": "submit"}).status_code
        == 303
    )
    assert orders_count() == 1


def test_ordering_again_names_what_is_no_longer_offered(clerk):
    submit(clerk, "k1")
    order = db.session.scalar(select(Order))
    courses = db.session.get(CatalogueItem, item_id("Merkblatt Deutschkurse"))
    courses.active = False
    db.session.commit()

    again = clerk.get(f"{FORM}?vorlage={order.number}").get_data(as_text=True)
    assert (
        f"Aus Bestellung {order.number} übernommen: die Lieferadresse, die Bemerkungen und 3 von 4 "
        "Positionen."
    ) in again
    assert f'name="qty__{item_id("Willkommensbrief")}__en" type="text" value="30"' in again
    assert (
        "Sprache bestellbar):</p>\n  "
        "<ul><li>Merkblatt Deutschkurse, Ukrainisch: 12</li></ul>" in again
    )
    assert f'name="qty__{courses.id}__uk"' not in again
    # Sent back with a problem, the form still names where it came from and what it left out.
    url = f"{FORM}?vorlage={order.number}"
    page = post_form(clerk, url, {**order_data(delivery_zip="46"), "action": "check"}).text
    assert "Die Postleitzahl hat vier Ziffern" in page
    assert (
        "übernommen: die Lieferadresse" in page and "Merkblatt Deutschkurse, Ukrainisch: 12" in page
    )

    # Everything still offered: the notice says the order was taken over, and nothing more.
    courses.active = True
    db.session.commit()
    again = clerk.get(f"{FORM}?vorlage={order.number}").get_data(as_text=True)
    assert "4 von 4 Positionen" in again and "Nicht übernommen" not in again
    assert "übernommen: die Lieferadresse" not in clerk.get(FORM).get_data(as_text=True)
    # A colleague ordering the same again is the contact of the new order, not the first orderer.
    colleague = clerk.application.test_client()
    make_user("stv@olten.ch", 2581, name="Stefan Stellvertreter")
    log_in(colleague, "stv@olten.ch")
    again = colleague.get(f"{FORM}?vorlage={order.number}").text
    assert re.search(r'<input[^>]*name="contact_email"[^>]*value="stv@olten.ch"', again)
    assert 'value="Stefan Stellvertreter"' in again and "Dornacherstrasse 1" in again
    # Only an order of this municipality and of this kind is a template for the form.
    assert (
        colleague.get(f"/gemeinde/2581/bestellungen/neu/mappen?vorlage={order.number}").status_code
        == 404
    )


def cancel(client, number: str, data: dict, **kwargs):
    """Send the order page's cancellation form."""
    url = f"/bestellungen/{number}"
    return post_form(client, f"{url}/stornieren", data, form_url=url, **kwargs)


def test_municipality_cancels_while_received_only(clerk, kanton_user):
    submit(clerk, "k1")
    order = db.session.scalar(select(Order))
    response = cancel(clerk, order.number, {"reason": "doppelt bestellt", "confirmed": "1"})
    assert response.status_code == 302
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    assert db.session.get(Order, order.id).cancel_reason == "doppelt bestellt"

    submit(clerk, "k2")
    second = db.session.scalar(select(Order).where(Order.submission_key == "k2"))
    second.status = OrderStatus.IN_PROGRESS
    db.session.commit()
    page = cancel(clerk, second.number, {}, follow_redirects=True)
    assert "kann nicht mehr storniert werden" in page.get_data(as_text=True)
    assert db.session.get(Order, second.id).status is OrderStatus.IN_PROGRESS


def test_without_javascript_a_cancellation_is_asked_on_a_page_of_its_own(clerk, mail_app):
    """A browser without JavaScript shows no dialog: the first POST only asks, keeping the
    reason typed; nothing is cancelled or mailed until «Ja» is sent."""
    submit(clerk, "k1")
    order = db.session.scalar(select(Order))
    mails_before = db.session.scalar(select(func.count()).select_from(OutboxMail))
    page = cancel(clerk, order.number, {"reason": "doppelt <bestellt>"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Bestellung {order.number} stornieren?" in html
    assert 'value="doppelt &lt;bestellt&gt;"' in html
    assert 'name="confirmed" value="1"' in html and "Ja, Bestellung stornieren" in html
    assert f'href="/bestellungen/{order.number}">Nein, zurück' in html
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.RECEIVED
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == mails_before

    response = cancel(clerk, order.number, {"reason": "doppelt bestellt", "confirmed": "1"})
    assert response.status_code == 302
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == mails_before + 2


def test_leitgemeinde_orders_for_a_member(client, app):
    municipality(2516).lead = municipality(2517)
    db.session.commit()
    make_user("ib@derendingen.ch", 2517)
    log_in(client, "ib@derendingen.ch")
    url = "/gemeinde/2516/bestellungen/neu/mappen"
    assert "Gemeinde Deitingen" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {**order_data(), "submission_key": "k", "action": "submit"})
    assert response.status_code == 303
    assert db.session.scalar(select(Order)).municipality.name == "Deitingen"


def test_merged_municipality_takes_no_new_orders(client, app):
    make_user("clerk@halten.ch", 2520)
    log_in(client, "clerk@halten.ch")
    response = client.get("/gemeinde/2520/bestellungen/neu/mappen", follow_redirects=True)
    assert "nimmt keine neuen Bestellungen mehr an" in response.get_data(as_text=True)


def test_a_cancellation_by_the_municipality_is_mailed_to_the_canton(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    submit(client)
    order = db.session.scalar(select(Order))
    outbox.deliver_due()
    cancel(client, order.number, {"reason": "doppelt bestellt", "confirmed": "1"})
    assert outbox.deliver_due().sent == 2  # the orderer's and the canton's
    new_order_mail, cancellation = smtp_server.to(mail_app.config["ORDER_MAIL_TO"])
    assert cancellation["Subject"] == f"STORNIERT: Bestellung {order.number}, Olten"
    assert cancellation["Reply-To"] == "clerk@olten.ch"
    body = text_body(cancellation)
    assert "Bitte nicht mehr versenden" in body and "Grund: doppelt bestellt" in body
    assert "Clara Clerk" in body


def test_pending_mails_are_pending(clerk):
    submit(clerk)
    statuses = set(db.session.scalars(select(OutboxMail.status)))
    assert statuses == {MailStatus.PENDING}
