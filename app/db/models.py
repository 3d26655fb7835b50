"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiClient, RefreshToken
from app.authz.models import Role, RoleGrant, RolePermission
from app.db.base import Base
from app.db.nonces import RequestNonce
from app.db.ratelimit import RateLimitCounter
from app.files.models import StoredFile
from app.governance.bodies.models import OfficeTerm, PartnerBody, PropertyContract
from app.governance.deliberation.models import (
    Matter,
    MatterBallot,
    MatterEvent,
    MatterPosition,
    MatterRating,
    MatterVote,
)
from app.governance.evaluations.models import Evaluation, EvaluationResponse, Questionnaire
from app.governance.meetings.models import (
    Meeting,
    MeetingAttendance,
    MeetingBody,
    MeetingDecision,
)
from app.governance.stations.models import DutyAssignment, DutyShift, HonourEntry, Station
from app.hierarchy.models import OrgUnit
from app.integrations.gov.models import GovReport
from app.integrations.models import IdempotencyRecord, OutboxEvent, RelayCounter
from app.integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.integrations.wechat.models import WechatAccessToken, WechatMessage, WechatSubscription
from app.notifications.models import Notification, NotificationRule
from app.onboarding.models import HouseholdInvitation, ResidentRegistration
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
from app.participation.models import Activity, ActivitySignup
from app.participation.registrations.models import DualRegistration
from app.participation.units.models import (
    WorkUnit,
    WorkUnitCommitment,
    WorkUnitMember,
    WorkUnitPairing,
)
from app.participation.wishes.models import MicroWish, MicroWishParticipant
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
from app.reporting.bulletins.models import Bulletin
from app.reporting.kpi_settings.models import KpiSettingsVersion
from app.users.models import UserAccount, UserIdentity

__all__ = [
    "Activity",
    "ActivitySignup",
    "ApiClient",
    "AuditEvent",
    "Base",
    "Bulletin",
    "CalendarOverride",
    "Department",
    "DepartmentArrival",
    "DepartmentMember",
    "DualRegistration",
    "DutyAssignment",
    "DutyShift",
    "Evaluation",
    "EvaluationResponse",
    "GovReport",
    "HonourEntry",
    "HouseholdInvitation",
    "IdempotencyRecord",
    "KpiSetting",
    "KpiSettingsVersion",
    "Matter",
    "MatterBallot",
    "MatterEvent",
    "MatterPosition",
    "MatterRating",
    "MatterVote",
    "Meeting",
    "MeetingAttendance",
    "MeetingBody",
    "MeetingDecision",
    "MicroWish",
    "MicroWishParticipant",
    "Notification",
    "NotificationRule",
    "OfficeTerm",
    "OrderCategory",
    "OrderNumberCounter",
    "OrderSecond",
    "OrgUnit",
    "OutboxEvent",
    "PartnerBody",
    "PartyMember",
    "Person",
    "PointsAccount",
    "PointsPeriodTotal",
    "PointsPosting",
    "PointsRule",
    "PointsTransaction",
    "PropertyContract",
    "Questionnaire",
    "RateLimitCounter",
    "Redemption",
    "RefreshToken",
    "RelayCounter",
    "RequestNonce",
    "ResidentRegistration",
    "Reward",
    "Role",
    "RoleGrant",
    "RolePermission",
    "ServiceOrder",
    "ServiceOrderEvent",
    "Station",
    "StoredFile",
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
    "WorkUnit",
    "WorkUnitCommitment",
    "WorkUnitMember",
    "WorkUnitPairing",
]
