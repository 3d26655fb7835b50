"""The permission catalogue. Which role carries which permission is data
(``role_permission``, seeded by the migrations); these names are the contract."""

from typing import Final

ORG_READ: Final = "org.read"
ORG_WRITE: Final = "org.write"
ORG_IMPORT: Final = "org.import"
PEOPLE_READ: Final = "people.read"
PEOPLE_WRITE: Final = "people.write"
PII: Final = "pii"
"""Sees phone and ID numbers unmasked (PIPL); everyone else gets 138****5678."""
MEMBERS_READ: Final = "members.read"
MEMBERS_WRITE: Final = "members.write"
USERS_READ: Final = "users.read"
USERS_WRITE: Final = "users.write"
AUDIT_READ: Final = "audit.read"
ORDERS_SUBMIT: Final = "orders.submit"
"""居民点单: file and follow one's own orders, answer 回访, second (附议)."""
ORDERS_SUBMIT_FOR: Final = "orders.submit_for"
"""File on a resident's behalf (网格员发现问题, phone, walk-in)."""
ORDERS_READ: Final = "orders.read"
ORDERS_DISPATCH: Final = "orders.dispatch"
"""分拣 and 派单: triage, reject, merge, dispatch, pool, escalate."""
ORDERS_WORK: Final = "orders.work"
"""党员接单: claim from pools in scope, work on one's own assignments."""
ORDERS_DEPARTMENT: Final = "orders.department"
"""部门报到: act on orders dispatched to one's department."""
ORDERS_STATS: Final = "orders.stats"
ORDERS_CONFIG: Final = "orders.config"
POINTS_READ: Final = "points.read"
"""Read balances, statements and leaderboards of members in scope (one's own always)."""
POINTS_AWARD: Final = "points.award"
"""Manual awards and deductions with a reason."""
POINTS_RULES: Final = "points.rules"
POINTS_REDEEM: Final = "points.redeem"
"""A member redeems their own points at the shop."""
REWARDS_MANAGE: Final = "rewards.manage"
REWARDS_HANDOVER: Final = "rewards.handover"
PARTICIPATION_JOIN: Final = "participation.join"
"""居民/党员参与: see the activities, teams and 微心愿 board of one's community, sign up,
check in by QR, join open teams, register (双报到), claim wishes (members), see one's hours."""
PARTICIPATION_READ: Final = "participation.read"
"""Staff read of activities, sign-ups, registrations, units, wishes and the 双考评 reports."""
ACTIVITIES_MANAGE: Final = "activities.manage"
"""组织活动: publish, change, cancel and close activities; show the QR code; check people in
and out by hand; void an attendance (冲正 of its points)."""
UNITS_MANAGE: Final = "units.manage"
"""双报到/结对: the registry of units (机关、企事业单位党组织), their rosters, pairings
(挂钩联系) and yearly commitments; confirm members' registrations (报到)."""
WISHES_MANAGE: Final = "wishes.manage"
"""微心愿: post wishes on a resident's behalf, claim for a team or unit, cancel."""
GOVERNANCE_READ: Final = "governance.read"
"""Read partner bodies, offices, stations and rotas, meetings, 五议 matters and evaluations."""
GOVERNANCE_MANAGE: Final = "governance.manage"
"""Keep bodies, offices, stations, rotas, meetings, matters and evaluations: the branch's
and the community's staff."""
GOVERNANCE_TAKE_PART: Final = "governance.take_part"
"""Take part as oneself: propose a matter (提议), vote once for one's household (公议), rate
(评议), answer an evaluation, volunteer for and check in to duty shifts."""
WEBHOOKS_MANAGE: Final = "webhooks.manage"
"""Subscribe endpoints to events of one's scope (``/webhooks``), read their secrets
and delivery logs. What a subscription hears is still bounded by its owner's read
permissions (``orders.read``, ``points.read``) and ``pii`` where the event happens."""

ALL: Final = frozenset(
    {
        ORG_READ,
        ORG_WRITE,
        ORG_IMPORT,
        PEOPLE_READ,
        PEOPLE_WRITE,
        PII,
        MEMBERS_READ,
        MEMBERS_WRITE,
        USERS_READ,
        USERS_WRITE,
        AUDIT_READ,
        ORDERS_SUBMIT,
        ORDERS_SUBMIT_FOR,
        ORDERS_READ,
        ORDERS_DISPATCH,
        ORDERS_WORK,
        ORDERS_DEPARTMENT,
        ORDERS_STATS,
        ORDERS_CONFIG,
        POINTS_READ,
        POINTS_AWARD,
        POINTS_RULES,
        POINTS_REDEEM,
        REWARDS_MANAGE,
        REWARDS_HANDOVER,
        PARTICIPATION_JOIN,
        PARTICIPATION_READ,
        ACTIVITIES_MANAGE,
        UNITS_MANAGE,
        WISHES_MANAGE,
        GOVERNANCE_READ,
        GOVERNANCE_MANAGE,
        GOVERNANCE_TAKE_PART,
        WEBHOOKS_MANAGE,
    }
)

ROLES: Final = (
    "town_admin",
    "community_admin",
    "dispatcher",
    "grid_worker",
    "department_staff",
    "member",
    "resident",
    "resident_pending",
    "auditor",
)
