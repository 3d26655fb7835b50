"""Every governance router, mounted once under /api/v1 by ``app.api``."""

from fastapi import APIRouter

from app.governance.bodies.router import offices_router
from app.governance.bodies.router import router as bodies_router
from app.governance.deliberation.router import router as matters_router
from app.governance.evaluations.router import router as evaluations_router
from app.governance.meetings.router import router as meetings_router
from app.governance.stations.router import router as stations_router
from app.kit.schemas import problem_responses

router = APIRouter(responses=problem_responses(401, 403))
for sub in (
    bodies_router,
    offices_router,
    stations_router,
    meetings_router,
    matters_router,
    evaluations_router,
):
    router.include_router(sub)
