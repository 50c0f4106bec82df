"""The report and self-declaration forms name every problem at once (the rules are checked also
when a field is wrong), and a draft save says whether the draft was stored."""

import re

from sqlalchemy import select

from orders.extensions import db
from orders.models import SelfDeclaration
from orders.services import berichte, deadlines
from orders.views.berichte import NOT_SAVED, SAVED_WITH_PROBLEMS
from tests.conftest import log_in, make_user
from tests.test_berichte import ended_period, last_year, post_declaration, post_report, the_report

OF_WHICH_FIRST_INFO = "kann nicht grösser sein als «Erstinformationsgespräche durchgeführt»"
OF_WHICH_INTEGRATION = "kann nicht grösser sein als «Integrationsgespräche durchgeführt»"
NO_WHOLE_NUMBER = "Bitte geben Sie eine ganze Zahl ein, z. B. 10."

# --- self-declaration -------------------------------------------------------------------------

DECLARATION_REQUIRED = {
    "strategic_lead_name": "Bitte geben Sie die strategische Leitung an.",
    "strategic_lead_function": "Bitte geben Sie die Funktion der strategischen Leitung an.",
    "operative_lead_name": "Bitte geben Sie die operative Leitung an.",
    "foreign_residents": "Bitte geben Sie die Zahl der ausländischen Einwohner an.",
    "confirmed": "Bitte bestätigen Sie, dass die Angaben korrekt sind.",
    "signatory_name": "Bitte geben Sie den Namen der unterzeichnenden Person an.",
    "signatory_function": "Bitte geben Sie die Funktion der unterzeichnenden Person an.",
}


def test_declaration_shows_every_problem_at_once(clerk):
    empty = {key: None if key == "confirmed" else "" for key in DECLARATION_REQUIRED}
    response = post_declaration(clerk, action="check", operative_lead_percent="150", **empty)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in DECLARATION_REQUIRED.values():
        assert message in page
    # The field's own message once, in the summary and beside the field; the rule's same
    # complaint is not added a second time.
    assert page.count("Bitte ein Pensum von 0 bis 100 Prozent.") == 2
    assert NOT_SAVED in page and db.session.scalar(select(SelfDeclaration)) is None
    assert 'value="150"' in page
    # A checkbox's label is a whole sentence: the summary gives its message alone.
    assert '<a href="#confirmed">Bitte bestätigen Sie, dass die Angaben korrekt sind.</a>' in page


def test_declaration_unreadable_number_keeps_only_its_own_message(clerk):
    page = post_declaration(clerk, foreign_residents="viele", signatory_name="").get_data(
        as_text=True
    )
    assert NO_WHOLE_NUMBER in page and 'value="viele"' in page
    assert DECLARATION_REQUIRED["foreign_residents"] not in page
    assert DECLARATION_REQUIRED["signatory_name"] in page


def test_declaration_contact_address_must_be_an_email_address(clerk):
    """«keine-mail» would also have counted as the contact point's «Telefon oder E-Mail»."""
    page = post_declaration(clerk, contact_email="keine-mail").get_data(as_text=True)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@gemeinde.ch." in page
    assert 'value="keine-mail"' in page
    assert db.session.scalar(select(SelfDeclaration)) is None
    # Empty is allowed: the telephone number is the contact point's.
    assert post_declaration(clerk, contact_email="").status_code == 303
    assert db.session.scalar(select(SelfDeclaration)).data["contact_email"] == ""


def test_declaration_contact_phone_must_be_a_phone_number(clerk):
    page = post_declaration(clerk, contact_phone="nur vormittags").text
    assert re.search(r'id="contact_phone-error">.*Bitte geben Sie eine Telefonnummer an', page)
    assert 'value="nur vormittags"' in page
    assert db.session.scalar(select(SelfDeclaration)) is None


def test_declaration_draft_saved_with_problems_says_so(clerk):
    page = post_declaration(clerk, action="check", signatory_name="").get_data(as_text=True)
    assert SAVED_WITH_PROBLEMS in page and NOT_SAVED not in page
    assert DECLARATION_REQUIRED["signatory_name"] in page
    assert db.session.scalar(select(SelfDeclaration)).data["operative_lead_percent"] == 40


# --- half-year report -------------------------------------------------------------------------


def test_report_draft_saved_with_problems_says_so_and_is_stored(clerk):
    response = post_report(
        clerk, action="save", first_info_conversations="12", first_info_interpreter="15"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SAVED_WITH_PROBLEMS in page and NOT_SAVED not in page
    assert OF_WHICH_FIRST_INFO in page
    assert 'value="15"' in page and 'value="12"' in page
    report = the_report()
    assert report.figures["first_info_interpreter"] == 15
    assert report.figures["first_info_conversations"] == 12


def test_report_draft_with_unreadable_number_is_not_saved_and_says_so(clerk):
    assert post_report(clerk, action="save").status_code == 303
    saved = dict(the_report().figures)
    response = post_report(clerk, action="save", first_info_people="25", s_follow_ups="1.5")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert NOT_SAVED in page and SAVED_WITH_PROBLEMS not in page
    assert NO_WHOLE_NUMBER in page
    # What was typed stays in the fields; the stored draft is the one before.
    assert 'value="1.5"' in page and 'value="25"' in page
    db.session.expire_all()
    assert the_report().figures == saved


def test_report_new_draft_with_unreadable_number_stores_nothing(clerk):
    page = post_report(clerk, action="save", s_follow_ups="1.5").get_data(as_text=True)
    assert NOT_SAVED in page and 'value="1.5"' in page
    assert the_report() is None


def test_report_shows_field_and_rule_problems_at_once(clerk):
    page = post_report(
        clerk,
        first_info_conversations="12",
        first_info_interpreter="15",
        integration_conversations="drei",
        s_follow_ups="",
    ).get_data(as_text=True)
    assert NO_WHOLE_NUMBER in page and OF_WHICH_FIRST_INFO in page
    assert "Bitte geben Sie eine Zahl ein (0, wenn keine)." in page  # the empty s_follow_ups
    # A total that could not be read is no zero: its "of which" is not called too large, and
    # the field is not called empty besides its own message.
    assert OF_WHICH_INTEGRATION not in page
    assert page.count("Bitte geben Sie eine Zahl ein (0, wenn keine).") == 2
    assert the_report() is None


def test_check_report_leaves_out_rules_needing_an_unreadable_figure():
    figures = dict.fromkeys(berichte.FIGURES, 1) | {
        "integration_conversations": None,
        "integration_interpreter": 1,
        "first_info_conversations": 0,
        "first_info_interpreter": 2,
    }
    problems = berichte.check_report(
        figures, True, submit=True, unreadable={"integration_conversations"}
    )
    assert [problem.field for problem in problems] == ["first_info_interpreter"]
    # Without `unreadable`, None is an empty field: required on submit, zero for the total.
    problems = berichte.check_report(figures, True, submit=True)
    assert {problem.field for problem in problems} == {
        "integration_conversations",
        "integration_interpreter",
        "first_info_interpreter",
    }


# --- figures that look like a typing error --------------------------------------------------


def test_the_check_page_asks_about_figures_far_above_the_last_ones(clerk):
    """Asked, not refused: 99'999 conversations, or ten times the last half-year's."""
    year, half = ended_period()
    earlier = deadlines.previous_half(year, half)
    page = post_report(clerk, action="check", period=earlier, s_conversations="99999").text
    assert "Bitte prüfen Sie diese Angabe noch einmal" in page
    assert "«Programm S: Integrationsgespräche»: 99&#39;999 in einem Halbjahr." in page
    assert post_report(clerk, period=earlier).status_code == 303  # 2 such conversations
    page = post_report(clerk, action="check", s_conversations="25", first_info_people="21").text
    assert (
        "«Programm S: Integrationsgespräche»: 25, im Bericht "
        f"{earlier[1]}. Halbjahr {earlier[0]} waren es 2."
    ) in page
    assert (
        "Mit Erstinformationsgesprächen" not in page.split("Bitte prüfen Sie")[1].split("</div>")[0]
    )
    assert "Bericht einreichen" in page  # it can still be submitted
    ordinary = post_report(clerk, action="check").text
    assert "Berechneter Anspruch" in ordinary and "Bitte prüfen Sie diese Angabe" not in ordinary
    assert post_report(clerk, s_conversations="25").status_code == 303
    year, half = ended_period()
    canton = clerk.application.test_client()
    make_user("koordination@kanton.ch")
    log_in(canton, "koordination@kanton.ch")
    review = canton.get(f"/kanton/berichte/2581/{year}/{half}").text
    assert "Auffällig" in review and "«Programm S: Integrationsgespräche»: 25" in review


def test_the_check_page_asks_about_fewer_people_than_first_information_conversations(clerk):
    page = post_report(clerk, action="check", first_info_people="3").text
    assert (
        "«Mit Erstinformationsgesprächen erreichte Personen»: 3, weniger als die 12 "
        "Erstinformationsgespräche; jedes Gespräch erreicht mindestens eine Person."
    ) in page
    assert "sie wirkt ungewöhnlich" in page
    assert "weniger als die" not in post_report(clerk, action="check").text  # 20 people
    assert post_report(clerk, first_info_people="3").status_code == 303  # asked, not refused


def test_the_declaration_check_asks_about_a_count_far_from_last_years(clerk):
    year = last_year()
    page = post_declaration(clerk, action="check", year=year - 1, foreign_residents="1000000").text
    assert "«Ausländische Einwohnerinnen und Einwohner am 31. Dezember»: 1&#39;000&#39;000." in page
    assert post_declaration(clerk, year=year - 1).status_code == 303  # 5'321
    page = post_declaration(clerk, action="check", year=year, foreign_residents="53210").text
    assert f"in der Selbstdeklaration {year - 1} waren es 5&#39;321" in page
    assert "noch einmal" not in post_declaration(clerk, action="check", year=year).text
