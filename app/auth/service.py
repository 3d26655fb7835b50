"""Sign-in: the OAuth 2.0 token endpoint (RFC 6749), WeChat mini-program login,
rotating refresh tokens, sign-out. Services flush, never commit.

A refused sign-in still changes the database (the audit record, a revoked token
family; failed passwords count in the rate limiter's own transaction), so these use
cases *return* the refusal instead of raising it: the request's transaction then
commits normally and the router answers with the
problem. Refusals look alike from outside (an unknown username costs one password
hash and answers exactly like a wrong password); the audit log tells them apart.
"""

import asyncio
import functools
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth import errors, repository
from app.auth.models import ApiClient
from app.auth.schemas import TokenForm, TokenResponse, WechatSignIn
from app.authz.principal import Principal
from app.authz.tokens import issue_access_token
from app.config import Settings
from app.errors import AppError
from app.integrations.wechat import client as wechat
from app.kit import ratelimit
from app.kit.hashing import hash_password, needs_rehash, verify_password
from app.kit.ratelimit import RateLimitItemPerMinute
from app.users import service as users_service
from app.users.models import UserAccount

logger = logging.getLogger(__name__)

Outcome = TokenResponse | AppError
Credentials = tuple[str, str]


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so that costs the same."""
    return hash_password(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignIn:
    """A password sign-in's surroundings: where it comes from and who counts failures."""

    session: AsyncSession
    settings: Settings
    limiter: ratelimit.RateLimiter
    source: str
    """The client's address (behind a proxy, as FORWARDED_ALLOW_IPS lets uvicorn see it)."""


async def issue_token(
    session: AsyncSession,
    settings: Settings,
    form: TokenForm,
    basic: Credentials | None,
    *,
    limiter: ratelimit.RateLimiter,
    source: str,
) -> Outcome:
    if form.grant_type == "password":
        return await _password_grant(SignIn(session, settings, limiter, source), form)
    grant = _GRANTS.get(form.grant_type)
    if grant is None:
        return errors.UnsupportedGrantType()
    return await grant(session, settings, form, basic)


async def _password_grant(ctx: SignIn, form: TokenForm) -> Outcome:
    session, settings = ctx.session, ctx.settings
    if not form.username or form.password is None:
        return errors.InvalidRequest(
            "须提供 username 和 password", "username and password required"
        )
    # Keyed by what was typed, known or not: an unknown username is throttled exactly
    # like a real one, so the answers tell nobody which accounts exist.
    throttles = _throttles(settings, form.username, ctx.source)
    for item, identifiers in throttles:
        decision = await ctx.limiter.peek(item, *identifiers)
        if not decision.allowed:
            account = await repository.login_candidate(session, form.username)
            await _audit_login(session, settings, account, form.username, "failure", "尝试过于频繁")
            return errors.TooManyAttempts(headers=decision.headers())
    account = await repository.login_candidate(session, form.username)
    usable = account if account and account.is_active and account.password_hash else None
    stored = usable.password_hash if usable and usable.password_hash else _dummy_hash()
    if not await asyncio.to_thread(verify_password, stored, form.password) or usable is None:
        for item, identifiers in throttles:
            await ctx.limiter.hit(item, *identifiers)
        reason = "密码错误" if usable else "账号不存在、已停用或未设密码"
        await _audit_login(session, settings, account, form.username, "failure", reason)
        return errors.InvalidGrant()
    pair, identifiers = throttles[0]
    await ctx.limiter.clear(pair, *identifiers)
    rehash = await asyncio.to_thread(hash_password, form.password) if needs_rehash(stored) else None
    await repository.register_success(session, usable.id, new_password_hash=rehash)
    await _audit_login(session, settings, usable, form.username, "success", "密码登录成功")
    return await _user_tokens(session, settings, usable.id)


def _pseudonym(settings: Settings, value: str) -> str:
    """A keyed digest: stable for throttling and the audit log, yet a password typed
    into the username field is not recoverable from it."""
    key = settings.secret_key.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:24]


def _throttles(
    settings: Settings, username: str, source: str
) -> list[tuple[ratelimit.RateLimitItem, tuple[str, ...]]]:
    """Failed sign-ins counted per (account, source) — first, cleared by a success —,
    per account and per source, each within the window."""
    window = settings.login_failure_window_minutes
    account = _pseudonym(settings, username.casefold())
    return [
        (RateLimitItemPerMinute(settings.login_max_failures, window), ("login", account, source)),
        (RateLimitItemPerMinute(settings.login_account_max_failures, window), ("login", account)),
        (RateLimitItemPerMinute(settings.login_source_max_failures, window), ("login", source)),
    ]


async def _audit_login(
    session: AsyncSession,
    settings: Settings,
    account: UserAccount | None,
    username: str,
    outcome: str,
    reason: str,
) -> None:
    """Every sign-in and every failure (等保 2.0), filed at the account's first grant so
    the administrators and auditors of that place see it. Never the password, and never
    an unknown username as typed (it may be a password typed in the wrong field): a
    keyed digest of it instead."""
    place = await users_service.first_grant_place(session, account.id) if account else None
    summary = "密码登录成功" if outcome == "success" else f"登录失败：{reason}"
    await audit_service.record(
        session,
        None,
        "auth.login",
        summary=summary,
        target_type="user" if account else None,
        target_id=account.id if account else None,
        place=place,
        outcome=outcome,
        actor_user_id=account.id if account else None,
        actor_name=account.username if account else f"unknown:{_pseudonym(settings, username)}",
    )


async def _refresh_grant(
    session: AsyncSession, settings: Settings, form: TokenForm, basic: Credentials | None
) -> Outcome:
    if not form.refresh_token:
        return errors.InvalidRequest("须提供 refresh_token", "refresh_token is required")
    digest = _digest(form.refresh_token)
    spent = await repository.spend_refresh_token(session, digest)
    if spent is None:
        return await _refused_refresh(session, digest)
    family_id, user_id = spent
    if await repository.active_user(session, user_id) is None:
        await repository.revoke_family(session, family_id)
        return errors.InvalidGrant()
    return await _user_tokens(session, settings, user_id, family_id)


async def _refused_refresh(session: AsyncSession, digest: str) -> Outcome:
    """A spent token presented again means it leaked (or its pair did): revoke the whole
    family, the newest token included (OAuth 2.0 Security BCP, RFC 9700 §4.14.2)."""
    token = await repository.find_refresh_token(session, digest)
    if token is not None and token.used_at is not None and token.revoked_at is None:
        await repository.revoke_family(session, token.family_id)
        await audit_service.record(
            session,
            None,
            "auth.refresh_reuse",
            summary="已使用的刷新令牌被再次出示，整个令牌族已吊销",
            target_type="user",
            target_id=token.user_id,
            place=await users_service.first_grant_place(session, token.user_id),
            outcome="failure",
            actor_user_id=token.user_id,
        )
    return errors.InvalidGrant(
        "刷新令牌无效、已过期或已被使用", "The refresh token is invalid, expired or already used"
    )


async def _client_grant(
    session: AsyncSession, settings: Settings, form: TokenForm, basic: Credentials | None
) -> Outcome:
    client_id, secret = basic or (form.client_id, form.client_secret)
    if not client_id or secret is None:
        return errors.InvalidClient(headers=_BASIC_CHALLENGE)
    client = await repository.client_by_client_id(session, client_id)
    usable = client if client is not None and client.is_active else None
    stored = usable.secret_hash if usable else _dummy_hash()
    if not await asyncio.to_thread(verify_password, stored, secret) or usable is None:
        await _audit_client(session, client_id, client.org_unit_id if client else None, "failure")
        return errors.InvalidClient(headers=_BASIC_CHALLENGE)
    held = set(usable.scopes)
    granted = sorted(held & set(form.scope.split()) if form.scope else held)
    if form.scope and not granted:
        return errors.InvalidScope()
    token, ttl = issue_access_token(settings, f"client:{usable.client_id}", scopes=tuple(granted))
    await _audit_client(session, client_id, usable.org_unit_id, "success")
    return TokenResponse(access_token=token, expires_in=ttl, scope=" ".join(granted))


_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="redgrid"'}


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str
) -> ApiClient | None:
    """The active integration client with this id and secret (Open311's ``api_key``,
    signed gateways), or None; the secret is checked even for an unknown id, so the time
    taken tells nothing."""
    client = await repository.client_by_client_id(session, client_id)
    usable = client if client is not None and client.is_active else None
    stored = usable.secret_hash if usable else _dummy_hash()
    if not await asyncio.to_thread(verify_password, stored, secret) or usable is None:
        return None
    return usable


async def _audit_client(
    session: AsyncSession, client_id: str, unit_id: int | None, outcome: str
) -> None:
    await audit_service.record(
        session,
        None,
        "auth.login",
        summary="接口客户端获取令牌" + ("成功" if outcome == "success" else "失败"),
        target_type="api_client",
        target_id=client_id[:64],
        place=await repository.get_unit(session, unit_id) if unit_id else None,
        outcome=outcome,
        actor_name=f"client:{client_id}"[:64],
    )


async def _user_tokens(
    session: AsyncSession, settings: Settings, user_id: int, family_id: uuid.UUID | None = None
) -> TokenResponse:
    version = await repository.token_version(session, user_id)
    access_token, ttl = issue_access_token(settings, f"user:{user_id}", version=version)
    refresh_token = secrets.token_urlsafe(32)
    await repository.insert_refresh_token(
        session,
        token_hash=_digest(refresh_token),
        family_id=family_id or uuid.uuid4(),
        user_id=user_id,
        ttl=timedelta(days=settings.refresh_token_ttl_days),
    )
    return TokenResponse(access_token=access_token, expires_in=ttl, refresh_token=refresh_token)


_GRANTS: dict[
    str,
    Callable[[AsyncSession, Settings, TokenForm, Credentials | None], Awaitable[Outcome]],
] = {
    "refresh_token": _refresh_grant,
    "client_credentials": _client_grant,
}


async def sign_in_with_wechat(
    session: AsyncSession, settings: Settings, body: WechatSignIn
) -> Outcome:
    """Mini-program login: trade the code at WeChat (code2Session), find or create the
    account its openid / unionid belong to, and sign it in."""
    secret = settings.wechat_apps.get(body.app_id)
    if secret is None:
        raise errors.WechatUnknownApp()
    try:
        found = await wechat.code2session(
            settings.wechat_base_url,
            app_id=body.app_id,
            secret=secret,
            code=body.code,
            timeout_seconds=settings.wechat_timeout_seconds,
        )
    except wechat.WechatInvalidCode:
        await _audit_wechat(session, body.app_id, None, "failure", "登录凭证 code 无效")
        return errors.WechatInvalidCode()
    except wechat.WechatUnavailable as exc:
        logger.warning("wechat code2Session failed", extra={"errcode": exc.errcode})
        return errors.WechatUnavailable()
    user_id, created = await _link_wechat_identity(session, body.app_id, found)
    if await repository.active_user(session, user_id) is None:
        await _audit_wechat(session, body.app_id, user_id, "failure", "账号已停用")
        return errors.AccountDisabled()
    await repository.touch_last_login(session, user_id)
    await _audit_wechat(session, body.app_id, user_id, "success", "新建账号" if created else "成功")
    return await _user_tokens(session, settings, user_id)


async def _link_wechat_identity(
    session: AsyncSession, app_id: str, found: wechat.WechatSession
) -> tuple[int, bool]:
    """openid → its account; else unionid (same person, another app) → that account,
    now also reachable by this openid; else a new account. Identities point at our
    account id, never the other way round."""
    identities = [("wechat_openid", app_id, found.openid)]
    if found.unionid:
        identities.append(("wechat_unionid", "", found.unionid))
    await repository.lock_identities(session, [":".join(i) for i in identities])
    user_id = None
    for identity in identities:
        user_id = user_id or await repository.identity_user(session, *identity)
    created = user_id is None
    if user_id is None:
        user_id = (await users_service.create_wechat_account(session)).id
    for identity in identities:
        await repository.link_identity(session, user_id, *identity)
    return user_id, created


async def _audit_wechat(
    session: AsyncSession, app_id: str, user_id: int | None, outcome: str, result: str
) -> None:
    await audit_service.record(
        session,
        None,
        "auth.login",
        summary=f"微信小程序登录（{app_id}）：{result}",
        target_type="user" if user_id else None,
        target_id=user_id,
        place=await users_service.first_grant_place(session, user_id) if user_id else None,
        outcome=outcome,
        actor_user_id=user_id,
        actor_name=f"wechat:{app_id}"[:64],
    )


async def logout(session: AsyncSession, refresh_token: str) -> None:
    """Revokes the token's whole family: this device is signed out."""
    token = await repository.find_refresh_token(session, _digest(refresh_token))
    if token is None or token.revoked_at is not None:
        return
    await repository.revoke_family(session, token.family_id)
    await audit_service.record(
        session,
        None,
        "auth.logout",
        summary="退出登录，刷新令牌族已吊销",
        target_type="user",
        target_id=token.user_id,
        place=await users_service.first_grant_place(session, token.user_id),
        actor_user_id=token.user_id,
    )


async def link_wechat(
    session: AsyncSession, settings: Settings, principal: Principal, body: WechatSignIn
) -> int:
    """A signed-in account (e.g. a password account of staff) links the WeChat identity
    behind a ``wx.login()`` code, so it may sign in either way. Returns how many WeChat
    identities the account now has. An identity of another account is refused."""
    user_id = _account_id(principal)
    secret = settings.wechat_apps.get(body.app_id)
    if secret is None:
        raise errors.WechatUnknownApp()
    try:
        found = await wechat.code2session(
            settings.wechat_base_url,
            app_id=body.app_id,
            secret=secret,
            code=body.code,
            timeout_seconds=settings.wechat_timeout_seconds,
        )
    except wechat.WechatInvalidCode:
        raise errors.WechatLinkCodeInvalid() from None
    except wechat.WechatUnavailable:
        raise errors.WechatUnavailable() from None
    identities = [("wechat_openid", body.app_id, found.openid)]
    if found.unionid:
        identities.append(("wechat_unionid", "", found.unionid))
    await repository.lock_identities(session, [":".join(i) for i in identities])
    for identity in identities:
        owner = await repository.identity_user(session, *identity)
        if owner is not None and owner != user_id:
            raise errors.WechatTaken()
    for identity in identities:
        await repository.link_identity(session, user_id, *identity)
    await audit_service.record(
        session,
        principal,
        "auth.wechat_link",
        summary=f"账号 #{user_id} 绑定微信（{body.app_id}）",
        target_type="user",
        target_id=user_id,
        place=await users_service.first_grant_place(session, user_id),
    )
    return await repository.wechat_identity_count(session, user_id)


async def unlink_wechat(session: AsyncSession, principal: Principal) -> None:
    """Removes the account's WeChat identities; refused while WeChat is its only way in."""
    user_id = _account_id(principal)
    account = await repository.active_user(session, user_id)
    if account is None or account.password_hash is None:
        raise errors.LastSignInMethod()
    removed = await repository.unlink_wechat_identities(session, user_id)
    await audit_service.record(
        session,
        principal,
        "auth.wechat_unlink",
        summary=f"账号 #{user_id} 解绑微信（{removed} 个标识）",
        target_type="user",
        target_id=user_id,
        place=await users_service.first_grant_place(session, user_id),
    )


def _account_id(principal: Principal) -> int:
    if principal.user_id is None:
        raise errors.NotAnAccount()
    return principal.user_id
