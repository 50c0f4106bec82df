"""The audit log in German: a label for every action recorded anywhere in orders/, shown in the
Protokoll (with the code the filter works on) and in a person's history; details readable."""

import ast
from datetime import date
from pathlib import Path

from sqlalchemy import select

from orders.extensions import db
from orders.models import (
    AuditEvent,
    Chapter,
    Document,
    InterpreterRequest,
    Order,
    OrderStatus,
    TariffKind,
)
from orders.services import accounts, audit, bestellungen, dokumente, dolmetschen, gemeinden, payout
from tests.conftest import log_in, municipality, post_form
from tests.test_dolmetschen import submit
from tests.test_kanton_bestellungen import count_queries, place_orders
from tests.test_vernetzung import announce

ORDERS = Path(__file__).resolve().parent.parent / "orders"


def _is_audit_record(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def _strings(nodes) -> set[str]:
    return {
        n.value
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _values_of(name: str, function: ast.FunctionDef, module: ast.Module) -> list[ast.AST]:
    """What a variable holding the action can be: what the function assigns to it, or, for a
    parameter, what the module's calls of the function pass for it."""
    assigned = [
        node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
    ]
    parameters = [arg.arg for arg in function.args.args]
    if name not in parameters:
        return assigned
    position = parameters.index(name)
    passed = []
    for call in ast.walk(module):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == function.name:
            passed += call.args[position : position + 1]
            passed += [keyword.value for keyword in call.keywords if keyword.arg == name]
    return assigned + passed


def recorded_actions() -> set[str]:
    """Every action code that orders/ passes to audit.record()."""
    actions = set()
    for path in ORDERS.rglob("*.py"):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(module):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in filter(_is_audit_record, ast.walk(function)):
                action = call.args[0]
                if isinstance(action, ast.Name):
                    found = _strings(_values_of(action.id, function, module))
                else:
                    found = _strings([action])
                assert found, f"{path.name}:{call.lineno}: cannot tell which action is recorded"
                actions |= found
    return actions


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    # The collector finds literals, both sides of a conditional, variables and parameters.
    assert {"login", "user.deactivate", "user.reset_password", "report.reopen"} <= actions
    assert sorted(actions - audit.ACTION_LABELS.keys()) == []


def test_every_recorded_detail_has_a_name():
    names = set()
    for path in ORDERS.rglob("*.py"):
        for call in filter(_is_audit_record, ast.walk(ast.parse(path.read_text()))):
            assert all(keyword.arg for keyword in call.keywords), f"{path.name}:{call.lineno}: **"
            names |= {keyword.arg for keyword in call.keywords} - {"actor", "obj"}
    assert {"reason", "number", "changes"} <= names
    assert sorted(names - audit.DETAIL_LABELS.keys()) == []


def test_unknown_action_shows_its_code():
    assert audit.action_label("user.deactivate") == "Konto deaktiviert"
    assert audit.action_label("something.new") == "something.new"


def test_details_as_readable_pairs():
    detail = {"reason": "Bitte Programm S prüfen", "held": True, "municipality": None}
    assert audit.detail_items(detail) == [
        ("Grund", "Bitte Programm S prüfen"),
        ("stattgefunden", "ja"),
        ("Gemeinde", "–"),
    ]
    # A change reads «before → after», named in German; a status by its label.
    assert audit.detail_items({"changes": {"name": ["Müller", "Käser"]}}) == [
        ("Name", "Müller → Käser")
    ]
    assert audit.detail_items(
        {"changes": {"participates": [True, False], "town": ["", "4600 Olten"]}}
    ) == [
        ("Teilnahme", "ja → nein"),
        ("PLZ und Ort", "– → 4600 Olten"),
    ]
    assert audit.detail_items({"status": "in_bearbeitung"}) == [("Status", "in Bearbeitung")]
    assert audit.detail_items({"role": "gemeinde"}) == [("Rolle", "Gemeinde")]
    assert audit.detail_items({"filters": {"gemeinde": "2401", "status": "versandt"}}) == [
        ("Filter", "Gemeinde: 2401, Status: versandt")
    ]
    assert audit.detail_items({"something_new": 1}) == [("something_new", "1")]
    assert audit.detail_items({}) == []


def test_protokoll_shows_label_code_and_umlauts(canton, kanton_user):
    audit.record(
        "declaration.reopen",
        actor=kanton_user,
        number="SD-2581-2024",
        reason="Bitte Programm S prüfen",
    )
    audit.record("something.new", actor=kanton_user)
    db.session.commit()
    page = canton.get("/kanton/protokoll").get_data(as_text=True)
    assert '<td title="declaration.reopen">Selbstdeklaration zur Korrektur geöffnet</td>' in page
    assert '<span class="subtle">Grund:</span> Bitte Programm S prüfen' in page
    assert "\\u00fc" not in page
    assert '<td title="something.new">something.new</td>' in page
    # The filter offers the portal's areas by name; it still reads a code's beginning.
    assert '<option value="declaration.">Selbstdeklarationen</option>' in page
    filtered = canton.get("/kanton/protokoll?aktion=declaration.").get_data(as_text=True)
    assert "Selbstdeklaration zur Korrektur geöffnet" in filtered
    assert '<option value="declaration." selected>' in filtered
    assert 'title="login"' not in filtered
    typed = canton.get("/kanton/protokoll?aktion=something").text
    assert "Aktion beginnt mit «something»" in typed and 'title="something.new"' in typed


def test_protokoll_names_and_links_what_an_event_is_about(canton, kanton_user, olten_user):
    audit.record("user.update", actor=kanton_user, obj=olten_user, changes={"phone": ["", "1"]})
    olten = municipality(2581)
    settings = gemeinden.MunicipalitySettings(
        participates=False,
        lead=None,
        address=olten.address,
        town=olten.town,
        contact_name=olten.contact_name,
        contact_email=olten.contact_email,
        contact_phone=olten.contact_phone,
    )
    gemeinden.update_settings(olten, settings, kanton_user)
    page = canton.get("/kanton/protokoll").text
    assert f'<a href="/kanton/benutzer/{olten_user.id}">Konto clerk@olten.ch</a>' in page
    assert "<td>Gemeinde Olten</td>" in page and "Teilnahme:</span> ja → nein" in page
    assert "Municipality" not in page and "User " not in page


def test_user_history_shows_labels(canton, kanton_user, olten_user):
    accounts.update_account(
        olten_user,
        kanton_user,
        name="Sandra Käser",
        function="",
        phone="",
        municipality=olten_user.municipality,
    )
    accounts.set_active(olten_user, kanton_user, False)
    page = canton.get(f"/kanton/benutzer/{olten_user.id}").get_data(as_text=True)
    assert "Angaben geändert" in page and "Konto deaktiviert" in page
    assert "user.update" not in page and "user.deactivate" not in page


def test_what_the_logged_in_person_did_to_their_own_account_names_the_account(
    app, olten_user, canton
):
    """Logging out and changing the password record current_user: the account, not the proxy
    Flask keeps it in."""
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    post_form(clerk, "/abmelden", {}, form_url="/konto/passwort")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "logout").order_by(AuditEvent.id.desc())
    )
    assert (event.object_type, event.object_id, event.actor_id) == (
        "User",
        olten_user.id,
        olten_user.id,
    )
    assert "LocalProxy" not in canton.get("/kanton/protokoll").text


def a_document(title: str) -> Document:
    dokumente.seed_chapters()
    document = Document(title=title, chapter=db.session.scalars(select(Chapter)).first())
    db.session.add(document)
    db.session.commit()
    return document


def test_protokoll_names_accounts_documents_tariffs_and_meetings(canton, kanton_user, olten_user):
    accounts.set_active(olten_user, kanton_user, False)
    # An entry from before the names were looked up, with nothing but the account's id.
    db.session.add(AuditEvent(action="user.activate", object_type="User", object_id=olten_user.id))
    dokumente.set_hidden(a_document("Merkblatt Deutschkurse"), True, kanton_user)
    tariff = payout.add_tariff(TariffKind.CASE, 12000, date(2031, 1, 1), "RRB 2030/1", kanton_user)
    payout.delete_tariff(tariff, kanton_user)
    announce(title="Treffen Bezirk Thal")
    page = canton.get("/kanton/protokoll").text
    assert page.count(f'href="/kanton/benutzer/{olten_user.id}">Konto clerk@olten.ch</a>') == 2
    assert "<td>Dokument Merkblatt Deutschkurse</td>" in page
    assert page.count(f">Tarif {TariffKind.CASE.label} ab 01.01.2031</a>") == 2
    assert ">Vernetzungstreffen Treffen Bezirk Thal</a>" in page


def test_protokoll_names_the_records_in_the_same_number_of_queries_for_more_of_them(
    canton, kanton_user, olten_user
):
    def queries() -> int:
        with count_queries() as statements:
            assert canton.get("/kanton/protokoll").status_code == 200
        return len(statements)

    accounts.set_active(olten_user, kanton_user, False)
    dokumente.set_hidden(a_document("Merkblatt 1"), True, kanton_user)
    few = queries()
    for index in range(5):
        accounts.set_active(olten_user, kanton_user, index % 2 == 0)
        dokumente.set_hidden(a_document(f"Merkblatt {index + 2}"), True, kanton_user)
    assert queries() == few


def test_a_meeting_whose_title_names_it_reads_without_a_doubled_word(canton):
    announce(title="Vernetzungstreffen alle Bezirke")
    page = canton.get("/kanton/protokoll").text
    assert ">Vernetzungstreffen alle Bezirke</a>" in page
    assert "Vernetzungstreffen Vernetzungstreffen" not in page


def test_protokoll_shows_the_note_and_the_reason_of_a_status_change(
    app, canton, kanton_user, olten_user, clerk
):
    place_orders(app, 2)
    first, second = db.session.scalars(select(Order).order_by(Order.id))
    bestellungen.change_status(first, OrderStatus.IN_PROGRESS, kanton_user)
    bestellungen.change_status(second, OrderStatus.CANCELLED, kanton_user, "Doppelt bestellt")
    submit(clerk)
    booking = db.session.scalar(select(InterpreterRequest))
    dolmetschen.cancel(booking, olten_user, "Familie ist umgezogen")
    page = canton.get("/kanton/protokoll").text
    assert '<span class="subtle">Bemerkung:</span> Doppelt bestellt' in page
    # The reason for cancelling an interpreter may speak of the people concerned: it stays
    # with the order (and goes with its free texts), not in the Protokoll.
    assert "Familie ist umgezogen" not in page
    # A status change without a note has no empty line for it.
    assert page.count("Bemerkung:") == 1


def test_hiding_a_document_is_logged_in_the_words_of_the_page(canton):
    from tests.test_dokumente import upload

    dokumente.seed_chapters()
    upload(canton, title="Merkblatt Wohnen")
    document = db.session.scalar(select(Document))
    page = f"/kanton/dokumente/{document.id}"
    post_form(canton, f"{page}/verbergen", {}, form_url=page)
    post_form(canton, f"{page}/anzeigen", {}, form_url=page)
    log = canton.get("/kanton/protokoll").text
    assert "Dokument verborgen" in log and "Dokument wieder angezeigt" in log
    assert "ausgeblendet" not in log and "eingeblendet" not in log
