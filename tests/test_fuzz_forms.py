"""Every form filled with arbitrary text, numbers, huge values, control characters, unicode
oddities and missing fields: never a server error, German messages, nothing stored from a
rejected form (OWASP ASVS 4.0.3 V5.1.3, V5.1.4: input validation on the server)."""

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import (
    AuditEvent,
    CatalogueItem,
    DeclarationVersion,
    HalfYearReport,
    InterpreterRequest,
    Order,
    ReportVersion,
    User,
)
from orders.services import berichte
from tests.conftest import municipality
from tests.test_berichte import declaration_data, ended_period, last_year, report_data
from tests.test_bestellungen import order_data
from tests.test_dolmetschen import booking_data

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1e9",
            "99999999999999999999",
            "NaN",
            "null",
            "\x00",
            "a\x00b",
            "\x01\x1f\x7f",
            "\r\nBcc: x@evil.ch",
            "<script>alert(1)</script>",
            "‮abc",
            "2026-02-30",
            "31.12.1899",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "a" * 5000,
        ]
    ),
)


def fields_strategy(base: dict):
    """Each field keeps its good value, gets an odd one, or is missing."""
    return st.fixed_dictionaries(
        {}, optional={name: st.one_of(st.just(value), ODD_TEXT) for name, value in base.items()}
    )


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def counts() -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Order, InterpreterRequest, User, CatalogueItem)
    )


def token(client, url: str) -> str:
    return re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)
    ).group(1)


def check_answer(response, before: tuple) -> None:
    assert response.status_code < 500
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert "Bitte" in page or "prüfen" in page, page[:500]
        if "Bitte prüfen Sie Ihre Bestellung" not in page:
            assert counts() == before, "a rejected form stored something"


@SETTINGS
@given(data=st.data())
def test_order_form(clerk, data):
    url = "/gemeinde/2581/bestellungen/neu/material"
    fields = data.draw(
        fields_strategy({**order_data(), "submission_key": "fuzz", "action": "submit"})
    )
    before = counts()
    check_answer(clerk.post(url, data={**fields, "csrf_token": token(clerk, url)}), before)


@SETTINGS
@given(data=st.data())
def test_interpreter_form(clerk, data):
    url = "/gemeinde/2581/dolmetschen/neu"
    fields = data.draw(
        fields_strategy({**booking_data(), "submission_key": "fuzz", "action": "submit"})
    )
    before = counts()
    check_answer(clerk.post(url, data={**fields, "csrf_token": token(clerk, url)}), before)


@SETTINGS
@given(data=st.data())
def test_invitation_form(canton, data):
    url = "/kanton/benutzer/einladen"
    fields = data.draw(
        fields_strategy(
            {
                "email": "neu@olten.ch",
                "name": "Nora",
                "role": "gemeinde",
                "municipality": "1",
                "function": "",
                "phone": "",
            }
        )
    )
    before = counts()
    response = canton.post(url, data={**fields, "csrf_token": token(canton, url)})
    assert response.status_code < 500
    if response.status_code == 200:
        assert counts() == before


@SETTINGS
@given(data=st.data())
def test_catalogue_form(canton, data):
    url = "/kanton/katalog/neu"
    fields = data.draw(
        fields_strategy(
            {
                "name": "Flyer",
                "category": "",
                "description": "",
                "max_quantity": "10",
                "languages": "de",
                "municipality": "",
                "active": "y",
            }
        )
    )
    before = counts()
    check_answer(canton.post(url, data={**fields, "csrf_token": token(canton, url)}), before)


@SETTINGS
@given(data=st.data())
def test_login_and_password_forms(app, data):
    client = app.test_client()
    for url, base in (
        ("/anmelden", {"email": "a@olten.ch", "password": "x"}),
        ("/passwort-vergessen", {"email": "a@olten.ch"}),
    ):
        fields = data.draw(fields_strategy(base))
        response = client.post(url, data={**fields, "csrf_token": token(client, url)})
        assert response.status_code in (200, 400, 429)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    db.session.query(AuditEvent).delete()
    db.session.commit()


def report_versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ReportVersion)) + db.session.scalar(
        select(func.count()).select_from(DeclarationVersion)
    )


@pytest.fixture
def library_canton(canton):
    from orders.services import dokumente

    dokumente.seed_chapters()
    return canton


@SETTINGS
@given(data=st.data())
def test_report_form(clerk, data):
    year, half = ended_period()
    url = f"/gemeinde/2581/berichte/{year}/{half}"
    fields = data.draw(fields_strategy({**report_data(), "action": "submit"}))
    before = report_versions()
    response = clerk.post(url, data={**fields, "csrf_token": token(clerk, url)})
    assert response.status_code < 500
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert "Bitte" in page or "schreibgeschützt" in page, page[:500]
        assert report_versions() == before, "a rejected report was submitted"


@SETTINGS
@given(data=st.data())
def test_declaration_form(clerk, data):
    url = f"/gemeinde/2581/selbstdeklaration/{last_year()}"
    fields = data.draw(fields_strategy({**declaration_data(), "action": "submit"}))
    before = report_versions()
    response = clerk.post(url, data={**fields, "csrf_token": token(clerk, url)})
    assert response.status_code < 500
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert "Bitte" in page or "Schreibgeschützt" in page, page[:500]
        assert report_versions() == before, "a rejected declaration was submitted"


@SETTINGS
@given(reason=ODD_TEXT)
def test_reopen_form(app, canton, olten_user, reason):
    year, half = ended_period()
    report = db.session.scalar(select(HalfYearReport))
    if report is None:
        report = berichte.save_report_draft(
            municipality(2581), year, half, dict.fromkeys(berichte.FIGURES, 1), "", True, olten_user
        )
        berichte.submit_report(report, olten_user)
    url = f"/kanton/berichte/2581/{year}/{half}"
    response = canton.post(
        f"{url}/wiedereroeffnen", data={"reason": reason, "csrf_token": token(canton, url)}
    )
    assert response.status_code < 500


@SETTINGS
@given(data=st.data())
def test_document_upload_form(library_canton, data):
    from orders.models import Chapter, Document
    from orders.services.demo_library import minimal_pdf

    url = "/kanton/dokumente/neu"
    chapter_id = db.session.scalar(select(Chapter.id).where(Chapter.key == "1.3"))
    fields = data.draw(
        fields_strategy(
            {"title": "Einladung", "description": "", "chapter": str(chapter_id), "language": "ti"}
        )
    )
    content = data.draw(st.one_of(st.just(minimal_pdf("x", [])), st.binary(max_size=300)))
    filename = data.draw(st.one_of(st.just("brief.pdf"), ODD_TEXT))
    before = db.session.scalar(select(func.count()).select_from(Document))
    response = library_canton.post(
        url,
        data={
            **fields,
            "file": (io.BytesIO(content), filename),
            "csrf_token": token(library_canton, url),
        },
    )
    assert response.status_code < 500
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert "Bitte" in page or "Datei" in page, page[:500]
        assert db.session.scalar(select(func.count()).select_from(Document)) == before


@SETTINGS
@given(data=st.data())
def test_infomail_form(canton, data):
    from orders.models import Infomail

    url = "/kanton/infomails/neu"
    fields = data.draw(
        fields_strategy(
            {"subject": "Treffen", "body": "Text", "audience": "bezirke", "bezirke": "Olten"}
        )
    )
    before = db.session.scalar(select(func.count()).select_from(Infomail))
    response = canton.post(url, data={**fields, "csrf_token": token(canton, url)})
    assert response.status_code < 500
    if response.status_code == 200:
        assert "Bitte" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Infomail)) == before


@SETTINGS
@given(q=ODD_TEXT, kapitel=ODD_TEXT, sprache=ODD_TEXT)
def test_library_search_arguments(clerk, q, kapitel, sprache):
    response = clerk.get(
        "/dokumente", query_string={"q": q, "kapitel": kapitel, "sprache": sprache}
    )
    assert response.status_code in (200, 400)


@SETTINGS
@given(data=st.data())
def test_network_meeting_form(canton, data):
    from orders.models import NetworkMeeting
    from tests.test_vernetzung import meeting_form

    url = "/kanton/vernetzung/neu"
    good = {k: v for k, v in meeting_form().items() if k != "bezirke"} | {"bezirke": "Olten"}
    fields = data.draw(fields_strategy(good))
    before = db.session.scalar(select(func.count()).select_from(NetworkMeeting))
    response = canton.post(url, data={**fields, "csrf_token": token(canton, url)})
    assert response.status_code < 500
    if response.status_code == 200:
        assert 'class="error-message"' in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(NetworkMeeting)) == before
