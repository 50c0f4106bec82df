"""The database going away in the middle of a request (a PostgreSQL restart, as the app sees it:
every connection reset, new ones refused): a clear 503 page, nothing half-written, and the app
recovers on its own when the database is back."""

import socket
import threading
import uuid

from sqlalchemy import create_engine, event, func, select

from orders.extensions import db
from orders.models import Order, OutboxMail
from tests.conftest import (
    POSTGRES,
    free_port,
    log_in,
    make_app,
    make_user,
    post_form,
    prepared,
)
from tests.test_bestellungen import order_data

FORM = "/gemeinde/2581/bestellungen/neu/material"


class TcpProxy:
    """Forwards a local port to PostgreSQL; cut() drops every connection and refuses new ones,
    restore() accepts them again, exactly what clients see while the server restarts."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.sockets:
            _close(connection)
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


def test_postgres_restarting_mid_request_gives_503_writes_nothing_and_recovers(
    postgres_database,
):
    """OWASP ASVS 4.0.3 V7.4.1 (a generic error page when a backend fails) and V7.4.2 (no
    half-done business transaction): the connection dies during the INSERT of an order."""
    proxy = TcpProxy(POSTGRES)
    database = postgres_database.rsplit("/", 1)[1]
    app = make_app(f"postgresql://postgres@127.0.0.1:{proxy.port}/{database}")
    direct = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}")

    def stored(model) -> int:
        with direct.connect() as connection:
            return connection.scalar(select(func.count()).select_from(model))

    with prepared(app):
        make_user("clerk@olten.ch", 2581)
        before = stored(Order), stored(OutboxMail)
        client = app.test_client()
        log_in(client, "clerk@olten.ch")
        data = {**order_data(), "submission_key": uuid.uuid4().hex, "action": "submit"}
        db.session.remove()  # the test's own session holds no connection when the database goes

        def restart_during_the_insert(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
                proxy.cut()

        event.listen(db.engine, "before_cursor_execute", restart_during_the_insert)
        response = post_form(client, FORM, data, form_url=FORM)
        event.remove(db.engine, "before_cursor_execute", restart_during_the_insert)
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "Vorübergehend nicht verfügbar" in page and "Traceback" not in page
        assert (stored(Order), stored(OutboxMail)) == before

        assert client.get("/healthz").status_code == 503  # still away
        proxy.restore()
        assert client.get("/healthz").status_code == 200  # back, without a restart of the app
        response = post_form(client, FORM, data, form_url=FORM)
        assert response.status_code == 303
        assert stored(Order) == before[0] + 1
        assert stored(OutboxMail) > before[1]
    direct.dispose()
    proxy.cut()
