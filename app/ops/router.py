"""Operations endpoints for load balancers and Prometheus (not part of /api/v1)."""

import hmac
from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict

from app.errors import NotFound, Unauthenticated
from app.ops import service

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "database": "ok",
                    "migrations": "ok",
                    "revision": "2026-11-21-1700",
                    "expected_revision": "2026-11-21-1700",
                }
            ]
        }
    )
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    migrations: Literal["ok", "behind", "unknown"]
    revision: str | None
    expected_revision: str


@router.get("/healthz", operation_id="ops-healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process answers. Never touches the database."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="ops-readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
async def readyz(request: Request, response: Response) -> Readiness:
    """Readiness: the database answers and its schema is at the migrations' head."""
    readiness = await service.check_readiness(request.app.state.engine)
    if readiness["status"] != "ready":
        response.status_code = 503
    return Readiness.model_validate(readiness)


@router.get("/metrics", operation_id="ops-metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: HTTP, the connection pool, the outbox backlog and the
    deliveries of every worker (read from the database at each scrape). With
    ``REDGRID_METRICS_TOKEN`` only for that bearer token; without it, not at all in
    production."""
    settings = request.app.state.settings
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.metrics_token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            raise Unauthenticated(headers={"WWW-Authenticate": "Bearer"})
    elif settings.env == "production":
        raise NotFound()
    await service.refresh_delivery_metrics(request.app.state.engine)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
