"""Creating POSTs of the participation routers, run once per ``Idempotency-Key``
(draft-ietf-httpapi-idempotency-key-header, ``app.integrations.idempotency``): a replay
answers the first response (status, body, ``ETag``, ``Location``) with
``Idempotent-Replayed: true``; the same key with another body is 422."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.principal import Principal
from app.integrations.idempotency import Outcome, fingerprint, run_idempotent
from app.kit.etag import etag_for

M = TypeVar("M", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=255,
        description="Retry-safe key (draft-ietf-httpapi-idempotency-key-header): a replay "
        "returns the first response; the same key with another body is 422",
    ),
]


async def once(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    body: BaseModel | None,
    produce: Callable[[], Awaitable[M]],
    *,
    status: int = 201,
    location: Callable[[M], str] | None = None,
) -> JSONResponse:
    async def execute() -> Outcome:
        result = await produce()
        headers: dict[str, str] = {}
        version = getattr(result, "version", None)
        if isinstance(version, int):
            headers["ETag"] = etag_for(version)
        if location is not None:
            headers["Location"] = location(result)
        return status, result.model_dump(mode="json"), headers

    return await run_idempotent(
        session,
        subject=principal.subject,
        key=key,
        request_fingerprint=fingerprint(
            "POST", request.url.path, body.model_dump(mode="json") if body else None
        ),
        execute=execute,
    )
