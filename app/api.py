"""The versioned API: every domain router mounted under /api/v1."""

from fastapi import APIRouter

from app.audit.router import router as audit_router
from app.auth.router import clients_router as api_clients_router
from app.auth.router import router as auth_router
from app.files.router import router as files_router
from app.governance.router import router as governance_router
from app.hierarchy.router import router as hierarchy_router
from app.integrations.webhooks.router import router as webhooks_router
from app.integrations.wechat.router import router as wechat_router
from app.kit.schemas import problem_responses
from app.notifications.router import router as notifications_router
from app.onboarding.router import router as onboarding_router
from app.orders.config.router import router as order_config_router
from app.orders.router import router as orders_router
from app.participation.registrations.router import router as registrations_router
from app.participation.reports.router import router as participation_reports_router
from app.participation.router import router as activities_router
from app.participation.units.router import router as work_units_router
from app.participation.wishes.router import router as wishes_router
from app.people.members.router import router as members_router
from app.people.router import router as people_router
from app.points.router import router as points_router
from app.points.shop.router import router as shop_router
from app.reporting.bulletins.router import router as bulletins_router
from app.reporting.kpi_settings.router import router as kpi_settings_router
from app.reporting.router import router as stats_router
from app.users.router import router as users_router

# Every API operation can answer these; each router adds its own (404, 409, 412 …).
api_router = APIRouter(prefix="/api/v1", responses=problem_responses(413, 422, 503))
for domain_router in (
    auth_router,
    users_router,
    onboarding_router,
    files_router,
    api_clients_router,
    hierarchy_router,
    people_router,
    members_router,
    orders_router,
    order_config_router,
    stats_router,
    kpi_settings_router,
    bulletins_router,
    points_router,
    shop_router,
    activities_router,
    work_units_router,
    registrations_router,
    wishes_router,
    participation_reports_router,
    governance_router,
    webhooks_router,
    notifications_router,
    wechat_router,
    audit_router,
):
    api_router.include_router(domain_router)
