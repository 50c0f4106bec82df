"""Every URL rule of the app has an entry in the access matrix, and every role gets the answer
the matrix names, against real records of municipality B (OWASP ASVS 4.0.3 V4.1.1, V4.1.3,
V4.2.1: access control enforced on the server for every function and record)."""

import re

import pytest
from sqlalchemy import select

from orders.extensions import db
from orders.models import (
    CatalogueItem,
    HalfYearReport,
    InterpreterRequest,
    NetworkMeeting,
    Order,
    OutboxMail,
    SelfDeclaration,
    Tariff,
    User,
)
from orders.services import export_jobs, outbox
from tests.conftest import log_in, make_user, municipality
from tests.test_berichte import ended_period, last_year, post_declaration, post_report
from tests.test_bestellungen import submit as submit_order
from tests.test_dokumente import assert_library_unchanged, library_records
from tests.test_dolmetschen import submit as submit_interpreter
from tests.test_vernetzung import announce

LOGIN = "login"  # a redirect to the login page
ROLES = ("anonymous", "gemeinde_a", "leitgemeinde", "kanton")
# B (Deitingen) is a member of the Leitgemeinde Derendingen; A is Olten.
B = 2516

PUBLIC = dict.fromkeys(ROLES, 200)
ANY_LOGGED_IN = {"anonymous": LOGIN, "gemeinde_a": 200, "leitgemeinde": 200, "kanton": 200}
RECORD_OF_B = {"anonymous": LOGIN, "gemeinde_a": 404, "leitgemeinde": 200, "kanton": 200}
CANTON_ONLY = {"anonymous": LOGIN, "gemeinde_a": 404, "leitgemeinde": 404, "kanton": 200}
# State-changing POSTs are only sent by those who must be refused.
POST_ON_B = {"anonymous": LOGIN, "gemeinde_a": 404}
POST_CANTON = {"anonymous": LOGIN, "gemeinde_a": 404, "leitgemeinde": 404}

# rule -> (method, expected answer per role). A rule without an entry fails the test.
MATRIX = {
    "/": ("GET", {"anonymous": LOGIN, "gemeinde_a": 302, "leitgemeinde": 302, "kanton": 302}),
    "/anmelden": ("GET", {"anonymous": 200, "gemeinde_a": 302, "leitgemeinde": 302, "kanton": 302}),
    "/abmelden": ("POST", {"anonymous": LOGIN}),
    "/einladung/<token>": ("GET", dict.fromkeys(ROLES, 404)),
    "/passwort-zuruecksetzen/<token>": ("GET", dict.fromkeys(ROLES, 404)),
    "/passwort-vergessen": ("GET", PUBLIC),
    "/konto": ("GET", ANY_LOGGED_IN),
    "/konto/passwort": ("GET", ANY_LOGGED_IN),
    "/healthz": ("GET", PUBLIC),
    "/static/<path:filename>": ("GET", PUBLIC),
    "/gemeinde/<int:bfs_nr>": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/bestellungen": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/bestellungen/neu/<kind>": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/dolmetschen": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/dolmetschen/neu": ("GET", RECORD_OF_B),
    "/bestellungen/<number>": ("GET", RECORD_OF_B),
    "/bestellungen/<number>/bestaetigung": ("GET", RECORD_OF_B),
    "/bestellungen/<number>/lieferschein": ("GET", RECORD_OF_B),
    "/bestellungen/<number>/stornieren": ("POST", POST_ON_B),
    "/dolmetschen/<number>": ("GET", RECORD_OF_B),
    "/dolmetschen/<number>/bestaetigung": ("GET", RECORD_OF_B),
    "/dolmetschen/<number>/stornieren": ("POST", POST_ON_B),
    "/dolmetschen/<number>/bestaetigen": ("POST", POST_ON_B),
    "/dolmetschen/<number>/ergebnis": ("POST", POST_ON_B),
    "/kanton/": ("GET", CANTON_ONLY),
    "/kanton/uebersicht": ("GET", CANTON_ONLY),
    "/kanton/benutzer/": ("GET", CANTON_ONLY),
    "/kanton/benutzer/einladen": ("GET", CANTON_ONLY),
    "/kanton/benutzer/<int:user_id>": ("GET", CANTON_ONLY),
    "/kanton/benutzer/<int:user_id>/aktivieren": ("POST", POST_CANTON),
    "/kanton/benutzer/<int:user_id>/deaktivieren": ("POST", POST_CANTON),
    "/kanton/benutzer/<int:user_id>/einladung": ("POST", POST_CANTON),
    "/kanton/gemeinden/<int:bfs_nr>": ("GET", CANTON_ONLY),
    "/kanton/bestellungen": ("GET", CANTON_ONLY),
    "/kanton/bestellungen/<number>": ("GET", CANTON_ONLY),
    "/kanton/bestellungen/export.<fmt>": ("GET", CANTON_ONLY),
    "/kanton/exporte": ("GET", CANTON_ONLY),
    "/kanton/exporte/bestellungen": ("POST", POST_CANTON),
    "/kanton/exporte/<int:job_id>": ("GET", CANTON_ONLY),
    "/kanton/exporte/<int:job_id>/datei": ("GET", CANTON_ONLY),
    "/kanton/katalog": ("GET", CANTON_ONLY),
    "/kanton/katalog/neu": ("GET", CANTON_ONLY),
    "/kanton/katalog/<int:item_id>": ("GET", CANTON_ONLY),
    "/kanton/dolmetschen/": ("GET", CANTON_ONLY),
    "/kanton/dolmetschen/export.<fmt>": ("GET", CANTON_ONLY),
    "/kanton/dolmetschen/zahlen": ("GET", CANTON_ONLY),
    "/kanton/postausgang": ("GET", CANTON_ONLY),
    "/kanton/postausgang/<int:mail_id>": ("GET", CANTON_ONLY),
    "/kanton/postausgang/<int:mail_id>/erneut-senden": ("POST", POST_CANTON),
    "/kanton/postausgang/fehlgeschlagene-erneut-senden": ("POST", POST_CANTON),
    "/kanton/protokoll": ("GET", CANTON_ONLY),
    "/gemeinde/<int:bfs_nr>/berichte": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/berichte/<int:year>/<int:half>": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/berichte/<int:year>/<int:half>/quittung": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/selbstdeklaration/<int:year>": ("GET", RECORD_OF_B),
    "/gemeinde/<int:bfs_nr>/selbstdeklaration/<int:year>/quittung": ("GET", RECORD_OF_B),
    "/kanton/berichte/": ("GET", CANTON_ONLY),
    "/kanton/berichte/selbstdeklarationen": ("GET", CANTON_ONLY),
    "/kanton/berichte/<int:bfs_nr>/<int:year>/<int:half>": ("GET", CANTON_ONLY),
    "/kanton/berichte/<int:bfs_nr>/<int:year>/<int:half>/wiedereroeffnen": ("POST", POST_CANTON),
    "/kanton/berichte/selbstdeklarationen/<int:bfs_nr>/<int:year>": ("GET", CANTON_ONLY),
    "/kanton/berichte/selbstdeklarationen/<int:bfs_nr>/<int:year>/wiedereroeffnen": (
        "POST",
        POST_CANTON,
    ),
    "/kanton/berichte/auszahlung": ("GET", CANTON_ONLY),
    "/kanton/berichte/auszahlung/export.<fmt>": ("GET", CANTON_ONLY),
    "/kanton/berichte/tarife": ("GET", CANTON_ONLY),
    "/kanton/berichte/tarife/neu": ("GET", CANTON_ONLY),
    "/kanton/berichte/tarife/<int:tariff_id>/loeschen": ("POST", POST_CANTON),
    "/dokumente": ("GET", ANY_LOGGED_IN),
    "/dokumente/<int:document_id>": ("GET", ANY_LOGGED_IN),
    "/dokumente/datei/<int:version_id>": ("GET", ANY_LOGGED_IN),
    "/infomails": ("GET", ANY_LOGGED_IN),
    "/infomails/<int:infomail_id>": ("GET", ANY_LOGGED_IN),
    "/kanton/dokumente": ("GET", CANTON_ONLY),
    "/kanton/dokumente/neu": ("GET", CANTON_ONLY),
    "/kanton/dokumente/<int:document_id>": ("GET", CANTON_ONLY),
    "/kanton/dokumente/<int:document_id>/versionen": ("POST", POST_CANTON),
    "/kanton/dokumente/<int:document_id>/verbergen": ("POST", POST_CANTON),
    "/kanton/dokumente/<int:document_id>/anzeigen": ("POST", POST_CANTON),
    "/kanton/infomails/neu": ("GET", CANTON_ONLY),
    "/vernetzung": ("GET", ANY_LOGGED_IN),
    "/vernetzung/kontakte": ("GET", ANY_LOGGED_IN),
    # A meeting for B's Bezirk (Wasseramt) only; A (Olten) is not invited.
    "/vernetzung/<int:meeting_id>": ("GET", RECORD_OF_B),
    # Canton staff organise meetings; they do not register for them.
    "/vernetzung/<int:meeting_id>/anmelden": ("POST", {**POST_ON_B, "kanton": 404}),
    "/vernetzung/<int:meeting_id>/abmelden": ("POST", {**POST_ON_B, "kanton": 404}),
    "/kanton/vernetzung/neu": ("GET", CANTON_ONLY),
    "/kanton/vernetzung/<int:meeting_id>": ("GET", CANTON_ONLY),
    "/kanton/vernetzung/<int:meeting_id>/absagen": ("POST", POST_CANTON),
    "/kanton/vernetzung/<int:meeting_id>/teilnehmende.<fmt>": ("GET", CANTON_ONLY),
}


def test_every_route_has_an_entry_in_the_matrix(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert sorted(rules - MATRIX.keys()) == [], "routes without an access-matrix entry"
    assert sorted(MATRIX.keys() - rules) == [], "matrix entries for routes that are gone"


@pytest.fixture
def records_of_b(app) -> dict:
    """Real records of municipality B, placed by its own clerk."""
    municipality(B).lead = municipality(2517)
    db.session.commit()
    clerk_b = make_user("clerk@deitingen.ch", B)
    client = app.test_client()
    log_in(client, "clerk@deitingen.ch")
    submit_order(client, url=f"/gemeinde/{B}/bestellungen/neu/material")
    submit_interpreter(client, url=f"/gemeinde/{B}/dolmetschen/neu")
    outbox.enqueue(to=["clerk@deitingen.ch"], subject="B", body_text="B")
    db.session.commit()
    year, half = ended_period()
    post_report(client, bfs_nr=B, period=(year, half))
    post_declaration(client, bfs_nr=B, year=last_year())
    library = library_records()
    # The canton coordinator's own export job (built at once: EXPORTS_IN_REQUEST).
    coordinator = make_user("koordination@kanton.ch")
    job = export_jobs.request_export(coordinator, {})
    meeting = announce(bezirke=["Wasseramt"])
    return {
        "bfs_nr": B,
        "number": None,  # filled per rule: an order or an interpreter order of B
        "order": db.session.scalar(select(Order.number)),
        "interpreter": db.session.scalar(select(InterpreterRequest.number)),
        "user_id": clerk_b.id,
        "mail_id": db.session.scalar(select(OutboxMail.id)),
        "item_id": db.session.scalar(select(CatalogueItem.id)),
        "tariff_id": db.session.scalar(select(Tariff.id)),
        "job_id": job.id,
        "meeting_id": meeting.id,
        "token": "kein-gueltiger-token",
        "kind": "material",
        "fmt": "csv",
        "filename": "css/portal.css",
        "year": year,
        "half": half,
        **library,
    }


def url_for_rule(rule: str, records: dict) -> str:
    values = dict(records)
    if "selbstdeklaration" in rule:
        values["year"] = last_year()
    values["number"] = (
        records["interpreter"] if rule.startswith("/dolmetschen") else records["order"]
    )
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(app, records_of_b, role):
    client = app.test_client()
    if role == "gemeinde_a":
        make_user("clerk@olten.ch", 2581)
        log_in(client, "clerk@olten.ch")
    elif role == "leitgemeinde":
        make_user("ib@derendingen.ch", 2517)
        log_in(client, "ib@derendingen.ch")
    elif role == "kanton":  # the coordinator of records_of_b, who asked for its export
        log_in(client, "koordination@kanton.ch")
    # A valid CSRF token, so that what answers is the access check, not the CSRF check.
    page = client.get("/anmelden" if role == "anonymous" else "/konto/passwort")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]

    wrong = []
    for rule, (method, expected_by_role) in MATRIX.items():
        if role not in expected_by_role:
            continue
        expected = expected_by_role[role]
        url = url_for_rule(rule, records_of_b)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        if expected == LOGIN:
            ok = response.status_code == 302 and response.headers["Location"].startswith(
                "/anmelden"
            )
        else:
            ok = response.status_code == expected
        if not ok:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected}")
    assert wrong == []
    # The refused POSTs changed nothing of B's.
    assert db.session.scalar(select(Order.status)).value == "eingegangen"
    assert db.session.scalar(select(InterpreterRequest.status)).value == "uebermittelt"
    assert all(user.active for user in db.session.scalars(select(User)))
    assert db.session.scalar(select(HalfYearReport.state)).value == "eingereicht"
    assert db.session.scalar(select(SelfDeclaration.state)).value == "eingereicht"
    assert_library_unchanged()
    meeting = db.session.scalar(select(NetworkMeeting))
    assert not meeting.is_cancelled and meeting.registrations == []
