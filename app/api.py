"""The versioned API: every domain router mounted under /api/v1."""

from fastapi import APIRouter

from app.kit.schemas import problem_responses

# Every API operation can answer these; each router adds its own (404, 409, 412 …).
api_router = APIRouter(prefix="/api/v1", responses=problem_responses(413, 422, 503))
