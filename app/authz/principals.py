"""Building a ``Principal`` from what the database says now: for a request (from its
access token) and for work done later on someone's behalf (a webhook subscription
delivers within its owner's scope as it stands at delivery time)."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import cache, repository
from app.authz.principal import Grant, Principal


async def load(
    session: AsyncSession,
    subject: str,
    *,
    scopes: Iterable[str] | None = None,
    token_version: int | None = None,
    from_token: bool = False,
) -> Principal | None:
    """The principal of ``user:<id>`` or ``client:<client_id>``, or None when the
    account or client is unknown or disabled. A client gets the ``scopes`` of its
    token (at most those it holds now), or all it holds when none are given. A user
    ``from_token`` must present the account's current ``token_version``: a password
    change or a sign-out everywhere ends every access token issued before it."""
    kind, _, ident = subject.partition(":")
    if kind == "user" and ident.isdigit():
        return await _user(session, int(ident), token_version, from_token)
    if kind == "client" and ident:
        return await _client(session, ident, scopes)
    return None


async def for_token(
    session: AsyncSession,
    principals: cache.PrincipalCache,
    subject: str,
    *,
    scopes: tuple[str, ...],
    token_version: int | None,
) -> Principal | None:
    """``load(..., from_token=True)`` through the process's cache (see
    ``app.authz.cache`` for how long a change may take to show)."""
    kind, _, ident = subject.partition(":")
    key = (subject, scopes) if kind == "client" else subject
    entry = principals.get(key)
    if entry is not None:
        if kind != "user" or entry.token_version == token_version:
            return entry.principal
        if token_version is None or (
            entry.token_version is not None and token_version < entry.token_version
        ):
            return None  # issued before a sign-out everywhere or a password change
    loaded_in = cache.generation()
    if kind == "user" and ident.isdigit():
        found = await _user_versioned(session, int(ident))
        if found is None:
            principals.forget(key)
            return None
        principal, version = found
        principals.put(key, principal, version, loaded_in)
        return principal if token_version == version else None
    principal = await load(session, subject, scopes=scopes)
    if principal is None:
        principals.forget(key)
        return None
    principals.put(key, principal, None, loaded_in)
    return principal


async def _user(
    session: AsyncSession, user_id: int, token_version: int | None, from_token: bool
) -> Principal | None:
    found = await _user_versioned(session, user_id)
    if found is None:
        return None
    principal, version = found
    if from_token and token_version != version:
        return None
    return principal


async def _user_versioned(session: AsyncSession, user_id: int) -> tuple[Principal, int] | None:
    """The user's principal and the account's current ``token_version``."""
    account = await repository.get_active_user(session, user_id)
    if account is None:
        return None
    principal = Principal(
        kind="user",
        subject=f"user:{account.id}",
        display_name=account.display_name,
        user_id=account.id,
        person_id=account.person_id,
        is_superuser=account.is_superuser,
        grants=await repository.grants_of(session, account.id),
    )
    return principal, account.token_version


async def _client(
    session: AsyncSession, client_id: str, scopes: Iterable[str] | None
) -> Principal | None:
    found = await repository.get_active_client(session, client_id)
    if found is None:
        return None
    client, level = found
    allowed = frozenset(client.scopes)
    if scopes is not None:
        allowed &= frozenset(scopes)
    return Principal(
        kind="client",
        subject=f"client:{client.client_id}",
        display_name=client.name,
        grants=(
            Grant(role="client", org_unit_id=client.org_unit_id, level=level, permissions=allowed),
        ),
        networks=tuple(client.allowed_ips or ()),
    )
