"""The payout computation in centimes: tariffs by validity date, a tariff change between two
periods, a report submitted before the change and corrected after it, and a retroactive edit of a
tariff that never changes what was submitted."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from orders.extensions import db
from orders.models import Tariff, TariffKind
from orders.services import berichte, payout
from tests.conftest import municipality
from tests.test_berichte_fixes import submit_declaration_for

FIGURES = {
    "first_info_conversations": 10,
    "first_info_people": 18,
    "first_info_interpreter": 3,
    "integration_conversations": 2,
    "integration_interpreter": 2,
    "s_conversations": 1,
    "s_follow_ups": 1,
}


def test_amounts_per_tariff_and_total():
    tariffs = {
        "fallpauschale": 20000,
        "dolmetschpauschale": 16000,
        "programm_s_gespraech": 30000,
        "programm_s_nachbegleitung": 100000,
    }
    assert payout.report_amounts(FIGURES, tariffs) == {
        "case": 12 * 20000,
        "interpreter": 5 * 16000,
        "s_conversations": 30000,
        "s_follow_ups": 100000,
        "total": 240000 + 80000 + 130000,
    }
    assert payout.base_contribution(1234, {"sockelbeitrag": 700}) == 863800
    assert payout.base_contribution(0, {}) == 0
    with pytest.raises(payout.MissingTariff):
        payout.report_amounts({"s_follow_ups": 1}, {"fallpauschale": 20000})


def test_seeded_tariffs_and_validity(app):
    assert payout.seed_tariffs() == 0  # already seeded by the fixture: idempotent
    assert payout.tariffs_on(date(2025, 6, 30)) == {
        "fallpauschale": 20000,
        "dolmetschpauschale": 16000,
        "sockelbeitrag": 700,
        "programm_s_gespraech": 30000,
        "programm_s_nachbegleitung": 100000,
    }
    # Programm S started with KRS-GEF-2024/03.
    assert "programm_s_gespraech" not in payout.tariffs_on(date(2023, 12, 31))


def change_case_tariff(amount: int, from_day: date) -> None:
    """A new circular letter: the old case tariff ends the day before, the new one starts."""
    payout.add_tariff(TariffKind.CASE, amount, from_day, "KRS-GEF-2026/01")


def test_a_new_tariff_ends_the_old_one_the_day_before(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "berichte",
            "tarif",
            "--art",
            "sockelbeitrag",
            "--rappen",
            "800",
            "--ab",
            "2027-01-01",
        ]
    )
    assert result.exit_code == 0, result.output
    old = db.session.scalar(
        select(Tariff).where(
            Tariff.kind == TariffKind.BASE_CONTRIBUTION, Tariff.amount_centimes == 700
        )
    )
    assert old.valid_until == date(2026, 12, 31)
    assert payout.tariffs_on(date(2026, 12, 31))["sockelbeitrag"] == 700
    assert payout.tariffs_on(date(2027, 1, 1))["sockelbeitrag"] == 800


def test_tariff_change_between_periods_and_a_correction_after_it(app, olten_user):
    olten = municipality(2581)
    h2 = berichte.save_report_draft(olten, 2025, 2, FIGURES, "", True, olten_user)
    # Submitted in January 2026, before the new circular letter was published.
    assert berichte.submit_report(h2, olten_user, now=datetime(2026, 1, 20, 9, tzinfo=UTC))
    assert h2.versions[0].amounts["case"] == 12 * 20000

    # March 2026: the case lump sum rises to CHF 220 for conversations from 1 January 2026.
    change_case_tariff(22000, date(2026, 1, 1))
    h1 = berichte.save_report_draft(olten, 2026, 1, FIGURES, "", True, olten_user)
    assert berichte.submit_report(h1, olten_user, now=datetime(2026, 7, 5, 9, tzinfo=UTC))
    assert h1.versions[0].amounts["case"] == 12 * 22000
    assert h1.versions[0].tariffs["fallpauschale"] == 22000

    # The 2025 report, untouched by the change, keeps its amounts...
    db.session.expire_all()
    assert h2.versions[0].amounts["case"] == 12 * 20000
    # ...and a correction after the change is computed with the tariffs of its own period.
    berichte.reopen_report(h2, olten_user, "Ein Gespräch fehlt.")
    corrected = {**FIGURES, "first_info_conversations": 11}
    berichte.save_report_draft(olten, 2025, 2, corrected, "", True, olten_user)
    assert berichte.submit_report(h2, olten_user, now=datetime(2026, 8, 3, 9, tzinfo=UTC))
    first, second = h2.versions
    assert first.amounts["case"] == 12 * 20000
    assert second.amounts["case"] == 13 * 20000
    assert second.tariffs["fallpauschale"] == 20000

    # The yearly payout tables use the latest version of each report.
    [olten_2025] = [r for r in berichte.payout_table(2025) if r.municipality.bfs_nr == 2581]
    assert olten_2025.case == 13 * 20000
    [olten_2026] = [r for r in berichte.payout_table(2026, 1) if r.municipality.bfs_nr == 2581]
    assert olten_2026.case == 12 * 22000


def test_changing_a_tariff_later_never_changes_a_submitted_report(app, olten_user):
    olten = municipality(2581)
    report = berichte.save_report_draft(olten, 2025, 1, FIGURES, "", True, olten_user)
    berichte.submit_report(report, olten_user, now=datetime(2025, 7, 15, 9, tzinfo=UTC))
    before = dict(report.versions[0].amounts)
    for tariff in db.session.scalars(select(Tariff)):
        tariff.amount_centimes *= 2  # someone edits the table retroactively
    db.session.commit()
    db.session.expire_all()
    assert report.versions[0].amounts == before
    [row] = [r for r in berichte.payout_table(2025, 1) if r.municipality.bfs_nr == 2581]
    assert row.total == before["total"]


@pytest.mark.parametrize(
    ("submitted", "state"),
    [
        ({}, "nichts eingereicht"),
        (
            {"reports": ["R-1"], "halves": {1}},
            "unvollständig: 2. Halbjahr und Selbstdeklaration fehlen",
        ),
        ({"declaration": "S-1"}, "unvollständig: 1. Halbjahr und 2. Halbjahr fehlen"),
        ({"reports": ["R-1", "R-2"], "halves": {1, 2}}, "unvollständig: Selbstdeklaration fehlt"),
        ({"reports": ["R-1", "R-2"], "halves": {1, 2}, "declaration": "S-1"}, "eingereicht"),
        (
            {"reports": ["R-1"], "halves": {1}, "reopened": ["R-1"]},
            "wiedereröffnet: R-1; unvollständig: 2. Halbjahr und Selbstdeklaration fehlen",
        ),
        # A half-year needs its own report only.
        ({"half": 2, "reports": ["R-2"], "halves": {2}}, "eingereicht"),
        ({"half": 2}, "nichts eingereicht"),
    ],
)
def test_the_payout_state_names_what_the_period_still_lacks(submitted, state):
    row = payout.PayoutRow(municipality=None, **submitted)
    assert row.state == state
    assert row.caveat == ("" if state.endswith("eingereicht") else state)


def test_a_tariff_entered_for_periods_already_submitted_is_in_use_once_computed_with(
    app, olten_user, kanton_user
):
    """What was submitted before a tariff was entered for its period keeps the old amount: the
    tariff was not used for it (and may be deleted) until a correction is computed with it."""
    olten = municipality(2581)
    report = berichte.save_report_draft(olten, 2025, 2, FIGURES, "", True, olten_user)
    assert berichte.submit_report(report, olten_user, now=datetime(2026, 1, 20, 9, tzinfo=UTC))
    submit_declaration_for(2581, olten_user, 2025)

    case = payout.add_tariff(TariffKind.CASE, 22050, date(2025, 7, 1), "KRS-GEF-2025/09")
    base = payout.add_tariff(TariffKind.BASE_CONTRIBUTION, 800, date(2025, 1, 1), "KRS-GEF-2025/09")
    assert payout.tariffs_in_use([case, base]) == set()

    berichte.reopen_report(report, kanton_user, "Ein Gespräch fehlt.")
    berichte.save_report_draft(olten, 2025, 2, FIGURES, "", True, olten_user)
    assert berichte.submit_report(report, olten_user)
    assert report.versions[-1].tariffs["fallpauschale"] == 22050
    assert payout.tariffs_in_use([case, base]) == {case.id}
