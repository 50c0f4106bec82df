"""start.integration portal of the canton of Solothurn."""

from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from orders import formatting, security
from orders.config import load_config
from orders.extensions import csrf, db, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAIL_TEMPLATES = Path(__file__).resolve().parent / "emails" / "templates"


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config(Path(app.instance_path), overrides))
    if hops := app.config["PROXY_HOPS"]:
        # The client's address (login throttling), https and the public host come from the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # Mail templates live beside the code that composes them, reachable as "mail/...".
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PrefixLoader({"mail": FileSystemLoader(MAIL_TEMPLATES)})]
    )

    from orders import database

    db.init_app(app)
    database.configure_engine_events(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    formatting.init_app(app)

    from orders.services import sessions, throttle

    throttle.init_app(app)

    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are checked server-side instead
    login_manager.user_loader(sessions.load_user)

    _register_blueprints(app)

    from orders.views import auth

    login_manager.unauthorized_handler(auth.login_needed)

    from orders import cli

    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from orders.views import (
        auth,
        berichte,
        bestellungen,
        dashboard,
        dolmetschen,
        errors,
        health,
        vernetzung,
    )
    from orders.views import dokumente as library
    from orders.views.kanton import berichte as kanton_berichte
    from orders.views.kanton import bestellungen as kanton_bestellungen
    from orders.views.kanton import dokumente as kanton_dokumente
    from orders.views.kanton import dolmetschen as kanton_dolmetschen
    from orders.views.kanton import exporte as kanton_exporte
    from orders.views.kanton import gemeinden, outbox, users
    from orders.views.kanton import vernetzung as kanton_vernetzung

    for blueprint in (
        errors.bp,
        health.bp,
        auth.bp,
        dashboard.bp,
        bestellungen.bp,
        kanton_bestellungen.bp,
        kanton_exporte.bp,
        dolmetschen.bp,
        kanton_dolmetschen.bp,
        gemeinden.bp,
        users.bp,
        outbox.bp,
        berichte.bp,
        kanton_berichte.bp,
        library.bp,
        kanton_dokumente.bp,
        vernetzung.bp,
        kanton_vernetzung.bp,
    ):
        app.register_blueprint(blueprint)
