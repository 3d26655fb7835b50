"""One way to build a test world: the factory tree, callers by name with their bearer
headers, and the people the world holds. Each test folder names its callers and
adds what only it needs (a folder's ``World`` subclass, extra units or people)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.hierarchy.models import OrgUnit
from app.people.models import Person
from app.users.models import UserAccount
from tests.support.factory import bearer, make_tree, make_user

Callers = Mapping[str, tuple[str, str]]
"""Caller name → (role, key of the unit it is granted at)."""

CALLERS: Callers = {
    # pii, people.*, members.*, orders.config … over community c1
    "admin": ("community_admin", "c1"),
    # the same over the sibling community c2: c1's objects are 404 to it
    "sibling": ("community_admin", "c2"),
    "town_admin": ("town_admin", "town"),
    # another town altogether
    "other_town_admin": ("town_admin", "other_town"),
    # reads and dispatches in c1, no pii
    "dispatcher": ("dispatcher", "c1"),
    "grid_worker": ("grid_worker", "g1"),
    "auditor": ("auditor", "c1"),
    # orders.work and points.redeem, no person linked
    "member": ("member", "c1"),
    # orders.submit, no person linked
    "resident": ("resident", "h1"),
}
"""The callers most worlds need; a folder adds its own or grants one elsewhere."""


def callers(*, without: tuple[str, ...] = (), **more: tuple[str, str]) -> Callers:
    """:data:`CALLERS` but ``without`` (a folder builds those itself), plus ``more``."""
    return {name: grant for name, grant in CALLERS.items() if name not in without} | more


@dataclass
class World:
    units: dict[str, OrgUnit]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    """Caller name → its ``Authorization`` header (``{}`` for the anonymous caller)."""
    users: dict[str, UserAccount] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, caller: str) -> dict[str, str]:
        return self.headers[caller]

    def as_(self, caller: str | None) -> dict[str, str]:
        """Headers of ``caller`` (None: no token)."""
        return {} if caller is None else self.headers[caller]

    def unit(self, key: str) -> OrgUnit:
        return self.units[key]

    def id(self, key: str) -> int:
        return self.units[key].id

    def person(self, key: str) -> Person:
        return self.people[key]

    async def sign_up(
        self,
        db: AsyncSession,
        settings: Settings,
        name: str,
        *grants: tuple[str, OrgUnit],
        **account: object,
    ) -> UserAccount:
        """An account named ``name`` holding ``grants``; its headers under the same name."""
        user = await make_user(db, *grants, **account)  # type: ignore[arg-type]
        self.users[name] = user
        self.headers[name] = bearer(settings, user)
        return user


W = TypeVar("W", bound=World)


async def build_world(
    db: AsyncSession,
    settings: Settings,
    callers: Callers = CALLERS,
    *,
    kind: type[W] = World,  # type: ignore[assignment]
    units: dict[str, OrgUnit] | None = None,
    superuser: str = "superuser",
    anonymous: str = "none",
) -> W:
    """The factory tree (or ``units``), one account per caller, a superuser and an
    anonymous caller."""
    world = kind(units=units if units is not None else await make_tree(db))
    for name, (role, unit_key) in callers.items():
        await world.sign_up(db, settings, name, (role, world.units[unit_key]))
    await world.sign_up(db, settings, superuser, superuser=True)
    world.headers[anonymous] = {}
    return world
