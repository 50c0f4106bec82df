"""Profile one request of the portal in process with pyinstrument, or time it.

    DATABASE_URL=sqlite:////tmp/bench.db python -m bench.profile [--email …] [--repeat 5] URL
    DATABASE_URL=sqlite:////tmp/bench.db python -m bench.profile --time 700 URL
    DATABASE_URL=… python -m bench.profile --email <Gemeinde account> --form order-submit URL

Logs in through the login form (the benchmark data set's password), requests URL once to warm
up, then `--repeat` times under the profiler; prints the call tree and writes
/tmp/profile.html. With `--time N` it profiles nothing and prints the CPU milliseconds per
request over N requests in 7 batches (lowest and median batch). Run it before and after a
change, alternately and a few times: between runs the numbers move by up to 10 % on this
machine, and a smaller gain cannot be told from that.

`--form order-check` / `order-submit`: URL is an order form; each request posts it as the load
generator does (bench/load.py), checked or submitted (every submission a new order).
"""

import argparse
import statistics
import time

from pyinstrument import Profiler

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
        print(time_requests(send, args.time))
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


def time_requests(send, requests: int, batches: int = 7) -> str:
    per_batch = max(requests // batches, 1)
    milliseconds = []
    for _ in range(batches):
        started = time.process_time()
        for _ in range(per_batch):
            send()
        milliseconds.append((time.process_time() - started) / per_batch * 1000)
    return (
        f"CPU ms per request: lowest {min(milliseconds):.2f}, "
        f"median {statistics.median(milliseconds):.2f} ({batches} × {per_batch} requests)"
    )


if __name__ == "__main__":
    main()
