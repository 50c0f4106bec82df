"""Profile one request of the portal in process with pyinstrument.

    DATABASE_URL=sqlite:////tmp/bench.db python -m bench.profile [--email …] [--repeat 5] URL

Logs in through the login form (the benchmark data set's password), requests URL once to warm
up, then `--repeat` times under the profiler; prints the call tree and writes
/tmp/profile.html.
"""

import argparse
import re

from pyinstrument import Profiler

from bench.dataset import KANTON_EMAIL, PASSWORD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--email", default=KANTON_EMAIL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--html", default="/tmp/profile.html")
    args = parser.parse_args()

    from orders import create_app

    app = create_app({"PORTAL_ENV": "development"})
    client = app.test_client()
    page = client.get("/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/anmelden", data={"csrf_token": token, "email": args.email, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"login as {args.email} answered {response.status_code}")
    print(args.url, client.get(args.url).status_code)
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.repeat):
            client.get(args.url).get_data()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    with open(args.html, "w") as handle:
        handle.write(profiler.output_html())


if __name__ == "__main__":
    main()
