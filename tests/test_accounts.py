"""Invitation, password reset and account administration, with mails through a real SMTP
server."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from orders.extensions import db
from orders.models import AccountToken, AuditEvent, LoginSession, OutboxMail, Role, User
from orders.models.types import utcnow
from orders.services import outbox
from tests.conftest import PASSWORD, first_link, log_in, make_user, municipality, post_form

NEW_PASSWORD = "mein-eigenes-passwort"


def invite(client, **fields):
    data = {
        "email": "neu@olten.ch",
        "name": "Nora Neu",
        "role": "gemeinde",
        "municipality": str(municipality(2581).id),
        "function": "IB",
        "phone": "",
    }
    data.update(fields)
    return post_form(client, "/kanton/benutzer/einladen", data)


def test_an_invitation_sent_twice_is_one_invitation_and_no_error(app):
    """A double click that reached the server twice: the second answer is the first's."""
    make_user("koordination@kanton.ch")
    make_user("kollegin@kanton.ch")
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    first, second = invite(canton), invite(canton)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert (
        "Die Einladung an neu@olten.ch ist im Postausgang."
        in canton.get(second.headers["Location"]).text
    )
    invitations = (
        select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "invitation")
    )
    assert db.session.scalar(invitations) == 1
    # Someone else inviting the same address, or another name, is told the account exists.
    colleague = app.test_client()
    log_in(colleague, "kollegin@kanton.ch")
    assert "Für diese E-Mail-Adresse besteht bereits ein Konto." in invite(colleague).text
    assert "besteht bereits ein Konto" in invite(canton, name="Nina Neu").text
    assert db.session.scalar(invitations) == 1


def test_invitation_arrives_with_a_working_single_use_link(mail_app, smtp_server):
    """The invitation link is valid for seven days and sets the first password only once
    (OWASP ASVS 4.0.3 V2.3.1)."""
    make_user("koordination@kanton.ch")
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    response = invite(canton)
    assert response.status_code == 302
    assert outbox.deliver_due().sent == 1

    [message] = smtp_server.to("neu@olten.ch")
    assert message["Subject"] == "Einladung zum Portal start.integration"
    assert "Gemeinde Olten" in message.get_body(("plain",)).get_content()
    link = first_link(message)
    assert link.startswith("/einladung/")
    token = db.session.scalar(select(AccountToken))
    assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)

    invitee = mail_app.test_client()
    assert "Willkommen, Nora Neu" in invitee.get(link).get_data(as_text=True)
    response = post_form(
        invitee, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")
    log_in(invitee, "neu@olten.ch", NEW_PASSWORD)
    assert "Gemeinde Olten" in invitee.get("/gemeinde/2581").get_data(as_text=True)
    # Single use: the link no longer works.
    assert mail_app.test_client().get(link).status_code == 404


def test_invitation_form_errors_keep_what_was_typed(client, kanton_user):
    """An invalid e-mail address is refused and no account is created (OWASP ASVS 4.0.3 V5.1.4)."""
    log_in(client, "koordination@kanton.ch")
    page = invite(client, email="keine-adresse", municipality="").get_data(as_text=True)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein" in page
    assert "Bitte wählen Sie die Gemeinde des Kontos." in page
    assert 'value="Nora Neu"' in page and 'value="keine-adresse"' in page
    assert db.session.scalar(select(User).where(User.name == "Nora Neu")) is None


def test_an_address_cannot_be_invited_twice(client, kanton_user, olten_user):
    log_in(client, "koordination@kanton.ch")
    page = invite(client, email="Clerk@Olten.ch").get_data(as_text=True)
    assert "Für diese E-Mail-Adresse besteht bereits ein Konto." in page


def test_kanton_account_has_no_municipality(client, kanton_user):
    log_in(client, "koordination@kanton.ch")
    assert invite(client, email="zwei@kanton.ch", role="kanton").status_code == 302
    user = db.session.scalar(select(User).where(User.email == "zwei@kanton.ch"))
    assert user.role is Role.KANTON and user.municipality is None


def test_expired_invitation_link_is_refused(mail_app, smtp_server):
    """An expired invitation link is refused (OWASP ASVS 4.0.3 V2.3.1)."""
    make_user("koordination@kanton.ch")
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    invite(canton)
    outbox.deliver_due()
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = mail_app.test_client().get(first_link(smtp_server.messages[0]))
    assert page.status_code == 404
    assert "nicht mehr gültig" in page.get_data(as_text=True)


def test_resent_invitation_replaces_the_old_link(mail_app, smtp_server):
    """A resent invitation invalidates the earlier link (OWASP ASVS 4.0.3 V2.3.1)."""
    make_user("koordination@kanton.ch")
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    invite(canton)
    user = db.session.scalar(select(User).where(User.email == "neu@olten.ch"))
    resend = f"/kanton/benutzer/{user.id}/einladung"
    # Asked again at once (a double click), it is not sent again: the link on its way stays.
    response = post_form(canton, resend, {}, form_url=f"/kanton/benutzer/{user.id}")
    assert "ist eben erst in den Postausgang gegangen" in canton.get(response.location).text
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1
    sent_minutes_ago(2)
    post_form(canton, resend, {}, form_url=f"/kanton/benutzer/{user.id}")
    outbox.deliver_due()
    old, new = (first_link(m) for m in smtp_server.messages)
    assert mail_app.test_client().get(old).status_code == 404
    assert mail_app.test_client().get(new).status_code == 200


def test_password_rules_are_explained(mail_app, smtp_server):
    """Too short or unconfirmed passwords are refused with the rule explained (OWASP ASVS 4.0.3
    V2.1.1: at least 12 characters)."""
    make_user("koordination@kanton.ch")
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    invite(canton)
    outbox.deliver_due()
    link = first_link(smtp_server.messages[0])
    invitee = mail_app.test_client()
    page = post_form(invitee, link, {"password": "kurz", "password_confirm": "kurz"})
    assert "mindestens 12 Zeichen" in page.get_data(as_text=True)
    # Both at once: the rule is not kept back until the repetition is filled in.
    page = post_form(invitee, link, {"password": "kurz", "password_confirm": ""}).text
    assert "mindestens 12 Zeichen" in page and "Bitte wiederholen Sie das Passwort." in page
    page = post_form(invitee, link, {"password": NEW_PASSWORD, "password_confirm": "anders"})
    assert "stimmen nicht überein" in page.get_data(as_text=True)


def sent_minutes_ago(minutes: int) -> None:
    """Date the links sent so far back, as if they had been asked for minutes ago."""
    for token in db.session.scalars(select(AccountToken)):
        token.created_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_a_reset_asked_for_twice_at_once_sends_one_link_that_works(mail_app, smtp_server):
    make_user("clerk@olten.ch", 2581)
    for _ in range(2):
        post_form(mail_app.test_client(), "/passwort-vergessen", {"email": "clerk@olten.ch"})
    assert outbox.deliver_due().sent == 1
    [message] = smtp_server.to("clerk@olten.ch")
    assert mail_app.test_client().get(first_link(message)).status_code == 200


def test_password_reset_by_mail(mail_app, smtp_server):
    """Password recovery by a mailed link that expires after an hour and works once
    (OWASP ASVS 4.0.3 V2.5.6)."""
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    page = post_form(client, "/passwort-vergessen", {"email": "clerk@olten.ch"})
    assert "Bitte prüfen Sie Ihr Postfach" in page.get_data(as_text=True)
    outbox.deliver_due()
    [message] = smtp_server.to("clerk@olten.ch")
    link = first_link(message)
    assert link.startswith("/passwort-zuruecksetzen/")
    token = db.session.scalar(select(AccountToken))
    assert timedelta(minutes=59) < token.expires_at - utcnow() <= timedelta(hours=1)

    response = post_form(client, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    log_in(client, "clerk@olten.ch", NEW_PASSWORD)
    assert mail_app.test_client().get(link).status_code == 404


def test_reset_answers_the_same_for_unknown_addresses(mail_app, smtp_server):
    """The recovery path does not reveal which addresses have an account
    (OWASP ASVS 4.0.3 V2.5.6)."""
    make_user("clerk@olten.ch", 2581)
    known = post_form(mail_app.test_client(), "/passwort-vergessen", {"email": "clerk@olten.ch"})
    unknown = post_form(
        mail_app.test_client(), "/passwort-vergessen", {"email": "niemand@olten.ch"}
    )

    def strip(response):
        text = response.get_data(as_text=True)
        return text.replace("niemand@olten.ch", "X").replace("clerk@olten.ch", "X")

    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert db.session.scalar(select(OutboxMail.recipients)) == ["clerk@olten.ch"]
    assert outbox.deliver_due().sent == 1


def test_reset_requests_are_throttled_without_telling_anything(mail_app, smtp_server):
    """OWASP ASVS 4.0.3 V2.2.1/V11.1.4: nobody floods a mailbox with reset links; beyond the
    limit (3 per hour and address) the page answers the same and nothing is sent."""
    make_user("clerk@olten.ch", 2581)
    pages = []
    for _ in range(4):
        pages.append(
            post_form(mail_app.test_client(), "/passwort-vergessen", {"email": "clerk@olten.ch"})
        )
        sent_minutes_ago(2)
    assert {page.status_code for page in pages} == {200}
    assert len({page.get_data(as_text=True) for page in pages}) == 1
    assert outbox.deliver_due().sent == 3
    assert len(smtp_server.to("clerk@olten.ch")) == 3


def test_addresses_a_mail_server_cannot_take_are_refused_beside_the_field(client, kanton_user):
    """E-mail addresses are validated against what a mail server accepts
    (OWASP ASVS 4.0.3 V5.1.4)."""
    log_in(client, "koordination@kanton.ch")
    page = invite(client, email="jürg@olten.ch").get_data(as_text=True)
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein" in page
    assert db.session.scalar(select(User).where(User.name == "Nora Neu")) is None


def test_expired_reset_link_is_refused(mail_app, smtp_server):
    """An expired password reset link is refused (OWASP ASVS 4.0.3 V2.5.6)."""
    make_user("clerk@olten.ch", 2581)
    post_form(mail_app.test_client(), "/passwort-vergessen", {"email": "clerk@olten.ch"})
    outbox.deliver_due()
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert mail_app.test_client().get(first_link(smtp_server.messages[0])).status_code == 404


def test_a_locked_account_can_still_reset_its_password(mail_app, smtp_server):
    """A lockout cannot shut the owner out: a locked account can still recover
    (OWASP ASVS 4.0.3 V2.2.1, V2.5.6)."""
    make_user("clerk@olten.ch", 2581)
    client = mail_app.test_client()
    for _ in range(6):
        post_form(client, "/anmelden", {"email": "clerk@olten.ch", "password": "falsch"})
    assert (
        post_form(
            client, "/anmelden", {"email": "clerk@olten.ch", "password": PASSWORD}
        ).status_code
        == 429
    )
    post_form(client, "/passwort-vergessen", {"email": "clerk@olten.ch"})
    outbox.deliver_due()
    post_form(
        client,
        first_link(smtp_server.messages[0]),
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    log_in(client, "clerk@olten.ch", NEW_PASSWORD)


def test_deactivation_ends_sessions_and_is_audited(app, kanton_user, olten_user):
    """Deactivation ends the user's sessions at once and is logged with actor and target
    (OWASP ASVS 4.0.3 V4.1.3, V7.1.4)."""
    clerk, canton = app.test_client(), app.test_client()
    log_in(clerk, "clerk@olten.ch")
    log_in(canton, "koordination@kanton.ch")
    response = post_form(
        canton,
        f"/kanton/benutzer/{olten_user.id}/deaktivieren",
        {},
        form_url=f"/kanton/benutzer/{olten_user.id}",
    )
    assert response.status_code == 302
    assert clerk.get("/gemeinde/2581").status_code == 302
    assert (
        db.session.scalar(select(LoginSession).where(LoginSession.user_id == olten_user.id)) is None
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
    assert event.actor_id == kanton_user.id and event.object_id == olten_user.id
    # Reactivated, the user logs in again.
    post_form(
        canton,
        f"/kanton/benutzer/{olten_user.id}/aktivieren",
        {},
        form_url=f"/kanton/benutzer/{olten_user.id}",
    )
    log_in(clerk, "clerk@olten.ch")


def test_canton_staff_cannot_deactivate_themselves(client, kanton_user):
    """Canton staff cannot lock themselves out by deactivating their own account
    (OWASP ASVS 4.0.3 V11.1.5)."""
    log_in(client, "koordination@kanton.ch")
    response = post_form(
        client,
        f"/kanton/benutzer/{kanton_user.id}/deaktivieren",
        {},
        form_url=f"/kanton/benutzer/{kanton_user.id}",
        follow_redirects=True,
    )
    assert "nicht deaktivieren" in response.get_data(as_text=True)
    assert db.session.get(User, kanton_user.id).active


def test_edit_moves_a_user_to_another_municipality(client, kanton_user, olten_user):
    """A change of a user's municipality (and so of their access) is logged with old and new
    value (OWASP ASVS 4.0.3 V7.1.4)."""
    log_in(client, "koordination@kanton.ch")
    response = post_form(
        client,
        f"/kanton/benutzer/{olten_user.id}",
        {
            "name": "Clara Clerk",
            "function": "Einwohnerdienste",
            "phone": "062 123 45 67",
            "municipality": str(municipality(2546).id),
        },
    )
    assert response.status_code == 302
    user = db.session.get(User, olten_user.id)
    assert (user.name, user.municipality.name) == ("Clara Clerk", "Grenchen")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.detail["changes"]["municipality"] == ["Olten", "Grenchen"]


def test_user_search_by_name_bezirk_and_bfs(client, kanton_user, olten_user, grenchen_user):
    log_in(client, "koordination@kanton.ch")

    def found(**params):
        page = client.get("/kanton/benutzer/", query_string=params).get_data(as_text=True)
        return {email for email in ("clerk@olten.ch", "clerk@grenchen.ch") if email in page}

    assert found(q="olten") == {"clerk@olten.ch"}
    assert found(q="2546") == {"clerk@grenchen.ch"}
    assert found(bezirk="Lebern") == {"clerk@grenchen.ch"}
    assert found() == {"clerk@olten.ch", "clerk@grenchen.ch"}


def test_a_person_keeps_their_own_name_function_and_phone(clerk, olten_user):
    page = clerk.get("/konto").text
    assert '<a href="/konto" aria-current="page">Meine Angaben</a>' in page
    assert "clerk@olten.ch" in page and "<dd>Olten</dd>" in page

    # A name is needed; what was typed stays, the message beside the field.
    page = post_form(clerk, "/konto", {"name": " ", "function": "Schalter", "phone": "062 1"}).text
    assert re.search(r'id="name-error">.*Bitte geben Sie den Namen ein.</p>', page)
    assert re.search(r'id="phone-error">.*Bitte geben Sie eine Telefonnummer an', page)
    assert 'value="062 1"' in page and 'value="Schalter"' in page

    response = post_form(
        clerk,
        "/konto",
        # A municipality sent along is no field of this form: it stays the canton's to change.
        {
            "name": "Clara Clerk-Muster",
            "function": "Einwohnerdienste",
            "phone": "062 206 11 99",
            "municipality": str(municipality(2546).id),
        },
        follow_redirects=True,
    )
    assert "Ihre Angaben sind gespeichert." in response.text
    user = db.session.get(User, olten_user.id)
    assert (user.name, user.function, user.phone) == (
        "Clara Clerk-Muster",
        "Einwohnerdienste",
        "062 206 11 99",
    )
    assert user.municipality.bfs_nr == 2581
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event.actor_id == user.id and event.detail["changes"]["phone"][1] == "062 206 11 99"
    # The order forms fill in the new phone.
    order_form = clerk.get("/gemeinde/2581/dolmetschen/neu").text
    assert re.search(r'<input[^>]*name="orderer_phone"[^>]*value="062 206 11 99"', order_form)
