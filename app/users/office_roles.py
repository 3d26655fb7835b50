"""Roles that come with an office (职务授权): a 站长 gets community-level rights at the
station's node for the term. Granted and revoked under the rules of every grant: the
caller must hold all of the role there (``rules.escalates``) and nobody grants
themselves (self-dealing)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import USERS_WRITE
from app.authz.principal import Principal
from app.hierarchy.models import OrgUnit
from app.users import repository
from app.users.errors import GrantEscalation, HolderWithoutAccount, SelfGrant, UnknownRole
from app.users.rules import escalates


async def grant_office_role(
    session: AsyncSession, principal: Principal, person_id: int, role: str, unit: OrgUnit
) -> int | None:
    """The role an office carries (a 站长: community_admin at the station's node), granted
    to the account of the person appointed, under the same rules as any grant: the
    caller keeps accounts there (``users.write``) and holds all of the role there, and
    nobody grants themselves. Returns the grant's
    id, or None when the account already held that role there (so ending the term
    must leave it alone)."""
    if not await repository.role_exists(session, role):
        raise UnknownRole()
    account = await repository.account_of_person(session, person_id)
    if account is None:
        raise HolderWithoutAccount()
    if account.id == principal.user_id or person_id == principal.person_id:
        raise SelfGrant()
    if not principal.scope(USERS_WRITE).covers(unit) or escalates(
        principal, unit, await repository.role_permissions(session, role)
    ):
        raise GrantEscalation()
    grant_id = await repository.insert_grant(
        session, user_id=account.id, role=role, org_unit_id=unit.id, granted_by=principal.user_id
    )
    if grant_id is not None:
        await audit_service.record(
            session,
            principal,
            "user.grant_role",
            summary=f"随职务授予账号 #{account.id} 角色 {role}（节点 #{unit.id}）",
            target_type="user",
            target_id=account.id,
            place=unit,
        )
    return grant_id


async def revoke_office_role(session: AsyncSession, principal: Principal, grant_id: int) -> None:
    """Revoke the grant an office term made, when the term ends; a grant already
    revoked by hand is left as it is."""
    found = await repository.grant_with_unit(session, grant_id)
    if found is None:
        return
    grant, unit = found
    if escalates(principal, unit, await repository.role_permissions(session, grant.role)):
        raise GrantEscalation()
    await repository.delete_grant(session, grant)
    await audit_service.record(
        session,
        principal,
        "user.revoke_grant",
        summary=f"任期结束，撤销账号 #{grant.user_id} 的角色 {grant.role}（节点 #{unit.id}）",
        target_type="user",
        target_id=grant.user_id,
        place=unit,
    )
