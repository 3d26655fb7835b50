"""Resident onboarding: ``/me/phone``, ``/me/registration``, ``/me/household-invitation``
for the resident; the address picker; ``/resident-registrations`` and
``/household-invitations`` for the grid worker."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import any_account, require
from app.authz.permissions import PEOPLE_WRITE
from app.authz.principal import Principal
from app.config import Settings
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.kit.schemas import problem_responses
from app.kit.types import IdParam, Line
from app.onboarding import service
from app.onboarding.models import RegistrationStatus
from app.onboarding.schemas import (
    AddressList,
    InvitationCreate,
    InvitationRead,
    InvitationRedeem,
    Onboarding,
    PhoneBind,
    RegistrationCreate,
    RegistrationPage,
    RegistrationRead,
    Rejection,
)

Own = Annotated[
    Principal, any_account("one's own onboarding; the address picker shows ids and names only")
]

router = APIRouter(
    tags=["onboarding"], responses=problem_responses(401, 403), route_class=IdempotentRoute
)
Staff = Annotated[Principal, require(PEOPLE_WRITE)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/me/phone",
    response_model=Onboarding,
    response_model_exclude_none=True,
    responses=problem_responses(400, 409, 502),
    summary="Bind my phone number · 绑定手机号",
)
async def bind_phone(
    request: Request, session: DbSession, principal: Own, body: PhoneBind
) -> Onboarding:
    """Send the `code` of the mini-program's getPhoneNumber button. A number that
    matches one person on record links them and makes the account a `resident` of
    their household at once (`verified`); otherwise `unmatched`: register."""
    return await service.bind_phone(session, _settings(request), principal, body)


@router.get(
    "/me/onboarding",
    response_model=Onboarding,
    response_model_exclude_none=True,
    summary="Where my onboarding stands · 我的注册状态",
)
async def read_onboarding(session: DbSession, principal: Own) -> Onboarding:
    return await service.read_status(session, principal)


@router.get(
    "/address-picker/communities",
    response_model=AddressList,
    summary="Find my community · 选择社区",
)
async def search_address_communities(
    session: DbSession,
    principal: Own,
    q: Annotated[Line, Query(min_length=1, max_length=50)],
) -> AddressList:
    """Communities whose name contains `q`: ids and names only, for any signed-in
    account (nothing personal)."""
    return await service.search_communities(session, q)


@router.get(
    "/address-picker/{unit_id}/children",
    response_model=AddressList,
    responses=problem_responses(404),
    summary="Pick grid, building, household · 选择网格、楼栋、户",
)
async def list_address_children(
    session: DbSession, principal: Own, unit_id: IdParam
) -> AddressList:
    """The places directly below a community, grid or building (ids, names, levels)."""
    return await service.address_children(session, unit_id)


@router.post(
    "/me/registration",
    status_code=201,
    response_model=Onboarding,
    response_model_exclude_none=True,
    dependencies=[Idempotent],
    responses=problem_responses(400, 404, 409, 502),
    summary="Register myself as a resident · 居民自助登记",
)
async def register_resident(
    request: Request, session: DbSession, principal: Own, body: RegistrationCreate
) -> Onboarding:
    """Pending until the grid worker verifies it; meanwhile the account may file and
    follow its own orders (`resident_pending`), and nothing more."""
    return await service.register(session, _settings(request), principal, body)


@router.post(
    "/me/household-invitation",
    response_model=Onboarding,
    response_model_exclude_none=True,
    dependencies=[Idempotent],
    responses=problem_responses(400, 409),
    summary="Join my household by invitation code · 凭邀请码入户",
)
async def redeem_household_invitation(
    session: DbSession, principal: Own, body: InvitationRedeem
) -> Onboarding:
    return await service.redeem_invitation(session, principal, body)


@router.get(
    "/resident-registrations",
    response_model=RegistrationPage,
    responses=problem_responses(400),
    summary="Self-registrations to verify · 待核实居民",
)
async def list_resident_registrations(
    session: DbSession,
    principal: Staff,
    status: RegistrationStatus | None = RegistrationStatus.pending,
    cursor: Cursor | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> RegistrationPage:
    """Registrations at households in the caller's `people.write` scope, oldest first."""
    return await service.list_registrations(
        session, principal, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/resident-registrations/{registration_id}/verify",
    response_model=RegistrationRead,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409),
    summary="Verify a resident · 核实居民",
)
async def verify_resident_registration(
    session: DbSession, principal: Staff, registration_id: IdParam
) -> RegistrationRead:
    return await service.verify(session, principal, registration_id)


@router.post(
    "/resident-registrations/{registration_id}/reject",
    response_model=RegistrationRead,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409),
    summary="Reject a registration · 驳回登记",
)
async def reject_resident_registration(
    session: DbSession, principal: Staff, registration_id: IdParam, body: Rejection
) -> RegistrationRead:
    return await service.reject(session, principal, registration_id, body.reason)


@router.post(
    "/household-invitations",
    status_code=201,
    response_model=InvitationRead,
    dependencies=[Idempotent],
    responses=problem_responses(400, 404),
    summary="Make a household invitation code · 生成入户邀请码",
)
async def create_household_invitation(
    request: Request,
    response: Response,
    session: DbSession,
    principal: Staff,
    body: InvitationCreate,
) -> InvitationRead:
    """A short code (and the payload of its QR code) that binds the first resident who
    presents it before it expires to this household, verified."""
    return await service.create_invitation(session, _settings(request), principal, body)
