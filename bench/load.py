"""The load generator: a separate process that drives one server with logged-in sessions.

    python -m bench.load < spec.json > result.json

The spec names the server, the accounts, the concurrency and the scenarios (see run.py). Each
of the `concurrency` virtual users logs in with its own account through the login form (a real
CSRF token scraped from the page), then the scenario's requests are shared among them. Prints
per scenario: requests, errors, seconds, requests/s and p50/p95/p99 latency in ms.
"""

import asyncio
import json
import re
import sys
import time
import uuid

import httpx

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
QUANTITY_RE = re.compile(r'name="(qty__[^"]+)"')
ORDER_FIELDS = {
    "delivery_recipient": "Einwohnerdienste",
    "delivery_street": "Hauptstrasse 1",
    "delivery_zip": "4500",
    "delivery_town": "Solothurn",
    "contact_name": "Bench Nutzer",
    "contact_email": "bench@gemeinde.bench.ch",
    "contact_phone": "032 000 00 00",
    "desired_date": "",
    "remarks": "Bitte an den Schalter liefern.",
}


class ScenarioError(RuntimeError):
    pass


def order_form_data(token: str, quantity_names: list[str], form: str) -> dict:
    """The order form as a clerk fills it, three quantities and a fresh submission key: checked
    (`form` "order-check") or submitted ("order-submit"). Also used by bench/profile.py."""
    data = {
        **ORDER_FIELDS,
        "csrf_token": token,
        "submission_key": uuid.uuid4().hex,
        "action": "submit" if form == "order-submit" else "check",
    }
    for name in quantity_names[:3]:
        data[name] = "2"
    return data


def csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    if not match:
        raise ScenarioError("no CSRF token on the page")
    return match.group(1)


def order_form_fields(page: str) -> tuple[str, list[str]]:
    """The CSRF token and the quantity fields' names of an order form page."""
    return csrf(page), QUANTITY_RE.findall(page)


async def log_in(base_url: str, email: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=120, follow_redirects=False)
    page = await client.get("/anmelden")
    response = await client.post(
        "/anmelden", data={"csrf_token": csrf(page.text), "email": email, "password": password}
    )
    if response.status_code != 302:
        raise ScenarioError(f"login of {email} answered {response.status_code}")
    return client


class VirtualUser:
    def __init__(self, client: httpx.AsyncClient, email: str):
        self.client = client
        self.email = email
        # user3.2581@gemeinde.bench.ch → 2581 (the account's municipality)
        match = re.search(r"\.(\d+)@", email)
        self.bfs_nr = int(match.group(1)) if match else 0
        self.forms: dict[str, tuple[str, list[str]]] = {}

    async def form(self, path: str) -> tuple[str, list[str]]:
        """The CSRF token and quantity field names of the order form (loaded once)."""
        if path not in self.forms:
            response = await self.client.get(path)
            if response.status_code != 200:
                raise ScenarioError(f"GET {path} answered {response.status_code}")
            self.forms[path] = order_form_fields(response.text)
        return self.forms[path]

    async def request(self, scenario: dict) -> httpx.Response:
        path = scenario["path"].format(bfs_nr=self.bfs_nr)
        if scenario["method"] == "GET":
            return await self.client.get(path)
        if scenario["form"] is None:
            return await self.client.post(path, data={"note": "x"})
        token, quantities = await self.form(path)
        return await self.client.post(
            path, data=order_form_data(token, quantities, scenario["form"])
        )


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


async def run_scenario(users: list[VirtualUser], scenario: dict, requests: int) -> dict:
    for user in users:  # warm up: forms loaded, connections open
        if scenario["form"]:
            await user.form(scenario["path"].format(bfs_nr=user.bfs_nr))
    latencies: list[float] = []
    errors: list[str] = []
    remaining = iter(range(requests))

    async def worker(user: VirtualUser) -> None:
        for _ in remaining:
            started = time.perf_counter()
            try:
                response = await user.request(scenario)
                await response.aread()
                status = response.status_code
            except (httpx.HTTPError, ScenarioError) as error:
                status, response = 0, error
            latencies.append(time.perf_counter() - started)
            if status != scenario["expect"]:
                errors.append(f"{scenario['method']} {scenario['path']}: {status}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(user) for user in users))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "name": scenario["name"],
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "baseline": scenario["baseline"],
    }


async def main(spec: dict) -> list[dict]:
    base_url = spec["base_url"]
    concurrency = spec["concurrency"]
    sessions: dict[str, list[VirtualUser]] = {}
    for role, emails in spec["accounts"].items():
        chosen = (emails * concurrency)[:concurrency]
        clients = [await log_in(base_url, email, spec["password"]) for email in chosen]
        sessions[role] = [VirtualUser(c, e) for c, e in zip(clients, chosen, strict=True)]
    sessions["baseline"] = [
        VirtualUser(httpx.AsyncClient(base_url=base_url, timeout=120), "")
        for _ in range(concurrency)
    ]
    results = []
    try:
        for scenario in spec["scenarios"]:
            results.append(
                await run_scenario(sessions[scenario["role"]], scenario, spec["requests"])
            )
    finally:
        for users in sessions.values():
            for user in users:
                await user.client.aclose()
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
