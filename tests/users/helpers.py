"""A small world for scope tests: one caller of each kind around community c1.

- ``admin``: community_admin at c1 (in scope for everything under c1);
- ``sibling``: community_admin at c2 (a sibling subtree: c1's objects are 404);
- ``weak``: dispatcher at c1 (no users.* or audit.read: 403);
- ``auditor``: auditor at c1 (reads users and the audit log, writes nothing);
- ``target``: a grid worker at g1, the account the admins act on;
- ``root``: a superuser.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.authz.models import Role, RolePermission
from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.users.models import UserAccount
from tests.support.factory import make_user
from tests.support.world import World as BaseWorld
from tests.support.world import build_world

CALLERS = {
    "admin": ("community_admin", "c1"),
    "sibling": ("community_admin", "c2"),
    "weak": ("dispatcher", "c1"),
    "auditor": ("auditor", "c1"),
    "target": ("grid_worker", "g1"),
}


class World(BaseWorld):
    """``world.admin`` is the account of caller ``admin``; ``world.tree`` the units."""

    def __getattr__(self, name: str) -> UserAccount:
        try:
            return self.__dict__["users"][name]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def tree(self) -> dict[str, OrgUnit]:
        return self.units


async def make_world(db: AsyncSession, settings: Settings) -> World:
    return await build_world(db, settings, CALLERS, kind=World, superuser="root")


async def audit_events(db: AsyncSession, **filters: object) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in filters.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list((await db.execute(query)).scalars().all())


async def make_user_manager(db: AsyncSession, unit: OrgUnit) -> UserAccount:
    """An account manager at ``unit`` holding only users.read and users.write: a role
    made for the test (roles are data), to show what it may not hand out."""
    db.add(Role(code="user_manager", name_zh="账号管理员", name_en="User manager"))
    await db.flush()
    db.add_all(
        RolePermission(role="user_manager", permission=p) for p in ("users.read", "users.write")
    )
    await db.flush()
    return await make_user(db, ("user_manager", unit))
