"""FastAPI dependencies: the caller (``CurrentPrincipal``) and permission guards.

Without a valid bearer token every protected route answers 401; with a token but
without the permission anywhere, 403; with the permission but not over the object
asked for, the object is not found (404) — see ``app.authz.scope``.
"""

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer

from app.authz import principals, signed
from app.authz.principal import Principal
from app.authz.tokens import decode_access_token
from app.db.session import DbSession
from app.errors import Forbidden, Unauthenticated
from app.kit import ratelimit
from app.observability import current_client_ip

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_principal(
    request: Request,
    response: Response,
    session: DbSession,
    token: Annotated[str | None, Depends(_bearer)],
) -> Principal:
    if not token and signed.presented(request):
        principal = await signed.authenticate(request, session)
        return await _admit(request, response, principal)
    if not token:
        raise Unauthenticated(headers=_CHALLENGE)
    claims = decode_access_token(request.app.state.settings, token)
    if claims is None:
        raise Unauthenticated(
            "访问令牌无效或已过期", "The access token is invalid or expired", headers=_CHALLENGE
        )
    # A token carries at most the scopes the client holds now; the caller comes from
    # the process's short-lived cache when it can (app.authz.cache: the bound).
    principal = await principals.for_token(
        session,
        request.app.state.principal_cache,
        claims.subject,
        scopes=claims.scopes,
        token_version=claims.version,
    )
    if principal is None:
        raise Unauthenticated(
            "账号不存在或已停用", "The account is unknown or disabled", headers=_CHALLENGE
        )
    return await _admit(request, response, principal)


async def _admit(request: Request, response: Response, principal: Principal) -> Principal:
    """An integration client (by token or signature) only from its networks, within
    its rate limit."""
    request.state.principal = principal
    if principal.kind == "client":
        if not principal.calls_from(current_client_ip()):
            raise Forbidden(
                "此接入应用不允许从该地址调用", "This client may not call from this address"
            )
        await _within_client_limit(request, response, principal)
    return principal


async def _within_client_limit(request: Request, response: Response, principal: Principal) -> None:
    """Every call of an integration client counts against ``client_rate_limit``
    (``limits`` notation, shared by every worker): over it, 429 with ``Retry-After``;
    within it, the ``RateLimit-*`` headers say what is left."""
    rate = request.app.state.settings.client_rate_limit
    if not rate:
        return
    limiter: ratelimit.RateLimiter = request.app.state.rate_limiter
    decision = await limiter.hit(ratelimit.parse(rate), "client", principal.subject)
    if not decision.allowed:
        raise ratelimit.RateLimited(
            decision,
            f"接口调用超出限额（{rate}），请 {decision.reset_after} 秒后再试",
            f"Over this client's limit ({rate}); retry in {decision.reset_after} s",
        )
    response.headers.update(decision.headers())


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_any(*permissions: str):  # type: ignore[no-untyped-def]
    """A dependency that admits callers holding any of ``permissions`` somewhere (else 403)."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        if not any(principal.has(permission) for permission in permissions):
            raise Forbidden()
        return principal

    guard.__name__ = "require_" + "_or_".join(p.replace(".", "_") for p in permissions)
    # Read by app.openapi: the operation's OAuth2 scopes (any one of them admits).
    guard.permissions = permissions  # type: ignore[attr-defined]
    return Depends(guard)


def require(permission: str):  # type: ignore[no-untyped-def]
    """A dependency that admits callers holding ``permission`` somewhere (else 403)."""
    return require_any(permission)


def any_account(why: str, *for_others: str):  # type: ignore[no-untyped-def]
    """The caller of a route that serves every signed-in account on its own data (its
    inbox, its password, its points): no permission is required for that. ``for_others``
    are the permissions of which any one admits to other people's data there (checked in
    the service, where the object is known). ``app.openapi_contract`` writes ``why`` as
    the operation's ``x-any-account`` and ``for_others`` as its OAuth2 scopes; its guard
    test refuses a signed-in operation with neither scopes nor this declaration."""

    async def own(principal: CurrentPrincipal) -> Principal:
        return principal

    own.any_account = why  # type: ignore[attr-defined]
    own.permissions = for_others  # type: ignore[attr-defined]
    return Depends(own)
