"""``redgrid`` command line: serve, worker, migrate, seed-demo, create-admin, openapi.

Every command resolves the database the same way as ``make run``: ``DATABASE_URL``
when set, else the embedded PostgreSQL under ``var/``.
"""

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Settings, get_settings, refuse_public_bind
from app.observability import configure_logging

if TYPE_CHECKING:
    import uvicorn
    from pydantic import ValidationError

logger = logging.getLogger("redgrid.cli")


def _database_url(settings: Settings) -> str:
    from app.db.embedded import resolve_database_url

    return resolve_database_url(settings)


def migrate(url: str, revision: str = "head") -> None:
    from alembic import command

    from app.ops.service import alembic_config

    config = alembic_config()
    config.attributes["url"] = url
    command.upgrade(config, revision)


async def _with_session(url: str, settings: Settings, work):  # type: ignore[no-untyped-def]
    import app.db.models  # noqa: F401  (every mapper must be configured before use)
    from app.db.session import create_engine, create_session_factory
    from app.points import handlers as _points_handlers  # noqa: F401  (orders closed award)

    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(_database_url(settings), args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def _refuse_demo(settings: Settings) -> str | None:
    """The demo superuser's password is published: development only."""
    if settings.env != "development":
        return f"error: the demo town is for development only (REDGRID_ENV={settings.env})"
    return None


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.demo.town import seed_demo

    if refusal := _refuse_demo(settings):
        print(refusal, file=sys.stderr)
        return 1
    url = _database_url(settings)
    migrate(url)
    created = asyncio.run(_with_session(url, settings, seed_demo))
    print("demo data seeded" if created else "demo data already present; nothing changed")
    return 0


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from app.errors import AppError
    from app.users import service

    url = _database_url(settings)

    async def work(session):  # type: ignore[no-untyped-def]
        return await service.create_superuser(
            session, username=args.username, password=args.password
        )

    try:
        account = asyncio.run(_with_session(url, settings, work))
    except AppError as exc:
        print(f"error: {exc.code}: {exc.detail('zh')} / {exc.detail('en')}", file=sys.stderr)
        return 1
    print(f"administrator {account.username!r} created (id {account.id})")
    return 0


def cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    from app.main import render_openapi

    text = render_openapi()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    host = settings.host if args.host is None else args.host
    port = settings.port if args.port is None else args.port
    refusal = refuse_public_bind(settings, host) or (
        _refuse_demo(settings) if args.seed_demo else None
    )
    if not refusal and args.workers > 1 and args.with_worker:
        refusal = (
            "error: --with-worker runs the job worker inside the one API process; with"
            " --workers N run the job workers as their own processes (`redgrid worker`)"
        )
    if refusal:
        print(refusal if refusal.startswith("error:") else f"error: {refusal}", file=sys.stderr)
        return 1
    # Listen before anything is started or printed: a taken port is one line and an
    # exit, with no database started, migrated or seeded for nothing.
    try:
        sock = _listen(host, port)
    except OSError as exc:
        print(_cannot_listen(host, port, exc), file=sys.stderr)
        return 1
    with sock:
        url = _database_url(settings)
        if args.migrate:
            migrate(url)
        demo_logins: Callable[[], None] | None = None
        if args.seed_demo:
            from app.demo.town import print_demo_logins, seed_demo

            asyncio.run(_with_session(url, settings, seed_demo))
            demo_logins = print_demo_logins
        if args.workers > 1:
            _serve_workers(sock, url, args.workers, demo_logins=demo_logins)
            print("redgrid stopped", flush=True)
            return 0
        import uvicorn

        from app.main import create_app

        app = create_app(settings, database_url=url, run_worker=args.with_worker)
        config = uvicorn.Config(app, host=host, port=port, log_config=None, proxy_headers=True)
        server = _announcing_server(config, demo_logins=demo_logins)
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it; a default handler
        # would kill the process before atexit stops the embedded PostgreSQL.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    print("redgrid stopped", flush=True)
    return 0


def _serve_workers(
    sock: socket.socket, url: str, workers: int, *, demo_logins: Callable[[], None] | None
) -> None:
    """``workers`` API processes sharing one listening socket (uvicorn's supervisor:
    each is a fresh interpreter that builds its own app and pool, and one that dies is
    replaced). The database is resolved once, here, and handed down by ``DATABASE_URL``,
    so the embedded server is started by this process only and lives as long as it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ["DATABASE_URL"] = url
    config = uvicorn.Config(
        "app.main:create_served_app",
        factory=True,
        workers=workers,
        log_config=None,
        proxy_headers=True,
    )
    # The socket listens already: connections wait in its backlog until a worker
    # accepts them, so the address is served from this line on.
    _print_banner(sock, demo_logins=demo_logins, workers=workers)
    Multiprocess(config, sockets=[sock]).run()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket for uvicorn (``--port 0`` picks a free port).

    Listening at once, not only binding: with ``SO_REUSEADDR`` Linux lets two
    processes bind the same port until one of them listens.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"error: port {port} on {host} is already in use; choose another one with"
            f" REDGRID_PORT (`REDGRID_PORT={port + 1} make run`) or"
            f" `redgrid serve --port {port + 1}`"
        )
    return (
        f"error: cannot listen on {host}:{port} ({exc.strerror or exc}); choose another"
        " address with REDGRID_HOST / REDGRID_PORT or `redgrid serve --host … --port …`"
    )


def _announcing_server(
    config: "uvicorn.Config", *, demo_logins: Callable[[], None] | None
) -> "uvicorn.Server":
    """uvicorn's server, printing the banner only once it accepts requests."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and sockets:
                _print_banner(sockets[0], demo_logins=demo_logins)

    return Server(config)


def _print_banner(
    sock: socket.socket, *, demo_logins: Callable[[], None] | None, workers: int = 1
) -> None:
    host, port = sock.getsockname()[:2]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    processes = f"  ·  {workers} worker processes" if workers > 1 else ""
    print(f"redgrid serving on http://{address}  ·  API docs: http://{address}/docs{processes}")
    if demo_logins is not None:
        demo_logins()
    sys.stdout.flush()


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def cmd_verify_ledger(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute the red points ledger; print each difference; exit 1 on any."""
    from app.points import verify

    def emit(message: str) -> None:
        print(message, flush=True)

    report = asyncio.run(verify.run(settings, _database_url(settings), emit=emit))
    print(report.summary())
    return 0 if report.clean else 1


async def rotate_pii_keys(settings: Settings, url: str, batch_size: int = 500):  # type: ignore[no-untyped-def]
    """Re-encrypt people's ID and mobile numbers under the active key, one transaction
    per batch (the API keeps running; an interrupted run is simply run again)."""
    import app.db.models  # noqa: F401  (every mapper must be configured before use)
    from app.db.sealed import keyring_of_dialect
    from app.db.session import create_engine, create_session_factory
    from app.people.rotation import RotationCounts, rotate_batch

    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    ring = keyring_of_dialect(engine.sync_engine.dialect)
    total = RotationCounts()
    try:
        while True:
            async with create_session_factory(engine)() as session, session.begin():
                batch = await rotate_batch(session, ring, total.last_id, batch_size)
            total.add(batch)
            if batch.scanned < batch_size:
                return total
    finally:
        await engine.dispose()


def cmd_rotate_pii_key(args: argparse.Namespace, settings: Settings) -> int:
    counts = asyncio.run(rotate_pii_keys(settings, _database_url(settings), args.batch_size))
    older = ", ".join(f"key {k}: {n}" for k, n in sorted(counts.by_key.items())) or "none"
    print(
        f"active key {settings.pii_key_id}: {counts.scanned} people scanned, "
        f"{counts.id_numbers} ID numbers and {counts.mobiles} mobile numbers re-encrypted, "
        f"{counts.hashes_filled} mobile indexes filled (values under older keys: {older})"
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.worker import open_queue, run_worker

    url = _database_url(settings)

    async def run() -> None:
        # SIGTERM and SIGINT cancel the worker, which lets running jobs finish (for up
        # to 30 s) and stops; anything else that stops it, it recovers from.
        main = asyncio.current_task()
        assert main is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, main.cancel)
        async with open_queue(url) as queue:
            with contextlib.suppress(asyncio.CancelledError):
                await run_worker(
                    queue,
                    url,
                    concurrency=args.concurrency,
                    install_signal_handlers=False,
                    shutdown_graceful_timeout=30,
                )

    asyncio.run(run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redgrid", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="address to listen on (default: REDGRID_HOST, 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, help="port to listen on (default: REDGRID_PORT, 8000; 0: any free port)"
    )
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--seed-demo", action="store_true", help="seed the demo town if empty")
    serve.add_argument("--with-worker", action="store_true", help="run the job worker in-process")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="API processes sharing the port (default 1); run job workers with `redgrid worker`",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background job worker")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(func=cmd_worker)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="seed the demo town (only into an empty database)")
    seed.set_defaults(func=cmd_seed_demo)

    admin = sub.add_parser("create-admin", help="create the first administrator")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    admin.set_defaults(func=cmd_create_admin)

    ledger = sub.add_parser(
        "verify-ledger", help="recompute the red points ledger and report every difference"
    )
    ledger.set_defaults(func=cmd_verify_ledger)

    rotate = sub.add_parser(
        "rotate-pii-key",
        help="re-encrypt ID and mobile numbers under REDGRID_PII_KEY_ID, batch by batch",
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.set_defaults(func=cmd_rotate_pii_key)

    spec = sub.add_parser("openapi", help="print or write the OpenAPI document")
    spec.add_argument("--output", "-o", default="-")
    spec.set_defaults(func=cmd_openapi)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    from app.db.embedded import DatabaseUrlRequired

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError, or a setting that is not JSON
        reason = _one_line(exc) if isinstance(exc, ValidationError) else exc
        print(f"error: invalid settings: {reason}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, json_format=settings.log_json)
    try:
        result: int = args.func(args, settings)
    except DatabaseUrlRequired as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result


def _one_line(exc: "ValidationError") -> str:
    """pydantic's report without its banner, input echo and links (inputs may be secrets)."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        loc = error["loc"]
        problems.append(f"REDGRID_{str(loc[0]).upper()}: {message}" if loc else message)
    return "; ".join(problems)


if __name__ == "__main__":
    raise SystemExit(main())
