"""The canton's inbox: an order's page leads back to the filtered list it was opened from, and a
filter that cannot be read says so beside its field instead of listing nothing silently."""

import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from orders.extensions import db
from orders.formatting import local_time
from orders.models import ExportJob, Order, OrderStatus
from tests.conftest import errors_beside, post_form
from tests.test_kanton_bestellungen import place_orders

INBOX = "/kanton/bestellungen"


def links_to_orders(page: str) -> dict[str, str]:
    """Order number → the href of its link in the inbox."""
    return {
        number: html.unescape(href)
        for href, number in re.findall(r'<a href="([^"]+)">(B-\d{4}-\d{5})</a>', page)
    }


def back_link(page: str) -> str:
    return html.unescape(re.search(r'<a href="([^"]+)">‹ Alle Bestellungen</a>', page).group(1))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_back_link_keeps_the_filters_and_the_page(app, canton, monkeypatch):
    from orders.views.kanton import bestellungen as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    place_orders(app, 5, bfs_nr=2581)
    today = local_time(db.session.scalar(select(Order.created_at))).date().isoformat()
    filters = {"status": "eingegangen", "gemeinde": "2581", "von": today, "bis": today}
    first = canton.get(INBOX, query_string=filters).get_data(as_text=True)
    next_url = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', first).group(1))
    second = canton.get(next_url).get_data(as_text=True)
    assert "Seite 2 von 3" in second

    number, href = next(iter(links_to_orders(second).items()))
    assert urlsplit(href).path == f"{INBOX}/{number}"
    detail = canton.get(href).get_data(as_text=True)
    back = back_link(detail)
    assert urlsplit(back).path == INBOX
    assert query(back) == query(next_url)
    assert {name: query(back)[name] for name in filters} == {k: [v] for k, v in filters.items()}
    inbox = canton.get(back).get_data(as_text=True)
    assert "Seite 2 von 3" in inbox and links_to_orders(inbox) == links_to_orders(second)

    # After a status change the order's page still leads back to the same list.
    response = post_form(canton, href, {"status": "in_bearbeitung", "note": ""})
    assert response.status_code == 302
    assert query(response.headers["Location"]) == query(href)
    assert db.session.scalar(select(Order.status).where(Order.number == number)) is (
        OrderStatus.IN_PROGRESS
    )
    after = canton.get(response.headers["Location"]).get_data(as_text=True)
    assert query(back_link(after)) == query(next_url)


def test_an_unfiltered_inbox_links_plainly(app, canton):
    place_orders(app, 1)
    page = canton.get(INBOX).get_data(as_text=True)
    ((number, href),) = links_to_orders(page).items()
    assert href == f"{INBOX}/{number}"
    assert back_link(canton.get(href).get_data(as_text=True)) == INBOX


def test_a_foreign_value_cannot_lead_the_back_link_elsewhere(app, canton):
    place_orders(app, 1)
    number = db.session.scalar(select(Order.number))
    evil = {
        "nummer": '"><a href="https://evil.example/">',
        "status": "https://evil.example/",
        "next": "https://evil.example/",
        "url": "//evil.example",
        "number": "B-0000-00000",
    }
    detail = canton.get(f"{INBOX}/{number}", query_string=evil).get_data(as_text=True)
    assert 'evil.example/">' not in detail
    back = back_link(detail)
    assert back.startswith(f"{INBOX}?")
    parts = urlsplit(back)
    assert not parts.scheme and not parts.netloc and parts.path == INBOX
    assert set(query(back)) == {"nummer", "status"}  # only the inbox's own arguments
    assert query(back)["status"] == ["https://evil.example/"]  # a value, encoded


def test_an_inverted_range_is_named_beside_the_field_and_lists_nothing(app, canton):
    place_orders(app, 1)
    page = canton.get(INBOX, query_string={"von": "2026-03-31", "bis": "2026-03-01"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert errors_beside(text, "von") == ["«Von» liegt nach «Bis»."]
    assert 'value="2026-03-31" aria-invalid="true" aria-describedby="von-error"' in text
    assert 'id="bis" name="bis" type="date" value="2026-03-01"' in text
    assert '<a href="#von">Von: «Von» liegt nach «Bis».</a>' in text  # the summary
    assert links_to_orders(text) == {}
    assert "Keine Bestellungen gefunden" not in text
    assert "solange der Filter einen Fehler enthält" in text


def test_an_unreadable_date_is_named_and_kept(app, canton):
    place_orders(app, 2)
    text = canton.get(INBOX, query_string={"bis": "31.02.2026"}).get_data(as_text=True)
    assert errors_beside(text, "bis") == ["«31.02.2026» ist kein gültiges Datum (Tag.Monat.Jahr)."]
    assert errors_beside(text, "von") == []
    assert 'id="bis" name="bis" type="date" value="31.02.2026"' in text
    # Not the whole inbox as though no end had been given, and no export of it either.
    assert links_to_orders(text) == {}
    assert "Export CSV" not in text and "Export Excel" not in text
    response = canton.get(f"{INBOX}/export.csv?bis=31.02.2026")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == INBOX


def test_an_unknown_status_kind_or_municipality_is_named(app, canton):
    place_orders(app, 1)
    text = canton.get(
        INBOX, query_string={"status": "erledigt", "art": "x", "gemeinde": "Olten"}
    ).get_data(as_text=True)
    assert errors_beside(text, "status") == ["Unbekannter Status."]
    assert errors_beside(text, "art") == ["Unbekannte Art."]
    assert errors_beside(text, "gemeinde") == ["Unbekannte Gemeinde."]
    assert links_to_orders(text) == {}


def test_a_municipality_or_bezirk_that_does_not_exist_is_named(app, canton):
    """An old bookmark or a hand-edited address: not an empty list that looks like the truth."""
    place_orders(app, 1)
    text = canton.get(INBOX, query_string={"gemeinde": "9999", "bezirk": "Atlantis"}).get_data(
        as_text=True
    )
    assert errors_beside(text, "gemeinde") == ["Keine Gemeinde mit der BFS-Nummer 9999."]
    assert errors_beside(text, "bezirk") == ["Unbekannter Bezirk."]
    assert '<a href="#bezirk">Bezirk: Unbekannter Bezirk.</a>' in text
    assert "Keine Bestellungen gefunden" not in text
    assert "Export CSV" not in text and "Export Excel" not in text
    response = canton.get(f"{INBOX}/export.csv?bezirk=Atlantis")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == INBOX
    odd = canton.get(INBOX, query_string={"gemeinde": "²"}).get_data(as_text=True)
    assert errors_beside(odd, "gemeinde") == ["Unbekannte Gemeinde."]
    # Only the filter's own arguments ride along to the export (`fmt` would clash).
    listed = canton.get(INBOX, query_string={"art": "mappen", "fmt": "x"})
    assert listed.status_code == 200
    assert f'href="{INBOX}/export.csv?art=mappen"' in listed.get_data(as_text=True)
    # A municipality and a Bezirk that exist, even without orders, are a valid filter.
    valid = canton.get(INBOX, query_string={"gemeinde": "2546", "bezirk": "Lebern"})
    assert "field-error" not in valid.get_data(as_text=True)


def test_a_valid_filter_shows_no_message(app, canton):
    place_orders(app, 2)
    today = local_time(db.session.scalar(select(Order.created_at))).date().isoformat()
    text = canton.get(INBOX, query_string={"von": today, "bis": today}).get_data(as_text=True)
    assert "field-error" not in text and "error-summary" not in text
    assert len(links_to_orders(text)) == 2


def test_filter_from_args_names_what_it_leaves_out():
    from orders.services.bestellungen import filter_from_args

    assert filter_from_args({"von": "2026-01-01", "bis": "2026-01-01"}).errors == {}
    broken = filter_from_args({"von": "gestern", "bis": "2026-01-01", "status": "?"})
    assert broken.date_from is None and broken.status is None
    assert broken.errors == {
        "von": "«gestern» ist kein gültiges Datum (Tag.Monat.Jahr).",
        "status": "Unbekannter Status.",
    }
    assert filter_from_args({"von": "2026-02-01", "bis": "2026-01-01"}).errors == {
        "von": "«Von» liegt nach «Bis»."
    }


def test_an_excel_export_of_an_unreadable_filter_is_not_made(app, canton):
    response = post_form(
        canton, "/kanton/exporte/bestellungen", {"von": "2026-13-40"}, form_url=INBOX
    )
    assert response.status_code == 303
    assert query(response.headers["Location"]) == {"von": ["2026-13-40"]}
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 0


@pytest.mark.parametrize(
    "value, expected", [("2581", 2581), (" 2581 ", 2581), ("²", None), ("9" * 20, None), ("", None)]
)
def test_a_bfs_number_is_at_most_four_plain_digits(value, expected):
    from orders.services.gemeinden import bfs_number

    assert bfs_number(value) == expected


def test_the_inbox_lists_the_oldest_first_on_request_across_its_pages(app, canton, monkeypatch):
    """Orders waiting for the canton are worked off oldest first: «älteste zuerst» pages
    forward and back in that order, and the order's page leads back to it."""
    from orders.views.kanton import bestellungen as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    place_orders(app, 5, bfs_nr=2581)
    oldest_first = [
        number
        for (number,) in db.session.execute(
            select(Order.number).order_by(Order.created_at, Order.id)
        )
    ]
    args = {"status": "eingegangen", "reihenfolge": "aelteste"}
    pages, url = [], f"{INBOX}?status=eingegangen&reihenfolge=aelteste"
    while url:
        page = canton.get(url).text
        pages.append(list(links_to_orders(page)))
        following = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = html.unescape(following.group(1)) if following else None
    assert pages == [oldest_first[0:2], oldest_first[2:4], oldest_first[4:]]
    assert '<option value="aelteste" selected>älteste zuerst</option>' in page
    back = html.unescape(re.search(r'<a href="([^"]+)" rel="prev"', page).group(1))
    assert list(links_to_orders(canton.get(back).text)) == oldest_first[2:4]
    detail = canton.get(links_to_orders(page)[oldest_first[4]]).text
    assert query(back_link(detail))["reihenfolge"] == [args["reihenfolge"]]
    newest_first = list(
        links_to_orders(canton.get(INBOX, query_string={"status": "eingegangen"}).text)
    )
    assert newest_first == oldest_first[::-1][:2]


def test_a_day_typed_the_swiss_way_filters_like_the_date_pickers():
    """Browsers without a date picker show a text field: 01.03.2026 is read like 2026-03-01."""
    from orders.services.bestellungen import filter_from_args

    typed = filter_from_args({"von": "01.03.2026", "bis": "2026-03-31"}, look_up=False)
    assert (typed.date_from, typed.date_to, typed.errors) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        {},
    )
    long = filter_from_args({"bis": "x" * 500}, look_up=False)
    assert long.errors["bis"] == f"«{'x' * 20}» ist kein gültiges Datum (Tag.Monat.Jahr)."


def test_oldest_first_pages_back_to_the_first_page_with_equal_times(app, canton, monkeypatch):
    """Orders of the same moment are told apart by their id, in both directions."""
    from orders.views.kanton import bestellungen as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    place_orders(app, 5, bfs_nr=2581)
    same_moment = db.session.scalar(select(Order.created_at))
    db.session.execute(update(Order).values(created_at=same_moment))
    db.session.commit()
    by_id = list(db.session.scalars(select(Order.number).order_by(Order.id)))
    url, seen = f"{INBOX}?reihenfolge=aelteste", []
    while True:
        page = canton.get(url).text
        seen.append(list(links_to_orders(page)))
        following = re.search(r'<a href="([^"]+)" rel="next"', page)
        if not following:
            break
        url = html.unescape(following.group(1))
    assert seen == [by_id[0:2], by_id[2:4], by_id[4:]]
    for expected in (by_id[2:4], by_id[0:2]):
        url = html.unescape(re.search(r'<a href="([^"]+)" rel="prev"', page).group(1))
        page = canton.get(url).text
        assert list(links_to_orders(page)) == expected
    assert 'rel="prev"' not in page and "Seite 1 von 3" in page
