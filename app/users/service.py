"""Use cases on user accounts and their role grants. Services flush, never commit.

Scope: an account is reached through its grants (or its person) inside the caller's
``users.read`` / ``users.write`` subtrees; anything else is not found. Power is never
handed out by someone who lacks it (``rules.escalates``).
"""

import asyncio
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import PEOPLE_READ, USERS_READ, USERS_WRITE
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.errors import AppError, OrgUnitNotFound, PersonNotFound
from app.hierarchy.models import OrgUnit
from app.kit import ratelimit
from app.kit.etag import check_version
from app.kit.hashing import hash_password, verify_password
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, Page, paginate
from app.kit.passwords import check_password_policy
from app.users import repository
from app.users.errors import (
    GrantEscalation,
    GrantExists,
    GrantNotFound,
    GrantRequired,
    OutranksCaller,
    PersonAlreadyLinked,
    SelfDealing,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
    WrongCurrentPassword,
)
from app.users.models import UserAccount
from app.users.rules import escalates
from app.users.schemas import (
    GrantCreate,
    GrantRead,
    Me,
    MeGrant,
    MePerson,
    PasswordChange,
    UserCreate,
    UserRead,
    UserSummary,
    UserUpdate,
)

WECHAT_DISPLAY_NAME = "微信用户"


async def create_superuser(
    session: AsyncSession, *, username: str, password: str, display_name: str | None = None
) -> UserAccount:
    """The first administrator of a new deployment (``redgrid create-admin``)."""
    _check_policy(password, username)
    if await repository.get_by_username(session, username) is not None:
        raise UsernameTaken()
    account = UserAccount(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        is_superuser=True,
    )
    return await repository.add(session, account)


async def create_wechat_account(session: AsyncSession) -> UserAccount:
    """A first WeChat sign-in: no password, no person, no grants until staff link them."""
    account = UserAccount(username=f"wx_{secrets.token_hex(8)}", display_name=WECHAT_DISPLAY_NAME)
    return await repository.add(session, account)


async def first_grant_place(session: AsyncSession, user_id: int) -> OrgUnit | None:
    """Where the account's sign-ins are filed in the audit log (its first grant)."""
    return await repository.first_grant_unit(session, user_id)


async def list_users(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None,
    role: str | None,
    org_unit_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[UserSummary]:
    scope = principal.scope(USERS_READ)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.list_visible(
            session, scope, q=q, role=role, org_unit_id=org_unit_id, after_id=after, limit=n
        ),
        key=lambda row: row.id,
    )
    return Page(items=[UserSummary.model_validate(r) for r in rows], next_cursor=next_cursor)


async def read_user(session: AsyncSession, principal: Principal, user_id: int) -> UserRead:
    account = await _visible(session, principal, user_id, USERS_READ)
    return await _read(session, principal, account)


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> UserRead:
    _check_policy(body.password, body.username)
    if not body.grants and body.person_id is None and not principal.is_superuser:
        raise GrantRequired()  # the new account would be out of its creator's sight
    units = [await _grantable_unit(session, principal, g.role, g.org_unit_id) for g in body.grants]
    if body.person_id is not None:
        await _check_linkable_person(session, principal, body.person_id, None)
    if await repository.get_by_username(session, body.username) is not None:
        raise UsernameTaken()
    account = UserAccount(
        username=body.username,
        display_name=body.display_name,
        password_hash=await asyncio.to_thread(hash_password, body.password),
        person_id=body.person_id,
    )
    if (broken := await repository.insert_account(session, account)) is not None:
        raise UsernameTaken() if "username" in broken else PersonAlreadyLinked()
    for grant in body.grants:
        await repository.insert_grant(
            session,
            user_id=account.id,
            role=grant.role,
            org_unit_id=grant.org_unit_id,
            granted_by=principal.user_id,
        )
    roles = "、".join(f"{g.role}@{g.org_unit_id}" for g in body.grants) or "无"
    await audit_service.record(
        session,
        principal,
        "user.create",
        summary=f"创建账号 #{account.id}，授予角色：{roles}",
        target_type="user",
        target_id=account.id,
        place=units[0] if units else None,
    )
    return await _read(session, principal, account)


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: int,
    body: UserUpdate,
    if_match: str | None,
) -> UserRead:
    account = await _visible(session, principal, user_id, USERS_WRITE, for_update=True)
    check_version(if_match, account.version)
    await _check_outranks(session, principal, account)
    changed = await _apply_update(session, principal, account, body)
    if changed:
        account.version += 1
        await repository.save(session, account)
        await audit_service.record(
            session,
            principal,
            "user.update",
            summary=f"修改账号 #{account.id}：{', '.join(changed)}",
            target_type="user",
            target_id=account.id,
            place=await repository.first_grant_unit(session, account.id),
        )
    return await _read(session, principal, account)


async def grant_role(
    session: AsyncSession, principal: Principal, user_id: int, body: GrantCreate
) -> GrantRead:
    account = await _visible(session, principal, user_id, USERS_WRITE)
    if account.id == principal.user_id:
        # Also for roles whose permissions the caller holds already: "own-capacity"
        # roles (member, resident) would otherwise pass the escalation check.
        raise SelfDealing()
    unit = await _grantable_unit(session, principal, body.role, body.org_unit_id)
    grant_id = await repository.insert_grant(
        session,
        user_id=account.id,
        role=body.role,
        org_unit_id=unit.id,
        granted_by=principal.user_id,
    )
    if grant_id is None:
        raise GrantExists()
    await audit_service.record(
        session,
        principal,
        "user.grant_role",
        summary=f"授予账号 #{account.id} 角色 {body.role}（节点 #{unit.id}）",
        target_type="user",
        target_id=account.id,
        place=unit,
    )
    return GrantRead.model_validate(await repository.get_grant(session, grant_id))


async def revoke_grant(
    session: AsyncSession, principal: Principal, user_id: int, grant_id: int
) -> None:
    await _visible(session, principal, user_id, USERS_WRITE)
    found = await repository.get_grant_of_user(
        session, user_id, grant_id, principal.scope(USERS_WRITE)
    )
    if found is None:
        raise GrantNotFound()
    grant, unit = found
    if escalates(principal, unit, await repository.role_permissions(session, grant.role)):
        raise GrantEscalation()
    await repository.delete_grant(session, grant)
    await audit_service.record(
        session,
        principal,
        "user.revoke_grant",
        summary=f"撤销账号 #{user_id} 的角色 {grant.role}（节点 #{unit.id}）",
        target_type="user",
        target_id=user_id,
        place=unit,
    )


async def read_me(session: AsyncSession, principal: Principal) -> Me:
    """The caller: its account, its person (mobile masked), grants and permissions."""
    me = Me(
        kind=principal.kind,
        id=principal.user_id,
        username=principal.subject.partition(":")[2],
        display_name=principal.display_name,
        is_superuser=principal.is_superuser,
        person=None,
        grants=[],
        permissions=sorted(principal.permissions),
    )
    if principal.user_id is None:
        units = await repository.units_by_id(session, [g.org_unit_id for g in principal.grants])
        me.grants = [
            MeGrant(role="client", org_unit_id=u.id, org_unit_name=u.name, org_unit_level=u.level)
            for u in units
        ]
        return me
    account = await repository.get_account(session, principal.user_id)
    me.username = account.username if account else me.username
    rows = await repository.grants_of(
        session, principal.user_id, Scope.everything(), live_only=True
    )
    me.grants = [MeGrant.model_validate(row, from_attributes=True) for row in rows]
    person = (
        await repository.get_person(session, principal.person_id) if principal.person_id else None
    )
    if person is not None:
        me.person = MePerson(id=person.id, name=person.name, mobile=mask_mobile(person.mobile))
    return me


async def change_own_password(
    session: AsyncSession,
    principal: Principal,
    body: PasswordChange,
    limiter: ratelimit.RateLimiter,
    max_failures: int,
    window_minutes: int,
) -> AppError | None:
    """The caller changes its own password with the current one; every other session
    of the account ends (refresh tokens revoked, access tokens by their version).
    Wrong current passwords are throttled like sign-ins: a stolen access token must not
    become a way to guess the password. A refusal is returned, not raised, so the
    request commits (as a refused sign-in does)."""
    account = await repository.get_account(session, principal.user_id or 0, for_update=True)
    if account is None or account.password_hash is None:
        raise WrongCurrentPassword()
    item = ratelimit.RateLimitItemPerMinute(max_failures, window_minutes)
    decision = await limiter.peek(item, "password-change", str(account.id))
    if not decision.allowed:
        return ratelimit.RateLimited(decision)
    stored = account.password_hash
    if not await asyncio.to_thread(verify_password, stored, body.current_password):
        await limiter.hit(item, "password-change", str(account.id))
        return WrongCurrentPassword()
    _check_policy(body.new_password, account.username)
    account.password_hash = await asyncio.to_thread(hash_password, body.new_password)
    await repository.revoke_refresh_tokens(session, account.id)
    account.token_version += 1
    account.version += 1
    await repository.save(session, account)
    await _audit_self(session, principal, account, "user.change_password", "success")
    return None


async def sign_out_everywhere(session: AsyncSession, principal: Principal) -> None:
    """Ends every session of the caller's account: refresh tokens and access tokens."""
    account = await repository.get_account(session, principal.user_id or 0, for_update=True)
    if account is None:
        return
    await repository.revoke_refresh_tokens(session, account.id)
    account.token_version += 1
    await repository.save(session, account)
    await _audit_self(session, principal, account, "auth.logout_all", "success")


async def _audit_self(
    session: AsyncSession, principal: Principal, account: UserAccount, action: str, outcome: str
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=f"账号 #{account.id}：{action}（{outcome}）",
        target_type="user",
        target_id=account.id,
        place=await repository.first_grant_unit(session, account.id),
        outcome=outcome,
    )


async def _apply_update(
    session: AsyncSession, principal: Principal, account: UserAccount, body: UserUpdate
) -> list[str]:
    """Applies the fields sent; returns their names (never their values: audit summary)."""
    changed = []
    if body.display_name is not None and body.display_name != account.display_name:
        account.display_name = body.display_name
        changed.append("display_name")
    if body.password is not None:
        _check_policy(body.password, account.username)
        account.password_hash = await asyncio.to_thread(hash_password, body.password)
        changed.append("password")
    if body.is_active is not None and body.is_active != account.is_active:
        account.is_active = body.is_active
        changed.append("is_active")
    if "person_id" in body.model_fields_set and body.person_id != account.person_id:
        if account.id == principal.user_id:
            raise SelfDealing()
        if body.person_id is not None:
            await _check_linkable_person(session, principal, body.person_id, account.id)
        account.person_id = body.person_id
        changed.append("person_id")
    if "password" in changed or ("is_active" in changed and not account.is_active):
        # Signed out everywhere: auth depends on users, so the account's own module
        # revokes the refresh tokens issued to it, and ends its access tokens.
        await repository.revoke_refresh_tokens(session, account.id)
        account.token_version += 1
    return changed


async def _read(session: AsyncSession, principal: Principal, account: UserAccount) -> UserRead:
    rows = await repository.grants_of(session, account.id, principal.scope(USERS_READ))
    columns = {name: getattr(account, name) for name in UserRead.model_fields if name != "grants"}
    return UserRead(**columns, grants=[GrantRead.model_validate(row) for row in rows])


async def _visible(
    session: AsyncSession,
    principal: Principal,
    user_id: int,
    permission: str,
    *,
    for_update: bool = False,
) -> UserAccount:
    account = await repository.get_visible(
        session, user_id, principal.scope(permission), for_update=for_update
    )
    if account is None:
        raise UserNotFound()
    return account


async def _grantable_unit(
    session: AsyncSession, principal: Principal, role: str, org_unit_id: int
) -> OrgUnit:
    unit = await repository.get_live_unit(session, org_unit_id, principal.scope(USERS_WRITE))
    if unit is None:
        raise OrgUnitNotFound()
    if escalates(principal, unit, await repository.role_permissions(session, role)):
        raise GrantEscalation()
    return unit


async def _check_outranks(
    session: AsyncSession, principal: Principal, account: UserAccount
) -> None:
    """Only someone holding all of an account's power may reset or disable it."""
    if principal.is_superuser:
        return
    if account.is_superuser:
        raise OutranksCaller()
    scope = principal.scope(USERS_WRITE)
    for unit, permissions in await repository.grant_places(session, account.id):
        if not scope.covers(unit) or escalates(principal, unit, permissions):
            raise OutranksCaller()


async def _check_linkable_person(
    session: AsyncSession, principal: Principal, person_id: int, user_id: int | None
) -> None:
    if (
        await repository.get_visible_person(session, person_id, principal.scope(PEOPLE_READ))
        is None
    ):
        raise PersonNotFound()
    if await repository.person_is_linked(session, person_id, except_user=user_id):
        raise PersonAlreadyLinked()


def _check_policy(password: str, username: str | None) -> None:
    if violations := check_password_policy(password, username):
        raise WeakPassword(violations=violations)


# ---------------------------------------------------------------- resident onboarding


async def lock_account(session: AsyncSession, user_id: int) -> UserAccount | None:
    """The account, locked for the rest of the transaction (one onboarding at a time)."""
    return await repository.lock_account(session, user_id)


async def link_onboarded_person(
    session: AsyncSession, account: UserAccount, person_id: int, role: str, unit_id: int
) -> bool:
    """Onboarding links the account to its person and grants ``role`` at the home unit,
    by rule rather than by a member of staff (the callers audit it). False when another
    account already acts as that person (the unique index decides a race)."""
    if await repository.account_of_person(session, person_id) is not None:
        return False
    account.person_id = person_id
    account.version += 1
    await session.flush()
    await repository.insert_grant(
        session, user_id=account.id, role=role, org_unit_id=unit_id, granted_by=None
    )
    return True


async def replace_role(
    session: AsyncSession, user_id: int, old: str, new: str | None, unit_id: int
) -> None:
    """A pending resident verified (``new``) or rejected (``None``)."""
    await repository.delete_role_grants(session, user_id, old)
    if new is not None:
        await repository.insert_grant(
            session, user_id=user_id, role=new, org_unit_id=unit_id, granted_by=None
        )


async def unlink_person(session: AsyncSession, user_id: int) -> None:
    account = await repository.lock_account(session, user_id)
    if account is not None and account.person_id is not None:
        account.person_id = None
        account.version += 1
        await session.flush()
