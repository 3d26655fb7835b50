"""redgrid as production runs it past one process: ``redgrid serve --workers N`` (N API
processes sharing one port, under uvicorn's supervisor) and separate ``redgrid worker``
processes, all on one database, started and stopped by the test."""

import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import psycopg

from app.db.session import libpq_url
from tests.support.cli import ROOT, LineReader, redgrid_argv, redgrid_env
from tests.support.workers import worker_settings

BANNER = re.compile(r"redgrid serving on http://([^/\s]+)")


class ApiCluster:
    """``redgrid serve --workers N --port 0``, with a small pool per process (the test
    machine's PostgreSQL is shared) that queues rather than answers 503 under a burst."""

    def __init__(self, database_url: str, log: Path, *, workers: int = 3, **settings: str) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log = log
        self.settings = worker_settings(
            REDGRID_LOG_LEVEL="INFO",
            REDGRID_DB_POOL_SIZE="3",
            REDGRID_DB_MAX_OVERFLOW="2",
            REDGRID_DB_POOL_TIMEOUT="120",
            REDGRID_CLIENT_RATE_LIMIT="",
            **settings,
        )
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, within: float = 120) -> "ApiCluster":
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                redgrid_argv("serve", "--port", "0", "--workers", str(self.workers)),
                cwd=ROOT,
                env=redgrid_env(self.database_url, **self.settings),
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        banner = LineReader(self.process.stdout).until("redgrid serving on", timeout=within)  # type: ignore[arg-type]
        match = BANNER.search(banner)
        assert match, banner
        self.url = f"http://{match.group(1)}"
        # Every worker process has built its app (its lifespan ran): only then does
        # the kernel spread connections over all of them.
        deadline = time.monotonic() + within
        while self.output().count("Application startup complete") < self.workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"the API processes did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def children(self) -> list[psutil.Process]:
        """The API processes (not multiprocessing's resource tracker)."""
        assert self.process is not None
        return [
            child
            for child in psutil.Process(self.process.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
        ]

    def database_connections(self) -> dict[int, int]:
        """Connections each API process holds to the database, by process id (each
        names itself ``redgrid/<pid>`` to the server)."""
        pids = [child.pid for child in self.children()]
        with psycopg.connect(libpq_url(self.database_url), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity"
                " WHERE application_name = ANY(%s) GROUP BY 1",
                ([f"redgrid/{pid}" for pid in pids],),
            ).fetchall()
        held = {int(name.removeprefix("redgrid/")): n for name, n in rows}
        return {pid: held.get(pid, 0) for pid in pids}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for child in self.children():
                    child.kill()
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
