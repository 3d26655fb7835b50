"""``Idempotency-Key`` on POSTs that create or move value
(draft-ietf-httpapi-idempotency-key-header): the one mechanism, applied by declaration.

A route lists ``Idempotent`` (key optional) or ``IdempotentRequired`` (400 without a
key) among its dependencies — or takes ``ClaimedKey`` / ``RequiredKey`` as a parameter
when its service needs the key itself — and its router builds routes with
``IdempotentRoute``. Handlers stay ordinary: they return a schema and set status,
``Location`` and ``ETag`` on the response; nothing else knows about keys.

- the dependency runs after authentication, inside the request's transaction: a
  transaction-scoped advisory lock on (caller, key) admits one request at a time — a
  retry while the first still runs gets 409 ``idempotency.in_progress`` at once;
- a key already answered with the same request fingerprint replays the stored
  response (status, body, headers such as ``Location`` and ``ETag``, plus
  ``Idempotent-Replayed: true``) and the handler does not run; with another
  fingerprint it is 422 ``idempotency.key_reused``;
- otherwise the handler runs and ``IdempotentRoute`` stores its successful response
  in the same transaction as its effect, so a replay can never disagree with what
  happened (an error stores nothing: it rolled back).
Keys are scoped to the caller and kept 48 hours (``purge_expired``). Stored bodies
are sealed (AES-256-GCM, bound to caller and key): a response may carry personal data
(PIPL) or a client secret shown once.
"""

import base64
import hashlib
import inspect
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request, Response, params
from fastapi.routing import APIRoute
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.deps import CurrentPrincipal
from app.db.session import DbSession
from app.errors import BusinessRuleViolation, Conflict
from app.integrations.models import IdempotencyRecord
from app.kit.crypto import FieldCipher, derive_key
from app.kit.http import MAX_IDEMPOTENCY_KEY, IdempotencyKey, IdempotencyKeyRequired
from app.kit.schemas import problem_responses

REPLAYED_HEADER = "Idempotent-Replayed"
_SEAL_PURPOSE = "idempotency-response"
_NOT_STORED = frozenset({"content-length"})
_KEY_PROBLEMS = problem_responses(400, 409)


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


class KeyRequired(BusinessRuleViolation):
    status = 400
    code = "idempotency.key_required"
    message_zh = "此请求须携带 Idempotency-Key 请求头"
    message_en = "This request requires an Idempotency-Key header"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of method, path and the body (JSON canonicalised: key order and
    white space do not count). ASCII escapes keep a lone surrogate (``"\\ud800"``, valid
    JSON, not valid UTF-8) hashable; validation refuses it afterwards."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=True)
    except ValueError:
        canonical = "sha256:" + hashlib.sha256(body).hexdigest()
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@lru_cache(maxsize=4)
def _cipher(pii_key: str) -> FieldCipher:
    return FieldCipher(derive_key(pii_key, _SEAL_PURPOSE))


@dataclass(frozen=True)
class Claim:
    """This request's hold on its key, from the lock to the stored response."""

    session: AsyncSession
    subject: str
    key: str
    fingerprint: str
    cipher: FieldCipher

    def _aad(self) -> bytes:
        return f"{self.subject}\n{self.key}".encode()

    async def stored_response(self) -> Response | None:
        stored = await self.session.get(IdempotencyRecord, (self.subject, self.key))
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint:
            raise KeyReused()
        headers = {**stored.headers, REPLAYED_HEADER: "true"}
        sealed = stored.body.get("sealed") if isinstance(stored.body, dict) else None
        if sealed is None:  # stored before bodies were sealed
            content = json.dumps(stored.body, ensure_ascii=False).encode()
        else:
            content = self.cipher.decrypt(
                base64.b64decode(sealed), associated_data=self._aad()
            ).encode()
        return Response(content, stored.status_code, headers, media_type="application/json")

    async def store(self, response: Response) -> None:
        sealed = self.cipher.encrypt(bytes(response.body).decode(), associated_data=self._aad())
        await self.session.execute(
            insert(IdempotencyRecord).values(
                subject=self.subject,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=response.status_code,
                body={"sealed": base64.b64encode(sealed).decode()},
                headers={
                    name: value
                    for name, value in response.headers.items()
                    if name not in _NOT_STORED
                },
            )
        )


class _Replay(Exception):
    """Raised by the dependency to answer with the stored response instead of the handler."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _valid(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidKey()
    return key


async def _claim(request: Request, subject: str, session: AsyncSession, key: str) -> str:
    claim = Claim(
        session=session,
        subject=subject,
        key=_valid(key),
        fingerprint=fingerprint(request.method, request.url.path, await request.body()),
        cipher=_cipher(request.app.state.settings.pii_key),
    )
    lock = func.pg_try_advisory_xact_lock(func.hashtextextended(f"{subject}\n{claim.key}", 0))
    if not (await session.execute(select(lock))).scalar_one():
        raise RequestInProgress(headers={"Retry-After": "1"})
    replay = await claim.stored_response()
    if replay is not None:
        raise _Replay(replay)
    request.state.idempotency = claim
    return claim.key


async def idempotency(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> str | None:
    """The request's key (stripped), held for this transaction; None without one."""
    if idempotency_key is None:
        return None
    return await _claim(request, principal.subject, session, idempotency_key)


async def required_idempotency(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency_key: IdempotencyKeyRequired = None,
) -> str:
    """For value moved by hand (人工奖扣): a retry must be recognisable, always."""
    if idempotency_key is None:
        raise KeyRequired()
    return await _claim(request, principal.subject, session, idempotency_key)


Idempotent = Depends(idempotency)
IdempotentRequired = Depends(required_idempotency)
ClaimedKey = Annotated[str | None, Idempotent]
"""The key itself, for a service that derives a ledger key from it."""
RequiredKey = Annotated[str, IdempotentRequired]


def _takes_key(endpoint: Callable[..., Any], dependencies: Sequence[params.Depends]) -> bool:
    declared: list[Any] = list(dependencies)
    for parameter in inspect.signature(endpoint, eval_str=True).parameters.values():
        declared.extend(getattr(parameter.annotation, "__metadata__", ()))
        declared.append(parameter.default)
    calls = (idempotency, required_idempotency)
    return any(getattr(declared_, "dependency", None) in calls for declared_ in declared)


class IdempotentRoute(APIRoute):
    """Answers a replay with the stored response, and stores a first success in the
    request's transaction (the session commits after this handler returns). A route
    that takes a key documents the 400 and 409 the key can answer."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self.takes_idempotency_key = _takes_key(endpoint, options.get("dependencies") or ())
        if self.takes_idempotency_key:
            options["responses"] = {**_KEY_PROBLEMS, **(options.get("responses") or {})}
        super().__init__(path, endpoint, **options)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                return replay.response
            claim: Claim | None = getattr(request.state, "idempotency", None)
            if claim is not None and response.status_code < 400:
                await claim.store(response)
            return response

        return handle


async def purge_expired(session: AsyncSession, *, older_than_hours: int = 48) -> int:
    result = await session.execute(
        text(
            "DELETE FROM idempotency_record WHERE created_at < now() - make_interval(hours => :h)"
        ),
        {"h": older_than_hours},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
