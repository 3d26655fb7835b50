"""FastAPI dependencies: the caller (``CurrentPrincipal``) and permission guards.

Without a valid bearer token every protected route answers 401; with a token but
without the permission anywhere, 403; with the permission but not over the object
asked for, the object is not found (404) — see ``app.authz.scope``.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.authz import repository
from app.authz.principal import Grant, Principal
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
    kind, _, ident = claims.subject.partition(":")
    principal: Principal | None = None
    if kind == "user" and ident.isdigit():
        principal = await _user_principal(session, int(ident))
    elif kind == "client":
        principal = await _client_principal(session, ident, claims.scopes)
    if principal is None:
        raise Unauthenticated(
            "账号不存在或已停用", "The account is unknown or disabled", headers=_CHALLENGE
        )
    request.state.principal = principal
    return principal


async def _user_principal(session: DbSession, user_id: int) -> Principal | None:
    account = await repository.get_active_user(session, user_id)
    if account is None:
        return None
    return Principal(
        kind="user",
        subject=f"user:{account.id}",
        display_name=account.display_name,
        user_id=account.id,
        person_id=account.person_id,
        is_superuser=account.is_superuser,
        grants=await repository.grants_of(session, account.id),
    )


async def _client_principal(
    session: DbSession, client_id: str, scopes: tuple[str, ...]
) -> Principal | None:
    found = await repository.get_active_client(session, client_id)
    if found is None:
        return None
    client, level = found
    # A token carries at most the scopes the client holds now.
    allowed = frozenset(scopes) & frozenset(client.scopes)
    return Principal(
        kind="client",
        subject=f"client:{client.client_id}",
        display_name=client.name,
        grants=(
            Grant(role="client", org_unit_id=client.org_unit_id, level=level, permissions=allowed),
        ),
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_any(*permissions: str):  # type: ignore[no-untyped-def]
    """A dependency that admits callers holding any of ``permissions`` somewhere (else 403)."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        if not any(principal.has(permission) for permission in permissions):
            raise Forbidden()
        return principal

    guard.__name__ = "require_" + "_or_".join(p.replace(".", "_") for p in permissions)
    return Depends(guard)


def require(permission: str):  # type: ignore[no-untyped-def]
    """A dependency that admits callers holding ``permission`` somewhere (else 403)."""
    return require_any(permission)
