"""No privilege escalation (最小授权): whoever grants, revokes or edits power at a node
must already hold that power there. Pure functions over a principal's grants."""

from collections.abc import Iterable
from typing import Final

from app.authz.permissions import (
    ALL,
    GOVERNANCE_TAKE_PART,
    ORDERS_DEPARTMENT,
    ORDERS_SUBMIT,
    ORDERS_WORK,
    PARTICIPATION_JOIN,
    POINTS_REDEEM,
)
from app.authz.principal import Principal
from app.authz.scope import Placed, Scope

OWN_CAPACITY: Final = frozenset(
    {
        ORDERS_SUBMIT,
        ORDERS_WORK,
        ORDERS_DEPARTMENT,
        POINTS_REDEEM,
        PARTICIPATION_JOIN,
        GOVERNANCE_TAKE_PART,
    }
)
"""Permissions that act only on what the holder files or is handed (one's own orders,
assignments and points; signing oneself up, checking oneself in, one's own 报到 — the
community's activities and the masked 微心愿 board it reads are its public face, no
personal data), not on anyone else. Administrators do not hold them, yet must
be able to make residents, members and department staff, so they are left out of the
escalation check. A new permission that reaches other people's data must not be added."""


def permissions_over(principal: Principal, place: Placed) -> frozenset[str]:
    """What the caller may do at ``place``: the union of its grants reaching it."""
    if principal.is_superuser:
        return ALL
    return frozenset().union(
        *(
            grant.permissions
            for grant in principal.grants
            if Scope.of([(grant.level, grant.org_unit_id)]).covers(place)
        )
    )


def escalates(principal: Principal, place: Placed, permissions: Iterable[str]) -> bool:
    """True when ``permissions`` at ``place`` give power over others that the caller
    does not hold there."""
    return not frozenset(permissions) - OWN_CAPACITY <= permissions_over(principal, place)
