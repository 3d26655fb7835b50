"""Resident onboarding (居民自助注册): a WeChat account becomes a resident by its
verified phone number, by registering itself for the grid worker to verify, or by a
household invitation code. Services flush, never commit; every step is audited and no
summary carries a phone number (PIPL).

Grants are made by rule here, not by a member of staff: ``resident`` at the home
household when the number matches a person on record or an invitation is presented;
``resident_pending`` (may file and follow their own orders, nothing more) while a
self-registration waits for the grid worker.
"""

import logging
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import PEOPLE_WRITE, PII
from app.authz.principal import Principal
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.integrations.wechat import client as wechat_client
from app.integrations.wechat import service as wechat_service
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, paginate
from app.onboarding import errors, repository
from app.onboarding.models import HouseholdInvitation, RegistrationStatus, ResidentRegistration
from app.onboarding.schemas import (
    AddressList,
    AddressUnit,
    InvitationCreate,
    InvitationRead,
    InvitationRedeem,
    Onboarding,
    PhoneBind,
    RegistrationCreate,
    RegistrationPage,
    RegistrationRead,
)
from app.people import service as people_service
from app.people.models import Person
from app.users import service as users_service
from app.users.models import UserAccount

logger = logging.getLogger(__name__)

RESIDENT = "resident"
PENDING = "resident_pending"
HOME_LEVELS = ("building", "household")
# Crockford-like: no 0/O, 1/I/L, so a code read off paper is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


async def _account(session: AsyncSession, principal: Principal) -> UserAccount:
    """The caller's own account, locked: one onboarding step at a time per account."""
    account = (
        await users_service.lock_account(session, principal.user_id)
        if principal.user_id is not None
        else None
    )
    if account is None:
        raise errors.NotAUser()
    return account


async def _verified_number(
    session: AsyncSession, settings: Settings, app_id: str, code: str
) -> str:
    try:
        return await wechat_service.verified_phone_number(session, settings, app_id, code)
    except wechat_client.WechatInvalidCode:
        raise errors.PhoneCodeInvalid() from None
    except wechat_client.WechatUnavailable as exc:
        logger.warning("wechat getuserphonenumber failed", extra={"errcode": exc.errcode})
        raise errors.WechatUnavailable() from None


async def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    summary: str,
    place: object | None,
    target_type: str = "user",
    target_id: int | None = None,
) -> None:
    await audit_service.record(
        session,
        principal,
        action,
        summary=summary,
        target_type=target_type,
        target_id=target_id if target_id is not None else principal.user_id,
        place=place,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- phone number


async def bind_phone(
    session: AsyncSession, settings: Settings, principal: Principal, body: PhoneBind
) -> Onboarding:
    """A number that matches one person on record links that person and grants
    ``resident`` at their home at once; otherwise nothing is kept and the resident
    registers (``unmatched``)."""
    account = await _account(session, principal)
    if account.person_id is not None:
        raise errors.AlreadyOnboarded()
    mobile = await _verified_number(session, settings, body.app_id, body.code)
    person = await people_service.find_person_by_mobile(session, mobile)
    if person is None:
        await _audit(
            session, principal, "onboarding.phone_unmatched", "手机号未匹配到登记人员", None
        )
        return Onboarding(status="unmatched", mobile=mask_mobile(mobile))
    await _link(session, principal, account, person, RESIDENT, "手机号匹配")
    return Onboarding(
        status="verified",
        person_id=person.id,
        household_id=person.home_unit_id,
        mobile=mask_mobile(mobile),
    )


async def _link(
    session: AsyncSession,
    principal: Principal,
    account: UserAccount,
    person: Person,
    role: str,
    how: str,
) -> None:
    linked = await users_service.link_onboarded_person(
        session, account, person.id, role, person.home_unit_id
    )
    if not linked:
        raise errors.PersonTaken()
    await _audit(
        session,
        principal,
        "onboarding.link",
        f"{how}：账号 #{account.id} 关联人员 #{person.id}，"
        f"授予 {role}（节点 #{person.home_unit_id}）",
        person,
    )


async def read_status(session: AsyncSession, principal: Principal) -> Onboarding:
    account = await _account(session, principal)
    registration = await repository.latest_registration(session, account.id)
    if registration is not None and registration.status != RegistrationStatus.verified:
        return Onboarding(
            status=registration.status,
            person_id=account.person_id,
            household_id=registration.household_unit_id,
            registration_id=registration.id,
            reason=registration.reason,
        )
    if account.person_id is not None:
        return Onboarding(status="verified", person_id=account.person_id)
    return Onboarding(status="none")


# ---------------------------------------------------------------- address picker


async def search_communities(session: AsyncSession, q: str) -> AddressList:
    rows = await repository.search_communities(session, q)
    return AddressList(items=[AddressUnit.model_validate(r, from_attributes=True) for r in rows])


async def address_children(session: AsyncSession, unit_id: int) -> AddressList:
    rows = await repository.picker_children(session, unit_id)
    if rows is None:
        raise errors.UnitNotFound()
    return AddressList(items=[AddressUnit.model_validate(r, from_attributes=True) for r in rows])


# ---------------------------------------------------------------- self-registration


async def _home(session: AsyncSession, unit_id: int) -> OrgUnit:
    unit = await repository.get_unit(session, unit_id)
    if unit is None or unit.is_archived:
        raise errors.UnitNotFound()
    if unit.level not in HOME_LEVELS:
        raise errors.NotAHousehold()
    return unit


async def register(
    session: AsyncSession, settings: Settings, principal: Principal, body: RegistrationCreate
) -> Onboarding:
    """A pending resident at the picked household: a person is made and linked, with
    ``resident_pending`` there until the grid worker decides. A verified number given
    with it that matches a person on record links that person at once instead."""
    account = await _account(session, principal)
    if account.person_id is not None:
        raise errors.AlreadyOnboarded()
    unit = await _home(session, body.household_id)
    mobile = None
    if body.phone_code is not None:
        if body.app_id is None:
            raise errors.PhoneCodeInvalid("须同时提供 app_id", "app_id is required with phone_code")
        mobile = await _verified_number(session, settings, body.app_id, body.phone_code)
        matched = await people_service.find_person_by_mobile(session, mobile)
        if matched is not None:
            await _link(session, principal, account, matched, RESIDENT, "登记时手机号匹配")
            return Onboarding(
                status="verified", person_id=matched.id, household_id=matched.home_unit_id
            )
    person = await people_service.register_resident(
        session, unit, name=body.name, mobile=mobile, address_room=body.room
    )
    await _link(session, principal, account, person, PENDING, "自助登记")
    registration = ResidentRegistration(
        user_id=account.id, person_id=person.id, household_unit_id=unit.id
    )
    _place(registration, unit)
    await repository.add(session, registration)
    await _audit(
        session,
        principal,
        "onboarding.register",
        f"自助登记 #{registration.id}（节点 #{unit.id}），待网格员核实",
        registration,
        "resident_registration",
        registration.id,
    )
    return Onboarding(
        status="pending",
        person_id=person.id,
        household_id=unit.id,
        registration_id=registration.id,
    )


def _place(row: ResidentRegistration | HouseholdInvitation, unit: OrgUnit) -> None:
    row.town_id, row.community_id, row.grid_id = unit.town_id, unit.community_id, unit.grid_id
    row.building_id, row.household_id = unit.building_id, unit.household_id


def _present(row: object, principal: Principal) -> RegistrationRead:
    read = RegistrationRead.model_validate(row, from_attributes=True)
    if not principal.scope(PII).covers(row):  # type: ignore[arg-type]
        read.mobile = mask_mobile(read.mobile)
    return read


async def list_registrations(
    session: AsyncSession,
    principal: Principal,
    *,
    status: RegistrationStatus | None,
    cursor: str | None,
    limit: int,
) -> RegistrationPage:
    scope = principal.scope(PEOPLE_WRITE)

    async def fetch(after: int | None, n: int) -> list[object]:
        rows = await repository.list_registrations(
            session, scope, status=status, after_id=after, limit=n
        )
        return list(rows)

    rows, next_cursor = await paginate(BY_ID, cursor, limit, fetch, lambda r: r.id)  # type: ignore[attr-defined]
    return RegistrationPage(items=[_present(r, principal) for r in rows], next_cursor=next_cursor)


async def _pending(
    session: AsyncSession, principal: Principal, registration_id: int
) -> ResidentRegistration:
    registration = await repository.lock_registration(
        session, registration_id, principal.scope(PEOPLE_WRITE)
    )
    if registration is None:
        raise errors.RegistrationNotFound()
    if registration.status != RegistrationStatus.pending:
        raise errors.RegistrationDecided()
    return registration


async def verify(
    session: AsyncSession, principal: Principal, registration_id: int
) -> RegistrationRead:
    registration = await _pending(session, principal, registration_id)
    registration.status = RegistrationStatus.verified
    registration.decided_by, registration.decided_at = (
        principal.user_id,
        await repository.now(session),
    )
    await users_service.replace_role(
        session, registration.user_id, PENDING, RESIDENT, registration.household_unit_id
    )
    await session.flush()
    await _audit(
        session,
        principal,
        "onboarding.verify",
        f"核实自助登记 #{registration.id}：账号 #{registration.user_id} 成为居民",
        registration,
        "resident_registration",
        registration.id,
    )
    return _present(await repository.read_registration(session, registration.id), principal)


async def reject(
    session: AsyncSession, principal: Principal, registration_id: int, reason: str
) -> RegistrationRead:
    registration = await _pending(session, principal, registration_id)
    registration.status = RegistrationStatus.rejected
    registration.reason = reason
    registration.decided_by, registration.decided_at = (
        principal.user_id,
        await repository.now(session),
    )
    await users_service.replace_role(
        session, registration.user_id, PENDING, None, registration.household_unit_id
    )
    await users_service.unlink_person(session, registration.user_id)
    await people_service.archive_registered(session, registration.person_id)
    await session.flush()
    await _audit(
        session,
        principal,
        "onboarding.reject",
        f"驳回自助登记 #{registration.id}",
        registration,
        "resident_registration",
        registration.id,
    )
    return _present(await repository.read_registration(session, registration.id), principal)


# ---------------------------------------------------------------- invitation codes


async def _new_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not await repository.code_exists(session, code):
            return code


async def create_invitation(
    session: AsyncSession, settings: Settings, principal: Principal, body: InvitationCreate
) -> InvitationRead:
    unit = await repository.get_unit_in_scope(
        session, body.household_id, principal.scope(PEOPLE_WRITE)
    )
    if unit is None or unit.is_archived:
        raise errors.HouseholdNotFound()
    if unit.level not in HOME_LEVELS:
        raise errors.NotAHousehold()
    invitation = HouseholdInvitation(
        code=await _new_code(session),
        household_unit_id=unit.id,
        created_by=principal.user_id,
        expires_at=await repository.now(session) + timedelta(hours=body.valid_hours),
    )
    _place(invitation, unit)
    await repository.add(session, invitation)
    await _audit(
        session,
        principal,
        "onboarding.invite",
        f"生成入户邀请码 #{invitation.id}（节点 #{unit.id}，{body.valid_hours} 小时有效）",
        invitation,
        "household_invitation",
        invitation.id,
    )
    return InvitationRead(
        id=invitation.id,
        code=invitation.code,
        household_id=unit.id,
        expires_at=invitation.expires_at,
        qr_payload=f"{settings.invitation_url}?code={invitation.code}",
    )


async def redeem_invitation(
    session: AsyncSession, principal: Principal, body: InvitationRedeem
) -> Onboarding:
    """One step: the account becomes a verified resident of the invited household."""
    account = await _account(session, principal)
    if account.person_id is not None:
        raise errors.AlreadyOnboarded()
    invitation = await repository.spend_invitation(session, body.code.upper(), account.id)
    if invitation is None:
        raise errors.InvitationInvalid()
    unit = await _home(session, invitation.household_unit_id)
    person = await people_service.register_resident(
        session, unit, name=body.name, mobile=None, address_room=body.room
    )
    await _link(session, principal, account, person, RESIDENT, f"入户邀请码 #{invitation.id}")
    return Onboarding(status="verified", person_id=person.id, household_id=unit.id)
