"""Who is calling: a user (with grants) or an integration client (with scopes)."""

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from app.authz.permissions import ALL
from app.authz.scope import Scope

LEVEL_ORDER = {"town": 0, "community": 1, "grid": 2, "building": 3, "household": 4}


@dataclass(frozen=True)
class Grant:
    role: str
    org_unit_id: int
    level: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "client"]
    subject: str
    """``user:<id>`` or ``client:<client_id>``: what the audit log records."""
    display_name: str
    user_id: int | None = None
    person_id: int | None = None
    is_superuser: bool = False
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    networks: tuple[str, ...] = ()
    """An integration client's IP allow-list (CIDR); empty: anywhere."""

    def calls_from(self, address: str | None) -> bool:
        """Whether a call from ``address`` is admitted by the allow-list (empty: all)."""
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.networks)

    @cached_property
    def permissions(self) -> frozenset[str]:
        """Every permission held anywhere (computed once: a cached caller is reused)."""
        if self.is_superuser:
            return ALL
        return frozenset().union(*(g.permissions for g in self.grants))

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def broadest_grant(self, permission: str) -> int | None:
        """The node of the highest grant carrying ``permission`` (a town before a
        community …): where an act over the caller's whole scope is filed for audit."""
        held = [g for g in self.grants if permission in g.permissions]
        if not held:
            return None
        return min(held, key=lambda g: LEVEL_ORDER.get(g.level, len(LEVEL_ORDER))).org_unit_id

    def scope(self, permission: str) -> Scope:
        """The subtrees this caller reaches with ``permission``."""
        if self.is_superuser:
            return Scope.everything()
        return Scope.of(
            (g.level, g.org_unit_id) for g in self.grants if permission in g.permissions
        )
