"""Reviewer's findings on reports and self-declarations (issue 5): races between workers
reproduced with two app contexts (two sessions), merged municipalities, missing tariffs,
query counts, missed reminder days, the payout table's state marker and tariff entry."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from orders.extensions import db
from orders.models import (
    AuditEvent,
    HalfYearReport,
    OutboxMail,
    ReminderSent,
    ReportState,
    Tariff,
    TariffKind,
    User,
)
from orders.services import berichte, payout
from tests.conftest import log_in, make_user, municipality
from tests.test_berichte import (
    declaration_data,
    ended_period,
    last_year,
    payout_row,
    post_declaration,
    post_report,
)

ONES = {key: 1 for key in berichte.FIGURES}


def draft(user: User, figures: dict | None = None, bfs_nr: int = 2581, period=None):
    year, half = period or ended_period()
    return berichte.save_report_draft(
        municipality(bfs_nr), year, half, figures or ONES, "", True, user
    )


def in_other_worker(app, work):
    """Run work(user) in a separate app context, i.e. with its own database session, as
    another gunicorn worker would; it commits before this returns."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "clerk@olten.ch"))
        return work(user)


# --- 1: submit validates and computes on what it freezes --------------------------------------


def test_submit_freezes_figures_and_amounts_that_belong_together(app, olten_user):
    report = draft(olten_user)
    assert report.figures["first_info_conversations"] == 1  # loaded by this worker
    in_other_worker(app, lambda user: draft(user, {**ONES, "first_info_conversations": 9}))
    assert berichte.submit_report(report, olten_user)
    [version] = report.versions
    assert version.figures["first_info_conversations"] == 9
    assert version.amounts == payout.report_amounts(version.figures, version.tariffs)
    assert version.amounts["case"] == 10 * 20000


def test_submit_refuses_figures_saved_meanwhile_that_break_the_rules(app, olten_user):
    report = draft(olten_user)
    assert report.figures["first_info_interpreter"] == 1
    in_other_worker(app, lambda user: draft(user, {**ONES, "first_info_interpreter": 5}))
    with pytest.raises(berichte.ReportError, match="davon mit Dolmetschenden"):
        berichte.submit_report(report, olten_user)
    db.session.expire_all()
    stored = db.session.get(HalfYearReport, report.id)
    assert stored.state is ReportState.DRAFT and stored.number is None and not stored.versions


def test_declaration_freezes_the_base_of_the_residents_it_freezes(app, olten_user):
    data = {**declaration_data(), "foreign_residents": 100, "operative_lead_percent": 40}
    for key in ("contact_point", "first_info_held", "confirmed"):
        data[key] = True
    declaration = berichte.save_declaration_draft(municipality(2581), last_year(), data, olten_user)
    assert declaration.data["foreign_residents"] == 100
    in_other_worker(
        app,
        lambda user: berichte.save_declaration_draft(
            municipality(2581), last_year(), {**data, "foreign_residents": 250}, user
        ),
    )
    assert berichte.submit_declaration(declaration, olten_user)
    [version] = declaration.versions
    assert version.data["foreign_residents"] == 250
    assert version.amounts == {"base": 250 * 700, "total": 250 * 700}


# --- 2: a draft save never overwrites a report another worker submitted ------------------------


def test_draft_save_after_a_submission_elsewhere_is_refused(app, olten_user):
    report = draft(olten_user)
    assert report.state is ReportState.DRAFT  # loaded by this worker
    in_other_worker(
        app,
        lambda user: berichte.submit_report(
            berichte.find_report(municipality(2581), report.year, report.half), user
        ),
    )
    with pytest.raises(berichte.ReportError, match="inzwischen eingereicht"):
        draft(olten_user, {**ONES, "first_info_conversations": 7})
    db.session.expire_all()
    stored = db.session.get(HalfYearReport, report.id)
    assert stored.state is ReportState.SUBMITTED
    assert stored.figures == stored.versions[-1].figures == ONES


def test_declaration_draft_save_after_a_submission_elsewhere_is_refused(app, olten_user):
    data = {**declaration_data(), "foreign_residents": 100, "operative_lead_percent": 40}
    for key in ("contact_point", "first_info_held", "confirmed"):
        data[key] = True
    declaration = berichte.save_declaration_draft(municipality(2581), last_year(), data, olten_user)
    assert declaration.state is ReportState.DRAFT
    in_other_worker(
        app,
        lambda user: berichte.submit_declaration(
            berichte.find_declaration(municipality(2581), last_year()), user
        ),
    )
    with pytest.raises(berichte.ReportError, match="inzwischen eingereicht"):
        berichte.save_declaration_draft(
            municipality(2581), last_year(), {**data, "foreign_residents": 1}, olten_user
        )
    db.session.expire_all()
    assert (
        berichte.find_declaration(municipality(2581), last_year()).data["foreign_residents"] == 100
    )


# --- 4: a missing tariff is a form error, not a 500 -------------------------------------------


def test_check_page_without_programme_s_tariff_shows_a_form_error(client, olten_user):
    log_in(client, "clerk@olten.ch")
    response = post_report(client, action="check", period=(2023, 2))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "kein Tarif «Programm S" in page and "Koordinationsstelle" in page
    # Without Programm S figures the same period can be checked.
    response = post_report(
        client, action="check", period=(2023, 2), s_conversations="0", s_follow_ups="0"
    )
    assert "Bitte prüfen Sie den Bericht" in response.get_data(as_text=True)


def test_declaration_check_without_base_tariff_shows_a_form_error(client, olten_user):
    db.session.execute(delete(Tariff).where(Tariff.kind == TariffKind.BASE_CONTRIBUTION))
    db.session.commit()
    log_in(client, "clerk@olten.ch")
    response = post_declaration(client, action="check")
    assert response.status_code == 200
    assert "kein Tarif «" in response.get_data(as_text=True)


# --- 7: reopening happens once ----------------------------------------------------------------


def test_reopen_twice_at_once_sends_one_mail_and_one_audit_row(app, olten_user, kanton_user):
    report = draft(olten_user)
    assert berichte.submit_report(report, olten_user)
    assert report.state is ReportState.SUBMITTED  # loaded by this worker
    mails_before = db.session.scalar(select(func.count()).select_from(OutboxMail))

    def reopen(_user):
        canton = db.session.get(User, kanton_user.id)
        record = berichte.find_report(municipality(2581), report.year, report.half)
        berichte.reopen_report(record, canton, "Zahlen fehlen")

    in_other_worker(app, reopen)
    with pytest.raises(berichte.ReportError):
        berichte.reopen_report(report, kanton_user, "Zahlen fehlen")
    db.session.expire_all()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "report.reopen")
    ).all()
    assert actions == ["report.reopen"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == mails_before + 1
    assert db.session.get(HalfYearReport, report.id).state is ReportState.REOPENED


# --- 3: municipalities merged at the end of 2025 owe their last reports ------------------------


def test_merged_municipality_stays_in_its_last_periods(app, kanton_user):
    from tests.conftest import make_user

    halten = municipality(2520)
    assert halten.valid_until == date(2025, 12, 31) and halten.participates is False
    in_h2 = [row.municipality.bfs_nr for row in berichte.report_overview(2025, 2)]
    assert 2520 in in_h2 and 2529 in in_h2
    assert 2520 not in [row.municipality.bfs_nr for row in berichte.report_overview(2026, 1)]
    assert 2520 in [row.municipality.bfs_nr for row in berichte.declaration_overview(2025)]
    assert 2520 in [row.municipality.bfs_nr for row in berichte.payout_table(2025)]
    assert 2520 in [row.municipality.bfs_nr for row in berichte.payout_table(2025, 2)]
    assert 2520 not in [row.municipality.bfs_nr for row in berichte.payout_table(2026, 1)]

    make_user("verwaltung@halten.ch", 2520)
    # 17 January 2026: 14 days before the H2 2025 report is due (after Halten's last day).
    assert berichte.send_reminders(date(2026, 1, 17)).sent >= 1
    reminded = db.session.scalars(
        select(ReminderSent.period).where(ReminderSent.municipality_id == municipality(2520).id)
    ).all()
    assert sorted(reminded) == ["2025", "2025-2"]  # its last report and self-declaration


# --- 6: a day the daily job missed does not lose a reminder ------------------------------------


def test_a_missed_reminder_day_is_caught_up_once(app, olten_user):
    # 17.07.2026 (14 days before 31.07.) the job did not run; three days later it does.
    assert berichte.send_reminders(date(2026, 7, 20)).sent == 1
    assert berichte.send_reminders(date(2026, 7, 21)).sent == 0
    rows = db.session.scalars(select(ReminderSent)).all()
    assert [(r.period, r.reminder, r.sent_on) for r in rows] == [
        ("2026-1", "vorher", date(2026, 7, 20))
    ]
    # Long after the window nothing old goes out any more; the overdue reminder does.
    assert berichte.send_reminders(date(2026, 7, 30)).sent == 0
    assert berichte.send_reminders(date(2026, 8, 3)).sent == 1


# --- 5: the payout table and the overview take a constant number of queries --------------------


def submit_for(bfs_nr: int, user: User, period: tuple[int, int]) -> HalfYearReport:
    report = draft(user, bfs_nr=bfs_nr, period=period)
    assert berichte.submit_report(report, user)
    return report


def submit_declaration_for(bfs_nr: int, user: User, year: int) -> None:
    data = {**declaration_data(), "foreign_residents": 10, "operative_lead_percent": 40}
    for key in ("contact_point", "first_info_held", "confirmed"):
        data[key] = True
    declaration = berichte.save_declaration_draft(municipality(bfs_nr), year, data, user)
    assert berichte.submit_declaration(declaration, user)


def queries_for(app, client, url: str) -> int:
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def test_payout_table_and_overview_queries_do_not_grow_with_reports(app, olten_user, kanton_user):
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    year = last_year()
    urls = [
        f"/kanton/berichte/auszahlung?jahr={year}",
        f"/kanton/berichte/auszahlung?jahr={year}&halbjahr=1",
        f"/kanton/berichte/auszahlung/export.csv?jahr={year}",
        f"/kanton/berichte/?jahr={year}&halbjahr=1",
        f"/kanton/berichte/selbstdeklarationen?jahr={year}",
    ]
    submit_for(2581, olten_user, (year, 1))
    submit_declaration_for(2581, olten_user, year)
    few = [queries_for(app, canton, url) for url in urls]
    for bfs_nr in (2546, 2601, 2513, 2514):
        for half in (1, 2):
            submit_for(bfs_nr, olten_user, (year, half))
        submit_declaration_for(bfs_nr, olten_user, year)
    db.session.expire_all()
    many = [queries_for(app, canton, url) for url in urls]
    assert many == few


# --- 8: a reopened report is marked in the payout table and its exports -----------------------


def test_payout_marks_a_reopened_report(app, olten_user, kanton_user):
    year = last_year()
    report = submit_for(2581, olten_user, (year, 1))
    number = report.number
    berichte.reopen_report(report, kanton_user, "Zahlen fehlen")
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    page = canton.get(f"/kanton/berichte/auszahlung?jahr={year}").get_data(as_text=True)
    assert f"wiedereröffnet: {number}" in page
    response = canton.get(f"/kanton/berichte/auszahlung/export.csv?jahr={year}&halbjahr=1")
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][-2] == "Stand"
    olten = next(row for row in rows if row[0] == "Olten")
    assert olten[-2] == f"wiedereröffnet: {number}"
    assert next(row for row in rows if row[0] == "Grenchen")[-2] == "nichts eingereicht"


# --- 8b: the payout's «Stand» says what the period lacks; the export, its period's columns ------


def export_csv(canton, query: str) -> list[list[str]]:
    response = canton.get(f"/kanton/berichte/auszahlung/export.csv?{query}")
    return list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )


def test_payout_state_says_what_is_missing_for_the_period(app, olten_user, kanton_user):
    year = last_year()
    submit_for(2581, olten_user, (year, 1))  # Olten: the first half-year's report only
    for half in (1, 2):
        submit_for(2546, olten_user, (year, half))
    submit_declaration_for(2546, olten_user, year)  # Grenchen: all of the year
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")

    partial = "unvollständig: 2. Halbjahr und Selbstdeklaration fehlen"
    [header, *rows] = export_csv(canton, f"jahr={year}")
    stand = {row[0]: row[header.index("Stand")] for row in rows}
    assert stand["Olten"] == partial
    assert stand["Grenchen"] == "eingereicht"
    assert stand["Solothurn"] == "nichts eingereicht"
    page = canton.get(f"/kanton/berichte/auszahlung?jahr={year}").get_data(as_text=True)
    assert f'<span class="tag">{partial}</span>' in payout_row(page, "Olten")
    assert 'class="tag"' not in payout_row(page, "Grenchen")
    assert 'class="tag"' not in payout_row(page, "Solothurn")

    [header, *rows] = export_csv(canton, f"jahr={year}&halbjahr=2")
    assert next(row for row in rows if row[0] == "Olten")[header.index("Stand")] == (
        "nichts eingereicht"
    )


def test_half_year_export_leaves_out_the_yearly_columns_and_names_its_period(
    app, olten_user, kanton_user
):
    year = last_year()
    submit_for(2581, olten_user, (year, 1))
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    yearly = ["Sockelbeitrag (CHF)", "Selbstdeklaration"]
    [header, *rows] = export_csv(canton, f"jahr={year}&halbjahr=1")
    assert not set(yearly) & set(header)
    assert {len(row) for row in rows} == {len(header)}
    [header, *_] = export_csv(canton, f"jahr={year}")
    assert header[8:10] == yearly

    for query, name, columns in (
        (f"jahr={year}", f"Auszahlung {year}", 12),
        (f"jahr={year}&halbjahr=1", f"Auszahlung 1. Halbjahr {year}", 10),
    ):
        response = canton.get(f"/kanton/berichte/auszahlung/export.xlsx?{query}")
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
        assert workbook.sheetnames == [name]
        assert len(next(workbook.active.iter_rows(values_only=True))) == columns


# --- 9: unsaved input stays with its user ------------------------------------------------------


def test_logout_clears_the_browser_storage(client, olten_user):
    from tests.conftest import post_form

    log_in(client, "clerk@olten.ch")
    response = post_form(client, "/abmelden", {}, form_url="/gemeinde/2581")
    assert response.headers["Clear-Site-Data"] == '"storage"'


def test_unsaved_input_is_keyed_by_the_user(client, olten_user):
    log_in(client, "clerk@olten.ch")
    page = client.get(f"/gemeinde/2581/berichte/{last_year()}/1").get_data(as_text=True)
    assert f'data-keep-unsaved="{olten_user.id}"' in page
    page = client.get(f"/gemeinde/2581/selbstdeklaration/{last_year()}").get_data(as_text=True)
    assert f'data-keep-unsaved="{olten_user.id}"' in page


@pytest.mark.browser
def test_another_users_unsaved_input_is_never_offered(live_server, page, app, olten_user):
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    other = make_user("stv@olten.ch", 2581)
    path = f"/gemeinde/2581/berichte/{last_year()}/1"
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}{path}")
    stored = '[["first_info_conversations", null, "77"]]'
    page.evaluate(
        "([other, own, value]) => { sessionStorage.setItem(other, value);"
        " sessionStorage.setItem(own, value); }",
        [f"unsaved:{other.id}:{path}", f"unsaved:{olten_user.id}:{path}", stored],
    )
    page.reload()
    # Only this user's own input is offered; the other user's is gone from the browser.
    expect(
        page.get_by_role("button", name="Nicht gespeicherte Eingaben wiederherstellen")
    ).to_be_visible()
    assert page.evaluate(f"sessionStorage.getItem('unsaved:{other.id}:{path}')") is None
    page.evaluate(f"sessionStorage.removeItem('unsaved:{olten_user.id}:{path}')")
    page.evaluate(f"sessionStorage.setItem('unsaved:{other.id}:{path}', '{stored}')")
    page.reload()
    expect(page.locator(".unsaved-notice")).to_have_count(0)


# --- 10: tariffs start with a half-year, end before the next one, never twice -----------------


def tariff_cli(app, amount: str, from_day: str):
    return app.test_cli_runner().invoke(
        args=["berichte", "tarif", "--art", "sockelbeitrag", "--rappen", amount, "--ab", from_day]
    )


def base_tariffs() -> list[tuple[int, date, date | None]]:
    db.session.expire_all()
    return [
        (t.amount_centimes, t.valid_from, t.valid_until)
        for t in db.session.scalars(
            select(Tariff)
            .where(Tariff.kind == TariffKind.BASE_CONTRIBUTION)
            .order_by(Tariff.valid_from)
        )
    ]


def test_tariff_from_mid_half_year_is_refused(app):
    result = tariff_cli(app, "800", "2027-03-15")
    assert result.exit_code == 1
    assert "1. Januar oder den 1. Juli" in result.output and "15.03.2027" in result.output
    assert base_tariffs() == [(700, date(2017, 1, 1), None)]


def test_tariff_entered_before_a_later_one_ends_where_that_one_begins(app):
    assert tariff_cli(app, "800", "2027-01-01").exit_code == 0
    assert tariff_cli(app, "750", "2026-07-01").exit_code == 0
    assert base_tariffs() == [
        (700, date(2017, 1, 1), date(2026, 6, 30)),
        (750, date(2026, 7, 1), date(2026, 12, 31)),
        (800, date(2027, 1, 1), None),
    ]


def test_the_same_start_twice_is_a_clear_message(app):
    assert tariff_cli(app, "800", "2027-01-01").exit_code == 0
    result = tariff_cli(app, "900", "2027-01-01")
    assert result.exit_code == 1
    assert "bereits einen Tarif ab dem 01.01.2027" in result.output
    assert "IntegrityError" not in result.output
    assert base_tariffs()[-1] == (800, date(2027, 1, 1), None)
    with pytest.raises(payout.TariffError, match="bereits"):
        payout.add_tariff(TariffKind.BASE_CONTRIBUTION, 900, date(2027, 1, 1), "")


# --- 11: one count of held interpreter orders ------------------------------------------------


def test_suggestions_come_from_held_count_per_conversation_type(client, olten_user):
    from orders.models import ConversationType, InterpreterRequest
    from orders.services import deadlines, dolmetschen
    from tests.test_dolmetschen import submit as submit_interpreter

    log_in(client, "clerk@olten.ch")
    submit_interpreter(client, key="k1")
    submit_interpreter(client, key="k2")
    year, half = ended_period()
    start, end = deadlines.period_start(year, half), deadlines.period_end(year, half)
    first, second = db.session.scalars(select(InterpreterRequest).order_by(InterpreterRequest.id))
    first.conversation_type = ConversationType.FIRST_INFORMATION
    second.conversation_type = ConversationType.INTEGRATION
    for booking in (first, second):
        booking.appointment_date, booking.held = start, True
    db.session.commit()
    olten = municipality(2581)
    assert dolmetschen.held_count(olten.id, start, end) == 2
    assert dolmetschen.held_count(olten.id, start, end, ConversationType.INTEGRATION) == 1
    assert dolmetschen.held_count(olten.id, start, end, ConversationType.INTEGRATION_S) == 0
    assert berichte.interpreter_suggestions(olten, year, half) == {
        "first_info_interpreter": 1,
        "integration_interpreter": 1,
    }


# --- second review: organisation model, address, confirmation anew, mail, tabs ---------------


def is_checked(page: str, name: str, value: str = "y") -> bool:
    """Whether the form's checkbox or radio button `name` with `value` is ticked."""
    field = re.search(rf'<input [^>]*name="{name}"[^>]*value="{value}"[^>]*>', page)
    return " checked" in field[0]


def test_a_member_municipality_is_prefilled_and_shown_as_member(app, kanton_user):
    derendingen, subingen = municipality(2517), municipality(2532)
    subingen.lead = derendingen
    db.session.commit()
    make_user("ib@derendingen.ch", 2517)
    client = app.test_client()
    log_in(client, "ib@derendingen.ch")
    page = client.get(f"/gemeinde/2532/selbstdeklaration/{last_year()}").text
    assert "Mitglied einer Leitgemeinde" in page
    assert is_checked(page, "organisation_model", "mitglied")
    lead = client.get(f"/gemeinde/2517/selbstdeklaration/{last_year()}").text
    assert is_checked(lead, "organisation_model", "leit")
    assert post_declaration(client, bfs_nr=2532, organisation_model="mitglied").status_code == 303
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    shown = canton.get(f"/kanton/berichte/selbstdeklarationen/2532/{last_year()}").text
    assert "<td>Mitglied einer Leitgemeinde</td>" in shown


def test_the_contact_address_is_prefilled_with_postcode_and_town(app):
    derendingen, olten = municipality(2517), municipality(2581)
    derendingen.address, derendingen.town = "Hauptstrasse 43", "4552 Derendingen"
    olten.address = "Dornacherstrasse 1"
    db.session.commit()
    prefilled, _ = berichte.declaration_prefill(derendingen, last_year())
    assert prefilled["contact_address"] == "Hauptstrasse 43, 4552 Derendingen"
    # Without a town maintained by the canton: the postcode and the municipality's name.
    prefilled, _ = berichte.declaration_prefill(olten, last_year())
    assert prefilled["contact_address"] == "Dornacherstrasse 1, 4600 Olten"


def test_a_reopened_declaration_must_be_confirmed_anew(clerk, kanton_user):
    year = last_year()
    post_declaration(clerk, year=year)
    declaration = berichte.find_declaration(municipality(2581), year)
    berichte.reopen_declaration(declaration, kanton_user, "Die Zahl stimmt nicht.")
    url = f"/gemeinde/2581/selbstdeklaration/{year}"
    form = clerk.get(url).text
    assert not is_checked(form, "confirmed")
    assert 'value="Stefanie Stadträtin"' in form  # the signatory stays
    page = post_declaration(clerk, year=year, foreign_residents="5400", confirmed=None).text
    assert "Bitte bestätigen Sie, dass die Angaben korrekt sind." in page
    db.session.refresh(declaration)
    assert declaration.state is ReportState.REOPENED and len(declaration.versions) == 1
    assert post_declaration(clerk, year=year, foreign_residents="5400").status_code == 303


def test_a_reopened_report_must_be_confirmed_anew(clerk, kanton_user):
    post_report(clerk)
    report = berichte.find_report(municipality(2581), *ended_period())
    berichte.reopen_report(report, kanton_user, "Die Gespräche fehlen.")
    year, half = ended_period()
    assert not is_checked(
        clerk.get(f"/gemeinde/2581/berichte/{year}/{half}").text, "documents_filed"
    )
    page = post_report(clerk, documents_filed=None).text
    assert "Bitte bestätigen Sie, dass die unterzeichneten Gesprächsleitfäden" in page
    assert post_report(clerk).status_code == 303


def test_the_reopening_mail_names_the_record_with_its_article(clerk, kanton_user):
    post_report(clerk)
    post_declaration(clerk)
    olten = municipality(2581)
    berichte.reopen_report(berichte.find_report(olten, *ended_period()), kanton_user, "Grund")
    berichte.reopen_declaration(berichte.find_declaration(olten, last_year()), kanton_user, "Grund")
    report_mail, declaration_mail = db.session.scalars(
        select(OutboxMail).where(OutboxMail.kind == "report_reopened").order_by(OutboxMail.id)
    )
    year, half = ended_period()
    for mail, named in (
        (report_mail, f"hat den Halbjahresbericht {half}. Halbjahr {year} der Gemeinde Olten"),
        (declaration_mail, f"hat die Selbstdeklaration {last_year()} der Gemeinde Olten"),
    ):
        for body in (mail.body_text, mail.body_html):
            assert named in body
            assert "Sehr geehrte Damen und Herren" in body and "Guten Tag" not in body


def test_the_reports_tabs_mark_the_one_shown(clerk, canton):
    post_report(clerk)
    post_declaration(clerk)
    year, half = ended_period()
    declarations = "/kanton/berichte/selbstdeklarationen"
    pages = {
        "/kanton/berichte/": "Halbjahresberichte",
        f"/kanton/berichte/2581/{year}/{half}": "Halbjahresberichte",
        declarations: "Selbstdeklarationen",
        f"{declarations}/2581/{last_year()}": "Selbstdeklarationen",
        "/kanton/berichte/auszahlung": "Auszahlung",
        "/kanton/berichte/tarife": "Tarife",
    }
    for url, tab in pages.items():
        page = canton.get(url).text
        tabs = re.search(r'<nav class="tabs" aria-label="Berichte">(.*?)</nav>', page, re.S)
        assert re.findall(r'aria-current="page">([^<]+)</a>', tabs[1]) == [tab], url
