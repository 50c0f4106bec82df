"""Profile one request of the portal in process with pyinstrument, or time it.

    DATABASE_URL=sqlite:////tmp/bench.db python -m bench.profile [--email …] [--repeat 5] URL
    DATABASE_URL=sqlite:////tmp/bench.db python -m bench.profile --time 700 URL
    DATABASE_URL=… python -m bench.profile --email <Gemeinde account> --form order-submit URL

Logs in through the login form (the benchmark data set's password), requests URL once to warm
up, then `--repeat` times under the profiler; prints the call tree and writes
/tmp/profile.html. With `--time N` it profiles nothing and prints the CPU milliseconds per
request over N requests in 7 batches (lowest and median batch); on a PostgreSQL server of
this machine also the CPU its backend spent on them (read from /proc): the parsing, planning
and executing of the statements that the Python process only waits for. Run it before and
after a change, alternately and a few times: between runs the numbers move by up to 10 % on
this machine, and a smaller gain cannot be told from that.

`--form order-check` / `order-submit`: URL is an order form; each request posts it as the load
generator does (bench/load.py), checked or submitted (every submission a new order).
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable

from pyinstrument import Profiler
from sqlalchemy import Engine, event

from bench.dataset import KANTON_EMAIL, PASSWORD
from bench.load import csrf, order_form_data, order_form_fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--email", default=KANTON_EMAIL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--html", default="/tmp/profile.html")
    parser.add_argument("--time", type=int, metavar="N", help="time N requests, no profiler")
    parser.add_argument("--form", choices=["order-check", "order-submit"], help="post URL's form")
    args = parser.parse_args()

    from orders import create_app

    app = create_app({"PORTAL_ENV": "development"})
    server_cpu = postgres_backend_cpu(app)
    client = app.test_client()
    page = client.get("/anmelden").get_data(as_text=True)
    response = client.post(
        "/anmelden", data={"csrf_token": csrf(page), "email": args.email, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"login as {args.email} answered {response.status_code}")
    send = request_sender(client, args.url, args.form)
    print(args.url, send().status_code)
    if args.time:
        print(time_requests(send, args.time, server_cpu=server_cpu))
        return
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.repeat):
            send()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    with open(args.html, "w") as handle:
        handle.write(profiler.output_html())


def request_sender(client, url: str, form: str | None):
    """A function that makes the request once, the whole answer read: GET url, or post the
    order form at url."""
    if form is None:
        return lambda: client.get(url, buffered=True)
    token, quantity_names = order_form_fields(client.get(url).get_data(as_text=True))
    return lambda: client.post(
        url, data=order_form_data(token, quantity_names, form), buffered=True
    )


def postgres_backend_cpu(app) -> Callable[[], float] | None:
    """On PostgreSQL: a function giving the CPU seconds used so far by the server processes
    (backends) serving this process's connections, read from /proc, so the server must run on
    this machine. None on SQLite, whose work is done in this process and counted there."""
    from orders.extensions import db

    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    backends = set()

    @event.listens_for(engine, "connect")
    def _note_backend(dbapi_connection, _record):
        backends.add(dbapi_connection.info.backend_pid)

    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        total = 0
        for pid in backends:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    return cpu_seconds


def time_requests(send, requests: int, batches: int = 7, server_cpu=None) -> str:
    per_batch = max(requests // batches, 1)
    milliseconds, server_milliseconds = [], []
    for _ in range(batches):
        started = time.process_time()
        server_started = server_cpu() if server_cpu else 0.0
        for _ in range(per_batch):
            send()
        milliseconds.append((time.process_time() - started) / per_batch * 1000)
        if server_cpu:
            server_milliseconds.append((server_cpu() - server_started) / per_batch * 1000)
    line = (
        f"CPU ms per request: lowest {min(milliseconds):.2f}, "
        f"median {statistics.median(milliseconds):.2f} ({batches} × {per_batch} requests)"
    )
    if server_milliseconds:
        line += (
            f"; PostgreSQL backend: lowest {min(server_milliseconds):.2f}, "
            f"median {statistics.median(server_milliseconds):.2f}"
        )
    return line


if __name__ == "__main__":
    main()
