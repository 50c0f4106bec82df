"""The canton's order inbox, status workflow, exports, delivery note and catalogue; access."""

import csv
import io
import re
import zipfile
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update

from orders.extensions import db
from orders.formatting import german_sort_key, local_time
from orders.models import CatalogueItem, Municipality, Order, OrderKind, OrderStatus, OutboxMail
from orders.services import bestellungen, catalogue, deadlines, outbox
from tests.conftest import csrf_token, log_in, make_user, municipality, post_form, text_body
from tests.test_bestellungen import FORM, order_data, submit


def place_orders(app, count: int, *, bfs_nr: int = 2581, email: str | None = None) -> None:
    email = email or f"orders{bfs_nr}@gemeinde.ch"
    if not _user_exists(email):
        make_user(email, bfs_nr)
    client = app.test_client()
    log_in(client, email)
    url = f"/gemeinde/{bfs_nr}/bestellungen/neu/material"
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)
    ).group(1)
    for index in range(count):
        response = client.post(
            url,
            data={
                **order_data(),
                "csrf_token": token,
                "action": "submit",
                "submission_key": f"{bfs_nr}-{index}",
            },
        )
        assert response.status_code == 303


def _user_exists(email: str) -> bool:
    from orders.models import User

    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def test_canton_processes_an_order_and_the_orderer_hears_of_it(mail_app, smtp_server):
    make_user("koordination@kanton.ch")
    make_user("clerk@olten.ch", 2581)
    clerk = mail_app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit(clerk)
    order = db.session.scalar(select(Order))
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    url = f"/kanton/bestellungen/{order.number}"

    assert post_form(canton, url, {"status": "in_bearbeitung"}).status_code == 302
    assert post_form(canton, url, {"status": "versandt", "note": "Post A"}).status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.SHIPPED
    assert [(e.status, e.actor.email) for e in order.events] == [
        (OrderStatus.RECEIVED, "clerk@olten.ch"),
        (OrderStatus.IN_PROGRESS, "koordination@kanton.ch"),
        (OrderStatus.SHIPPED, "koordination@kanton.ch"),
    ]
    # Nothing follows versandt.
    assert "Status ändern" not in canton.get(url).get_data(as_text=True)

    outbox.deliver_due()
    subjects = [m["Subject"] for m in smtp_server.to("clerk@olten.ch")]
    assert subjects == [
        f"Bestellung {order.number} eingegangen",
        f"Bestellung {order.number} versandt",
    ]
    assert "Post A" in text_body(smtp_server.to("clerk@olten.ch")[1])


def test_an_order_packed_at_once_is_shipped_in_one_step(app, canton):
    place_orders(app, 1)
    order = db.session.scalar(select(Order))
    url = f"/kanton/bestellungen/{order.number}"
    page = canton.get(url).text
    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert offered == ["in_bearbeitung", "versandt", "storniert"]
    # Nothing is preset: saving without a choice changes nothing and says so.
    assert '<select id="status" name="status" required><option value="">– bitte wählen –' in page
    page = post_form(canton, url, {"status": "", "note": "Post A"}).text
    assert re.search(r'id="status-error">.*Bitte wählen Sie den neuen Status.</p>', page)
    assert "Post A</textarea>" in page
    assert db.session.get(Order, order.id).status is OrderStatus.RECEIVED
    assert post_form(canton, url, {"status": "versandt", "note": ""}).status_code == 302
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.SHIPPED
    assert [e.status for e in order.events] == [OrderStatus.RECEIVED, OrderStatus.SHIPPED]
    # Shipped is final: nothing more is offered, and a change sent anyway is refused.
    assert "Status ändern" not in canton.get(url).text
    assert not bestellungen.municipality_may_cancel(order)
    with pytest.raises(bestellungen.OrderError, match="kann nicht auf «in Bearbeitung»"):
        bestellungen.change_status(order, OrderStatus.IN_PROGRESS, order.ordered_by)


def test_shipping_an_order_the_municipality_has_just_cancelled_is_refused(app, canton):
    """The canton's page read the order before the clerk's cancellation was committed: the
    status moves only from what was read, so no shipping mail follows the cancellation."""
    place_orders(app, 1)
    order = db.session.scalar(select(Order))
    with db.engine.begin() as clerk_meanwhile:
        clerk_meanwhile.execute(
            update(Order).where(Order.id == order.id).values(status=OrderStatus.CANCELLED)
        )
    mails = db.session.scalar(select(func.count(OutboxMail.id)))
    with pytest.raises(bestellungen.OrderError, match="inzwischen geändert"):
        bestellungen.change_status(order, OrderStatus.SHIPPED, order.ordered_by)
    db.session.rollback()
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    assert db.session.scalar(select(func.count(OutboxMail.id))) == mails


def test_cancelling_needs_a_reason_and_mails_it(mail_app, smtp_server):
    make_user("koordination@kanton.ch")
    make_user("clerk@olten.ch", 2581)
    clerk = mail_app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit(clerk)
    order = db.session.scalar(select(Order))
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    url = f"/kanton/bestellungen/{order.number}"
    page = post_form(canton, url, {"status": "storniert", "note": ""}).get_data(as_text=True)
    assert "Bitte geben Sie einen Grund für die Stornierung an." in page
    post_form(canton, url, {"status": "storniert", "note": "Material vergriffen"})
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED
    outbox.deliver_due()
    cancelled = smtp_server.to("clerk@olten.ch")[-1]
    assert cancelled["Subject"] == f"Bestellung {order.number} storniert"
    assert "Material vergriffen" in text_body(cancelled)


def test_a_status_from_an_outdated_page_says_what_happened_meanwhile(app, canton):
    """Two tabs (or two colleagues): the second change, no longer possible, is not dropped
    silently; the note typed stays in its field where the form is still offered."""
    place_orders(app, 1)
    order = db.session.scalar(select(Order))
    url = f"/kanton/bestellungen/{order.number}"
    token = csrf_token(canton, url)  # the second tab, opened while the order was new
    post_form(canton, url, {"status": "in_bearbeitung", "note": ""})
    page = canton.post(url, data={"csrf_token": token, "status": "in_bearbeitung", "note": "X1"})
    assert page.status_code == 200
    assert f"Bestellung {order.number} ist bereits «in Bearbeitung»." in page.text
    assert "X1</textarea>" in page.text  # the form is still offered, with the note typed
    post_form(canton, url, {"status": "versandt", "note": ""})
    late = canton.post(url, data={"csrf_token": token, "status": "storniert", "note": "zu spät"})
    assert (
        f"Bestellung {order.number} hat inzwischen den Status «versandt»: "
        "«storniert» ist nicht mehr möglich."
    ) in late.text
    assert db.session.get(Order, order.id).status is OrderStatus.SHIPPED


def test_inbox_filters(app, canton):
    place_orders(app, 2, bfs_nr=2581)
    place_orders(app, 1, bfs_nr=2546)
    grenchen = db.session.scalar(
        select(Order).join(Order.municipality).where(Order.municipality.has(bfs_nr=2546))
    )
    grenchen.status = OrderStatus.IN_PROGRESS
    db.session.commit()

    def numbers(**params) -> set[str]:
        page = canton.get("/kanton/bestellungen", query_string=params).get_data(as_text=True)
        return set(re.findall(r">(B-\d{4}-\d{5})</a>", page))

    assert len(numbers()) == 3
    assert numbers(status="in_bearbeitung") == {grenchen.number}
    assert numbers(gemeinde="2546") == {grenchen.number}
    assert numbers(bezirk="Lebern") == {grenchen.number}
    assert len(numbers(bezirk="Olten")) == 2
    assert numbers(nummer=grenchen.number) == {grenchen.number}
    assert len(numbers(art="material")) == 3 and numbers(art="mappen") == set()
    today = local_time(grenchen.created_at).date().isoformat()  # the filter's days are Zurich's
    assert len(numbers(von=today, bis=today)) == 3
    assert numbers(von="2000-01-01", bis="2000-12-31") == set()
    # The filter shows what was chosen, and lists every municipality.
    page = canton.get(
        "/kanton/bestellungen", query_string={"gemeinde": "2546", "status": "versandt"}
    ).get_data(as_text=True)
    assert page.count(" selected>") == 2
    assert '<option value="2546" selected>Grenchen</option>' in page
    assert '<option value="versandt" selected>versandt</option>' in page
    assert page.count("<option value=") - page.count('<option value="">') == (
        db.session.scalar(select(func.count(Municipality.id)))
        + len(OrderStatus)
        + len(OrderKind)
        + db.session.scalar(select(func.count(Municipality.bezirk.distinct())))
        + 1  # «älteste zuerst»
    )


def test_inbox_shows_the_wished_date_and_which_are_missed(app, canton):
    place_orders(app, 3)
    missed, shipped, undated = db.session.scalars(select(Order).order_by(Order.id))
    yesterday = deadlines.today_local() - timedelta(days=1)
    missed.desired_date = shipped.desired_date = yesterday
    shipped.status = OrderStatus.SHIPPED
    undated.desired_date = None
    db.session.commit()

    page = canton.get("/kanton/bestellungen").text
    cells = {
        number: cell
        for number, cell in re.findall(
            r'>(B-\d{4}-\d{5})</a></td>\s*<td>[^<]*</td>\s*<td class="nowrap">(.*?)</td>', page
        )
    }
    assert cells == {
        missed.number: f'{yesterday:%d.%m.%Y} <strong class="overdue">(überfällig)</strong>',
        shipped.number: f"{yesterday:%d.%m.%Y}",
        undated.number: "–",
    }
    assert '<th scope="col">Liefertermin</th>' in page


def test_csv_export_opens_in_excel_with_umlauts(app, canton):
    place_orders(app, 2)
    response = canton.get("/kanton/bestellungen/export.csv?gemeinde=2581")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = deadlines.today_local().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="bestellungen-{today}.csv"'
    )
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Bestellnummer", "Datum", "Status"]
    assert len(rows) == 1 + 2 * 4  # two orders of four lines
    assert ["Abgefüllte Erstinformationsmappe", "Französisch", "5"] == rows[2][15:18]
    empty = canton.get("/kanton/bestellungen/export.csv?gemeinde=2546").get_data().decode()
    assert len(list(csv.reader(io.StringIO(empty.lstrip("\ufeff")), delimiter=";"))) == 1


def test_csv_export_has_swiss_dates_and_why_an_order_was_cancelled(app, canton):
    place_orders(app, 2)
    first, second = db.session.scalars(select(Order).order_by(Order.id))
    first.desired_date = date(2027, 1, 15)
    db.session.commit()
    post_form(
        canton,
        f"/kanton/bestellungen/{second.number}",
        {"status": "storniert", "note": "Doppelt bestellt"},
    )
    text = canton.get("/kanton/bestellungen/export.csv").get_data().decode("utf-8")
    header, *rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    column = {name: header.index(name) for name in ("Datum", "Liefertermin", "Status")}
    assert header[-1] == "Grund der Stornierung"
    by_number = {row[0]: row for row in rows}
    assert by_number[first.number][column["Datum"]] == local_time(first.created_at).strftime(
        "%d.%m.%Y %H:%M"
    )
    assert by_number[first.number][column["Liefertermin"]] == "15.01.2027"
    assert by_number[first.number][-1] == ""
    assert by_number[second.number][column["Status"]] == "storniert"
    assert by_number[second.number][-1] == "Doppelt bestellt"


def test_xlsx_export_is_an_export_job(app, canton):
    """The XLSX is no direct download any more (tests/test_export_jobs.py): the inbox's button
    posts the filters, and GET export.xlsx is gone."""
    place_orders(app, 2)
    assert canton.get("/kanton/bestellungen/export.xlsx").status_code == 404
    response = post_form(
        canton, "/kanton/exporte/bestellungen", {}, form_url="/kanton/bestellungen"
    )
    assert response.status_code == 303
    job_page = canton.get(response.headers["Location"]).get_data(as_text=True)
    download = re.search(r'href="(/kanton/exporte/\d+/datei)"', job_page).group(1)
    archive = zipfile.ZipFile(io.BytesIO(canton.get(download).get_data()))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    strings = (
        archive.read("xl/sharedStrings.xml").decode()
        if "xl/sharedStrings.xml" in archive.namelist()
        else sheet
    )
    assert "Abgefüllte Erstinformationsmappe" in strings and "Französisch" in strings
    assert len(re.findall(r"<row ", sheet)) == 1 + 2 * 4


def test_exports_never_turn_typed_text_into_formulas(app, canton, olten_user):
    """OWASP ASVS 4.0.3 V5.3.10 / CSV injection: a remark typed as a formula stays text in the
    canton's spreadsheet, in CSV and in XLSX."""
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    payload = '=HYPERLINK("https://evil.example/x","Klick")'
    assert submit(clerk, remarks=payload).status_code == 303
    text = canton.get("/kanton/bestellungen/export.csv").get_data().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 4  # every line of the order carries its remarks
    assert all("'" + payload in row and payload not in row for row in rows[1:])
    # The canton's mail attaches the order as a CSV too.
    attached = bestellungen.order_csv(db.session.scalar(select(Order))).decode("utf-8")
    attached_rows = list(csv.reader(io.StringIO(attached.lstrip("\ufeff")), delimiter=";"))
    assert "'" + payload in attached_rows[1] and payload not in attached_rows[1]
    job = post_form(canton, "/kanton/exporte/bestellungen", {}, form_url="/kanton/bestellungen")
    download = canton.get(job.headers["Location"] + "/datei")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()  # inline strings
    assert "HYPERLINK" in sheet and "<f>" not in sheet


@contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.mark.parametrize(
    "url",
    [
        "/kanton/bestellungen",
        "/kanton/bestellungen?status=eingegangen&bezirk=Olten",
        "/kanton/bestellungen/export.csv",
        "/gemeinde/2581/bestellungen",
    ],
)
def test_queries_do_not_grow_with_the_number_of_orders(app, kanton_user, url):
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    place_orders(app, 3, email="clerk@olten.ch")
    with count_queries() as few:
        canton.get(url)
    place_orders(app, 15, email="clerk@olten.ch")
    with count_queries() as many:
        response = canton.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), "\n".join(many)


def test_delivery_note_has_the_address_in_the_window(app, canton):
    place_orders(app, 1)
    order = db.session.scalar(select(Order))
    page = canton.get(f"/bestellungen/{order.number}/lieferschein").get_data(as_text=True)
    assert f"Lieferschein {order.number}" in page
    address = re.search(r'<address class="recipient">(.*?)</address>', page, re.S).group(1)
    assert "Stadt Olten, Einwohnerdienste" in address and "4600 Olten" in address
    assert "Willkommensbrief" in page
    assert "STORNIERT" not in page
    # A cancelled order offers no delivery note; one opened anyway says not to ship it.
    order.status = OrderStatus.CANCELLED
    db.session.commit()
    assert "Lieferschein drucken" not in canton.get(f"/kanton/bestellungen/{order.number}").text
    page = canton.get(f"/bestellungen/{order.number}/lieferschein").text
    assert "STORNIERT – nicht versenden" in page


def test_catalogue_add_and_deactivate(app, canton, olten_user):
    response = post_form(
        canton,
        "/kanton/katalog/neu",
        {
            "name": "Flyer Elterncafé",
            "category": "Flyer",
            "description": "",
            "max_quantity": "40",
            "languages": ["de", "ti"],
            "municipality": "",
            "active": "y",
        },
    )
    assert response.status_code == 302
    flyer = db.session.scalar(select(CatalogueItem).where(CatalogueItem.name == "Flyer Elterncafé"))
    assert [language.code for language in flyer.languages] == ["de", "ti"]

    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    assert f'name="qty__{flyer.id}__ti"' in clerk.get(FORM).get_data(as_text=True)
    submit(clerk, **{f"qty__{flyer.id}__ti": "10"})
    order = db.session.scalar(select(Order))

    post_form(
        canton,
        f"/kanton/katalog/{flyer.id}",
        {
            "name": "Flyer Elterncafé",
            "category": "Flyer",
            "description": "",
            "max_quantity": "40",
            "languages": ["de", "ti"],
            "municipality": "",
        },
    )
    assert not db.session.get(CatalogueItem, flyer.id).active
    assert "Flyer Elterncafé" not in clerk.get(FORM).get_data(as_text=True)
    assert "Flyer Elterncafé" in clerk.get(f"/bestellungen/{order.number}").get_data(as_text=True)


def test_languages_are_listed_with_the_folders_four_first_then_a_to_z(canton):
    page = canton.get("/kanton/katalog/neu").text
    names = re.findall(r'<label for="languages-\d+">([^<]+)</label>', page)
    assert names[:4] == ["Deutsch", "Französisch", "Italienisch", "Englisch"]
    assert names[4:] == sorted(names[4:], key=german_sort_key)
    assert len(names) == len(catalogue.LANGUAGES)
    assert names.index("Amharisch") < names.index("Arabisch") < names.index("Dari")
    assert names.index("Dari") < names.index("Persisch (Farsi)")


def test_a_catalogue_item_of_the_same_name_is_refused(app, canton):
    form = {
        "name": "Flyer Elterncafé",
        "category": "Flyer",
        "description": "",
        "max_quantity": "40",
        "languages": ["de"],
        "municipality": "",
        "active": "y",
    }
    assert post_form(canton, "/kanton/katalog/neu", form).status_code == 302
    again = post_form(canton, "/kanton/katalog/neu", {**form, "name": " flyer elterncafé "})
    assert again.status_code == 200
    assert "Für alle Gemeinden gibt es schon einen Artikel «flyer elterncafé»" in again.text
    shouted = post_form(canton, "/kanton/katalog/neu", {**form, "name": "FLYER ELTERNCAFÉ"})
    assert "gibt es schon einen Artikel «FLYER ELTERNCAFÉ»" in shouted.text  # É, not only E
    named = func.lower(CatalogueItem.name) == "flyer elterncafé"
    assert db.session.scalar(select(func.count()).select_from(CatalogueItem).where(named)) == 1
    # One municipality's supplement may share the name; the item itself may be saved again.
    olten = {**form, "municipality": str(municipality(2581).id)}
    assert post_form(canton, "/kanton/katalog/neu", olten).status_code == 302
    flyer = db.session.scalar(
        select(CatalogueItem).where(named, CatalogueItem.municipality_id.is_(None))
    )
    edit = f"/kanton/katalog/{flyer.id}"
    assert post_form(canton, edit, {**form, "max_quantity": "50"}).status_code == 302


def test_catalogue_form_messages(canton):
    page = post_form(
        canton,
        "/kanton/katalog/neu",
        {
            "name": "",
            "max_quantity": "viele",
            "municipality": "",
        },
    ).get_data(as_text=True)
    assert "Bitte geben Sie eine Bezeichnung ein." in page
    assert "Bitte geben Sie eine ganze Zahl ein" in page and 'value="viele"' in page
    assert "Bitte wählen Sie mindestens eine Sprache." in page


def test_municipality_specific_supplement_only_for_that_municipality(
    app, canton, olten_user, grenchen_user
):
    from tests.conftest import municipality

    post_form(
        canton,
        "/kanton/katalog/neu",
        {
            "name": "Beilage Stadt Olten",
            "category": "Beilagen",
            "max_quantity": "100",
            "languages": ["de"],
            "municipality": str(municipality(2581).id),
            "active": "y",
        },
    )
    olten, grenchen = app.test_client(), app.test_client()
    log_in(olten, "clerk@olten.ch")
    log_in(grenchen, "clerk@grenchen.ch")
    assert "Beilage Stadt Olten" in olten.get(FORM).get_data(as_text=True)
    assert "Beilage Stadt Olten" not in grenchen.get(
        "/gemeinde/2546/bestellungen/neu/material"
    ).get_data(as_text=True)


def test_another_municipality_gets_404_everywhere(app, olten_user, grenchen_user):
    place_orders(app, 1, email="clerk@olten.ch")
    order = db.session.scalar(select(Order))
    grenchen = app.test_client()
    log_in(grenchen, "clerk@grenchen.ch")
    for url in (
        f"/bestellungen/{order.number}",
        f"/bestellungen/{order.number}/bestaetigung",
        f"/bestellungen/{order.number}/lieferschein",
        f"/gemeinde/2546/bestellungen/neu/material?vorlage={order.number}",
        "/gemeinde/2581/bestellungen",
        "/gemeinde/2581/bestellungen/neu/mappen",
        f"/kanton/bestellungen/{order.number}",
        "/kanton/bestellungen",
        "/kanton/bestellungen/export.csv",
        "/kanton/exporte",
        "/kanton/katalog",
        "/kanton/katalog/neu",
    ):
        assert grenchen.get(url).status_code == 404, url
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"',
        grenchen.get("/gemeinde/2546").get_data(as_text=True),
    ).group(1)
    response = grenchen.post(f"/bestellungen/{order.number}/stornieren", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.get(Order, order.id).status is OrderStatus.RECEIVED


@pytest.mark.parametrize(
    "url, tab",
    [
        ("/kanton/bestellungen", "Eingang"),
        ("/kanton/katalog", "Katalog"),
        ("/kanton/exporte", "Meine Exporte"),
    ],
)
def test_the_orders_section_has_its_inbox_catalogue_and_exports_as_tabs(canton, url, tab):
    tabs = re.search(
        r'<nav class="tabs" aria-label="Bestellungen">(.*?)</nav>', canton.get(url).text, re.S
    )
    assert re.findall(r">([^<]+)</a>", tabs.group(1)) == ["Eingang", "Katalog", "Meine Exporte"]
    assert re.findall(r'aria-current="page">([^<]+)</a>', tabs.group(1)) == [tab]
