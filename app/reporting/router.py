from fastapi import APIRouter

router = APIRouter(prefix="/stats", tags=["stats"])
