"""Use cases of partner bodies and property contracts. Services flush, never commit;
every write records one audit event.

A body is scoped by the node it is linked to: staff with ``governance.manage`` there
keep it; readers are those of ``app.governance.service.reader_scope``. A contract is
scoped by the compound it serves, so that compound's staff see who serves them.
"""

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import GOVERNANCE_MANAGE, PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.governance import service as shared
from app.governance.bodies import repository
from app.governance.bodies.errors import (
    BodyInactive,
    BodyNameTaken,
    BodyNotFound,
    NotAPropertyCompany,
)
from app.governance.bodies.models import PartnerBody, PropertyContract
from app.governance.bodies.rules import BodyKind
from app.governance.bodies.schemas import (
    ContractCreate,
    ContractPage,
    ContractRead,
    PartnerBodyCreate,
    PartnerBodyPage,
    PartnerBodyRead,
    PartnerBodyUpdate,
)
from app.kit.etag import check_version
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, paginate
from app.people.schemas import business_today

_NAME_UNIQUE = "uq_partner_body_org_unit_id_kind_name"


def present(principal: Principal, body: PartnerBody) -> PartnerBodyRead:
    phone = body.contact_phone
    if phone is not None and not principal.scope(PII).covers(body):
        phone = mask_mobile(phone)
    columns = {f: getattr(body, f) for f in PartnerBodyRead.model_fields if f != "contact_phone"}
    return PartnerBodyRead(**columns, contact_phone=phone)


def present_contract(contract: PropertyContract) -> ContractRead:
    today = business_today()
    columns = {f: getattr(contract, f) for f in ContractRead.model_fields if f != "is_current"}
    return ContractRead(**columns, is_current=contract.starts_on <= today <= contract.ends_on)


async def find_body(
    session: AsyncSession, scope: Scope, body_id: int, *, lock: bool = False
) -> PartnerBody:
    body = await repository.get_body(session, body_id, scope, lock=lock)
    if body is None:
        raise BodyNotFound()
    return body


async def create_body(
    session: AsyncSession, principal: Principal, data: PartnerBodyCreate
) -> PartnerBodyRead:
    unit = await shared.unit(session, principal.scope(GOVERNANCE_MANAGE), data.org_unit_id)
    if await repository.name_taken(session, unit.id, data.kind, data.name):
        raise BodyNameTaken()
    body = PartnerBody(**data.model_dump(), is_active=True, version=1, **shared.place_of(unit))
    if not await repository.add(session, body, unique=_NAME_UNIQUE):
        raise BodyNameTaken()
    await shared.record(
        session,
        principal,
        "partner_body.create",
        ("partner_body", body.id),
        f"在「{unit.name}」登记合作主体「{body.name}」（{body.kind}）",
        body,
    )
    return present(principal, body)


async def get_body(session: AsyncSession, principal: Principal, body_id: int) -> PartnerBodyRead:
    scope = await shared.reader_scope(session, principal)
    return present(principal, await find_body(session, scope, body_id))


async def list_bodies(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: int | None,
    kind: BodyKind | None,
    is_active: bool | None,
    limit: int,
    cursor: str | None,
) -> PartnerBodyPage:
    """Bodies linked to nodes the caller reads, by id; ``org_unit_id``: that subtree."""
    scope = await shared.reader_scope(session, principal)
    where: list[ColumnElement[bool]] = [scope.clause(PartnerBody)]
    if org_unit_id is not None:
        unit = await shared.unit(session, scope, org_unit_id)
        where.append(Scope.of([(unit.level, unit.id)]).clause(PartnerBody))
    if kind is not None:
        where.append(PartnerBody.kind == kind.value)
    if is_active is not None:
        where.append(PartnerBody.is_active.is_(is_active))
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.body_page(session, where, after=after, limit=n),
        lambda b: b.id,
    )
    return PartnerBodyPage(items=[present(principal, b) for b in items], next_cursor=next_cursor)


async def update_body(
    session: AsyncSession,
    principal: Principal,
    body_id: int,
    data: PartnerBodyUpdate,
    if_match: str | None,
) -> PartnerBodyRead:
    body = await find_body(session, principal.scope(GOVERNANCE_MANAGE), body_id, lock=True)
    check_version(if_match, body.version)
    changes = {k: v for k, v in data.changes().items() if getattr(body, k) != v}
    if not changes:
        return present(principal, body)
    if "name" in changes and await repository.name_taken(
        session, body.org_unit_id, body.kind, changes["name"], except_id=body.id
    ):
        raise BodyNameTaken()
    for column, value in changes.items():
        setattr(body, column, value)
    body.version += 1
    await repository.save(session, body)
    await shared.record(
        session,
        principal,
        "partner_body.update",
        ("partner_body", body.id),
        f"修改合作主体「{body.name}」：{', '.join(sorted(changes))}",
        body,
    )
    return present(principal, body)


# ---------------------------------------------------------------- contracts


async def add_contract(
    session: AsyncSession, principal: Principal, body_id: int, data: ContractCreate
) -> ContractRead:
    """A property company's contract for a compound the caller manages."""
    manage = principal.scope(GOVERNANCE_MANAGE)
    body = await find_body(session, await shared.reader_scope(session, principal), body_id)
    if body.kind != BodyKind.property_company:
        raise NotAPropertyCompany()
    if not body.is_active:
        raise BodyInactive()
    compound = await shared.compound(session, manage, data.org_unit_id)
    contract = PropertyContract(body_id=body.id, **data.model_dump(), **shared.place_of(compound))
    await repository.add(session, contract)
    await shared.record(
        session,
        principal,
        "property_contract.create",
        ("property_contract", contract.id),
        f"登记「{body.name}」服务「{compound.name}」的物业合同 "
        f"{contract.starts_on} 至 {contract.ends_on}",
        compound,
    )
    return present_contract(contract)


async def list_contracts(
    session: AsyncSession, principal: Principal, body_id: int, *, limit: int, cursor: str | None
) -> ContractPage:
    body = await find_body(session, await shared.reader_scope(session, principal), body_id)
    items, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.contract_page(session, body.id, after=after, limit=n),
        lambda c: c.id,
    )
    return ContractPage(items=[present_contract(c) for c in items], next_cursor=next_cursor)
