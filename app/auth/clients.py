"""Use cases on integration clients (接口客户端, ``/api-clients``): the service layer of
``client_credentials``. A client is placed at a node and reaches its subtree with its
scopes; it is managed by whoever holds ``users.write`` over that node, and never given
scopes its creator does not hold there. Flush, never commit.
"""

import asyncio
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth import repository
from app.auth.errors import ApiClientNotFound, ClientScopeEscalation, UnsafeReportUrl
from app.auth.models import ApiClient
from app.auth.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientSecret,
    SigningAlgorithm,
    SigningKey,
    SigningKeyIssue,
)
from app.authz.permissions import USERS_READ, USERS_WRITE
from app.authz.principal import Principal
from app.errors import OrgUnitNotFound
from app.hierarchy.models import OrgUnit
from app.integrations.webhooks import targets
from app.kit.hashing import hash_password
from app.kit.pagination import BY_ID, Page, paginate
from app.kit.signing import new_signing_secret
from app.users.rules import escalates


async def create_api_client(
    session: AsyncSession, principal: Principal, body: ApiClientCreate
) -> ApiClientSecret:
    unit = await repository.get_live_unit(session, body.org_unit_id, principal.scope(USERS_WRITE))
    if unit is None:
        raise OrgUnitNotFound()
    scopes = sorted(set(body.scopes))
    if escalates(principal, unit, scopes):
        raise ClientScopeEscalation()
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=f"cli_{secrets.token_hex(8)}",
        name=body.name,
        secret_hash=await asyncio.to_thread(hash_password, secret),
        scopes=scopes,
        org_unit_id=unit.id,
        allowed_ips=body.allowed_ips,
    )
    await repository.add_client(session, client)
    await _audit(session, principal, "api_client.create", client, unit, f"权限：{' '.join(scopes)}")
    return _with_secret(client, secret)


async def list_api_clients(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[ApiClientRead]:
    scope = principal.scope(USERS_READ)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.list_clients(session, scope, after_id=after, limit=n),
        key=lambda row: row.id,
    )
    return Page(items=[ApiClientRead.model_validate(r) for r in rows], next_cursor=next_cursor)


async def read_api_client(
    session: AsyncSession, principal: Principal, api_client_id: int
) -> ApiClientRead:
    client, _ = await _visible(session, principal, api_client_id, USERS_READ)
    return ApiClientRead.model_validate(client)


async def rotate_api_client_secret(
    session: AsyncSession, principal: Principal, api_client_id: int
) -> ApiClientSecret:
    """Whoever learns the secret wields the client's scopes, so rotating needs them all."""
    client, unit = await _visible(session, principal, api_client_id, USERS_WRITE)
    if escalates(principal, unit, client.scopes):
        raise ClientScopeEscalation()
    secret = secrets.token_urlsafe(32)
    client.secret_hash = await asyncio.to_thread(hash_password, secret)
    await repository.save_client(session, client)
    await _audit(session, principal, "api_client.rotate_secret", client, unit, "更换密钥")
    return _with_secret(client, secret)


async def issue_signing_key(
    session: AsyncSession,
    principal: Principal,
    api_client_id: int,
    body: SigningKeyIssue,
    *,
    allow_private_urls: bool,
) -> SigningKey:
    """A new signing key (签名密钥) in the chosen algorithm, and where step reports go.
    The old key stops working at once; like the secret, it needs all the client's
    scopes, since whoever holds it signs as the client."""
    client, unit = await _visible(session, principal, api_client_id, USERS_WRITE)
    if escalates(principal, unit, client.scopes):
        raise ClientScopeEscalation()
    if body.report_url is not None:
        try:
            await targets.resolve(body.report_url, allow_private=allow_private_urls)
        except targets.UnsafeUrl as unsafe:
            raise UnsafeReportUrl(reason=unsafe.reason) from None
    secret = new_signing_secret()
    client.signing_secret = secret
    client.signing_algorithm = body.algorithm.value
    client.report_url = body.report_url
    await repository.save_client(session, client)
    await _audit(
        session,
        principal,
        "api_client.issue_signing_key",
        client,
        unit,
        f"签名密钥（{body.algorithm.value}）；回传：{'有' if body.report_url else '无'}",
    )
    return SigningKey(
        client_id=client.client_id,
        algorithm=SigningAlgorithm(client.signing_algorithm),
        report_url=client.report_url,
        signing_secret=secret,
    )


async def deactivate_api_client(
    session: AsyncSession, principal: Principal, api_client_id: int
) -> None:
    client, unit = await _visible(session, principal, api_client_id, USERS_WRITE)
    if client.is_active:
        client.is_active = False
        await repository.save_client(session, client)
        await _audit(session, principal, "api_client.deactivate", client, unit, "停用")


async def _visible(
    session: AsyncSession, principal: Principal, api_client_id: int, permission: str
) -> tuple[ApiClient, OrgUnit]:
    found = await repository.get_visible_client(
        session, api_client_id, principal.scope(permission), for_update=permission == USERS_WRITE
    )
    if found is None:
        raise ApiClientNotFound()
    return found


def _with_secret(client: ApiClient, secret: str) -> ApiClientSecret:
    read = ApiClientRead.model_validate(client)
    return ApiClientSecret(**read.model_dump(), client_secret=secret)


async def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    client: ApiClient,
    unit: OrgUnit,
    detail: str,
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=f"接口客户端 {client.client_id}（节点 #{unit.id}）：{detail}",
        target_type="api_client",
        target_id=client.id,
        place=unit,
    )
