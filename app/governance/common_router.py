"""What governance's routers share (a router module, so it may speak HTTP): permission
guards, page parameters, and ``Idempotency-Key`` on POSTs
(draft-ietf-httpapi-idempotency-key-header): a replay returns the first response
(``Idempotent-Replayed: true``), the same key with another body 422, a retry while the
first still runs 409. The ETag and ``Location`` travel with the stored response."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.deps import CurrentPrincipal
from app.authz.permissions import GOVERNANCE_MANAGE, GOVERNANCE_READ, GOVERNANCE_TAKE_PART
from app.authz.principal import Principal
from app.errors import Forbidden
from app.integrations.idempotency import Outcome, fingerprint, run_idempotent
from app.kit.etag import etag_for
from app.kit.pagination import MAX_LIMIT
from app.kit.schemas import problem_responses


def require_any(*permissions: str):  # type: ignore[no-untyped-def]
    """Admits callers holding any of ``permissions`` somewhere (else 403)."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        if not any(principal.has(p) for p in permissions):
            raise Forbidden()
        return principal

    guard.__name__ = "require_any_" + "_".join(p.replace(".", "_") for p in permissions)
    return Depends(guard)


CanRead = require_any(GOVERNANCE_READ, GOVERNANCE_TAKE_PART)
"""Staff read within their scope; people taking part read their compound's data."""
CanManage = require_any(GOVERNANCE_MANAGE)
CanTakePart = require_any(GOVERNANCE_TAKE_PART)
CanManageOrTakePart = require_any(GOVERNANCE_MANAGE, GOVERNANCE_TAKE_PART)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` of the previous page")
]
READ = problem_responses(400, 401, 403, 404)
"""400: an invalid cursor."""
WRITE = problem_responses(400, 401, 403, 404, 409)
"""400: an invalid Idempotency-Key; 409: the state refuses it, or the key is in use."""
UPDATE = problem_responses(401, 403, 404, 409, 412, 428)

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
    produce: Callable[[], Awaitable[BaseModel]],
    *,
    status: int = 201,
    location: str | None = None,
) -> JSONResponse:
    """Runs ``produce`` once per (caller, key); ``location`` names the route that reads
    the created resource by its ``id`` (path parameter ``<resource>_id``)."""

    async def execute() -> Outcome:
        result = await produce()
        headers: dict[str, str] = {}
        version = getattr(result, "version", None)
        if isinstance(version, int):
            headers["ETag"] = etag_for(version)
        if location is not None:
            param = location.removeprefix("get_") + "_id"
            ident = str(getattr(result, "id"))  # noqa: B009
            headers["Location"] = request.app.url_path_for(location, **{param: ident})
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
