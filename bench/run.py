"""Run the benchmark: build the data set, serve the portal and the baseline under gunicorn,
drive them from a separate load-generator process, print one table and write JSON.

    python -m bench.run [--scale full|smoke] [--requests N] [--rounds 3] [--concurrency 8]
                        [--workers 4]

SQLite (WAL) always; PostgreSQL too when BENCH_DATABASE_URL is set or a server answers on
127.0.0.1:5432 (a temporary database is created and dropped). Exits non-zero when a scenario
had an error (a non-2xx/3xx answer, a failed export, undelivered mails).
"""

import argparse
import html
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from bench import scenarios
from bench.dataset import KANTON_EMAIL, PASSWORD, SIZES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def run_quiet(command: list[str], stdin: str | None = None) -> str:
    """Run a helper process; its output is returned, its log shown only when it fails."""
    done = subprocess.run(  # noqa: S603
        command, cwd=ROOT, input=stdin, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"{' '.join(command[:3])} … failed with exit code {done.returncode}")
    return done.stdout


# --- databases ------------------------------------------------------------------------------


def postgres_server_url() -> str | None:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    except OSError:
        return None


@contextmanager
def temporary_postgres(server_url: str):
    """A fresh database on the server, dropped afterwards."""
    import psycopg

    base, _, _ = server_url.rpartition("/")
    name = f"portal_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_dataset(database_url: str, scale: str) -> dict:
    started = time.perf_counter()
    output = run_quiet(
        [
            PYTHON,
            "-c",
            "import json,sys; from bench import dataset as d;"
            f"print(json.dumps(d.build(sys.argv[1], d.SIZES[{scale!r}])))",
            database_url,
        ]
    )
    summary = json.loads(output.strip().splitlines()[-1])
    summary["seconds_total"] = round(time.perf_counter() - started, 1)
    return summary


# --- servers --------------------------------------------------------------------------------


def server_env(database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        PORTAL_ENV="production",
        SECRET_KEY="bench-" + "k" * 40,
        PORTAL_BASE_URL="https://portal.bench.invalid",
        SESSION_COOKIE_SECURE="0",  # the load generator talks plain HTTP on the loopback
        **extra,
    )
    env.pop("MAIL_SERVER", None)
    return env


@contextmanager
def gunicorn(app: str, database_url: str, workers: int):
    """gunicorn as README's production section runs it, bound to the loopback."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=server_env(database_url),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base_url + "/healthz" if app == "wsgi:app" else base_url, timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app} did not start")
        yield base_url, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def run_load(base_url: str, spec: dict) -> list[dict]:
    """The load generator in its own process, so that it does not share our interpreter."""
    output = run_quiet(
        [PYTHON, "-m", "bench.load"], stdin=json.dumps({"base_url": base_url, **spec})
    )
    return json.loads(output)


def kanton_client(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=300)
    page = client.get("/anmelden").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/anmelden", data={"csrf_token": token, "email": KANTON_EMAIL, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise RuntimeError(f"canton login answered {response.status_code}")
    return client


def deep_page_path(client: httpx.Client, first: str, page: int) -> str:
    """Follow the inbox's «Weiter» links from page 1 to the given page, as a person would."""
    path = first
    for _ in range(page - 1):
        text = client.get(path).text
        match = re.search(r'<a href="([^"]+)" rel="next"', text)
        if not match:
            raise RuntimeError(f"no next link after {path}")
        path = html.unescape(match.group(1))
    return path


# --- exports and mails ----------------------------------------------------------------------


def worker_rss(master: subprocess.Popen) -> dict[int, int]:
    result = {}
    for child in psutil.Process(master.pid).children():
        try:
            result[child.pid] = child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return result


@contextmanager
def rss_sampler(processes):
    """Sample the RSS of the given processes (a callable returning {pid: rss}) every 20 ms;
    yields a dict whose "growth" is, at the end, the largest rise of one process over its size
    at the start (a process that appears meanwhile, e.g. a restarted worker, counts from its
    first sample)."""
    before = processes()
    peak = dict(before)
    done = threading.Event()
    result = {"growth": 0}

    def sample():
        while not done.is_set():
            for pid, rss in processes().items():
                peak[pid] = max(peak.get(pid, 0), rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        done.set()
        sampler.join()
        result["growth"] = max((peak[pid] - before.get(pid, peak[pid]) for pid in peak), default=0)


def download(client: httpx.Client, path: str) -> tuple[int, int]:
    size = 0
    with client.stream("GET", path) as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
        return response.status_code, size


def measure_export(client: httpx.Client, master: subprocess.Popen, path: str) -> dict:
    """Download the export; sample every worker's RSS meanwhile. Growth: the largest rise of
    one worker over its size before the request."""
    with rss_sampler(lambda: worker_rss(master)) as rss:
        started = time.perf_counter()
        status, size = download(client, path)
        seconds = time.perf_counter() - started
    return export_result(seconds, size, rss["growth"], status)


def export_result(seconds: float, size: int, rss_growth: int, status: int) -> dict:
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_growth_mb": round(rss_growth / 2**20, 1),
        "errors": 0 if status == 200 and size > 0 else 1,
        "status": status,
    }


JOB_FILE_LINK = re.compile(r'href="(/kanton/exporte/\d+/datei)"')


def measure_export_job(
    client: httpx.Client, master: subprocess.Popen, database_url: str, scenario
) -> dict:
    """An export job as a person meets it: press the button (POST with the page's CSRF token),
    wait on the job page (it refreshes itself; polled here every 0.2 s) until the download link
    appears, download. The production export worker (`flask exporte bearbeiten --loop`) builds
    the file; time from the POST to the last byte. RSS growth: gunicorn workers and the export
    worker."""
    page = client.get(scenario.form).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "flask"), "--app", "orders", "exporte", "bearbeiten", "--loop"]
        + ["--interval", "0.2"],
        cwd=ROOT,
        env=server_env(database_url),
        stdout=subprocess.DEVNULL,
    )

    def processes() -> dict[int, int]:
        found = worker_rss(master)
        try:
            found[worker.pid] = psutil.Process(worker.pid).memory_info().rss
        except psutil.NoSuchProcess:
            pass
        return found

    status, size, job_page = 0, 0, ""
    try:
        time.sleep(2)  # the worker is up and idle, as in production
        with rss_sampler(processes) as rss:
            started = time.perf_counter()
            response = client.post(scenario.path, data={"csrf_token": token})
            status = response.status_code
            if status == 303:
                job_page = response.headers["Location"]
                deadline = started + 600
                while time.perf_counter() < deadline:
                    text = client.get(job_page).text
                    link = JOB_FILE_LINK.search(text)
                    if link:
                        status, size = download(client, link.group(1))
                        break
                    if "konnte nicht erstellt werden" in text:
                        status = 500
                        break
                    time.sleep(0.2)
                else:
                    status = 504
            seconds = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
    return export_result(seconds, size, rss["growth"], status)


class CountingSink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        return "250 OK"

    count = 0


def measure_mail_drain(database_url: str, count: int) -> dict:
    """Queue `count` mails, run `flask mail deliver --loop` against a local aiosmtpd sink and
    time it until the outbox has nothing pending."""
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text

    from orders.config import normalise_database_url

    run_quiet(
        [
            PYTHON,
            "-c",
            "import sys; from bench import dataset as d; app = d.make_app(sys.argv[1]);"
            "ctx = app.app_context(); ctx.push(); d.queue_mails(int(sys.argv[2]))",
            database_url,
            str(count),
        ]
    )
    engine = create_engine(normalise_database_url(database_url))

    def pending() -> int:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM outbox_mails WHERE status = 'pending'")
            ).scalar()

    total = pending()
    handler = CountingSink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = server_env(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))
    env["MAIL_SERVER"] = "127.0.0.1"
    started = time.perf_counter()
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "flask"), "--app", "orders", "mail", "deliver", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = started + max(120, count / 20)
        left = total
        while time.perf_counter() < deadline:
            left = pending()
            if left == 0:
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        controller.stop()
        engine.dispose()
    return {
        "mails": total,
        "delivered": handler.count,
        "seconds": round(seconds, 2),
        "mails_per_s": round(handler.count / seconds, 1) if seconds else 0.0,
        "errors": 0 if left == 0 and handler.count >= total else 1,
    }


# --- one backend ----------------------------------------------------------------------------


def bench_backend(label: str, database_url: str, args, size) -> dict:
    log(f"{label}: building the data set ({args.scale})")
    summary = build_dataset(database_url, args.scale)
    log(f"{label}: data set built in {summary['seconds_total']} s")
    spec = {
        "password": PASSWORD,
        "concurrency": args.concurrency,
        "requests": args.requests or size.requests,
        "accounts": {
            "gemeinde": summary["gemeinde_emails"][: max(args.concurrency, 1)],
            "kanton": [KANTON_EMAIL],
        },
    }
    from bench.baseline import create_table

    create_table(database_url)
    rounds_wanted = args.rounds or size.rounds
    # Both servers run side by side, and each round measures the baseline right before the
    # portal: a machine that speeds up or slows down during the run moves both alike.
    with (
        gunicorn("bench.baseline:app", database_url, args.workers) as (baseline_url, _process),
        gunicorn("wsgi:app", database_url, args.workers) as (base_url, master),
    ):
        client = kanton_client(base_url)
        http = [s.to_json() for s in scenarios.HTTP_SCENARIOS]
        first = next(s["path"] for s in http if s["name"] == "canton inbox page 1")
        deep = deep_page_path(client, first, size.inbox_page)
        for s in http:
            s["path"] = s["path"].replace("{deep_page}", deep)
            s["name"] = s["name"].replace("page N", f"page {size.inbox_page}")
        rounds = []
        for number in range(1, rounds_wanted + 1):
            log(f"{label}: round {number} of {rounds_wanted}: baseline, then portal")
            baseline = run_load(
                baseline_url,
                {
                    **spec,
                    "accounts": {},
                    "scenarios": [s.to_json() for s in scenarios.BASELINE_SCENARIOS],
                },
            )
            rounds.append(
                {"baseline": baseline, "portal": run_load(base_url, {**spec, "scenarios": http})}
            )
        exports = []
        for scenario in scenarios.EXPORT_SCENARIOS:
            log(f"{label}: {scenario.name}")
            if scenario.form:
                measured = measure_export_job(client, master, database_url, scenario)
            else:
                measured = measure_export(client, master, scenario.path)
            exports.append({"name": scenario.name, **measured})
        client.close()
    log(f"{label}: draining {size.mails} mails")
    mails = measure_mail_drain(database_url, size.mails)
    summary.pop("gemeinde_emails")
    return {
        "backend": label,
        # Other processes on the machine skew the numbers: the load average tells how much.
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "dataset": summary,
        "rounds": rounds,
        **combine(rounds),
        "exports": exports,
        "mails": mails,
    }


def combine(rounds: list[dict]) -> dict:
    """One row per scenario over the rounds: the median of req/s and of each latency, and the
    ratio to the baseline as the median of each round's ratio (with its lowest and highest)."""
    baseline = _medians([r["baseline"] for r in rounds])
    portal = _medians([r["portal"] for r in rounds])
    for index, row in enumerate(portal):
        ratios = []
        for measured in rounds:
            base = {b["baseline"]: b["rps"] for b in measured["baseline"]}
            ratios.append(measured["portal"][index]["rps"] / base[row["baseline"]])
        row["ratio"] = round(statistics.median(ratios), 2)
        row["ratio_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
    for row in baseline:
        row["ratio"], row["ratio_range"] = 1.0, [1.0, 1.0]
    return {"baseline": baseline, "portal": portal}


def _medians(runs: list[list[dict]]) -> list[dict]:
    combined = []
    for rows in zip(*runs, strict=True):
        row = dict(rows[0])
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms"):
            row[key] = round(statistics.median(r[key] for r in rows), 1)
        for key in ("requests", "errors"):
            row[key] = sum(r[key] for r in rows)
        row["error_samples"] = sorted({e for r in rows for e in r["error_samples"]})[:5]
        combined.append(row)
    return combined


def table(results: list[dict]) -> str:
    lines = [
        f"{'backend':<10} {'scenario':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'ratio':>6} {'rounds':>10} {'err':>4}"
    ]
    for result in results:
        for row in result["baseline"] + result["portal"]:
            low, high = row["ratio_range"]
            lines.append(
                f"{result['backend']:<10} {row['name']:<34} {row['rps']:>8.1f} "
                f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} "
                f"{row['ratio']:>6.2f} {f'{low:.2f}–{high:.2f}':>10} {row['errors']:>4}"
            )
        for row in result["exports"]:
            lines.append(
                f"{result['backend']:<10} {row['name']:<34} {row['seconds']:>7.2f}s "
                f"RSS +{row['rss_growth_mb']} MB, {row['bytes'] / 2**20:.1f} MB sent"
                f"{'  ERROR ' + str(row['status']) if row['errors'] else ''}"
            )
        lines.append(
            f"{result['backend']:<10} {'load average (1/5/15 min)':<34} "
            + " / ".join(str(x) for x in result["load_average"])
            + f" on {os.cpu_count()} cores"
        )
        mail = result["mails"]
        lines.append(
            f"{result['backend']:<10} {'outbox drain':<34} {mail['mails_per_s']:>8.1f} mails/s "
            f"({mail['delivered']}/{mail['mails']} in {mail['seconds']} s)"
            f"{'  ERROR' if mail['errors'] else ''}"
        )
    return "\n".join(lines)


def errors_of(results: list[dict]) -> list[str]:
    found = []
    for result in results:
        for row in result["baseline"] + result["portal"] + result["exports"] + [result["mails"]]:
            if row.get("errors"):
                found.append(
                    f"{result['backend']}: {row.get('name', 'outbox drain')}: "
                    f"{row.get('error_samples', row)}"
                )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SIZES), default="full")
    parser.add_argument("--requests", type=int, help="per scenario (default: by scale)")
    parser.add_argument(
        "--rounds", type=int, help="baseline-then-portal rounds, medians shown (default: by scale)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 4)")
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    args = parser.parse_args()
    size = SIZES[args.scale]
    results = []
    if args.backend in {"all", "sqlite"}:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            results.append(bench_backend("sqlite", f"sqlite:///{folder}/bench.db", args, size))
    server = postgres_server_url() if args.backend in {"all", "postgresql"} else None
    if server:
        with temporary_postgres(server) as url:
            results.append(bench_backend("postgresql", url, args, size))
    elif args.backend == "postgresql":
        log("no PostgreSQL: set BENCH_DATABASE_URL or run one on 127.0.0.1:5432")
        return 2
    print(table(results))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "concurrency": args.concurrency,
                "workers": args.workers,
                "results": results,
            },
            indent=2,
        )
    )
    log(f"written {out.relative_to(ROOT)}")
    problems = errors_of(results)
    for problem in problems:
        log(f"ERROR {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
