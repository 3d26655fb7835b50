"""Service categories (服务类别): global data every town shares.

Services flush, never commit; every write records one audit event.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.principal import Principal
from app.kit.pagination import BY_CODE, paginate
from app.orders.config import repository
from app.orders.config.errors import (
    CategoryCodeTaken,
    CategoryNotFound,
    UnknownTimeLimit,
)
from app.orders.config.schemas import (
    OrderCategoryCreate,
    OrderCategoryPage,
    OrderCategoryRead,
    OrderCategoryUpdate,
)
from app.orders.config.shared import changed_fields, require_global
from app.orders.models import OrderCategory


async def list_categories(
    session: AsyncSession, *, limit: int, cursor: str | None, is_active: bool | None
) -> OrderCategoryPage:
    items, next_cursor = await paginate(
        BY_CODE,
        cursor,
        limit,
        lambda after, n: repository.category_page(
            session, after=after, limit=n, is_active=is_active
        ),
        key=lambda category: category.code,
    )
    return OrderCategoryPage(
        items=[OrderCategoryRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def get_category(session: AsyncSession, code: str) -> OrderCategoryRead:
    category = await repository.get_category(session, code)
    if category is None:
        raise CategoryNotFound()
    return OrderCategoryRead.model_validate(category)


async def _check_time_limit(session: AsyncSession, code: str) -> None:
    if await repository.get_time_limit(session, code) is None:
        raise UnknownTimeLimit(f"办理时限类别 {code} 不存在", f"No time-limit class {code}")


async def create_category(
    session: AsyncSession, principal: Principal, data: OrderCategoryCreate
) -> OrderCategoryRead:
    require_global(principal)
    if await repository.get_category(session, data.code) is not None:
        raise CategoryCodeTaken()
    await _check_time_limit(session, data.default_time_limit)
    category = await repository.save(
        session,
        OrderCategory(**data.model_dump()),
        unique="pk_order_category",
        error=CategoryCodeTaken(),
    )
    summary = f"新增服务类别「{category.name_zh}」({category.code})"
    await audit_service.record(
        session,
        principal,
        "order_category.create",
        summary=summary,
        target_type="order_category",
        target_id=data.code,
    )
    return OrderCategoryRead.model_validate(category)


async def update_category(
    session: AsyncSession, principal: Principal, code: str, data: OrderCategoryUpdate
) -> OrderCategoryRead:
    """Deactivating a category stops new orders in it; existing orders keep it."""
    require_global(principal)
    category = await repository.get_category(session, code, for_update=True)
    if category is None:
        raise CategoryNotFound()
    changes = changed_fields(category, data)
    if not changes:
        return OrderCategoryRead.model_validate(category)
    if "default_time_limit" in changes:
        await _check_time_limit(session, changes["default_time_limit"])
    for field, value in changes.items():
        setattr(category, field, value)
    await repository.save(session, category)
    summary = f"修改服务类别「{category.name_zh}」({code})：{', '.join(sorted(changes))}"
    await audit_service.record(
        session,
        principal,
        "order_category.update",
        summary=summary,
        target_type="order_category",
        target_id=code,
    )
    return OrderCategoryRead.model_validate(category)
