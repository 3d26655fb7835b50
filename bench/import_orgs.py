"""Import benchmark: a 100,000-node hierarchy through ``POST /api/v1/org-units/import``.

Generates 1 town → 20 communities → 10 grids each → 25 buildings each → households
filling up to 100,000 nodes, as csv and as xlsx, then imports each file into a fresh
database through the HTTP API in-process (httpx ASGITransport on ``create_app``).
For each format it reports the wall time of the request and peak memory: the peak
RSS of the process (``getrusage``) before and after, and the tracemalloc peak of
Python allocations in a second, traced run (tracing slows Python down, so the
timed run is untraced).

The database server is ``BENCH_DATABASE_URL`` (its database is dropped and
recreated for every run), default the embedded server under ``var/bench``.
"""

import asyncio
import csv
import gc
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app.authz.tokens import issue_access_token
from app.config import Settings
from app.db.session import libpq_url

TOTAL = 100_000
COMMUNITIES = 20
GRIDS_PER_COMMUNITY = 10
BUILDINGS_PER_GRID = 25
HEADER = (
    "code",
    "name",
    "level",
    "parent_code",
    "grid_kind",
    "address",
    "contact_name",
    "contact_phone",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hierarchy() -> Iterator[tuple[str, ...]]:
    """The rows, parents first; households are spread evenly over the buildings."""
    buildings = COMMUNITIES * GRIDS_PER_COMMUNITY * BUILDINGS_PER_GRID
    households = TOTAL - 1 - COMMUNITIES - COMMUNITIES * GRIDS_PER_COMMUNITY - buildings
    yield ("BT", "基准镇", "town", "", "", "基准镇人民路 1 号", "周主任", "0769-22000000")
    index = 0
    for c in range(1, COMMUNITIES + 1):
        community = f"BT-C{c:02d}"
        yield (community, f"第{c}社区", "community", "BT", "", f"人民路 {c} 号", "", "")
        for g in range(1, GRIDS_PER_COMMUNITY + 1):
            grid = f"{community}-G{g:02d}"
            kind = ("compound", "street", "functional")[g % 3]
            yield (grid, f"第{c}社区{g}网格", "grid", community, kind, "", "网格员", "13800000000")
            for b in range(1, BUILDINGS_PER_GRID + 1):
                building = f"{grid}-B{b:02d}"
                yield (building, f"{b}号楼", "building", grid, "", "", "", "")
                share = households // buildings + (1 if index < households % buildings else 0)
                index += 1
                for h in range(1, share + 1):
                    yield (
                        f"{building}-H{h:02d}",
                        f"{h}01 中心户",
                        "household",
                        building,
                        "",
                        "",
                        "",
                        "",
                    )


def write_csv(path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        n = 0
        for row in hierarchy():
            writer.writerow(row)
            n += 1
    return n


def write_xlsx(path: Path) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("org_units")
    sheet.append(list(HEADER))
    n = 0
    for row in hierarchy():
        sheet.append([v or None for v in row])
        n += 1
    workbook.save(path)
    return n


def fresh_database(server_url: str, name: str) -> str:
    url = make_url(server_url)
    admin = libpq_url(url.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


async def _superuser(app: object, settings: Settings) -> dict[str, str]:
    from app.users import service as users_service

    async with app.state.session_factory() as session:  # type: ignore[attr-defined]
        user = await users_service.create_superuser(
            session, username="bench", password="Bench!pass123"
        )
        await session.commit()
    token, _ = issue_access_token(settings, f"user:{user.id}")
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Result:
    seconds: float
    created: int
    maxrss_before_mb: float
    maxrss_after_mb: float
    rss_after_mb: float
    rss_baseline_mb: float
    rss_peak_mb: float
    traced_peak_mb: float | None = None
    export_seconds: float = 0.0
    export_mb: float = 0.0


class RssSampler:
    """Samples the resident set size while a request runs: its own peak, unlike
    ``ru_maxrss``, which keeps the highest value of the whole process lifetime."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.baseline = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _maxrss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def import_once(server_url: str, path: Path, media: str, *, traced: bool) -> Result:
    """A fresh, migrated database, then one import through the API."""
    from app.cli import migrate

    url = fresh_database(server_url, f"{make_url(server_url).database or 'redgrid_bench'}_import")
    migrate(url)
    return asyncio.run(_import(url, path, media, traced=traced))


async def _import(url: str, path: Path, media: str, *, traced: bool) -> Result:
    import app.db.models  # noqa: F401  (every mapper configured)
    from app.main import create_app

    settings = Settings(log_level="WARNING", log_json=False, secret_key="bench-" + "k" * 40)
    application = create_app(settings, database_url=url)
    try:
        headers = await _superuser(application, settings)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=600
        ) as client:
            gc.collect()
            before = _maxrss_mb()
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            with path.open("rb") as upload, RssSampler() as sampler:
                response = await client.post(
                    "/api/v1/org-units/import",
                    files={"file": (path.name, upload, media)},
                    headers=headers,
                )
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
            if traced:
                tracemalloc.stop()
            after = _maxrss_mb()
            if response.status_code != 201:
                raise RuntimeError(f"import failed: {response.status_code} {response.text[:2000]}")
            started = time.perf_counter()
            exported = await client.get(
                "/api/v1/org-units/export", params={"format": path.suffix[1:]}, headers=headers
            )
            export_seconds = time.perf_counter() - started
            exported.raise_for_status()
        created = int(response.json()["created"])
        async with application.state.session_factory() as session:
            from sqlalchemy import text

            stored = await session.scalar(text("SELECT count(*) FROM org_unit"))
        if stored != created:
            raise RuntimeError(f"{created} reported, {stored} stored")
        rss = psutil.Process().memory_info().rss / 2**20
        return Result(
            seconds=seconds,
            created=created,
            maxrss_before_mb=before,
            maxrss_after_mb=after,
            rss_after_mb=rss,
            rss_baseline_mb=sampler.baseline / 2**20,
            rss_peak_mb=sampler.peak / 2**20,
            traced_peak_mb=peak,
            export_seconds=export_seconds,
            export_mb=len(exported.content) / 2**20,
        )
    finally:
        await application.state.engine.dispose()


def run(server_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="redgrid-bench-") as folder:
        files = {
            "csv": (Path(folder) / "org_units.csv", "text/csv", write_csv),
            "xlsx": (Path(folder) / "org_units.xlsx", XLSX, write_xlsx),
        }
        print(
            f"org-unit import: {TOTAL:,} nodes (1 town, {COMMUNITIES} communities, "
            f"{COMMUNITIES * GRIDS_PER_COMMUNITY} grids, "
            f"{COMMUNITIES * GRIDS_PER_COMMUNITY * BUILDINGS_PER_GRID} buildings, households)"
        )
        for name, (path, _, write) in files.items():
            started = time.perf_counter()
            rows = write(path)
            print(
                f"  generated {name}: {rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB "
                f"in {time.perf_counter() - started:.1f} s"
            )
        for name, (path, media, _) in files.items():
            timed = import_once(server_url, path, media, traced=False)
            traced = import_once(server_url, path, media, traced=True)
            print(
                f"  import {name:<4}: {timed.created:,} created in {timed.seconds:.1f} s "
                f"({timed.created / timed.seconds:,.0f} rows/s)\n"
                f"    RSS during the request {timed.rss_baseline_mb:.0f} → "
                f"{timed.rss_peak_mb:.0f} MiB (+{timed.rss_peak_mb - timed.rss_baseline_mb:.0f}); "
                f"ru_maxrss {timed.maxrss_before_mb:.0f} → {timed.maxrss_after_mb:.0f} MiB; "
                f"tracemalloc peak {traced.traced_peak_mb:.1f} MiB "
                f"(traced run {traced.seconds:.1f} s)"
            )
            print(
                f"  export {name:<4}: {timed.export_mb:.1f} MiB in {timed.export_seconds:.1f} s "
                "(whole tree, superuser)"
            )
