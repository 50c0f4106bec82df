"""The canton's municipality list and settings, and the municipality import."""

import re

from sqlalchemy import func, select

from orders.extensions import db
from orders.models import AuditEvent, Municipality
from orders.services.gemeinden import import_municipalities
from tests.conftest import log_in, municipality, post_form


def test_import_is_idempotent_and_knows_mergers(app):
    # The app fixture has imported once already.
    report = import_municipalities()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 106)
    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 106
    halten = municipality(2520)
    assert halten.merged_into.name == "Kriegstetten"
    assert not halten.participates
    assert municipality(2525).participates


def test_import_keeps_the_cantons_settings(app):
    olten = municipality(2581)
    olten.participates = False
    olten.contact_name = "Stadt Olten"
    db.session.commit()
    import_municipalities()
    db.session.expire_all()
    assert not municipality(2581).participates
    assert municipality(2581).contact_name == "Stadt Olten"


def test_search_by_name_bezirk_and_bfs(client, kanton_user):
    log_in(client, "koordination@kanton.ch")

    def listed(**params) -> set[str]:
        page = client.get("/kanton/", query_string=params).get_data(as_text=True)
        return set(re.findall(r'href="/kanton/gemeinden/\d+">([^<]+)</a>', page))

    assert listed(q="gren") == {"Grenchen"}
    assert listed(q="2581") == {"Olten"}
    assert "Balsthal" in listed(bezirk="Thal") and "Grenchen" not in listed(bezirk="Thal")
    assert len(listed(bezirk="Thal")) == 8
    assert len(listed()) == 106


def test_municipalities_sort_the_german_way(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    page = client.get("/kanton/?bezirk=Thierstein").get_data(as_text=True)
    names = re.findall(r'href="/kanton/gemeinden/\d+">([^<]+)</a>', page)
    assert names.index("Bärschwil") < names.index("Beinwil (SO)") < names.index("Breitenbach")


def test_set_leitgemeinde_and_contact(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    derendingen = municipality(2517)
    response = post_form(
        client,
        "/kanton/gemeinden/2518",
        {
            "participates": "y",
            "lead": str(derendingen.id),
            "address": "Dorfstrasse 1",
            "town": "4554 Etziken",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
        },
    )
    assert response.status_code == 302
    assert municipality(2518).lead.name == "Derendingen"
    assert municipality(2518).address == "Dorfstrasse 1"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "municipality.update"))
    assert event.detail["changes"]["lead"] == [None, "Derendingen"]
    page = client.get("/kanton/").get_data(as_text=True)
    assert "Mitglied von Derendingen" in page and "Leitgemeinde (1)" in page


def test_a_member_cannot_lead(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    municipality(2518).lead = municipality(2517)
    db.session.commit()
    page = post_form(
        client,
        "/kanton/gemeinden/2516",
        {
            "participates": "y",
            "lead": str(municipality(2518).id),
            "address": "",
            "town": "",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
        },
    ).get_data(as_text=True)
    assert "selbst Mitglied einer Leitgemeinde" in page
    assert municipality(2516).lead is None


def settings_form(**values) -> dict:
    empty = dict.fromkeys(("address", "town", "contact_name", "contact_email", "contact_phone"), "")
    return {"participates": "y", "lead": "", **empty, **values}


def test_only_a_participating_municipality_leads(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    municipality(2581).participates = False  # Olten
    db.session.commit()
    page = post_form(
        client, "/kanton/gemeinden/2546", settings_form(lead=str(municipality(2581).id))
    ).text
    assert "Olten nimmt nicht am Programm teil und kann keine Gemeinden leiten." in page
    assert municipality(2546).lead is None

    municipality(2518).lead = municipality(2517)  # Etziken, member of Derendingen
    db.session.commit()
    page = post_form(client, "/kanton/gemeinden/2517", settings_form(participates="")).text
    assert re.search(r'id="participates-error">.*Derendingen leitet Etziken: bitte', page, re.S)
    assert municipality(2517).participates


def test_bad_contact_email_is_refused_beside_the_field(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    page = post_form(
        client,
        "/kanton/gemeinden/2581",
        {
            "participates": "y",
            "lead": "",
            "address": "Dornacherstrasse 1",
            "town": "4600 Olten",
            "contact_name": "",
            "contact_email": "kein mail",
            "contact_phone": "",
        },
    ).get_data(as_text=True)
    assert 'id="contact_email-error"' in page
    assert 'value="Dornacherstrasse 1"' in page
    assert municipality(2581).address == ""


def test_a_merged_municipality_says_so_and_takes_no_new_accounts(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    halten = client.get("/kanton/gemeinden/2520").text
    assert "Halten bestand bis 31.12.2025 und ist in Kriegstetten aufgegangen." in halten
    assert "Person dieser Gemeinde einladen" not in halten
    olten = client.get("/kanton/gemeinden/2581").text
    assert "bestand bis" not in olten and "Person dieser Gemeinde einladen" in olten
