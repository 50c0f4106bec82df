"""bench/profile.py posts the order form as the load generator does (bench/load.py): a real
form token, three quantities, a fresh submission key each time."""

from sqlalchemy import select, text

from bench.load import ORDER_FIELDS
from bench.profile import postgres_backend_cpu, request_sender
from orders.extensions import db
from orders.models import Order
from tests.conftest import make_app
from tests.test_bestellungen import FORM


def test_the_profiler_checks_and_submits_the_order_form(clerk):
    check = request_sender(clerk, FORM, "order-check")
    page = check().get_data(as_text=True)
    # The check page, not the form again with the error summary.
    assert "Bitte prüfen Sie Ihre Bestellung" in page
    assert "Bitte prüfen Sie Ihre Angaben" not in page
    assert db.session.scalars(select(Order)).all() == []

    submit = request_sender(clerk, FORM, "order-submit")
    assert [submit().status_code for _ in range(2)] == [303, 303]
    orders = db.session.scalars(select(Order)).all()
    assert len(orders) == 2  # a new submission key each time: two orders
    assert {order.contact_name for order in orders} == {ORDER_FIELDS["contact_name"]}
    assert all(len(order.lines) == 3 for order in orders)


def test_the_profiler_gets_a_page(clerk):
    response = request_sender(clerk, "/gemeinde/2581", None)()
    assert response.status_code == 200 and "Olten" in response.get_data(as_text=True)


def test_the_profiler_reads_what_the_postgres_backend_spent(postgres_database, tmp_path):
    app = make_app(postgres_database)
    server_cpu = postgres_backend_cpu(app)
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        before = server_cpu()
        # Some 100 ms of the server's CPU, several of /proc's 10 ms ticks.
        db.session.execute(text("SELECT count(*) FROM generate_series(1, 3000000)"))
        assert server_cpu() - before >= 0.02
        db.session.rollback()
        db.engine.dispose()
    assert postgres_backend_cpu(make_app(f"sqlite:///{tmp_path}/unused.db")) is None
