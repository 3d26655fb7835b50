"""Running ``redgrid`` as a user runs it: a real process with only the settings it is given."""

import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]

STRONG_SECRETS = {"REDGRID_SECRET_KEY": "s" * 40, "REDGRID_PII_KEY": "p" * 40}
"""Secrets long enough for ``REDGRID_ENV=production``."""


def redgrid_env(database_url: str | None = None, **settings: str) -> dict[str, str]:
    """This environment without its redgrid settings, plus ``database_url`` and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDGRID_")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env["REDGRID_LOG_LEVEL"] = "WARNING"
    env.update(settings)
    return env


def redgrid_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def redgrid(
    *args: str, database_url: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        redgrid_argv(*args),
        cwd=ROOT,
        env=redgrid_env(database_url, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def taken_port() -> socket.socket:
    """A socket listening on a free loopback port: that port is taken while it is open."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


class LineReader:
    """The lines a running process writes, readable with a deadline (a hung process fails
    the test instead of hanging it)."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, marker: str, timeout: float = 120) -> str:
        """Read up to the first line containing ``marker``; return it."""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"output ended before {marker!r}: {''.join(self.seen)}")
            self.seen.append(line)
            if marker in line:
                return line
