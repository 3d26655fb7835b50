"""The ASGI application: ``create_app()`` wires settings, database, errors and routes."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.api import api_router
from app.authz.cache import PrincipalCache
from app.config import Settings, get_settings
from app.db.embedded import resolve_database_url
from app.db.session import create_engine, create_session_factory
from app.docs import mount_docs
from app.handlers import refuse_shadowed_method, register_exception_handlers
from app.kit.nonces import PostgresNonces
from app.kit.ratelimit import RateLimiter, create_storage
from app.kit.signing import HEADERS as SIGNATURE_HEADERS
from app.kit.signing import CaptureSignedBody
from app.middleware import RequestContextMiddleware
from app.observability import POOL_COLLECTOR, configure_logging
from app.openapi import OPENAPI_TAGS, install, render, unique_id
from app.ops.router import router as ops_router
from app.orders.open311.router import router as open311_router

# In-transaction subscribers register on import (closing an order awards points).
from app.points import handlers as _points_handlers  # noqa: F401  # isort: skip
from app.worker import open_queue
from app.worker import run_worker as run_job_worker

# The engine is created lazily and never connects while rendering the schema.
_NO_DATABASE = "postgresql://openapi@127.0.0.1:9/none"

logger = logging.getLogger(__name__)

# Bearer tokens, not cookies: no credentials mode, so a refused origin learns nothing.
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
    *SIGNATURE_HEADERS,
]
CORS_EXPOSED = ["ETag", "Location", "Retry-After", "X-Request-ID", "Content-Disposition"]

DESCRIPTION = """
党建引领网格化治理 API — residents order services (居民点单), staff dispatch them
(社区派单), party members take them on (党员接单) and earn red points (红色积分),
across the five-level hierarchy 镇 → 社区 → 网格 → 楼栋 → 党员中心户.

Errors are RFC 9457 problem details (`application/problem+json`) with a stable
`code`; messages are Chinese by default, English with `Accept-Language: en`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    url = database_url or resolve_database_url(settings)
    app = FastAPI(
        title="redgrid",
        version="0.1.0",
        summary="党建引领网格化治理 · Party-building-led grid governance",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        lifespan=_lifespan,
        generate_unique_id_function=unique_id,
        openapi_tags=OPENAPI_TAGS,
        dependencies=[Depends(refuse_shadowed_method)],
    )
    engine = create_engine(settings, url)
    POOL_COLLECTOR.engines.add(engine)
    app.state.settings = settings
    app.state.database_url = url
    app.state.engine = engine
    replica = (
        create_engine(settings, settings.read_database_url) if settings.read_database_url else None
    )
    app.state.read_engine = replica
    app.state.session_factory = create_session_factory(engine, replica)
    app.state.rate_limiter = RateLimiter(
        create_storage(lambda: app.state.session_factory, settings.redis_url)
    )
    app.state.nonce_store = PostgresNonces(lambda: app.state.session_factory)
    app.state.run_worker = run_worker
    app.state.principal_cache = PrincipalCache(settings.principal_cache_seconds)

    # Inside the body limit: keeps the body of a signed request for its verification.
    app.add_middleware(CaptureSignedBody)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        # HSTS (RFC 6797) wherever clients reach us over HTTPS: every environment but
        # development, and development too when the request came over https.
        hsts=settings.env != "development",
        max_file_bytes=settings.max_file_bytes,
    )
    if settings.cors_origins:
        # Added last, so outermost: preflights are answered before anything else runs,
        # and every response (413s and 500s from the inner middleware included) carries
        # the CORS headers a browser needs to read the problem body.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )
    register_exception_handlers(app)
    install(app)
    app.include_router(ops_router)
    app.include_router(api_router)
    app.include_router(open311_router)
    if settings.docs_enabled:
        mount_docs(app)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        if app.state.run_worker:
            queue = await stack.enter_async_context(open_queue(app.state.database_url))
            worker = asyncio.create_task(
                run_job_worker(
                    queue,
                    app.state.database_url,
                    install_signal_handlers=False,
                    name="in-process",
                    concurrency=4,
                    shutdown_graceful_timeout=10,
                )
            )
            stack.push_async_callback(_stop, worker)
            logger.info("job worker running in-process")
        yield
    await app.state.engine.dispose()
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()


async def _stop(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_served_app() -> FastAPI:
    """The app of one API process under ``redgrid serve --workers N``: a fresh
    interpreter, so it reads its settings (and ``DATABASE_URL``) from the environment
    and sets up its own logging."""
    settings = get_settings()
    configure_logging(settings.log_level, json_format=settings.log_json)
    return create_app(settings)


def render_openapi() -> str:
    """``openapi/openapi.json`` as this code describes it (``make openapi``)."""
    return render(create_app(Settings(), database_url=_NO_DATABASE))
