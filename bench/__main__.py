"""``python -m bench [import|http|points|lag|district|district-http|scale|statements ...]``:
run benchmarks.

Against BENCH_DATABASE_URL.

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
    if sys.argv[1:2] in (["district"], ["scale"], ["district-http"]):
        # `python -m bench district --scale 0.01`: district scale, by request only.
        from bench import district, district_http, scale

        chosen_main = {
            "district": district.main,
            "scale": scale.main,
            "district-http": district_http.main,
        }[sys.argv[1]]
        chosen_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["statements"]:
        # `python -m bench statements --show`: statements and CPU per request, in process.
        from bench import statements

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        statements.main()
        return
    if sys.argv[1:2] in (["lag"], ["http"]) and len(sys.argv) > 2:
        # `python -m bench lag --rate 200 --workers 2`: the options go to that benchmark.
        from bench import delivery_lag, http_load

        chosen_main = delivery_lag.main if sys.argv[1] == "lag" else http_load.main
        sys.argv = [sys.argv[0], *sys.argv[2:]]
        chosen_main()
        return
    chosen = sys.argv[1:] or ["import", "http", "points", "lag"]
    url = server_url()
    for name in chosen:
        if name == "import":
            from bench import import_orgs

            import_orgs.run(url)
        elif name == "http":
            from bench import http_load

            http_load.run(url)
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
