"""A script typed into any free-text field is shown as text on every page and in every HTML
mail part where it appears (OWASP ASVS 4.0.3 V5.3.3: output encoding for HTML contexts)."""

from sqlalchemy import select

from orders import emails
from orders.extensions import db
from orders.models import Document, Infomail, InterpreterRequest, Order, OutboxMail, User
from orders.services import dokumente
from tests.conftest import log_in, make_user, post_form
from tests.test_bestellungen import submit as submit_order
from tests.test_dokumente import upload
from tests.test_dolmetschen import submit as submit_interpreter

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;"


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert" not in html, where
    assert "<img src=x" not in html, where
    assert ESCAPED in html, f"{where}: the payload should show, escaped"


def test_order_fields_are_escaped_in_pages_and_mails(app, kanton_user, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    submit_order(
        clerk,
        remarks=PAYLOAD,
        contact_name=PAYLOAD[:60],
        delivery_recipient=PAYLOAD[:60],
        delivery_town=PAYLOAD[:60],
    )
    number = db.session.scalar(select(Order.number))
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    pages = {
        "order": clerk.get(f"/bestellungen/{number}"),
        "delivery note": clerk.get(f"/bestellungen/{number}/lieferschein"),
        "canton order": canton.get(f"/kanton/bestellungen/{number}"),
        "canton inbox": canton.get("/kanton/bestellungen"),
    }
    for where, response in pages.items():
        assert_escaped(response.get_data(as_text=True), where)
    confirmation = clerk.get(f"/bestellungen/{number}/bestaetigung").get_data(as_text=True)
    assert "<script>alert" not in confirmation
    for mail in db.session.scalars(select(OutboxMail)):
        assert_escaped(mail.body_html, f"mail {mail.subject}")


def test_interpreter_fields_are_escaped_in_pages_and_mails(app, kanton_user, olten_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    response = submit_interpreter(
        clerk,
        preparation_notes=PAYLOAD,
        reference="<b>x</b>",
        location_room=PAYLOAD[:100],
        dialect=PAYLOAD[:100],
    )
    assert response.status_code == 303
    number = db.session.scalar(select(InterpreterRequest.number))
    for where, html in {
        "detail": clerk.get(f"/dolmetschen/{number}").get_data(as_text=True),
        "list": clerk.get("/gemeinde/2581/dolmetschen").get_data(as_text=True),
    }.items():
        assert "<b>x</b>" not in html, where
    assert_escaped(clerk.get(f"/dolmetschen/{number}").get_data(as_text=True), "detail")
    for mail in db.session.scalars(select(OutboxMail)):
        assert_escaped(mail.body_html, f"mail {mail.subject}")


def test_names_are_escaped_in_the_back_office_and_the_invitation(app, kanton_user):
    make_user("evil@olten.ch", 2581, name=PAYLOAD)
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    assert_escaped(canton.get("/kanton/benutzer/").get_data(as_text=True), "user list")
    evil = db.session.scalar(select(User).where(User.email == "evil@olten.ch"))
    assert_escaped(canton.get(f"/kanton/benutzer/{evil.id}").get_data(as_text=True), "user page")
    mail = emails.compose_invitation(evil, "token", kanton_user)
    assert_escaped(mail.body_html, "invitation")


def test_report_and_declaration_texts_are_escaped(app, kanton_user, olten_user):
    from tests.test_berichte import ended_period, last_year, post_declaration, post_report

    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    assert post_report(clerk, remarks=PAYLOAD).status_code == 303
    year = last_year()
    assert (
        post_declaration(
            clerk,
            year=year,
            remarks=PAYLOAD,
            signatory_name=PAYLOAD[:200],
            contact_name=PAYLOAD[:200],
            strategic_lead_name=PAYLOAD[:200],
        ).status_code
        == 303
    )
    report_year, half = ended_period()
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    reason = f"/kanton/berichte/2581/{report_year}/{half}"
    token = canton.get(reason).get_data(as_text=True).split('name="csrf_token" value="')[1]
    canton.post(
        f"{reason}/wiedereroeffnen", data={"reason": PAYLOAD, "csrf_token": token.split('"')[0]}
    )
    pages = {
        "report form (reopened)": clerk.get(f"/gemeinde/2581/berichte/{report_year}/{half}"),
        "report receipt": clerk.get(f"/gemeinde/2581/berichte/{report_year}/{half}/quittung"),
        "declaration": clerk.get(f"/gemeinde/2581/selbstdeklaration/{year}"),
        "declaration receipt": clerk.get(f"/gemeinde/2581/selbstdeklaration/{year}/quittung"),
        "canton report": canton.get(reason),
        "canton declaration": canton.get(f"/kanton/berichte/selbstdeklarationen/2581/{year}"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_escaped(response.get_data(as_text=True), where)
    for mail in db.session.scalars(select(OutboxMail)):
        assert_escaped(mail.body_html, f"mail {mail.subject}")


def test_document_and_infomail_texts_are_escaped_in_pages_and_mails(app, kanton_user, olten_user):
    make_user("ib@daeniken.ch", 2572)
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    dokumente.seed_chapters()
    assert upload(canton, title=PAYLOAD, description=PAYLOAD).status_code == 303
    document = db.session.scalar(select(Document))

    post_form(
        canton,
        "/kanton/infomails/neu",
        {
            "subject": PAYLOAD,
            "body": PAYLOAD,
            "audience": "alle",
            "action": "send",
            "documents": [str(document.id)],
        },
    )
    infomail = db.session.scalar(select(Infomail))
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    pages = {
        "library": clerk.get("/dokumente"),
        "search": clerk.get("/dokumente", query_string={"q": PAYLOAD}),
        "document": clerk.get(f"/dokumente/{document.id}"),
        "canton list": canton.get("/kanton/dokumente"),
        "canton document": canton.get(f"/kanton/dokumente/{document.id}"),
        "infomails": clerk.get("/infomails"),
        "infomail": clerk.get(f"/infomails/{infomail.id}"),
    }
    for where, response in pages.items():
        assert_escaped(response.get_data(as_text=True), where)
    mails = list(db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "infomail")))
    assert len(mails) == 2
    for mail in mails:
        assert_escaped(mail.body_html, f"infomail to {mail.recipients}")
