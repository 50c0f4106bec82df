"""The scenario registry: what `bench/run.py` measures, one entry per scenario.

HTTP scenarios are driven by the load generator (bench/load.py) with logged-in sessions; their
throughput is compared with the baseline's GET (pages) or POST (submissions). Export and mail
scenarios are measured by run.py itself (time, peak memory of the server, mails per second).

A new page is one line in HTTP_SCENARIOS.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class HttpScenario:
    name: str
    role: str  # "gemeinde" (path may use {bfs_nr}), "kanton" or "baseline"
    method: str  # GET, or POST with a form filled by the load generator
    path: str
    form: str | None = None  # "order-check" / "order-submit" for the order form
    expect: int = 200
    baseline: str = "GET"  # which baseline request it is compared with

    def to_json(self) -> dict:
        return self.__dict__.copy()


ORDER_FORM = "/gemeinde/{bfs_nr}/bestellungen/neu/material"

BASELINE_SCENARIOS = [
    HttpScenario("baseline GET (template)", "baseline", "GET", "/"),
    HttpScenario(
        "baseline POST (one INSERT)", "baseline", "POST", "/", expect=201, baseline="POST"
    ),
]

HTTP_SCENARIOS = [
    HttpScenario("Gemeinde dashboard", "gemeinde", "GET", "/gemeinde/{bfs_nr}"),
    HttpScenario("order form", "gemeinde", "GET", ORDER_FORM),
    HttpScenario("order check page", "gemeinde", "POST", ORDER_FORM, form="order-check"),
    HttpScenario(
        "submit order",
        "gemeinde",
        "POST",
        ORDER_FORM,
        form="order-submit",
        expect=303,
        baseline="POST",
    ),
    HttpScenario("Gemeinde order history", "gemeinde", "GET", "/gemeinde/{bfs_nr}/bestellungen"),
    HttpScenario("canton inbox page 1", "kanton", "GET", "/kanton/bestellungen?status=versandt"),
    # {deep_page} is filled in by run.py: the link to page Size.inbox_page of the same filter.
    HttpScenario("canton inbox page N", "kanton", "GET", "{deep_page}"),
    HttpScenario(
        "payout table (last year)",
        "kanton",
        "GET",
        f"/kanton/berichte/auszahlung?jahr={date.today().year - 1}",
    ),
]


@dataclass(frozen=True)
class ExportScenario:
    name: str
    path: str
    # An export job: `path` is where the page's button posts (with its CSRF token), `form` the
    # page with the button; the export worker (flask exporte bearbeiten) builds the file, and
    # the time runs until the file is downloaded. Without `form`: a direct GET download.
    form: str | None = None


EXPORT_SCENARIOS = [
    ExportScenario("export CSV (all orders)", "/kanton/bestellungen/export.csv"),
    ExportScenario(
        "export XLSX (all orders, job)", "/kanton/exporte/bestellungen", form="/kanton/bestellungen"
    ),
]
