"""Every list page answers with the same number of SQL queries however much data there is,
and its page links work; the exports stream under a real server.

The data is grown with the benchmark's own data-set steps (bench/dataset.py)."""

import html
import random
import re
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from bench import dataset
from orders.extensions import db
from orders.models import AuditEvent, Municipality, User
from orders.models.types import utcnow
from tests.conftest import PASSWORD, log_in, make_user
from tests.test_kanton_bestellungen import count_queries

OLTEN, GRENCHEN = 2581, 2546


def grow(*, users: int, orders: int, interpreter_orders: int, mails: int, audit: int) -> None:
    """Add records of every listed kind: orders and interpreter orders of Olten by several
    Olten accounts, accounts in several municipalities, outbox mails and audit events."""
    ctx = dataset.Context(
        size=dataset.Size(
            users, orders, interpreter_orders, mails, requests=0, inbox_page=1, rounds=1
        ),
        rng=random.Random(users + orders),
        now=utcnow() - timedelta(days=1),
    )
    dataset.load_reference(ctx)
    ctx.municipality_ids = list(
        db.session.scalars(
            select(Municipality.id).where(Municipality.bfs_nr.in_([OLTEN, GRENCHEN, 2401, 2601]))
        )
    )
    dataset.users(ctx)
    olten = db.session.scalar(select(Municipality.id).where(Municipality.bfs_nr == OLTEN))
    ctx.gemeinde_users = [user for user in ctx.gemeinde_users if user[1] == olten]
    dataset.orders(ctx)
    dataset.interpreter_orders(ctx)
    actors = list(db.session.scalars(select(User.id)))
    for index in range(audit):
        db.session.add(AuditEvent(actor_id=actors[index % len(actors)], action="bench.event"))
    db.session.commit()
    dataset.queue_mails(mails)


GEMEINDE_PAGES = ["/gemeinde/2581/bestellungen", "/gemeinde/2581/dolmetschen"]
KANTON_PAGES = [
    "/kanton/uebersicht",  # not a list, but it counts all of them
    "/kanton/",
    "/kanton/bestellungen",
    "/kanton/bestellungen?status=versandt&bezirk=Olten",
    "/kanton/dolmetschen/",
    "/kanton/benutzer/",
    "/kanton/postausgang",
    "/kanton/protokoll",
    "/kanton/katalog",
]


@pytest.fixture
def clients(app, kanton_user, olten_user):
    canton, clerk = app.test_client(), app.test_client()
    log_in(canton, "koordination@kanton.ch")
    log_in(clerk, "clerk@olten.ch")
    return {url: clerk for url in GEMEINDE_PAGES} | {url: canton for url in KANTON_PAGES}


def paged(url: str, page: str) -> str:
    return url + ("&" if "?" in url else "?") + f"page={page}"


@pytest.mark.parametrize("page", ["1", "2"])
def test_list_pages_make_the_same_number_of_queries_with_ten_times_the_data(clients, page):
    grow(users=3, orders=150, interpreter_orders=150, mails=150, audit=150)
    few = {}
    for url, client in clients.items():
        with count_queries() as statements:
            assert client.get(paged(url, page)).status_code == 200, url
        few[url] = len(statements)
    grow(users=30, orders=1500, interpreter_orders=1500, mails=1500, audit=1500)
    for url, client in clients.items():
        with count_queries() as statements:
            response = client.get(paged(url, page))
        assert response.status_code == 200, url
        assert len(statements) == few[url], f"{url}:\n" + "\n".join(statements)


@pytest.mark.parametrize("url", ["/gemeinde/2581/bestellungen", "/gemeinde/2581/dolmetschen"])
def test_gemeinde_lists_link_to_their_next_page(clients, url):
    grow(users=2, orders=120, interpreter_orders=120, mails=0, audit=0)
    client = clients[url]
    first = client.get(url).get_data(as_text=True)
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link and link.group(1).startswith(url + "?"), first[-2000:]
    second = client.get(html.unescape(link.group(1)))
    assert second.status_code == 200
    assert record_numbers(second.get_data(as_text=True)).isdisjoint(record_numbers(first))


def record_numbers(page: str) -> set[str]:
    numbers = set(re.findall(r">([BD]-\d{4}-\d{5})<", page))
    assert numbers, page[-2000:]
    return numbers


def test_csv_export_streams_under_a_real_server(live_server):
    """The CSV is written while the response streams, after the view returned."""
    make_user("koordination@kanton.ch")
    make_user("clerk@olten.ch", OLTEN)
    grow(users=2, orders=30, interpreter_orders=30, mails=0, audit=0)
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(live_server + "/anmelden").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrf_token": token, "email": "koordination@kanton.ch", "password": PASSWORD}
    ).encode()
    opener.open(live_server + "/anmelden", data)
    for path in ("/kanton/bestellungen/export.csv", "/kanton/dolmetschen/export.csv"):
        with opener.open(live_server + path) as response:
            body = response.read().decode("utf-8-sig")
        assert response.status == 200
        assert len(body.splitlines()) > 30, body[:500]


def test_delivering_a_batch_reads_the_outbox_in_a_constant_number_of_queries(mail_app, smtp_server):
    """One claim, one read of the mails and one of their attachments; then per mail only its
    UPDATE. (Before: every mail was read again after the previous mail's commit, and its
    attachments lazily.)"""
    from orders.services import outbox

    def selects_for(count: int) -> int:
        for index in range(count):
            outbox.enqueue(
                to=[f"empfaenger{index}@olten.ch"],
                subject=f"Bestellung {index}",
                body_text="Guten Tag",
                attachments=[("bestellung.csv", "text/csv", b"a;b\n")],
            )
        db.session.commit()
        with count_queries() as statements:
            report = outbox.deliver_due()
        assert report.sent == count
        return sum(1 for statement in statements if statement.lstrip().startswith("SELECT"))

    assert selects_for(3) == selects_for(12)
    assert len(smtp_server.messages) == 15


def test_inbox_pages_forward_and_back_show_every_order_once_newest_first(app, clients):
    import html
    import re

    from orders.models import Order

    grow(users=2, orders=130, interpreter_orders=0, mails=0, audit=0)
    canton = clients["/kanton/bestellungen"]
    expected = list(
        db.session.scalars(select(Order.number).order_by(Order.created_at.desc(), Order.id.desc()))
    )

    def numbers(page: str) -> list[str]:
        return re.findall(r">(B-\d{4}-\d{5})</a>", page)

    seen, pages, path = [], [], "/kanton/bestellungen"
    while path:
        page = canton.get(path).get_data(as_text=True)
        pages.append(page)
        seen += numbers(page)
        link = re.search(r'<a href="([^"]+)" rel="next"', page)
        path = html.unescape(link.group(1)) if link else None
    assert seen == expected and len(pages) == 3
    assert "Seite 3 von 3 (130 Einträge)" in pages[-1]

    back = html.unescape(re.search(r'<a href="([^"]+)" rel="prev"', pages[-1]).group(1))
    page = canton.get(back).get_data(as_text=True)
    assert numbers(page) == expected[50:100] and "Seite 2 von 3" in page
    back = html.unescape(re.search(r'<a href="([^"]+)" rel="prev"', page).group(1))
    page = canton.get(back).get_data(as_text=True)
    assert numbers(page) == expected[:50] and "Seite 1 von 3" in page
    assert 'rel="prev"' not in page


def test_inbox_counts_up_to_a_limit(app, clients, monkeypatch):
    from orders.services import paging

    monkeypatch.setattr(paging, "COUNT_LIMIT", 100)
    grow(users=2, orders=130, interpreter_orders=0, mails=0, audit=0)
    page = clients["/kanton/bestellungen"].get("/kanton/bestellungen").get_data(as_text=True)
    assert "Seite 1 (mehr als 100 Einträge)" in page
    page = (
        clients["/kanton/bestellungen"].get("/kanton/bestellungen?nummer=B-").get_data(as_text=True)
    )
    assert "mehr als 100" in page
    monkeypatch.setattr(paging, "COUNT_LIMIT", 1000)
    page = clients["/kanton/bestellungen"].get("/kanton/bestellungen").get_data(as_text=True)
    assert "Seite 1 von 3 (130 Einträge)" in page


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "x"])
def test_a_page_number_out_of_range_shows_a_page(app, page):
    """A typed or mangled page number is no server error (SQLite's integers end at 2**63)."""
    make_user("koordination@kanton.ch")
    make_user("clerk@olten.ch", 2581)
    canton, clerk = app.test_client(), app.test_client()
    log_in(canton, "koordination@kanton.ch")
    log_in(clerk, "clerk@olten.ch")
    for client, url in (
        (canton, "/kanton/bestellungen"),
        (canton, "/kanton/dolmetschen/"),
        (canton, "/kanton/postausgang"),
        (canton, "/kanton/protokoll"),
        (canton, "/kanton/benutzer/"),
        (clerk, "/gemeinde/2581/bestellungen"),
        (clerk, "/gemeinde/2581/dolmetschen"),
    ):
        assert client.get(url, query_string={"page": page, "seite": page}).status_code == 200, url
