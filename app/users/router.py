"""Accounts (用户账号) and their role grants (角色授权)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.authz.deps import require
from app.authz.permissions import USERS_READ, USERS_WRITE
from app.authz.principal import Principal
from app.db.session import DbSession
from app.integrations.idempotency import Idempotent, IdempotentRoute
from app.kit.etag import etag_for
from app.kit.http import IfMatchRequired, set_location, tagged
from app.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.kit.schemas import problem_responses
from app.kit.types import IdParam, Line
from app.users import service
from app.users.schemas import (
    GrantCreate,
    GrantRead,
    RoleCode,
    UserCreate,
    UserRead,
    UserSummary,
    UserUpdate,
)

router = APIRouter(
    prefix="/users",
    tags=["users"],
    responses=problem_responses(401, 403),
    route_class=IdempotentRoute,
)

Reader = Annotated[Principal, require(USERS_READ)]
Writer = Annotated[Principal, require(USERS_WRITE)]


@router.get("", response_model=Page[UserSummary], responses=problem_responses(400))
async def list_users(
    session: DbSession,
    principal: Reader,
    q: Annotated[Line | None, Query(max_length=64, description="Part of username or name")] = None,
    role: Annotated[RoleCode | None, Query(description="Holds this role")] = None,
    org_unit_id: Annotated[IdParam | None, Query(description="Holds a role here")] = None,
    cursor: Cursor | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UserSummary]:
    """Accounts holding a role inside the caller's scope (or acting as a person there)."""
    return await service.list_users(
        session, principal, q=q, role=role, org_unit_id=org_unit_id, cursor=cursor, limit=limit
    )


@router.post(
    "",
    status_code=201,
    response_model=UserRead,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409),
)
async def create_user(
    session: DbSession, principal: Writer, body: UserCreate, request: Request, response: Response
) -> UserRead:
    """Creates an account with its initial grants; the password must meet the policy."""
    user = await service.create_user(session, principal, body)
    set_location(request, response, "read_user", user_id=user.id)
    return tagged(response, user)


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(404))
async def read_user(
    session: DbSession, principal: Reader, user_id: IdParam, response: Response
) -> UserRead:
    user = await service.read_user(session, principal, user_id)
    response.headers["ETag"] = etag_for(user.version)
    return user


@router.patch(
    "/{user_id}", response_model=UserRead, responses=problem_responses(404, 409, 412, 428)
)
async def update_user(
    session: DbSession,
    principal: Writer,
    user_id: IdParam,
    body: UserUpdate,
    response: Response,
    if_match: IfMatchRequired = None,
) -> UserRead:
    """Renames, disables, links a person, or resets the password (which also unlocks
    sign-in and signs the account out everywhere). Requires ``If-Match``."""
    user = await service.update_user(session, principal, user_id, body, if_match)
    response.headers["ETag"] = etag_for(user.version)
    return user


@router.post(
    "/{user_id}/grants",
    status_code=201,
    response_model=GrantRead,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409),
)
async def grant_role(
    session: DbSession, principal: Writer, user_id: IdParam, body: GrantCreate
) -> GrantRead:
    """Grants a role at a node. The caller must hold, over that node, every permission
    the role carries (no privilege escalation: 403 ``user.grant_escalation``)."""
    return await service.grant_role(session, principal, user_id, body)


@router.delete("/{user_id}/grants/{grant_id}", status_code=204, responses=problem_responses(404))
async def revoke_grant(
    session: DbSession,
    principal: Writer,
    user_id: IdParam,
    grant_id: IdParam,
) -> None:
    await service.revoke_grant(session, principal, user_id, grant_id)
