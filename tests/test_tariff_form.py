"""The canton enters a new circular letter's tariff in the portal: checked first (the page says
which tariff it ends), saved when confirmed, once however often the button is pressed, and
recorded in the audit log; bad input is named beside its field and kept."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import AuditEvent, Tariff, TariffKind
from orders.services import berichte, deadlines, payout
from tests.conftest import municipality, post_form
from tests.test_berichte import ended_period
from tests.test_payout import FIGURES

NEW = "/kanton/berichte/tarife/neu"


def message_of(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="error-message" id="{name}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|Fehler:", "", found.group(1)).strip() if found else None


def case_tariffs() -> list[tuple[int, date, date | None]]:
    return [
        (t.amount_centimes, t.valid_from, t.valid_until)
        for t in db.session.scalars(
            select(Tariff).where(Tariff.kind == TariffKind.CASE).order_by(Tariff.valid_from)
        )
    ]


def next_half_year_start() -> date:
    today = deadlines.today_local()
    return date(today.year, 7, 1) if today.month < 7 else date(today.year + 1, 1, 1)


def test_canton_checks_then_saves_a_new_tariff(app, canton, kanton_user):
    tariffs_page = canton.get("/kanton/berichte/tarife").get_data(as_text=True)
    assert f'href="{NEW}"' in tariffs_page
    start = next_half_year_start()
    form = canton.get(NEW).get_data(as_text=True)
    assert f'<option selected value="{start.isoformat()}">{start:%d.%m.%Y}' in form

    typed = {
        "kind": "fallpauschale",
        "amount": "1'220,5",
        "valid_from": start.isoformat(),
        "source": "KRS-GEF-2027/01",
    }
    check = post_form(canton, NEW, typed).get_data(as_text=True)
    assert "Bitte prüfen Sie den neuen Tarif" in check
    assert "CHF 1&#39;220.50 (bisher CHF 200.00)" in check
    day_before = date.fromordinal(start.toordinal() - 1)
    assert f"gilt neu bis zum {day_before:%d.%m.%Y}" in check
    assert case_tariffs() == [(20000, date(2017, 1, 1), None)]  # nothing saved yet

    # «Angaben ändern» shows the form again with what was typed.
    edit = post_form(canton, NEW, {**typed, "confirmed": "1", "action": "edit"}).get_data(
        as_text=True
    )
    assert 'value="1&#39;220,5"' in edit and 'value="KRS-GEF-2027/01"' in edit
    assert case_tariffs() == [(20000, date(2017, 1, 1), None)]

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', check).group(1)
    confirmed = {**typed, "confirmed": "1", "csrf_token": token}
    first = canton.post(NEW, data=confirmed)
    second = canton.post(NEW, data=confirmed)  # a double click
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == "/kanton/berichte/tarife"
    assert case_tariffs() == [(20000, date(2017, 1, 1), day_before), (122050, start, None)]
    assert payout.tariffs_on(start)["fallpauschale"] == 122050
    listed = canton.get("/kanton/berichte/tarife").get_data(as_text=True)
    assert "Gespeichert: Fallpauschale" in listed and "CHF 1&#39;220.50" in listed
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tariff.create"))
    assert event.actor_id == kanton_user.id
    assert event.detail["amount"] == "CHF 1'220.50" and event.detail["source"] == typed["source"]
    log = canton.get("/kanton/protokoll").get_data(as_text=True)
    assert "Tarif erfasst" in log and "KRS-GEF-2027/01" in log


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "amount",
            "zweihundert",
            "Bitte geben Sie einen Betrag in Franken ein, z. B. 200 oder 9.50.",
        ),
        ("amount", "9.505", "Bitte höchstens zwei Stellen nach dem Punkt (Rappen) angeben."),
        ("amount", "", "Bitte geben Sie den Betrag ein."),
        ("amount", "-5", "Bitte einen Betrag von 0 bis 100'000 Franken."),
        ("source", "", "Bitte geben Sie das Kreisschreiben an, das den Betrag festlegt."),
        ("valid_from", "2027-03-01", "Bitte wählen Sie aus den angebotenen Möglichkeiten."),
        ("kind", "trinkgeld", "Bitte wählen Sie aus den angebotenen Möglichkeiten."),
    ],
)
def test_bad_input_is_named_beside_its_field_and_kept(canton, field, value, message):
    typed = {
        "kind": "dolmetschpauschale",
        "amount": "170",
        "valid_from": next_half_year_start().isoformat(),
        "source": "KRS-GEF-2027/02",
        field: value,
    }
    page = post_form(canton, NEW, {**typed, "confirmed": "1"}).get_data(as_text=True)
    assert message_of(page, field) == message.replace("'", "&#39;")
    for name in ("amount", "source"):
        if typed[name]:
            assert f'value="{typed[name]}"' in page.replace("&#39;", "'"), name
    assert db.session.scalar(select(func.count()).select_from(Tariff)) == len(payout.SEED_TARIFFS)


def test_a_second_tariff_for_the_same_start_is_refused_at_the_check(canton):
    start = next_half_year_start()
    payout.add_tariff(TariffKind.CASE, 21000, start, "KRS-GEF-2027/01")
    page = post_form(
        canton,
        NEW,
        {"kind": "fallpauschale", "amount": "230", "valid_from": start.isoformat(), "source": "X"},
    ).get_data(as_text=True)
    assert "Bitte prüfen Sie den neuen Tarif" not in page
    assert message_of(page, "valid_from") == (
        f"Für «{TariffKind.CASE.label}» gibt es bereits einen Tarif ab dem {start:%d.%m.%Y}."
    )


def test_an_earlier_start_ends_before_the_tariff_already_entered(canton):
    """A circular letter entered late: it applies until the later one already entered."""
    start = next_half_year_start()
    payout.add_tariff(TariffKind.CASE, 24000, start, "KRS-GEF-2027/01")
    earlier = date(start.year - 1, start.month, 1)
    page = post_form(
        canton,
        NEW,
        {
            "kind": "fallpauschale",
            "amount": "220",
            "valid_from": earlier.isoformat(),
            "source": "KRS-GEF-2026/04",
        },
    ).get_data(as_text=True)
    assert "bisher CHF 200.00" in page
    last_day = date.fromordinal(start.toordinal() - 1)
    assert f"ab dem {earlier:%d.%m.%Y} bis zum {last_day:%d.%m.%Y}" in page
    # Plainly what changes, and what does not.
    assert "Bereits eingereichte Berichte und Selbstdeklarationen behalten ihre Beträge." in page
    assert (
        "Der neue Betrag gilt ab jetzt für jede Einreichung und jede Korrektur einer Periode, "
        f"die am {earlier:%d.%m.%Y} oder später und spätestens am {last_day:%d.%m.%Y} endet"
    ) in page
    assert "rückwirkend" not in page


def tariffs_page(canton) -> str:
    return canton.get("/kanton/berichte/tarife").get_data(as_text=True)


def delete_url(tariff: Tariff) -> str:
    return f"/kanton/berichte/tarife/{tariff.id}/loeschen"


def test_a_tariff_entered_by_mistake_is_deleted_and_the_one_before_applies_again(
    canton, kanton_user
):
    start = next_half_year_start()
    wrong = payout.add_tariff(TariffKind.CASE, 2200, start, "KRS-GEF-2027/01")  # CHF 22, not 220
    assert f'action="{delete_url(wrong)}"' in tariffs_page(canton)

    # Without JavaScript the page asks first; nothing is deleted yet.
    asked = post_form(canton, delete_url(wrong), {}, form_url="/kanton/berichte/tarife")
    assert "Tarif löschen?" in asked.get_data(as_text=True)
    assert len(case_tariffs()) == 2

    response = post_form(
        canton, delete_url(wrong), {"confirmed": "1"}, form_url="/kanton/berichte/tarife"
    )
    assert response.status_code == 303
    assert case_tariffs() == [(20000, date(2017, 1, 1), None)]
    assert "Gelöscht: Fallpauschale" in tariffs_page(canton)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tariff.delete"))
    assert event.actor_id == kanton_user.id and event.detail["amount"] == "CHF 22.00"


def test_a_tariff_that_a_submitted_report_used_cannot_be_deleted(canton, olten_user):
    year, half = ended_period()
    report = berichte.save_report_draft(
        municipality(2581), year, half, FIGURES, "", True, olten_user
    )
    assert berichte.submit_report(report, olten_user)
    used = db.session.scalar(select(Tariff).where(Tariff.kind == TariffKind.CASE))
    unused = db.session.scalar(select(Tariff).where(Tariff.kind == TariffKind.BASE_CONTRIBUTION))
    page = tariffs_page(canton)
    assert f'action="{delete_url(used)}"' not in page
    assert f'action="{delete_url(unused)}"' in page  # no self-declaration was submitted

    response = post_form(
        canton, delete_url(used), {"confirmed": "1"}, form_url="/kanton/berichte/tarife"
    )
    assert response.status_code == 303
    assert "kann nicht gelöscht werden" in tariffs_page(canton)
    assert db.session.get(Tariff, used.id) is not None


def test_a_tariff_entered_by_mistake_for_a_period_submitted_before_can_be_deleted(
    canton, olten_user
):
    """The report submitted before keeps CHF 200: the tariff of CHF 220.50 entered afterwards
    for its half-year was not used, as the check page promised."""
    year, half = ended_period()
    report = berichte.save_report_draft(
        municipality(2581), year, half, FIGURES, "", True, olten_user
    )
    assert berichte.submit_report(report, olten_user)
    start = deadlines.period_start(year, half)
    wrong = payout.add_tariff(TariffKind.CASE, 22050, start, "KRS-GEF-2026/09")
    assert f'action="{delete_url(wrong)}"' in tariffs_page(canton)

    response = post_form(
        canton, delete_url(wrong), {"confirmed": "1"}, form_url="/kanton/berichte/tarife"
    )
    assert response.status_code == 303
    assert case_tariffs() == [(20000, date(2017, 1, 1), None)]
    assert report.versions[0].tariffs["fallpauschale"] == 20000
