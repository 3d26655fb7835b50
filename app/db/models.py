"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiClient, RefreshToken
from app.authz.models import Role, RoleGrant, RolePermission
from app.db.base import Base
from app.hierarchy.models import OrgUnit
from app.integrations.models import IdempotencyRecord, OutboxEvent, RelayCounter
from app.integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.integrations.wechat.models import WechatAccessToken, WechatMessage, WechatSubscription
from app.notifications.models import Notification, NotificationRule
from app.orders.models import (
    CalendarOverride,
    Department,
    DepartmentArrival,
    DepartmentMember,
    KpiSetting,
    OrderCategory,
    OrderNumberCounter,
    OrderSecond,
    ServiceOrder,
    ServiceOrderEvent,
    TimeLimitClass,
    VolunteerTeam,
    VolunteerTeamMember,
)
from app.people.models import PartyMember, Person
from app.points.models import (
    PointsAccount,
    PointsPeriodTotal,
    PointsPosting,
    PointsRule,
    PointsTransaction,
    Redemption,
    Reward,
)
from app.users.models import UserAccount, UserIdentity

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Base",
    "CalendarOverride",
    "Department",
    "DepartmentArrival",
    "DepartmentMember",
    "IdempotencyRecord",
    "KpiSetting",
    "Notification",
    "NotificationRule",
    "OrderCategory",
    "OrderNumberCounter",
    "OrderSecond",
    "OrgUnit",
    "OutboxEvent",
    "PartyMember",
    "Person",
    "PointsAccount",
    "PointsPeriodTotal",
    "PointsPosting",
    "PointsRule",
    "PointsTransaction",
    "Redemption",
    "RefreshToken",
    "RelayCounter",
    "Reward",
    "Role",
    "RoleGrant",
    "RolePermission",
    "ServiceOrder",
    "ServiceOrderEvent",
    "TimeLimitClass",
    "UserAccount",
    "UserIdentity",
    "VolunteerTeam",
    "VolunteerTeamMember",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WechatAccessToken",
    "WechatMessage",
    "WechatSubscription",
]
