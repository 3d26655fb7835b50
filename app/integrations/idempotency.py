"""``Idempotency-Key`` on POSTs that create or move value
(draft-ietf-httpapi-idempotency-key-header).

- the first request with a key runs, and its response is stored in the same
  transaction as its effect, so a replay can never disagree with what happened;
- a retry after it committed gets the stored response again (nothing re-runs);
- the same key with a different body gets 422 ``idempotency.key_reused``;
- a retry while the first still runs gets 409 ``idempotency.in_progress``: a
  transaction-scoped advisory lock on (caller, key) tells, without waiting.
Keys are scoped to the caller and kept at least 24 hours.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BusinessRuleViolation, Conflict
from app.integrations.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


class KeyReused(BusinessRuleViolation):
    code = "idempotency.key_reused"
    message_zh = "该幂等键已用于内容不同的请求"
    message_en = "This Idempotency-Key was used with a different request"


class RequestInProgress(Conflict):
    code = "idempotency.in_progress"
    message_zh = "相同幂等键的请求正在处理中，请稍后重试"
    message_en = "A request with this Idempotency-Key is still being processed; retry shortly"


class InvalidKey(BusinessRuleViolation):
    status = 400
    code = "idempotency.invalid_key"
    message_zh = "幂等键格式无效（1-255 个可见字符）"
    message_en = "The Idempotency-Key must be 1-255 visible characters"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


Outcome = tuple[int, Any, Mapping[str, str]]
"""(status code, JSON-able body, headers) of a successful response."""


async def run_idempotent(
    session: AsyncSession,
    *,
    subject: str,
    key: str | None,
    request_fingerprint: str,
    execute: Callable[[], Awaitable[Outcome]],
) -> JSONResponse:
    if key is None:
        return _response(*await execute(), replayed=False)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidKey()
    locked = (
        await session.execute(
            select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"{subject}\n{key}", 0)))
        )
    ).scalar_one()
    if not locked:
        raise RequestInProgress(headers={"Retry-After": "1"})
    stored = await session.get(IdempotencyRecord, (subject, key))
    if stored is not None:
        if stored.fingerprint != request_fingerprint:
            raise KeyReused()
        return _response(stored.status_code, stored.body, stored.headers, replayed=True)
    status, body, headers = await execute()
    encoded = jsonable_encoder(body)
    await session.execute(
        insert(IdempotencyRecord).values(
            subject=subject,
            key=key,
            fingerprint=request_fingerprint,
            status_code=status,
            body=encoded,
            headers=dict(headers),
        )
    )
    return _response(status, encoded, headers, replayed=False)


def _response(
    status: int, body: Any, headers: Mapping[str, str], *, replayed: bool
) -> JSONResponse:
    all_headers = dict(headers)
    if replayed:
        all_headers["Idempotent-Replayed"] = "true"
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=all_headers)


async def purge_expired(session: AsyncSession, *, older_than_hours: int = 48) -> int:
    result = await session.execute(
        text(
            "DELETE FROM idempotency_record WHERE created_at < now() - make_interval(hours => :h)"
        ),
        {"h": older_than_hours},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
