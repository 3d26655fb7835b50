"""``redgrid worker`` as production runs it: a separate process, started, killed
(SIGKILL, mid-delivery) and started again by the test, as a supervisor would."""

import json
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import make_settings
from tests.support.cli import ROOT, redgrid_argv, redgrid_env


def worker_settings(**overrides: str) -> dict[str, str]:
    """The environment of a worker sharing the tests' secrets (webhook secrets are
    encrypted with the PII key) and allowed to call receivers on loopback."""
    settings = make_settings()
    values = {
        "REDGRID_ENV": "test",
        "REDGRID_SECRET_KEY": settings.secret_key,
        "REDGRID_PII_KEY": settings.pii_key,
        "REDGRID_LOG_JSON": "false",
        "REDGRID_LOG_LEVEL": "WARNING",
        "REDGRID_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "REDGRID_WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    values.update(overrides)
    return values


def retry_schedule(seconds: Sequence[float]) -> str:
    return json.dumps(list(seconds))


class WorkerProcess:
    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.database_url = database_url
        self.settings = worker_settings(**settings)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                redgrid_argv("worker", "--concurrency", "4"),
                cwd=ROOT,
                env=redgrid_env(self.database_url, **self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback from the inside; the connection just drops."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
