"""``redgrid`` command line: serve, worker, migrate, seed-demo, create-admin, openapi.

Every command resolves the database the same way as ``make run``: ``DATABASE_URL``
when set, else the embedded PostgreSQL under ``var/``.
"""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from app.config import Settings, get_settings
from app.observability import configure_logging

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


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.demo.town import seed_demo

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
    import uvicorn

    from app.main import create_app

    url = _database_url(settings)
    if args.migrate:
        migrate(url)
    if args.seed_demo:
        from app.demo.town import print_demo_logins, seed_demo

        asyncio.run(_with_session(url, settings, seed_demo))
    app = create_app(settings, database_url=url, run_worker=args.with_worker)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"redgrid serving on http://{host}:{port}  ·  API docs: http://{host}:{port}/docs")
    if args.seed_demo:
        print_demo_logins()
    sys.stdout.flush()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it; a default handler
    # would kill the process before atexit stops the embedded PostgreSQL.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)
    print("redgrid stopped", flush=True)
    return 0


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


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.worker import open_queue

    url = _database_url(settings)

    async def run() -> None:
        async with open_queue(url) as queue:
            await queue.run_worker_async(concurrency=args.concurrency)

    asyncio.run(run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redgrid", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--seed-demo", action="store_true", help="seed the demo town if empty")
    serve.add_argument("--with-worker", action="store_true", help="run the job worker in-process")
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

    spec = sub.add_parser("openapi", help="print or write the OpenAPI document")
    spec.add_argument("--output", "-o", default="-")
    spec.set_defaults(func=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, json_format=settings.log_json)
    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
