"""``python -m bench [import|http|points|lag ...]``: run benchmarks against BENCH_DATABASE_URL.

Default: every benchmark, against the embedded PostgreSQL under ``var/bench`` (started
here, stopped on exit). Each is bounded and stops by itself; none runs in the tests.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    from app.db.embedded import start_embedded

    return start_embedded(ROOT / "var" / "bench", "redgrid_bench")


def main() -> None:
    if sys.argv[1:2] == ["lag"] and len(sys.argv) > 2:
        # `python -m bench lag --rate 200 --workers 2`: the options go to that benchmark.
        from bench import delivery_lag

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        delivery_lag.main()
        return
    chosen = sys.argv[1:] or ["import", "http", "points", "lag"]
    url = server_url()
    for name in chosen:
        if name == "import":
            from bench import import_orgs

            import_orgs.run(url)
        elif name == "http":
            from bench import http_baseline
            from tests.support.databases import base_name, database_url

            http_baseline.run(database_url(url, f"{base_name(url)}_http"))
        elif name == "lag":
            from bench import delivery_lag

            delivery_lag.run(url)
        elif name == "points":
            from bench import points_ledger

            sys.argv = [sys.argv[0]]
            points_ledger.main()
        else:
            raise SystemExit(f"unknown benchmark {name!r}: choose import, http, points or lag")


if __name__ == "__main__":
    main()
