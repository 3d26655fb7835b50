"""Use cases of the five-level hierarchy (五级组织体系). Services flush, never commit.

Visibility: reads need ``org.read`` over the node, writes ``org.write`` (imports
``org.import``); a node outside the caller's scope is not found (404).
"""

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORG_READ, ORG_WRITE, PII
from app.authz.principal import Principal
from app.authz.scope import Scope
from app.errors import Forbidden, NotFound
from app.hierarchy import repository, rules
from app.hierarchy.errors import (
    Archived,
    CodeTaken,
    GridKindNotAllowed,
    HasLiveChildren,
    HasOpenOrders,
    HasPeople,
    LevelMismatch,
    MoveIntoOwnSubtree,
    NotArchived,
    ParentArchived,
    SubtreeTooLarge,
)
from app.hierarchy.models import LEVELS, OrgLevel, OrgUnit
from app.hierarchy.rules import ANCESTOR_COLUMNS
from app.hierarchy.schemas import (
    LevelCounts,
    OrgUnitCreate,
    OrgUnitPage,
    OrgUnitRead,
    OrgUnitRef,
    OrgUnitUpdate,
    SubtreeNode,
)
from app.kit.etag import check_version
from app.kit.masking import mask_mobile
from app.kit.pagination import BY_ID, paginate

LEVEL_NAMES_ZH = {
    "town": "镇(街道)",
    "community": "社区",
    "grid": "网格",
    "building": "楼栋",
    "household": "党员中心户",
}


def chain_of(unit: OrgUnit) -> tuple[int | None, ...]:
    """The node's five ancestor columns, itself included."""
    return tuple(getattr(unit, column) for column in ANCESTOR_COLUMNS)


def present(principal: Principal, unit: OrgUnit) -> OrgUnitRead:
    """The read model; the contact phone is masked for callers without ``pii`` (PIPL)."""
    read = OrgUnitRead.model_validate(unit)
    if read.contact_phone is not None and not principal.scope(PII).covers(unit):
        read.contact_phone = mask_mobile(read.contact_phone)
    return read


async def find(session: AsyncSession, scope: Scope, unit_id: int, *, lock: bool = False) -> OrgUnit:
    unit = await repository.get(session, unit_id, scope, for_update=lock)
    if unit is None:
        raise NotFound("组织不存在", "The org unit does not exist")
    return unit


async def _parent_for(
    session: AsyncSession, principal: Principal, parent_id: int, level: str
) -> OrgUnit:
    """The parent a node will hang under: writable, live, one level up, and locked."""
    parent = await find(session, principal.scope(ORG_WRITE), parent_id)
    parent = (await repository.lock_chain(session, chain_of(parent)))[parent.id]
    if not rules.fits_under(level, parent.level):
        expected = rules.parent_level(level)
        raise LevelMismatch(
            f"{LEVEL_NAMES_ZH[level]}的上级应为{LEVEL_NAMES_ZH[expected] if expected else '空'}",
            f"A {level} hangs under a {expected or 'nothing (towns are roots)'}",
            expected_parent_level=expected,
        )
    if parent.is_archived:
        raise ParentArchived()
    return parent


async def create_unit(session: AsyncSession, principal: Principal, data: OrgUnitCreate) -> OrgUnit:
    if data.level == OrgLevel.town:
        if not principal.is_superuser:
            raise Forbidden("只有超级管理员可以创建镇(街道)", "Only a superuser may create towns")
        parent_chain: tuple[int | None, ...] = (None,) * 5
    else:
        assert data.parent_id is not None
        parent_chain = chain_of(await _parent_for(session, principal, data.parent_id, data.level))
    if await repository.code_exists(session, data.code):
        raise CodeTaken()
    (unit_id,) = await repository.allocate_ids(session, 1)
    unit = OrgUnit(
        id=unit_id,
        parent_id=data.parent_id,
        grid_kind=data.grid_kind or ("compound" if data.level == OrgLevel.grid else None),
        **data.model_dump(exclude={"parent_id", "grid_kind"}),
        **rules.ancestor_ids(data.level, unit_id, parent_chain),
    )
    await repository.add(session, unit)
    await audit_service.record(
        session,
        principal,
        "org_unit.create",
        summary=f"创建{LEVEL_NAMES_ZH[unit.level]}「{unit.name}」({unit.code})",
        target_type="org_unit",
        target_id=unit.id,
        place=unit,
    )
    return unit


async def get_unit(session: AsyncSession, principal: Principal, unit_id: int) -> OrgUnit:
    return await find(session, principal.scope(ORG_READ), unit_id)


async def list_units(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None = None,
    **filters: Any,
) -> OrgUnitPage:
    """Search (``q`` on name or code), filter by level or parent, keyset-paged by id."""
    scope = principal.scope(ORG_READ)
    rows, next_cursor = await paginate(
        BY_ID,
        cursor,
        limit,
        lambda after, n: repository.page(session, scope, limit=n, after_id=after, **filters),
        key=lambda unit: unit.id,
    )
    return OrgUnitPage(items=[present(principal, row) for row in rows], next_cursor=next_cursor)


async def list_children(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    *,
    limit: int,
    cursor: str | None = None,
    include_archived: bool = False,
) -> OrgUnitPage:
    parent = await get_unit(session, principal, unit_id)
    return await list_units(
        session,
        principal,
        limit=limit,
        cursor=cursor,
        parent_id=parent.id,
        include_archived=include_archived,
    )


async def get_ancestors(
    session: AsyncSession, principal: Principal, unit_id: int
) -> list[OrgUnitRef]:
    """The breadcrumb from the town down to the node itself, read off its ancestor columns.

    Ancestors above the caller's grants are outside its scope and left out, so the
    breadcrumb starts at the highest node the caller may see.
    """
    scope = principal.scope(ORG_READ)
    unit = await find(session, scope, unit_id)
    chain = [i for i in chain_of(unit) if i is not None]
    return [OrgUnitRef.model_validate(u) for u in await repository.by_ids(session, chain, scope)]


async def update_unit(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    if_match: str | None,
    data: OrgUnitUpdate,
) -> OrgUnit:
    unit = await find(session, principal.scope(ORG_WRITE), unit_id, lock=True)
    check_version(if_match, unit.version)
    if unit.is_archived:
        raise Archived()
    changes = {
        k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(unit, k) != v
    }
    if "grid_kind" in changes and unit.level != OrgLevel.grid:
        raise GridKindNotAllowed()
    if not changes:
        return unit
    if "code" in changes and await repository.code_exists(session, changes["code"]):
        raise CodeTaken()
    for field, value in changes.items():
        setattr(unit, field, value)
    unit.version += 1
    await repository.flush(session)
    await audit_service.record(
        session,
        principal,
        "org_unit.update",
        summary=f"修改组织「{unit.name}」({unit.code})：{', '.join(sorted(changes))}",
        target_type="org_unit",
        target_id=unit.id,
        place=unit,
    )
    return unit


async def move_unit(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    if_match: str | None,
    new_parent_id: int,
) -> OrgUnit:
    """Move a node and its whole subtree: everything under it follows, now and in history.

    Every row placed under the node, in every scoped table (org units, people,
    memberships, orders, volunteer teams, rewards, redemptions, points period
    totals, and any scoped table added later), takes the node's new ancestors, in
    this transaction; nothing keeps the old place. So the old ancestors' admins no
    longer see any of it (404), the new ones do, and reports and leaderboards of
    past periods count the moved orders and points under the new place. Rows that
    carry a version get a new one (their ETag changes). The audit log keeps where
    each event happened at the time (README, "Moving a subtree").
    """
    scope = principal.scope(ORG_WRITE)
    unit = await find(session, scope, unit_id, lock=True)
    check_version(if_match, unit.version)
    if unit.is_archived:
        raise Archived()
    target = await find(session, scope, new_parent_id)
    # The target is inside the node's subtree when its own column for the node's level is the node.
    if getattr(target, rules.ANCESTOR_COLUMNS[rules.level_index(unit.level)]) == unit.id:
        raise MoveIntoOwnSubtree()
    target = await _parent_for(session, principal, new_parent_id, unit.level)
    if target.id == unit.parent_id:
        return unit
    old_parent_id = unit.parent_id
    above = rules.columns_above(unit.level, chain_of(target))
    await repository.set_parent(session, unit.id, target.id)
    await repository.rewrite_subtree(session, unit.level, unit.id, above)
    await repository.refresh(session, unit)
    await audit_service.record(
        session,
        principal,
        "org_unit.move",
        summary=f"移动组织「{unit.name}」({unit.code})：上级 {old_parent_id} → {target.id}",
        target_type="org_unit",
        target_id=unit.id,
        place=unit,
    )
    return unit


async def archive_unit(
    session: AsyncSession, principal: Principal, unit_id: int, if_match: str | None
) -> OrgUnit:
    """归档: refused while live children, people or open orders remain."""
    unit = await find(session, principal.scope(ORG_WRITE), unit_id, lock=True)
    check_version(if_match, unit.version)
    if unit.is_archived:
        raise Archived()
    children = await repository.count_live_children(session, unit.id)
    if children:
        raise HasLiveChildren(
            f"仍有 {children} 个下级组织", f"{children} live children remain", count=children
        )
    # People are counted over the scoped-table registry (the models that set
    # ``blocks_archive``), not by calling the people domain, which depends on the
    # hierarchy: no import cycle, and the rule is declared on the models it concerns.
    people = await repository.count_live_people_under(session, unit.level, unit.id)
    if people:
        raise HasPeople(f"仍有 {people} 名人员", f"{people} people remain", count=people)
    open_orders = await repository.count_open_work_under(session, unit.level, unit.id)
    if open_orders:
        raise HasOpenOrders(
            f"仍有 {open_orders} 个未办结工单",
            f"{open_orders} open orders remain",
            count=open_orders,
        )
    unit.is_archived = True
    unit.version += 1
    await repository.flush(session)
    await audit_service.record(
        session,
        principal,
        "org_unit.archive",
        summary=f"归档组织「{unit.name}」({unit.code})",
        target_type="org_unit",
        target_id=unit.id,
        place=unit,
    )
    return unit


async def restore_unit(
    session: AsyncSession, principal: Principal, unit_id: int, if_match: str | None
) -> OrgUnit:
    unit = await find(session, principal.scope(ORG_WRITE), unit_id, lock=True)
    check_version(if_match, unit.version)
    if not unit.is_archived:
        raise NotArchived()
    if unit.parent_id is not None:
        parent = (await repository.lock_chain(session, [unit.parent_id]))[unit.parent_id]
        if parent.is_archived:
            raise ParentArchived("请先恢复上级组织", "Restore the parent first")
    unit.is_archived = False
    unit.version += 1
    await repository.flush(session)
    await audit_service.record(
        session,
        principal,
        "org_unit.restore",
        summary=f"恢复组织「{unit.name}」({unit.code})",
        target_type="org_unit",
        target_id=unit.id,
        place=unit,
    )
    return unit


MAX_SUBTREE_NODES = 5000
"""A nested tree larger than this is refused; page through the children instead."""


async def get_subtree(
    session: AsyncSession, principal: Principal, unit_id: int, depth: int
) -> SubtreeNode:
    """The subtree to ``depth`` levels, each node with its live descendants per level.

    The counts are one GROUP BY over the ancestor columns (GROUPING SETS), not recursion.
    """
    scope = principal.scope(ORG_READ)
    root = await find(session, scope, unit_id)
    top = rules.level_index(root.level)
    levels = [level.value for level in LEVELS[top : top + depth + 1]]
    grouped = ANCESTOR_COLUMNS[top : min(top + depth + 1, len(LEVELS) - 1)]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if grouped:
        for _, level, ancestor_id, n in await repository.subtree_counts(
            session, root.level, root.id, grouped
        ):
            counts[ancestor_id][level] = n
    size = sum(n for level, n in counts[root.id].items() if level in levels[1:])
    if size > MAX_SUBTREE_NODES:
        raise SubtreeTooLarge(size=size, max_size=MAX_SUBTREE_NODES)
    nodes: dict[int, SubtreeNode] = {}
    for unit in [root, *await repository.subtree_nodes(session, root, scope, levels[1:])]:
        own = rules.level_index(unit.level)
        below = {k: v for k, v in counts[unit.id].items() if rules.level_index(k) > own}
        nodes[unit.id] = node = SubtreeNode(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            level=OrgLevel(unit.level),
            grid_kind=unit.grid_kind,
            descendants=LevelCounts(**below),
        )
        if unit is not root and unit.parent_id in nodes:
            nodes[unit.parent_id].children.append(node)
    return nodes[root.id]
