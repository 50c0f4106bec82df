"""Flask commands: seed, demo, users, mail, exports."""

import secrets
import signal
import time
from collections.abc import Callable
from datetime import time as clock_time
from datetime import timedelta

import click
from flask import Flask, current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from orders.extensions import db
from orders.models import Municipality, OrderKind, Role, User
from orders.services import (
    accounts,
    bestellungen,
    catalogue,
    dolmetschen,
    export_jobs,
    gemeinden,
    outbox,
)

seed_cli = click.Group("seed", help="Load reference data.")
users_cli = click.Group("users", help="Manage accounts.")
mail_cli = click.Group("mail", help="Deliver the mail outbox.")
interpreting_cli = click.Group("dolmetschen", help="Interpreter orders.")
reports_cli = click.Group("berichte", help="Half-year reports and self-declarations.")
exports_cli = click.Group("exporte", help="Export jobs (the canton's Excel exports).")


@seed_cli.command("gemeinden")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Another list of municipalities (default: the one shipped with the portal).",
)
def seed_gemeinden(csv_path):
    """Load the canton's municipalities (idempotent)."""
    from pathlib import Path

    report = gemeinden.import_municipalities(
        Path(csv_path) if csv_path else gemeinden.MUNICIPALITIES_CSV
    )
    click.echo(
        f"Gemeinden: {report.created} neu, {report.updated} geändert, "
        f"{report.unchanged} unverändert."
    )


@seed_cli.command("katalog")
def seed_katalog():
    """Load the languages and the starting catalogue of materials (idempotent)."""
    languages, items = catalogue.seed()
    click.echo(f"Sprachen: {languages} neu; Katalog: {items} neue Artikel.")


DEMO_LEAD = 2517  # Derendingen leads neighbouring municipalities, as in the canton's course.
DEMO_MEMBERS = (2516, 2518, 2523, 2524, 2527, 2532)
DEMO_ACCOUNTS = (
    ("kanton@demo.start-integration.ch", "Karin Kanton", "Koordinationsstelle Integration", None),
    ("derendingen@demo.start-integration.ch", "Michèle Demo", "Integrationsbeauftragte", DEMO_LEAD),
    ("olten@demo.start-integration.ch", "Oliver Demo", "Einwohnerdienste", 2581),
    ("grenchen@demo.start-integration.ch", "Greta Demo", "Integrationsbeauftragte", 2546),
)


@click.command("demo")
def demo():
    """Create demo accounts with a fresh random password (development only) and print them."""
    if not current_app.config["DEMO_ACCOUNTS_ALLOWED"]:
        raise click.ClickException("Demo-Konten gibt es nur in der Entwicklungsumgebung.")
    by_bfs = {m.bfs_nr: m for m in db.session.scalars(select(Municipality))}
    if not by_bfs:
        raise click.ClickException("Zuerst die Gemeinden laden: flask seed gemeinden")
    lead = by_bfs[DEMO_LEAD]
    for bfs_nr in DEMO_MEMBERS:
        by_bfs[bfs_nr].lead = lead
    lead.address, lead.town = "Hauptstrasse 43", "4552 Derendingen"
    lead.contact_name, lead.contact_email = "Michèle Demo", "derendingen@demo.start-integration.ch"
    password = secrets.token_urlsafe(9)
    password_hash = generate_password_hash(password)
    for email, name, function, bfs_nr in DEMO_ACCOUNTS:
        user = accounts.find_by_email(email) or User(email=email)
        user.name, user.function, user.active = name, function, True
        user.role = Role.KANTON if bfs_nr is None else Role.GEMEINDE
        user.municipality = by_bfs[bfs_nr] if bfs_nr else None
        user.password_hash = password_hash
        db.session.add(user)
    db.session.commit()
    _demo_orders(by_bfs)
    _demo_reports(by_bfs)
    _demo_meetings()
    click.echo("\nDemo-Anmeldungen (nur Entwicklung), alle mit dem Passwort: " + password)
    for email, name, _function, bfs_nr in DEMO_ACCOUNTS:
        where = by_bfs[bfs_nr].name if bfs_nr else "Kanton"
        click.echo(f"  {email:<40} {name} ({where})")
    click.echo("")


def _demo_orders(by_bfs: dict) -> None:
    """A few orders so that the lists are not empty; the same keys make them once."""
    orderer = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    languages = {language.code: language for language in catalogue.all_languages()}
    for key, lead_or_member, quantities in (
        ("demo-order-1", DEMO_LEAD, {"de": 20, "en": 5}),
        ("demo-order-2", DEMO_MEMBERS[0], {"de": 8, "it": 2}),
    ):
        municipality = by_bfs[lead_or_member]
        draft = bestellungen.OrderDraft(
            kind=OrderKind.WELCOME_FOLDER,
            contact_name=orderer.name,
            contact_email=orderer.email,
            contact_phone="032 682 00 00",
            delivery_recipient=f"Gemeinde {municipality.name}",
            delivery_street="Hauptstrasse 43",
            delivery_zip=municipality.plz,
            delivery_town=municipality.name,
            desired_date=None,
            remarks="",
            lines=[
                bestellungen.LineDraft(None, languages[code], quantity)
                for code, quantity in quantities.items()
            ],
        )
        bestellungen.place_order(municipality, orderer, draft, key)


@users_cli.command("create-kanton")
@click.option("--email", required=True)
@click.option("--name", required=True)
def create_kanton(email, name):
    """Invite the first canton account (production bootstrap); prints the invitation link."""
    try:
        user = accounts.invite(accounts.NewAccount(email=email, name=name, role=Role.KANTON), None)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Einladung für {user.email} liegt im Postausgang (flask mail deliver versendet sie)."
    )


def run_worker(
    one_round: Callable[[], bool], loop: bool, interval: float, started: str = ""
) -> None:
    """Run one round of a worker, or with `loop` round after round until SIGTERM, which lets
    the round in progress finish. A round returns whether more may be waiting (then the next
    follows at once, otherwise after `interval` seconds). `started` is printed once SIGTERM is
    handled: a supervisor that reads it may stop the worker from then on."""
    stopping = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    if started:
        click.echo(started)
    try:
        while True:
            more_waiting = one_round()
            if not loop or stopping:
                break
            if not more_waiting:
                time.sleep(interval)
            db.session.remove()
    finally:
        signal.signal(signal.SIGTERM, previous)


@mail_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running and deliver new mails as they come.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def deliver(loop, interval):
    """Send the mails that are due over SMTP, with retries and back-off."""
    if not outbox.smtp_configured():
        raise click.ClickException(
            "MAIL_SERVER ist nicht gesetzt: die Mails bleiben im Postausgang des Portals lesbar."
        )

    def one_round() -> bool:
        report = outbox.deliver_due()
        if report.handled:
            click.echo(
                f"versandt {report.sent}, später erneut {report.retrying}, "
                f"fehlgeschlagen {report.failed}"
            )
        return report.handled >= current_app.config["MAIL_BATCH_SIZE"]

    run_worker(one_round, loop, interval)


# Expired export files are looked for at most this often by a looping worker.
EXPORT_PURGE_EVERY = 60.0


@exports_cli.command("bearbeiten")
@click.option("--loop", is_flag=True, help="Keep running and build new export jobs as they come.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
def exports_run(loop, interval):
    """Build the export jobs that are due and delete expired ones (the production worker).

    SIGTERM lets the job being built finish, then the worker stops.
    """
    purged_at = None

    def one_round() -> bool:
        nonlocal purged_at
        if purged_at is None or time.monotonic() - purged_at >= EXPORT_PURGE_EVERY:
            removed = export_jobs.purge_expired()
            purged_at = time.monotonic()
            if removed:
                click.echo(f"{removed} abgelaufene Exporte gelöscht.")
        built = export_jobs.run_due_jobs(max_jobs=1 if loop else None)
        if built:
            click.echo(f"{built} Export(e) bearbeitet.")
        return bool(built)

    started = "Export-Worker läuft (SIGTERM beendet ihn nach dem laufenden Export)."
    run_worker(one_round, loop, interval, started if loop else "")


@mail_cli.command("aufraeumen")
@click.option(
    "--tage",
    type=int,
    default=None,
    help="Keep delivered mails this many days (default: MAIL_RETENTION_DAYS, 90).",
)
def mail_retention(tage):
    """Delete delivered mails after the retention period (daily cron)."""
    days = tage if tage is not None else current_app.config["MAIL_RETENTION_DAYS"]
    removed = outbox.purge_sent(timedelta(days=days))
    click.echo(f"{removed} versandte Mails gelöscht (älter als {days} Tage).")


@interpreting_cli.command("aufraeumen")
@click.option(
    "--tage",
    type=int,
    default=None,
    help="Retention in days (default: INTERPRETER_RETENTION_DAYS, 365).",
)
def interpreting_retention(tage):
    """Remove references and notes from past interpreter orders (daily cron)."""
    days = tage if tage is not None else current_app.config["INTERPRETER_RETENTION_DAYS"]
    report = dolmetschen.redact_old_requests(days)
    click.echo(
        f"{report.redacted} Bestellungen bereinigt (älter als {days} Tage)"
        + (": " + ", ".join(report.numbers) if report.numbers else ".")
    )


@seed_cli.command("tarife")
def seed_tarife():
    """Load the tariffs of the circular letters (idempotent)."""
    from orders.services import payout

    click.echo(f"Tarife: {payout.seed_tariffs()} neu.")


@reports_cli.command("erinnern")
@click.option(
    "--datum",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to act for (default: today in Switzerland), YYYY-MM-DD.",
)
def reports_remind(datum):
    """Daily (cron): remind participating municipalities that have not submitted, 14 days
    before and on the day after each due date; a day the job missed is caught up within a
    week. Running it twice sends nothing twice."""
    from orders.services import berichte, deadlines

    today = datum.date() if datum else deadlines.today_local()
    report = berichte.send_reminders(today)
    click.echo(
        f"Erinnerungen {today:%d.%m.%Y}: {report.sent} versandt"
        + (f", {report.skipped_no_address} ohne Adresse." if report.skipped_no_address else ".")
    )


@reports_cli.command("tarif")
@click.option(
    "--art",
    required=True,
    type=click.Choice(
        [
            "fallpauschale",
            "dolmetschpauschale",
            "programm_s_gespraech",
            "programm_s_nachbegleitung",
            "sockelbeitrag",
        ]
    ),
)
@click.option("--rappen", required=True, type=click.IntRange(min=0), help="Amount in centimes.")
@click.option("--ab", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--grundlage", default="", help="The circular letter, e.g. KRS-GEF-2027/01.")
def reports_tariff(art, rappen, ab, grundlage):
    """A new tariff from 1 January or 1 July on; the one valid until then ends the day before,
    and it ends before a later tariff already entered."""
    from orders.models import TariffKind
    from orders.services import payout

    try:
        payout.add_tariff(TariffKind(art), rappen, ab.date(), grundlage)
    except payout.TariffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Tarif {art}: {rappen} Rappen ab {ab:%d.%m.%Y}.")


def _demo_meetings() -> None:
    """Two network meetings ahead, one for two Bezirke and one for all; the same keys make
    them once."""
    from orders.services import deadlines, vernetzung

    organiser = accounts.find_by_email(DEMO_ACCOUNTS[0][0])
    today = deadlines.today_local()
    for key, title, weeks, bezirke, place in (
        ("demo-meeting-1", "Vernetzungstreffen Thal-Gäu", 3, ["Gäu", "Thal"], "Rathaus Balsthal"),
        ("demo-meeting-2", "Vernetzungstreffen alle Bezirke", 9, [], "Rathaus Olten, Saal 2"),
    ):
        data = vernetzung.MeetingData(
            title=title,
            day=today + timedelta(weeks=weeks),
            starts_at=clock_time(14, 0),
            ends_at=clock_time(16, 30),
            place=place,
            description="Austausch unter den Integrationsverantwortlichen; Apéro im Anschluss.",
            bezirke=bezirke,
            registration_until=None,
        )
        vernetzung.create(data, organiser, key)


def _demo_reports(by_bfs: dict) -> None:
    """A submitted report for the last half-year of the lead and a draft for a member."""
    from orders.services import berichte, deadlines, payout

    payout.seed_tariffs()
    author = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    year, half = deadlines.last_ended_half(deadlines.today_local())
    figures = {
        "first_info_conversations": 14,
        "first_info_people": 23,
        "first_info_interpreter": 5,
        "integration_conversations": 3,
        "integration_interpreter": 1,
        "s_conversations": 2,
        "s_follow_ups": 1,
    }
    lead = by_bfs[DEMO_LEAD]
    report = berichte.find_report(lead, year, half)
    if report is None:
        report = berichte.save_report_draft(lead, year, half, figures, "", True, author)
        berichte.submit_report(report, author)
    member = by_bfs[DEMO_MEMBERS[0]]
    if berichte.find_report(member, year, half) is None:
        draft = {**figures, "first_info_conversations": 4, "first_info_people": 6}
        draft["first_info_interpreter"] = 2
        draft.update(s_conversations=None, s_follow_ups=None)
        berichte.save_report_draft(member, year, half, draft, "", False, author)


@seed_cli.command("dokumente")
@click.option(
    "--ohne-demo",
    is_flag=True,
    help="Only the chapters, no demo documents (always so in production).",
)
def seed_dokumente(ohne_demo):
    """Load the working folder's chapters and, in development, a demo library of small PDFs
    (idempotent)."""
    from orders.models import Language
    from orders.services import demo_library, dokumente

    if ohne_demo or not current_app.config["DEMO_ACCOUNTS_ALLOWED"]:
        click.echo(f"Kapitel: {dokumente.seed_chapters()} neu.")
        return
    if db.session.scalar(select(Language.code).limit(1)) is None:
        raise click.ClickException("Zuerst die Sprachen laden: flask seed katalog")
    chapters, documents = demo_library.seed_demo_library()
    click.echo(f"Kapitel: {chapters} neu; Demo-Dokumente: {documents} neu.")


def init_app(app: Flask) -> None:
    for command in (
        seed_cli,
        users_cli,
        mail_cli,
        interpreting_cli,
        demo,
        reports_cli,
        exports_cli,
    ):
        app.cli.add_command(command)
