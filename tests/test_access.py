"""Nobody sees what is not theirs: another municipality's records answer 404, and Gemeinde
users cannot reach the canton's pages."""

import re

import pytest
from sqlalchemy import select

from orders.extensions import db
from orders.models import Order, OutboxMail, User
from orders.services import accounts, export_jobs, outbox
from tests.conftest import log_in, make_user, municipality
from tests.test_berichte import ended_period, last_year
from tests.test_bestellungen import submit as submit_order
from tests.test_kanton_bestellungen import count_queries
from tests.test_vernetzung import announce


def record_urls_of(bfs_nr: int) -> list[str]:
    """Every URL that shows a record of this municipality. Extend it with every feature."""
    return [
        f"/gemeinde/{bfs_nr}",
        f"/gemeinde/{bfs_nr}/bestellungen",
        f"/gemeinde/{bfs_nr}/bestellungen/neu/mappen",
        f"/gemeinde/{bfs_nr}/bestellungen/neu/material",
        f"/gemeinde/{bfs_nr}/dolmetschen",
        f"/gemeinde/{bfs_nr}/dolmetschen/neu",
        f"/gemeinde/{bfs_nr}/berichte",
        f"/gemeinde/{bfs_nr}/berichte/{ended_period()[0]}/{ended_period()[1]}",
        f"/gemeinde/{bfs_nr}/selbstdeklaration/{last_year()}",
    ]


def canton_urls(app) -> list[str]:
    """Every GET page of the back office, with real records behind the ids."""
    user = db.session.scalar(select(User).order_by(User.id))
    mail = outbox.enqueue(to=["x@olten.ch"], subject="s", body_text="b")
    db.session.commit()
    # An export job of the canton's coordinator (built at once: EXPORTS_IN_REQUEST).
    coordinator = accounts.find_by_email("koordination@kanton.ch") or make_user(
        "koordination@kanton.ch"
    )
    job = export_jobs.request_export(coordinator, {"gemeinde": "2581"})
    meeting = announce()
    return [
        "/kanton/",
        "/kanton/uebersicht",
        "/kanton/benutzer/",
        "/kanton/benutzer/einladen",
        f"/kanton/benutzer/{user.id}",
        "/kanton/gemeinden/2581",
        "/kanton/postausgang",
        f"/kanton/postausgang/{mail.id}",
        "/kanton/protokoll",
        "/kanton/bestellungen",
        "/kanton/bestellungen/export.csv",
        "/kanton/exporte",
        f"/kanton/exporte/{job.id}",
        f"/kanton/exporte/{job.id}/datei",
        "/kanton/katalog",
        "/kanton/katalog/neu",
        "/kanton/dolmetschen/",
        "/kanton/dolmetschen/export.csv",
        "/kanton/dolmetschen/zahlen",
        "/kanton/berichte/",
        "/kanton/berichte/selbstdeklarationen",
        "/kanton/berichte/auszahlung",
        "/kanton/berichte/auszahlung/export.csv",
        "/kanton/berichte/auszahlung/export.xlsx",
        "/kanton/berichte/tarife",
        "/kanton/berichte/tarife/neu",
        "/kanton/dokumente",
        "/kanton/dokumente/neu",
        "/kanton/infomails/neu",
        "/kanton/vernetzung/neu",
        f"/kanton/vernetzung/{meeting.id}",
        f"/kanton/vernetzung/{meeting.id}/teilnehmende.csv",
        f"/kanton/vernetzung/{meeting.id}/teilnehmende.xlsx",
    ]


def test_every_record_of_another_municipality_is_404(client, olten_user, grenchen_user):
    log_in(client, "clerk@olten.ch")
    for url in record_urls_of(2581):
        assert client.get(url).status_code == 200, url
    for url in record_urls_of(2546):
        assert client.get(url).status_code == 404, url


def test_unknown_municipality_is_404_too(client, olten_user):
    log_in(client, "clerk@olten.ch")
    assert client.get("/gemeinde/9999").status_code == 404


def log_in_as_leitgemeinde_derendingen(client) -> None:
    """Derendingen (2517) leads Deitingen (2516) and Etziken (2518); log in one of its staff."""
    derendingen = municipality(2517)
    for member in (2516, 2518):
        municipality(member).lead = derendingen
    db.session.commit()
    make_user("ib@derendingen.ch", 2517)
    log_in(client, "ib@derendingen.ch")


def test_leitgemeinde_staff_act_for_member_municipalities_only(client, app):
    log_in_as_leitgemeinde_derendingen(client)
    for bfs_nr in (2517, 2516, 2518):
        assert client.get(f"/gemeinde/{bfs_nr}").status_code == 200, bfs_nr
    page = client.get("/gemeinde/2517").get_data(as_text=True)
    assert "Deitingen" in page and "Etziken" in page
    for bfs_nr in (2581, 2527):  # not a member
        assert client.get(f"/gemeinde/{bfs_nr}").status_code == 404, bfs_nr


def test_a_leitgemeinde_order_is_no_template_for_a_member(client, app):
    """Ordering again for a member from the lead's own order would fill in the lead's address."""
    log_in_as_leitgemeinde_derendingen(client)
    submit_order(client, url="/gemeinde/2517/bestellungen/neu/material")
    order = db.session.scalar(select(Order))
    own = client.get(f"/gemeinde/2517/bestellungen/neu/material?vorlage={order.number}")
    assert own.status_code == 200
    member = client.get(f"/gemeinde/2516/bestellungen/neu/material?vorlage={order.number}")
    assert member.status_code == 404


def test_dashboards_name_the_leitgemeinde_and_its_members(client, app, kanton_user):
    log_in_as_leitgemeinde_derendingen(client)
    client.get("/gemeinde/2517")
    with count_queries() as statements:
        page = client.get("/gemeinde/2517").get_data(as_text=True)
    # the login session, the recent orders, the municipalities the user acts for (the members
    # are among those, not queried again), what is still due: reports, declarations,
    # interpreter outcomes; the next network meeting
    assert len(statements) == 7, statements
    assert "Leitgemeinde für Deitingen, Etziken" in page
    assert "Mitglied der Leitgemeinde Derendingen" in client.get("/gemeinde/2516").get_data(
        as_text=True
    )
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    assert "Leitgemeinde für Deitingen, Etziken" in canton.get("/gemeinde/2517").get_data(
        as_text=True
    )
    assert "Einzelgemeinde" in canton.get("/gemeinde/2581").get_data(as_text=True)


def test_member_municipality_staff_do_not_see_their_leitgemeinde(client, app):
    municipality(2516).lead = municipality(2517)
    db.session.commit()
    make_user("clerk@deitingen.ch", 2516)
    log_in(client, "clerk@deitingen.ch")
    assert client.get("/gemeinde/2516").status_code == 200
    assert client.get("/gemeinde/2517").status_code == 404


def test_gemeinde_users_cannot_reach_canton_pages(client, app, olten_user):
    urls = canton_urls(app)
    log_in(client, "clerk@olten.ch")
    for url in urls:
        assert client.get(url).status_code == 404, url
    user_id = db.session.scalar(select(User.id))
    mail_id = db.session.scalar(select(OutboxMail.id))
    for url in (
        f"/kanton/benutzer/{user_id}/deaktivieren",
        f"/kanton/postausgang/{mail_id}/erneut-senden",
    ):
        token_page = client.get("/gemeinde/2581").get_data(as_text=True)
        token = token_page.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert db.session.get(User, user_id).active


def test_canton_staff_reach_every_page(client, app, kanton_user, olten_user):
    urls = canton_urls(app)
    log_in(client, "koordination@kanton.ch")
    for url in [*urls, *record_urls_of(2581), *record_urls_of(2546)]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/gemeinde/2581", "/kanton/", "/kanton/postausgang"])
def test_anonymous_visitors_are_sent_to_login(client, app, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")


def test_a_leitgemeinde_stays_with_the_member_it_works_for(client, app):
    """On a member's pages the main navigation leads to that member's orders, interpreters and
    reports, and the header says for whom one acts: no order placed for the wrong one."""
    log_in_as_leitgemeinde_derendingen(client)
    nav = re.compile(r'<nav aria-label="Hauptnavigation"[^>]*>(.*?)</nav>', re.S)
    for url in (
        "/gemeinde/2516",
        "/gemeinde/2516/bestellungen",
        "/gemeinde/2516/bestellungen/neu/mappen",
        "/gemeinde/2516/dolmetschen",
        "/gemeinde/2516/dolmetschen/neu",
        "/gemeinde/2516/berichte",
    ):
        page = client.get(url).get_data(as_text=True)
        links = nav.search(page).group(1)
        assert 'href="/gemeinde/2516/bestellungen"' in links, url
        assert 'href="/gemeinde/2517/bestellungen"' not in links, url
        assert "<strong>für Deitingen</strong>" in page, url
    own = client.get("/gemeinde/2517").get_data(as_text=True)
    assert 'href="/gemeinde/2517/bestellungen"' in nav.search(own).group(1)
    assert "<strong>für" not in own
    # The switcher names every other municipality once, and the way back to one's own.
    member = client.get("/gemeinde/2516").get_data(as_text=True)
    switcher = re.search(r'<nav class="switcher".*?</nav>', member, re.S).group(0)
    assert switcher.count(">Derendingen<") == 0 and "zurück zu Derendingen" in switcher
    assert "Deitingen" not in switcher and "Etziken" in switcher


@pytest.mark.parametrize(
    "role, url, section",
    [
        ("gemeinde", "/gemeinde/2581", "Übersicht"),
        ("gemeinde", "/gemeinde/2581/bestellungen/neu/mappen", "Bestellungen"),
        ("gemeinde", "/gemeinde/2581/dolmetschen", "Dolmetschende"),
        ("gemeinde", "/infomails", "Vernetzung"),
        ("gemeinde", "/vernetzung/kontakte", "Vernetzung"),
        ("kanton", "/kanton/uebersicht", "Übersicht"),
        ("kanton", "/gemeinde/2581", None),
        ("kanton", "/kanton/katalog", "Bestellungen"),
        ("kanton", "/kanton/exporte", "Bestellungen"),
        ("kanton", "/kanton/bestellungen", "Bestellungen"),
        ("kanton", "/kanton/protokoll", "Postausgang"),
        ("kanton", "/kanton/postausgang", "Postausgang"),
        ("kanton", "/kanton/infomails/neu", "Vernetzung"),
        ("kanton", "/kanton/vernetzung/neu", "Vernetzung"),
    ],
)
def test_the_main_navigation_marks_the_section_shown(app, client, role, url, section):
    make_user("koordination@kanton.ch") if role == "kanton" else make_user("clerk@olten.ch", 2581)
    log_in(client, "koordination@kanton.ch" if role == "kanton" else "clerk@olten.ch")
    page = client.get(url).text
    nav = re.search(r'<nav aria-label="Hauptnavigation"[^>]*>(.*?)</nav>', page, re.S)
    marked = re.findall(r'aria-current="page">([^<]+)</a>', nav.group(1))
    assert marked == ([section] if section else [])
