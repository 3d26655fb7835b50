"""Sign-in (OAuth 2.0 token endpoint, WeChat), sign-out, the current caller, and the
integration clients that use ``client_credentials``."""

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Request, Response

from app.auth import clients, service
from app.auth.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientSecret,
    Logout,
    SigningKey,
    SigningKeyIssue,
    TokenForm,
    TokenResponse,
    WechatLinked,
    WechatSignIn,
)
from app.authz.deps import any_account, require
from app.authz.permissions import USERS_READ, USERS_WRITE
from app.authz.principal import Principal
from app.config import Settings
from app.db.session import DbSession
from app.errors import AppError
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.http import set_location
from app.kit.i18n import negotiate_language
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import problem_responses
from app.kit.types import IdParam, has_control_characters
from app.problems import problem_response
from app.users import service as users_service
from app.users.schemas import Me, PasswordChange

Own = Annotated[Principal, any_account("the caller's own account and sessions")]

router = APIRouter(tags=["auth"])
clients_router = APIRouter(
    prefix="/api-clients",
    tags=["api-clients"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

# RFC 6749 §5.1: token responses must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _refusal(request: Request, error: AppError) -> Response:
    """A refused sign-in, answered without raising so its audit record commits."""
    lang = negotiate_language(request.headers.get("accept-language"))
    return problem_response(
        status=error.status,
        code=error.code,
        title=error.title(lang),
        detail=error.detail(lang),
        lang=lang,
        instance=request.url.path,
        extra=error.extra,
        headers={**_NO_STORE, **error.headers},
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """HTTP Basic client authentication (RFC 6749 §2.3.1: form-encoded, then base64)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, secret = unquote_plus(client_id)[:64], unquote_plus(secret)[:128]
    if has_control_characters(client_id + secret):
        # Held to the form fields' rule; an unknown client then, not a 500 from a NUL.
        return None
    return client_id, secret


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=problem_responses(400, 401, 429),
)
async def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    form: Annotated[TokenForm, Form()],
) -> TokenResponse | Response:
    """OAuth 2.0 token endpoint: `password`, `refresh_token` (rotating: each refresh
    token works once; presenting a used one revokes its whole family) and
    `client_credentials` (client_id/secret in the form or as HTTP Basic). Failed
    passwords are throttled (429 with Retry-After, 等保 2.0): five within 15 minutes for
    one username from one address, twenty for one username, fifty from one address;
    unknown usernames alike."""
    outcome = await service.issue_token(
        session,
        _settings(request),
        form,
        _basic_credentials(request),
        limiter=request.app.state.rate_limiter,
        source=request.client.host if request.client else "unknown",
    )
    if isinstance(outcome, AppError):
        return _refusal(request, outcome)
    response.headers.update(_NO_STORE)
    return outcome


@router.post(
    "/auth/wechat",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 502),
)
async def sign_in_with_wechat(
    request: Request, response: Response, session: DbSession, body: WechatSignIn
) -> TokenResponse | Response:
    """WeChat mini-program login with the `code` of `wx.login()` (code2Session). The
    first sign-in creates an account; a unionid seen from another mini-program signs in
    to the same account."""
    outcome = await service.sign_in_with_wechat(session, _settings(request), body)
    if isinstance(outcome, AppError):
        return _refusal(request, outcome)
    response.headers.update(_NO_STORE)
    return outcome


@router.post("/auth/logout", status_code=204)
async def logout(session: DbSession, body: Logout) -> None:
    """Signs this device out: the refresh token's whole family is revoked. Answers 204
    whether or not the token was known."""
    await service.logout(session, body.refresh_token)


@router.post("/auth/logout-all", status_code=204, responses=problem_responses(401))
async def logout_all(session: DbSession, principal: Own) -> None:
    """Signs the caller's account out everywhere: every refresh token is revoked and
    every access token issued so far stops working at its next request."""
    await users_service.sign_out_everywhere(session, principal)


@router.post("/me/password", status_code=204, responses=problem_responses(401, 422, 429))
async def change_password(
    request: Request, session: DbSession, principal: Own, body: PasswordChange
) -> Response:
    """Changes the caller's own password, given the current one. Every session of the
    account ends, this one included: sign in again with the new password."""
    settings = _settings(request)
    refusal = await users_service.change_own_password(
        session,
        principal,
        body,
        request.app.state.rate_limiter,
        max_failures=settings.login_max_failures,
        window_minutes=settings.login_failure_window_minutes,
    )
    return _refusal(request, refusal) if refusal else Response(status_code=204)


@router.get("/me", response_model=Me, responses=problem_responses(401))
async def read_me(session: DbSession, principal: Own) -> Me:
    """The caller: account, linked person (mobile masked), grants, effective permissions."""
    return await users_service.read_me(session, principal)


@router.post(
    "/me/wechat",
    response_model=WechatLinked,
    responses=problem_responses(403, 409, 502),
    summary="Link WeChat to my account · 绑定微信",
)
async def link_wechat(
    request: Request, session: DbSession, principal: Own, body: WechatSignIn
) -> WechatLinked:
    """Send a fresh `wx.login()` code: afterwards `POST /auth/wechat` from that
    mini-program signs in to this account. A WeChat identity of another account: 409."""
    count = await service.link_wechat(session, _settings(request), principal, body)
    return WechatLinked(wechat_identities=count)


@router.delete(
    "/me/wechat",
    status_code=204,
    responses=problem_responses(403),
    summary="Unlink WeChat from my account · 解绑微信",
)
async def unlink_wechat(session: DbSession, principal: Own) -> None:
    """Refused (422) while the account has no password: it could not sign in again."""
    await service.unlink_wechat(session, principal)


Reader = Annotated[Principal, require(USERS_READ)]
Writer = Annotated[Principal, require(USERS_WRITE)]
ApiClientId = IdParam


@clients_router.post(
    "",
    status_code=201,
    response_model=ApiClientSecret,
    dependencies=[Idempotent],
    responses=problem_responses(404),
)
async def create_api_client(
    session: DbSession,
    principal: Writer,
    body: ApiClientCreate,
    request: Request,
    response: Response,
) -> ApiClientSecret:
    """Registers an integration client at a node. The secret is in this response only
    (and in a replay of it under the same Idempotency-Key). Its scopes may not exceed
    what the caller holds over that node."""
    created = await clients.create_api_client(session, principal, body)
    set_location(request, response, "read_api_client", api_client_id=created.id)
    return created


@clients_router.get("", response_model=Page[ApiClientRead], responses=problem_responses(400))
async def list_api_clients(
    session: DbSession,
    principal: Reader,
    cursor: Cursor | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ApiClientRead]:
    return await clients.list_api_clients(session, principal, cursor=cursor, limit=limit)


@clients_router.get(
    "/{api_client_id}", response_model=ApiClientRead, responses=problem_responses(404)
)
async def read_api_client(
    session: DbSession, principal: Reader, api_client_id: ApiClientId
) -> ApiClientRead:
    return await clients.read_api_client(session, principal, api_client_id)


@clients_router.post(
    "/{api_client_id}/secret",
    response_model=ApiClientSecret,
    dependencies=[Idempotent],
    responses=problem_responses(404),
)
async def rotate_api_client_secret(
    session: DbSession, principal: Writer, api_client_id: ApiClientId
) -> ApiClientSecret:
    """Issues a new secret; the old one stops working at once."""
    return await clients.rotate_api_client_secret(session, principal, api_client_id)


@clients_router.post(
    "/{api_client_id}/signing-key",
    response_model=SigningKey,
    dependencies=[Idempotent],
    responses=problem_responses(404, 422),
)
async def issue_api_client_signing_key(
    session: DbSession,
    principal: Writer,
    api_client_id: ApiClientId,
    body: SigningKeyIssue,
    request: Request,
) -> SigningKey:
    """Issues a signing key for signed requests (签名请求: X-Redgrid-Key, -Timestamp,
    -Nonce, -Signature; see README, "Signed requests") in the chosen algorithm, and
    sets where the steps of its 12345 orders are reported. The key is in this response
    only (and in a replay under the same Idempotency-Key); the previous one stops
    working at once."""
    return await clients.issue_signing_key(
        session,
        principal,
        api_client_id,
        body,
        allow_private_urls=_settings(request).webhook_allow_private_urls,
    )


@clients_router.delete("/{api_client_id}", status_code=204, responses=problem_responses(404))
async def deactivate_api_client(
    session: DbSession, principal: Writer, api_client_id: ApiClientId
) -> None:
    """Deactivates the client: its tokens stop working at once; the record stays."""
    await clients.deactivate_api_client(session, principal, api_client_id)
