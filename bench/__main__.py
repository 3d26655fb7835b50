"""``python -m bench``: run the benchmarks against BENCH_DATABASE_URL.

Default: the embedded PostgreSQL under ``var/bench`` (started here, stopped on exit).
"""

import os
from pathlib import Path

from bench import import_orgs

ROOT = Path(__file__).resolve().parents[1]


def server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    from app.db.embedded import start_embedded

    return start_embedded(ROOT / "var" / "bench", "redgrid_bench")


def main() -> None:
    url = server_url()
    import_orgs.run(url)


if __name__ == "__main__":
    main()
