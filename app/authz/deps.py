"""FastAPI dependencies: the caller (``CurrentPrincipal``) and permission guards.

Without a valid bearer token every protected route answers 401; with a token but
without the permission anywhere, 403; with the permission but not over the object
asked for, the object is not found (404) — see ``app.authz.scope``.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.authz import principals
from app.authz.principal import Principal
from app.authz.tokens import decode_access_token
from app.db.session import DbSession
from app.errors import Forbidden, Unauthenticated

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_principal(
    request: Request, session: DbSession, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    if not token:
        raise Unauthenticated(headers=_CHALLENGE)
    claims = decode_access_token(request.app.state.settings, token)
    if claims is None:
        raise Unauthenticated(
            "访问令牌无效或已过期", "The access token is invalid or expired", headers=_CHALLENGE
        )
    # A token carries at most the scopes the client holds now.
    principal = await principals.load(
        session,
        claims.subject,
        scopes=claims.scopes,
        token_version=claims.version,
        from_token=True,
    )
    if principal is None:
        raise Unauthenticated(
            "账号不存在或已停用", "The account is unknown or disabled", headers=_CHALLENGE
        )
    request.state.principal = principal
    return principal


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
