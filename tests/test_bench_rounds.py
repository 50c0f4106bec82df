"""The benchmark's table: medians over rounds, each round's portal compared with its own
baseline (bench/run.py)."""

from bench.run import combine, table


def row(name: str, rps: float, p95: float, baseline: str = "GET", errors: int = 0) -> dict:
    return {
        "name": name,
        "requests": 400,
        "errors": errors,
        "error_samples": [f"GET /x: 500 ({name})"] if errors else [],
        "seconds": 1.0,
        "rps": rps,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 2,
        "baseline": baseline,
    }


def a_round(base_get: float, base_post: float, page: float, submit: float, errors=0) -> dict:
    return {
        "baseline": [row("GET", base_get, 10), row("POST", base_post, 10, "POST")],
        "portal": [row("page", page, 40), row("submit", submit, 90, "POST", errors)],
    }


def test_ratios_compare_each_round_with_its_own_baseline():
    # The machine is twice as fast in the second round. Per round the page reaches 0.5, 0.3
    # and 0.4 of its baseline: the median is 0.4, where the medians' ratio (400 / 900) is not.
    rounds = [
        a_round(800, 700, 400, 140),
        a_round(1600, 1400, 480, 280),
        a_round(900, 700, 360, 70, errors=2),
    ]
    combined = combine(rounds)
    page, submit = combined["portal"]
    assert page["ratio"] == 0.4 and page["ratio_range"] == [0.3, 0.5]
    assert submit["ratio"] == 0.2 and submit["ratio_range"] == [0.1, 0.2]
    assert page["rps"] == 400 and page["p95_ms"] == 40
    assert submit["errors"] == 2 and submit["requests"] == 1200
    assert submit["error_samples"] == ["GET /x: 500 (submit)"]
    assert [r["ratio"] for r in combined["baseline"]] == [1.0, 1.0]


def test_the_table_shows_the_median_ratio_and_its_range():
    result = {
        "backend": "sqlite",
        "load_average": [1.0, 1.0, 1.0],
        "exports": [],
        "mails": {"mails_per_s": 300.0, "delivered": 10, "mails": 10, "seconds": 1, "errors": 0},
        **combine([a_round(800, 700, 320, 140), a_round(800, 700, 240, 70)]),
    }
    lines = table([result]).splitlines()
    page_line = next(line for line in lines if " page " in line)
    assert "0.35" in page_line and "0.30–0.40" in page_line
