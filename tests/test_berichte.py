"""Half-year reports and self-declarations: drafts, rules, submission with receipt and mails,
double submission, reopening and versions, access, the canton's overview, payouts, reminders."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import (
    HalfYearReport,
    InterpreterRequest,
    ReminderSent,
    ReportState,
    ReportVersion,
    SelfDeclaration,
    User,
)
from orders.services import berichte, deadlines, outbox
from tests.conftest import log_in, make_user, municipality, post_form, text_body


def ended_period() -> tuple[int, int]:
    return deadlines.last_ended_half(deadlines.today_local())


def running_period() -> tuple[int, int]:
    return deadlines.half_of(deadlines.today_local())


def report_url(bfs_nr: int = 2581, period: tuple[int, int] | None = None) -> str:
    year, half = period or ended_period()
    return f"/gemeinde/{bfs_nr}/berichte/{year}/{half}"


def report_data(**overrides) -> dict:
    data = {
        "first_info_conversations": "12",
        "first_info_people": "20",
        "first_info_interpreter": "4",
        "integration_conversations": "3",
        "integration_interpreter": "1",
        "s_conversations": "2",
        "s_follow_ups": "1",
        "remarks": "Zwei Gespräche am Schalter",
        "documents_filed": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_report(client, action="submit", bfs_nr=2581, period=None, **overrides):
    url = report_url(bfs_nr, period)
    return post_form(client, url, {**report_data(**overrides), "action": action})


def declaration_data(**overrides) -> dict:
    data = {
        "contact_point": "y",
        "contact_name": "Einwohnerdienste Olten",
        "contact_address": "Dornacherstrasse 1, 4600 Olten",
        "contact_phone": "062 206 11 11",
        "contact_email": "integration@olten.ch",
        "organisation_model": "einzel",
        "led_municipalities": "",
        "strategic_lead_name": "Stefanie Stadträtin",
        "strategic_lead_function": "Stadträtin Soziales",
        "operative_lead_name": "Clara Clerk",
        "operative_lead_percent": "40",
        "first_info_held": "y",
        "first_info_forms": ["gespraech", "schriftlich"],
        "cooperation": ["schule", "sozialregion"],
        "cooperation_other": "",
        "foreign_residents": "5321",
        "remarks": "",
        "confirmed": "y",
        "signatory_name": "Stefanie Stadträtin",
        "signatory_function": "Stadträtin",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def last_year() -> int:
    return deadlines.today_local().year - 1


def post_declaration(client, action="submit", bfs_nr=2581, year=None, **overrides):
    url = f"/gemeinde/{bfs_nr}/selbstdeklaration/{year or last_year()}"
    return post_form(client, url, {**declaration_data(**overrides), "action": action})


def the_report(bfs_nr: int = 2581) -> HalfYearReport:
    return db.session.scalar(
        select(HalfYearReport).where(HalfYearReport.municipality_id == municipality(bfs_nr).id)
    )


# --- drafts and rules -------------------------------------------------------------------------


def test_draft_is_saved_and_shown_again(clerk):
    response = post_report(clerk, action="save", s_conversations="", documents_filed=None)
    assert response.status_code == 303
    report = the_report()
    assert report.state is ReportState.DRAFT and report.number is None
    assert report.figures["first_info_conversations"] == 12
    assert report.figures["s_conversations"] is None
    page = clerk.get(report_url()).get_data(as_text=True)
    assert 'value="12"' in page and "Entwurf, zuletzt gespeichert" in page
    assert db.session.scalar(select(func.count()).select_from(ReportVersion)) == 0


def test_of_which_never_above_its_total_and_typed_text_survives(clerk):
    response = post_report(clerk, first_info_interpreter="13", integration_conversations="drei")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bitte geben Sie eine ganze Zahl ein" in page
    assert 'value="drei"' in page and 'value="13"' in page
    assert the_report() is None  # a field that is no number: nothing stored
    response = post_report(clerk, first_info_interpreter="13")
    page = response.get_data(as_text=True)
    assert "kann nicht grösser sein als «Erstinformationsgespräche durchgeführt»" in page
    # The draft keeps what was typed, but nothing is submitted.
    assert the_report().state is ReportState.DRAFT
    assert the_report().figures["first_info_interpreter"] == 13


@pytest.mark.parametrize("value", ["-1", "1.5", "100001"])
def test_whole_numbers_from_zero(clerk, value):
    page = post_report(clerk, s_follow_ups=value).get_data(as_text=True)
    assert "Bitte" in page and the_report() is None or the_report().state is ReportState.DRAFT
    assert db.session.scalar(select(func.count()).select_from(ReportVersion)) == 0


def test_submit_needs_every_figure_and_the_documents_tick(clerk):
    page = post_report(clerk, s_follow_ups="", documents_filed=None).get_data(as_text=True)
    assert "Bitte geben Sie eine Zahl ein (0, wenn keine)." in page
    assert "Gesprächsleitfäden und Formulare" in page
    assert the_report().state is ReportState.DRAFT


def test_running_half_year_can_be_drafted_but_not_submitted(clerk):
    year, half = running_period()
    page = post_report(clerk, period=(year, half)).get_data(as_text=True)
    first_day = "01.07." if half == 1 else "01.01."
    first_day += str(year if half == 1 else year + 1)
    assert f"Einreichen ist ab dem {first_day} möglich" in page
    assert "der Entwurf ist gespeichert" in page
    assert f"und ab dem {first_day} einreichen" in clerk.get(report_url(period=(year, half))).text
    assert the_report().state is ReportState.DRAFT
    assert clerk.get(report_url(period=(year + 1, 1))).status_code == 404
    assert clerk.get(report_url(period=(year, 3))).status_code == 404


def test_interpreter_orders_held_are_offered_not_filled_in(clerk, app):
    from tests.test_dolmetschen import submit as submit_interpreter

    submit_interpreter(clerk)
    booking = db.session.scalar(select(InterpreterRequest))
    year, half = ended_period()
    booking.appointment_date = deadlines.period_start(year, half)
    booking.held = True
    db.session.commit()
    page = clerk.get(report_url()).get_data(as_text=True)
    assert 'data-suggest="1" data-suggest-target="first_info_interpreter"' in page
    assert 'data-suggest-target="integration_interpreter"' not in page  # none of that type
    # Offered beside the field, never filled in.
    assert (
        'id="first_info_interpreter" inputmode="numeric" name="first_info_interpreter" '
        'type="text" value=""'
    ) in page


# --- submission -------------------------------------------------------------------------------


def test_check_page_then_submit_gives_receipt_and_mails(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    client = mail_app.test_client()
    log_in(client, "clerk@olten.ch")
    check = post_report(client, action="check").get_data(as_text=True)
    assert "Bitte prüfen Sie den Bericht" in check
    # 15 conversations x 200 + 5 x 160 + 2 x 300 + 1 x 1000
    assert "CHF 3&#39;000.00" in check and "CHF 800.00" in check and "CHF 5&#39;400.00" in check
    response = post_report(client, action="submit")
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    report = the_report()
    assert report.state is ReportState.SUBMITTED
    assert re.fullmatch(r"R-\d{4}-\d{5}", report.number)
    assert report.number in receipt and "eingereicht" in receipt
    [version] = report.versions
    assert version.amounts == {
        "case": 300000,
        "interpreter": 80000,
        "s_conversations": 60000,
        "s_follow_ups": 100000,
        "total": 540000,
    }
    assert version.tariffs["fallpauschale"] == 20000
    # Read-only now: the page shows the report, a further save is refused.
    page = client.get(report_url()).get_data(as_text=True)
    assert "schreibgeschützt" in page and "Entwurf speichern" not in page

    assert outbox.deliver_due().sent == 2
    [receipt_mail] = smtp_server.to("clerk@olten.ch")
    assert report.number in receipt_mail["Subject"]
    body = text_body(receipt_mail)
    assert "Erstinformationsgespräche durchgeführt: 12" in body
    assert "Total: CHF 5'400.00" in body
    [canton_mail] = smtp_server.to(mail_app.config["REPORT_MAIL_TO"])
    assert "Olten" in canton_mail["Subject"] and canton_mail["Reply-To"] == "clerk@olten.ch"


def test_double_submit_makes_one_submission(clerk):
    assert post_report(clerk).status_code == 303
    again = post_report(clerk)  # the connection was lost; the browser sends again
    assert again.status_code == 303 and again.headers["Location"].endswith("/quittung")
    assert db.session.scalar(select(func.count()).select_from(ReportVersion)) == 1
    report = the_report()
    assert berichte.submit_report(report, report.versions[0].submitted_by) is False
    assert db.session.scalar(select(func.count()).select_from(ReportVersion)) == 1


def test_late_submission_is_accepted_and_marked(app, olten_user):
    year, half = 2025, 2
    report = berichte.save_report_draft(
        municipality(2581), year, half, {k: 1 for k in berichte.FIGURES}, "", True, olten_user
    )
    in_time = datetime(2026, 1, 31, 22, 0, tzinfo=UTC)  # 23:00 in Solothurn
    assert berichte.submit_report(report, olten_user, now=in_time)
    assert report.late is False
    other = berichte.save_report_draft(
        municipality(2546), year, half, {k: 1 for k in berichte.FIGURES}, "", True, olten_user
    )
    assert berichte.submit_report(other, olten_user, now=datetime(2026, 2, 1, 9, tzinfo=UTC))
    assert other.late is True and other.versions[0].late is True


# --- corrections ------------------------------------------------------------------------------


def test_reopen_and_resubmit_keeps_every_version(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    make_user("koordination@kanton.ch")
    clerk = mail_app.test_client()
    log_in(clerk, "clerk@olten.ch")
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    post_report(clerk)
    year, half = ended_period()
    detail = f"/kanton/berichte/2581/{year}/{half}"
    # A reason is required.
    post_form(canton, f"{detail}/wiedereroeffnen", {"reason": " "}, form_url=detail)
    assert the_report().state is ReportState.SUBMITTED
    response = post_form(
        canton,
        f"{detail}/wiedereroeffnen",
        {"reason": "Die Integrationsgespräche fehlen teilweise."},
        form_url=detail,
    )
    assert response.status_code == 302
    assert the_report().state is ReportState.REOPENED
    form = clerk.get(report_url()).get_data(as_text=True)
    assert "Die Integrationsgespräche fehlen teilweise." in form and 'value="3"' in form
    post_report(clerk, integration_conversations="5")
    report = the_report()
    assert report.state is ReportState.SUBMITTED
    first, second = report.versions
    assert first.figures["integration_conversations"] == 3
    assert second.figures["integration_conversations"] == 5
    assert first.reopen_reason == "Die Integrationsgespräche fehlen teilweise."
    assert second.amounts["total"] == first.amounts["total"] + 2 * 20000
    page = canton.get(detail).get_data(as_text=True)
    assert "Version 1" in page and "Version 2" in page
    # The changed figure and amounts are highlighted in the second column.
    assert '<td class="changed"><mark>5</mark></td>' in page
    assert "<td>3</td>" in page
    outbox.deliver_due()
    [reopened] = [m for m in smtp_server.to("clerk@olten.ch") if "korrigieren" in m["Subject"]]
    assert "Die Integrationsgespräche fehlen teilweise." in text_body(reopened)
    corrected = smtp_server.to(mail_app.config["REPORT_MAIL_TO"])
    assert [("Korrektur" in m["Subject"]) for m in corrected] == [False, True]


def test_a_draft_cannot_be_reopened(clerk, app, kanton_user):
    post_report(clerk, action="save")
    with pytest.raises(berichte.ReportError):
        berichte.reopen_report(the_report(), kanton_user, "Grund")


# --- access -----------------------------------------------------------------------------------


def test_another_municipality_gets_404(app, olten_user, grenchen_user):
    grenchen = app.test_client()
    log_in(grenchen, "clerk@grenchen.ch")
    post_report(grenchen, bfs_nr=2546)
    post_declaration(grenchen, bfs_nr=2546)
    olten = app.test_client()
    log_in(olten, "clerk@olten.ch")
    year, half = ended_period()
    for url in (
        "/gemeinde/2546/berichte",
        f"/gemeinde/2546/berichte/{year}/{half}",
        f"/gemeinde/2546/berichte/{year}/{half}/quittung",
        f"/gemeinde/2546/selbstdeklaration/{last_year()}",
        f"/gemeinde/2546/selbstdeklaration/{last_year()}/quittung",
        f"/kanton/berichte/2546/{year}/{half}",
        "/kanton/berichte/",
        "/kanton/berichte/auszahlung",
    ):
        assert olten.get(url).status_code == 404, url
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', olten.get("/gemeinde/2581").get_data(as_text=True)
    )[1]
    refused = olten.post(
        f"/gemeinde/2546/berichte/{year}/{half}",
        data={**report_data(), "action": "submit", "csrf_token": token},
    )
    assert refused.status_code == 404
    assert the_report(2581) is None


def test_leitgemeinde_reports_for_its_members(app):
    municipality(2516).lead = municipality(2517)
    db.session.commit()
    make_user("ib@derendingen.ch", 2517)
    client = app.test_client()
    log_in(client, "ib@derendingen.ch")
    assert post_report(client, bfs_nr=2517).status_code == 303
    assert post_report(client, bfs_nr=2516).status_code == 303
    assert the_report(2516).state is ReportState.SUBMITTED
    page = client.get("/gemeinde/2517/berichte").get_data(as_text=True)
    assert "Deitingen" in page
    assert client.get(report_url(2581)).status_code == 404


# --- self-declaration -------------------------------------------------------------------------


def test_declaration_submit_receipt_and_prefill_next_year(app, olten_user, monkeypatch):
    client = app.test_client()
    log_in(client, "clerk@olten.ch")
    year = last_year() - 1
    page = post_declaration(client, year=year, confirmed=None, signatory_name="").get_data(
        as_text=True
    )
    assert "Bitte bestätigen Sie, dass die Angaben korrekt sind." in page
    response = post_declaration(client, year=year)
    assert response.status_code == 303
    declaration = db.session.scalar(select(SelfDeclaration))
    assert declaration.state is ReportState.SUBMITTED
    assert declaration.versions[0].amounts == {"base": 5321 * 700, "total": 5321 * 700}
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert declaration.number in receipt and "CHF 37&#39;247.00" in receipt
    # Next year's form is prefilled from this one, without the count and the confirmation.
    form = client.get(f"/gemeinde/2581/selbstdeklaration/{year + 1}").get_data(as_text=True)
    assert 'value="Stefanie Stadträtin"' in form and 'value="5321"' not in form
    assert f"Vorausgefüllt mit Ihrer Selbstdeklaration {year}" in form
    # Without one the year before, the note names what the form holds: the contact data.
    first = client.get(f"/gemeinde/2581/selbstdeklaration/{year - 1}").text
    assert "Vorausgefüllt mit den Kontaktangaben, die die Koordinationsstelle zu Olten hat" in first
    assert "Selbstdeklaration " + str(year - 2) not in first


def test_declaration_rules(clerk):
    page = post_declaration(
        clerk,
        organisation_model="leit",
        cooperation=["andere"],
        operative_lead_percent="120",
    ).get_data(as_text=True)
    assert "Bitte ein Pensum von 0 bis 100 Prozent." in page
    page = post_declaration(clerk, organisation_model="leit", cooperation=["andere"]).get_data(
        as_text=True
    )
    assert "Bitte nennen Sie die Gemeinden" in page
    assert "Bitte nennen Sie die anderen Regelstrukturen." in page
    assert db.session.scalar(select(SelfDeclaration)).state is ReportState.DRAFT


def test_declaration_for_the_running_year_is_a_draft_only(clerk):
    year = deadlines.today_local().year
    page = post_declaration(clerk, year=year).get_data(as_text=True)
    assert f"Einreichen ist ab dem 01.01.{year + 1} möglich" in page


# --- the canton -------------------------------------------------------------------------------


def test_numbers_typed_with_swiss_thousands_separators_are_read(app, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    assert post_declaration(clerk, action="save", foreign_residents="12'345").status_code == 303
    declaration = berichte.find_declaration(municipality(2581), last_year())
    assert declaration.data["foreign_residents"] == 12345


def test_a_period_not_yet_ended_or_due_is_not_called_missing(app, kanton_user, olten_user):
    """Nothing can be submitted for a running period, and nothing is overdue before the due
    date: neither is «fehlt» on the canton's overview or the municipality's list."""
    ends, due = date(2026, 12, 31), date(2027, 1, 31)
    assert berichte.status_of(None, ends, due, date(2026, 12, 2)) == (
        "running",
        "Periode läuft noch",
    )
    assert berichte.status_of(None, ends, due, date(2027, 1, 31))[1] == "noch nicht eingereicht"
    assert berichte.status_of(None, ends, due, date(2027, 2, 1))[1] == "fehlt (überfällig)"

    year, half = running_period()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    page = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}").get_data(as_text=True)
    assert '<td><span class="tag">Periode läuft noch</span></td>' in page
    assert "fehlt" not in page and "(die Periode läuft noch)" in page
    declarations = canton.get(f"/kanton/berichte/selbstdeklarationen?jahr={year}")
    assert "fehlt" not in declarations.get_data(as_text=True)
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    own = clerk.get("/gemeinde/2581/berichte").get_data(as_text=True)
    assert "Periode läuft noch" in own
    # Its form offers saving the draft, not a check that could not end in submitting.
    form = clerk.get(report_url(period=(year, half))).get_data(as_text=True)
    assert "Entwurf speichern" in form and "Weiter zur Kontrolle" not in form
    ended = clerk.get(report_url(period=ended_period())).get_data(as_text=True)
    assert "Weiter zur Kontrolle" in ended


def test_period_overview_states_and_bezirk_filter(app, kanton_user, olten_user, grenchen_user):
    olten = app.test_client()
    log_in(olten, "clerk@olten.ch")
    post_report(olten)
    grenchen = app.test_client()
    log_in(grenchen, "clerk@grenchen.ch")
    post_report(grenchen, action="save", bfs_nr=2546)
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    year, half = ended_period()
    page = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}").get_data(as_text=True)
    assert re.search(
        r"Olten</a></td>\s*<td>Olten</td>\s*<td><span class=\"tag\">(verspätet )?eingereicht", page
    )
    assert re.search(r"Grenchen</a></td>\s*<td>Lebern</td>\s*<td><span class=\"tag\">Entwurf", page)
    not_submitted = r"(fehlt \(überfällig\)|noch nicht eingereicht)"
    assert re.search(
        rf"<td>Bettlach</td>\s*<td>Lebern</td>\s*<td><span class=\"tag\">{not_submitted}", page
    )
    lebern = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}&bezirk=Lebern")
    lebern = lebern.get_data(as_text=True)
    assert "Grenchen</a>" in lebern and "Olten</a>" not in lebern
    the_report(2581).state = ReportState.REOPENED
    db.session.commit()
    page = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}").get_data(as_text=True)
    assert "zur Korrektur geöffnet" in page
    declarations = canton.get(f"/kanton/berichte/selbstdeklarationen?jahr={last_year()}")
    assert declarations.status_code == 200
    assert re.search(not_submitted, declarations.get_data(as_text=True))

    # Olten leaves the programme: its submitted report stays in the period's list (in its
    # Bezirk's too), Bettlach, which owes nothing now, leaves it.
    municipality(2581).participates = False
    municipality(2543).participates = False
    db.session.commit()
    page = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}").get_data(as_text=True)
    assert "Olten</a>" in page and "zur Korrektur geöffnet" in page
    assert "<td>Bettlach</td>" not in page
    bezirk = canton.get(f"/kanton/berichte/?jahr={year}&halbjahr={half}&bezirk=Olten").text
    assert "Olten</a>" in bezirk
    assert "Olten</a>" not in lebern


def payout_row(page: str, name: str) -> str:
    return re.search(rf"<tr><td>{name}</td>.*?</tr>", page, re.S).group()


def test_payout_table_and_exports(app, kanton_user, olten_user):
    olten = app.test_client()
    log_in(olten, "clerk@olten.ch")
    year = last_year()
    for half in (1, 2):
        post_report(olten, period=(year, half))
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    # Without the self-declaration: no base contribution.
    page = canton.get(f"/kanton/berichte/auszahlung?jahr={year}").get_data(as_text=True)
    # In CHF, said once: the amounts alone keep the nine columns within the page.
    assert "Beträge in CHF" in page
    assert '<td class="num">10&#39;800.00</td></tr>' in payout_row(page, "Olten")
    assert "CHF 10" not in page
    # The two reports' numbers, each kept on one line.
    assert payout_row(page, "Olten").count('<span class="nowrap">R-') == 2
    # A short "–" in the cell (the long text made the table too wide), explained under it.
    assert 'title="keine Selbstdeklaration"' in payout_row(page, "Olten")
    assert "(keine Selbstdeklaration)" not in page
    assert "«–» beim Sockelbeitrag: keine Selbstdeklaration" in page
    post_declaration(olten, year=year)
    page = canton.get(f"/kanton/berichte/auszahlung?jahr={year}").get_data(as_text=True)
    assert '<td class="num">37&#39;247.00</td>' in page
    assert '<td class="num">48&#39;047.00</td></tr>' in payout_row(page, "Olten")
    assert "keine Selbstdeklaration" not in payout_row(page, "Olten")
    half_year = canton.get(f"/kanton/berichte/auszahlung?jahr={year}&halbjahr=1")
    assert '<td class="num">5&#39;400.00</td>' in half_year.get_data(as_text=True)

    response = canton.get(f"/kanton/berichte/auszahlung/export.csv?jahr={year}")
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    olten_row = next(row for row in rows if row[0] == "Olten")
    assert olten_row[4:9] == ["6000.00", "1600.00", "1200.00", "2000.00", "37247.00"]
    stand = rows[0].index("Stand")
    assert olten_row[stand] == "eingereicht" and rows[-1][stand] == ""
    assert next(row for row in rows if row[0] == "Grenchen")[stand] == "nichts eingereicht"
    assert olten_row[-1] == "48047.00"
    assert rows[-1][0] == "Total" and rows[-1][-1] == "48047.00"

    response = canton.get(f"/kanton/berichte/auszahlung/export.xlsx?jahr={year}&halbjahr=2")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    olten_cells = next(row for row in sheet.iter_rows() if row[0].value == "Olten")
    total = olten_cells[-1]  # the half-year's total for Olten: a number, shown as francs
    assert (total.value, total.number_format) == (5400, "#,##0.00")
    assert canton.get("/kanton/berichte/auszahlung/export.pdf").status_code == 404


# --- reminders --------------------------------------------------------------------------------


def test_reminders_only_to_those_missing_once_and_by_smtp(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    make_user("clerk@grenchen.ch", 2546)
    make_user("ib@derendingen.ch", 2517)
    make_user("staff@deitingen.ch", 2516)
    municipality(2516).lead = municipality(2517)
    municipality(2517).participates = False  # not in the programme: no reminder
    db.session.commit()
    clerk = db.session.scalar(select(User).where(User.email == "clerk@olten.ch"))
    report = berichte.save_report_draft(
        municipality(2581), 2026, 1, {k: 0 for k in berichte.FIGURES}, "", True, clerk
    )
    berichte.submit_report(report, clerk, now=datetime(2026, 7, 10, 8, tzinfo=UTC))
    assert outbox.deliver_due().sent == 2  # receipt and notification
    runner = mail_app.test_cli_runner()

    result = runner.invoke(args=["berichte", "erinnern", "--datum", "2026-07-17"])
    assert result.exit_code == 0, result.output
    assert "2 versandt" in result.output  # Grenchen, and Deitingen (to it and its lead)
    again = runner.invoke(args=["berichte", "erinnern", "--datum", "2026-07-17"])
    assert "0 versandt" in again.output
    assert runner.invoke(args=["berichte", "erinnern", "--datum", "2026-07-18"]).output.startswith(
        "Erinnerungen 18.07.2026: 0 versandt"
    )
    assert outbox.deliver_due().sent == 2
    assert [m["Subject"] for m in smtp_server.to("clerk@olten.ch")][1:] == []
    [grenchen] = smtp_server.to("clerk@grenchen.ch")
    assert "Erinnerung: Halbjahresbericht 1. Halbjahr 2026 Grenchen" in grenchen["Subject"]
    assert "31.07.2026" in text_body(grenchen)
    [deitingen] = smtp_server.to("staff@deitingen.ch")
    assert "ib@derendingen.ch" in deitingen["X-Envelope-To"]

    # The day after the due date: overdue, again only to those missing.
    result = runner.invoke(args=["berichte", "erinnern", "--datum", "2026-08-01"])
    assert "2 versandt" in result.output
    outbox.deliver_due()
    assert [m["Subject"].split(":")[0] for m in smtp_server.to("clerk@grenchen.ch")] == [
        "Erinnerung",
        "Überfällig",
    ]
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 4


def test_january_reminds_of_h2_and_the_declaration(app, olten_user):
    sent = berichte.send_reminders(date(2027, 1, 17))
    assert sent.sent == 2
    kinds = sorted(db.session.scalars(select(ReminderSent.kind)))
    assert kinds == ["bericht", "selbstdeklaration"]
    assert berichte.send_reminders(date(2027, 1, 17)).sent == 0


def test_declaration_reopen_and_resubmit(app, kanton_user, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    year = last_year()
    post_declaration(clerk, year=year)
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    detail = f"/kanton/berichte/selbstdeklarationen/2581/{year}"
    post_form(
        canton,
        f"{detail}/wiedereroeffnen",
        {"reason": "Die Zahl der Einwohner stimmt nicht."},
        form_url=detail,
    )
    declaration = db.session.scalar(select(SelfDeclaration))
    assert declaration.state is ReportState.REOPENED
    form = clerk.get(f"/gemeinde/2581/selbstdeklaration/{year}").get_data(as_text=True)
    assert "Die Zahl der Einwohner stimmt nicht." in form and 'value="5321"' in form
    assert post_declaration(clerk, year=year, foreign_residents="5400").status_code == 303
    db.session.refresh(declaration)
    first, second = declaration.versions
    assert first.data["foreign_residents"] == 5321 and second.data["foreign_residents"] == 5400
    assert second.amounts["base"] == 5400 * 700
    page = canton.get(detail).get_data(as_text=True)
    assert '<td class="changed"><mark>5&#39;400</mark></td>' in page
    tariffs = canton.get("/kanton/berichte/tarife").get_data(as_text=True)
    assert "KRS-GEF-2024/03" in tariffs and "CHF 1&#39;000.00" in tariffs


def test_the_dashboard_lists_what_is_still_due(app, olten_user):
    """Reports of ended half-years and last year's declaration not yet submitted, the oldest
    first, with their due date; past interpreter appointments without an outcome."""
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    year, half = ended_period()
    page = clerk.get("/gemeinde/2581").text
    todo = re.search(r'<section class="panel-todo".*?</section>', page, re.S).group(0)
    report = f"Halbjahresbericht {half}. Halbjahr {year}"
    assert report in todo and f"Selbstdeklaration {last_year()}" in todo
    assert f'href="/gemeinde/2581/berichte/{year}/{half}"' in todo
    post_report(clerk)
    post_declaration(clerk)
    todo = clerk.get("/gemeinde/2581").text
    assert report not in todo and f"Selbstdeklaration {last_year()}</a>" not in todo

    from tests.test_dolmetschen import submit as book_interpreter

    book_interpreter(clerk)
    booking = db.session.scalar(select(InterpreterRequest))
    booking.appointment_date = deadlines.today_local() - timedelta(days=3)
    db.session.commit()
    page = clerk.get("/gemeinde/2581").text
    assert (
        '<a href="/gemeinde/2581/dolmetschen?ergebnis=fehlt">1 Dolmetscheinsatz</a> nach dem Termin'
        in page
    )
    listed = clerk.get("/gemeinde/2581/dolmetschen").text
    assert f'href="/dolmetschen/{booking.number}#held-0">Ergebnis erfassen<span' in listed
    # A municipality outside the programme owes no report.
    municipality(2581).participates = False
    db.session.commit()
    assert not re.search(r"Halbjahresbericht \d\. Halbjahr", clerk.get("/gemeinde/2581").text)
